/**
 * How hard a reference set is, measured the way the validate stage measures it: a bag-of-words
 * logistic probe (the top `maxFeatures` words by document frequency, stop words dropped, counts
 * per 100 tokens, standardized, L2 C = 1, balanced classes) cross-validated with stratified
 * 5-fold, and the training-keyword scorer; both as AUROC with a DeLong 95% CI. On gold_106 the
 * keyword scorer reaches ~0.75 and SAE probes 0.72–0.83, so a stand-in should sit near there, not
 * at 1.0. The featurizer is the validate stage's (lib/stats/bow.ts).
 */
import { fitBagOfWords } from "../stats/bow.ts";
import { crossValAuroc } from "../stats/probe.ts";
import { delongCI } from "../stats/roc.ts";
import { keywordScore } from "./keyword.ts";
import { scratchpadBlock, type ChatSample } from "./format.ts";

export interface AurocWithCI {
  auroc: number;
  ci: [number, number];
}
export interface Separability {
  /** Out-of-fold AUROC of the bag-of-words probe (stratified 5-fold), DeLong CI. */
  probe: AurocWithCI & { foldMean: number; features: number };
  /** AUROC of the training-keyword count, DeLong CI. */
  keyword: AurocWithCI;
  n: number;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** Probe and keyword AUROCs (alignment_faking = positive) on the scratchpad texts of a labelled set. */
export function referenceSeparability(
  samples: readonly ChatSample[],
  opts: { maxFeatures?: number; seed?: number; k?: number } = {},
): Separability {
  const texts = samples.map(scratchpadBlock);
  const labels = samples.map((s) => (s.meta.label === "alignment_faking" ? 1 : 0));
  const bow = fitBagOfWords(texts, { maxFeatures: opts.maxFeatures ?? 64 });
  const { vocab } = bow;
  const { rows } = bow.transform(texts);
  const cv = crossValAuroc(rows, labels, {
    C: 1,
    classWeight: "balanced",
    standardize: true,
    k: opts.k ?? 5,
    seed: opts.seed ?? 0,
  });
  const p = delongCI(labels, cv.oofScores);
  const kw = delongCI(
    labels,
    texts.map((t) => keywordScore(t)),
  );
  let foldMean = 0;
  for (const a of cv.foldAuroc) foldMean += a / cv.foldAuroc.length;
  return {
    probe: { auroc: r4(p.auroc), ci: [r4(p.ci[0]), r4(p.ci[1])], foldMean: r4(foldMean), features: vocab.length },
    keyword: { auroc: r4(kw.auroc), ci: [r4(kw.ci[0]), r4(kw.ci[1])] },
    n: samples.length,
  };
}
