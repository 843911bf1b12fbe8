/**
 * Black-box baselines the white-box detectors must beat: a keyword scorer (training/RLHF words in the scratchpad,
 * lib/data's keywordScore — the deprecated validator, kept as the baseline) and an output-only classifier (a linear
 * probe on the bag of words of the `<OUTPUT>` block alone, which never sees the reasoning).
 */
import { parseReply } from "../chat/redwood.ts";
import { keywordScore } from "../data/keyword.ts";
import { fitBagOfWords } from "../stats/bow.ts";
import { toMatrix, type Matrix } from "../stats/logistic.ts";
import { detectionAuroc, type Metric } from "./metrics.ts";
import { crossValScores, linearProbe, type Labels01 } from "./probes.ts";

/** Keyword score of each text's scratchpad (the whole text when it has none). */
export function keywordScores(texts: readonly string[]): Float64Array {
  return Float64Array.from(texts, (t) => keywordScore(parseReply(t).scratchpad ?? t));
}

/** The output block of a reply (the whole text when it has none). */
export const outputOf = (text: string): string => parseReply(text).output ?? text;

/**
 * Bag-of-words features of the outputs only: the vocabulary (at most `maxFeatures` words, present in ≥ 2 outputs)
 * is chosen on all outputs without their labels, as lib/stats' fitBagOfWords does.
 */
export function outputFeatures(texts: readonly string[], maxFeatures = 64): Matrix {
  const outs = texts.map(outputOf);
  const bow = fitBagOfWords(outs, { maxFeatures, stopWords: false });
  if (bow.vocab.length === 0) return { data: new Float64Array(texts.length), rows: texts.length, cols: 1 };
  return toMatrix(bow.transform(outs).rows);
}

/** Out-of-fold scores of the output-only classifier (stratified k-fold, seeded). */
export function outputOnlyScores(texts: readonly string[], y: Labels01, k = 5, seed = 0): Float64Array {
  return crossValScores(outputFeatures(texts), y, linearProbe(), k, seed);
}

/**
 * The output-only baseline's AUROC (out-of-fold scores, DeLong CI), or no estimate when none of the texts has an
 * `<OUTPUT>` block: on bare scratchpads (the reference set) it would read the reasoning itself and stop being an
 * output-only baseline.
 */
export function outputOnlyAuroc(texts: readonly string[], y: Labels01, k = 5, seed = 0): Metric {
  if (texts.every((t) => parseReply(t).output == null))
    return {
      name: "output_only",
      definition: "not applicable: no text has an <OUTPUT> block, so an output-only classifier has nothing to read",
      estimate: null,
      ci: null,
      n: texts.length,
      method: "DeLong (95%)",
    };
  return detectionAuroc(y, outputOnlyScores(texts, y, k, seed), "output_only");
}
