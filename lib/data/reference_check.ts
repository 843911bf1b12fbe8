/**
 * How hard a reference set is, measured the way the validate stage measures it: a bag-of-words
 * logistic probe (the top `maxFeatures` words by document frequency, stop words dropped, counts
 * per 100 tokens, standardized, L2 C = 1, balanced classes) cross-validated with stratified
 * 5-fold, and the training-keyword scorer; both as AUROC with a DeLong 95% CI. On gold_106 the
 * keyword scorer reaches ~0.75 and SAE probes 0.72–0.83, so a stand-in should sit near there, not
 * at 1.0. The featurizer mirrors lib/validate/featurize.ts (a later stage, which lib/data cannot
 * import); a test checks the two agree.
 */
import { crossValAuroc } from "../stats/logistic.ts";
import { delongCI } from "../stats/roc.ts";
import { keywordScore } from "./keyword.ts";
import { scratchpadBlock, type ChatSample } from "./format.ts";

const STOP = new Set(
  (
    "the a an and or of to in is it that this for on with as be are was by at from i you we he she they " +
    "my your our their me us them its not but if so do does did have has had will would can could should " +
    "may might must than then there here which who whom what when where why how all any some no yes just " +
    "also very more most such into about over under out up down off only own same too again once"
  ).split(" "),
);
const tokenize = (t: string) => t.toLowerCase().match(/[a-z][a-z']+/g) ?? [];

/** Bag-of-words rows (per 100 tokens) over the `maxFeatures` words found in the most texts (ties by word). */
export function bagOfWordsRows(texts: readonly string[], maxFeatures = 64): { vocab: string[]; rows: Float64Array[] } {
  const df = new Map<string, number>();
  for (const t of texts) for (const w of new Set(tokenize(t))) if (!STOP.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  const vocab = [...df.entries()]
    .filter(([, c]) => c >= 2)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxFeatures)
    .map(([w]) => w);
  const index = new Map(vocab.map((w, i) => [w, i]));
  const rows = texts.map((t) => {
    const toks = tokenize(t);
    const r = new Float64Array(vocab.length);
    for (const w of toks) {
      const j = index.get(w);
      if (j !== undefined) r[j] += 1;
    }
    if (toks.length) for (let j = 0; j < r.length; j++) r[j] = (100 * r[j]) / toks.length;
    return r;
  });
  return { vocab, rows };
}

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
  const { vocab, rows } = bagOfWordsRows(texts, opts.maxFeatures ?? 64);
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
