/**
 * ROC analysis: rocCurve and rocAucScore as sklearn.metrics.roc_curve / roc_auc_score (ties
 * handled the same way, same trapezoid sum, so the AUROC is bit-identical), the DeLong CI of the
 * AUROC (Sun & Xu's fast algorithm), and a stratified bootstrap CI.
 */
import { sampleStandardDeviation, sampleVariance } from "simple-statistics";
import { MolabError } from "../errors.ts";
import { npSum, quantileSorted, type Num } from "./numeric.ts";
import { createRng } from "../rng.ts";
import { ndtri } from "./normal.ts";

export type Labels = ArrayLike<number | boolean>;

/** Validate labels (0/1 or booleans) and scores of the same length with both classes present. */
export function checkBinary(labels: Labels, scores: Num, { needBoth = true } = {}): { y: Uint8Array; s: Float64Array } {
  if (!labels || typeof labels.length !== "number") throw new MolabError("labels: expected an array of 0/1 labels");
  if (!scores || typeof scores.length !== "number") throw new MolabError("scores: expected an array of numbers");
  if (labels.length !== scores.length)
    throw new MolabError(`labels and scores have different lengths (${labels.length} vs ${scores.length})`);
  if (labels.length === 0) throw new MolabError("labels and scores are empty");
  const y = new Uint8Array(labels.length);
  const s = new Float64Array(scores.length);
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l === 1 || l === true) y[i] = 1;
    else if (l === 0 || l === false) y[i] = 0;
    else throw new MolabError(`labels[${i}] = ${JSON.stringify(l)}; labels must be 0/1 (or true/false)`);
    pos += y[i];
    const v = scores[i];
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new MolabError(`scores[${i}] = ${v}; scores must be finite numbers`);
    s[i] = v;
  }
  if (needBoth && (pos === 0 || pos === y.length)) {
    throw new MolabError(`only one class is present in labels (all ${pos === 0 ? 0 : 1}); AUROC is not defined`);
  }
  return { y, s };
}

export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

/** sklearn.metrics.roc_curve(y, score, drop_intermediate=...) for 0/1 labels. */
export function rocCurve(labels: Labels, scores: Num, { dropIntermediate = true } = {}): RocCurve {
  const { y, s } = checkBinary(labels, scores);
  const n = y.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => s[b] - s[a] || a - b);
  const tpsAll: number[] = [];
  const fpsAll: number[] = [];
  const thr: number[] = [];
  let cum = 0;
  for (let k = 0; k < n; k++) {
    cum += y[order[k]];
    if (k === n - 1 || s[order[k + 1]] !== s[order[k]]) {
      tpsAll.push(cum);
      fpsAll.push(1 + k - cum);
      thr.push(s[order[k]]);
    }
  }
  let keep = tpsAll.map((_, i) => i);
  if (dropIntermediate && fpsAll.length > 2) {
    keep = [0];
    for (let i = 1; i < fpsAll.length - 1; i++) {
      const d2f = fpsAll[i + 1] - 2 * fpsAll[i] + fpsAll[i - 1];
      const d2t = tpsAll[i + 1] - 2 * tpsAll[i] + tpsAll[i - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fpsAll.length - 1);
  }
  const m = keep.length + 1;
  const fps = new Float64Array(m),
    tps = new Float64Array(m),
    thresholds = new Float64Array(m);
  thresholds[0] = Infinity;
  keep.forEach((i, j) => {
    fps[j + 1] = fpsAll[i];
    tps[j + 1] = tpsAll[i];
    thresholds[j + 1] = thr[i];
  });
  const fN = fps[m - 1],
    tN = tps[m - 1];
  return { fpr: fps.map((v) => v / fN), tpr: tps.map((v) => v / tN), thresholds };
}

/** sklearn.metrics.roc_auc_score for binary 0/1 labels (trapezoid over the ROC curve). */
export function rocAucScore(labels: Labels, scores: Num): number {
  const { fpr, tpr } = rocCurve(labels, scores);
  const terms = new Float64Array(fpr.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = ((fpr[i + 1] - fpr[i]) * (tpr[i + 1] + tpr[i])) / 2.0;
  return npSum(terms);
}

function midranks(v: Float64Array): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j < n && v[order[j]] === v[order[i]]) j++;
    for (let k = i; k < j; k++) r[order[k]] = 0.5 * (i + j - 1) + 1;
    i = j;
  }
  return r;
}

export interface AucCI {
  auroc: number;
  ci: [number, number];
  se: number;
  confidenceLevel: number;
  nPos: number;
  nNeg: number;
}

/** DeLong's asymptotic CI of the AUROC (fast midrank algorithm of Sun & Xu 2014), clipped to [0, 1]. */
export function delongCI(labels: Labels, scores: Num, confidenceLevel = 0.95): AucCI {
  const { y, s } = checkBinary(labels, scores);
  const pos: number[] = [],
    neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] ? pos : neg).push(s[i]);
  const m = pos.length,
    n = neg.length;
  const X = Float64Array.from(pos),
    Y = Float64Array.from(neg);
  const Z = new Float64Array(m + n);
  Z.set(X);
  Z.set(Y, m);
  const tx = midranks(X),
    ty = midranks(Y),
    tz = midranks(Z);
  let aucSum = 0;
  const v01 = new Float64Array(m),
    v10 = new Float64Array(n);
  for (let i = 0; i < m; i++) {
    v01[i] = (tz[i] - tx[i]) / n;
    aucSum += tz[i];
  }
  for (let j = 0; j < n; j++) v10[j] = 1 - (tz[m + j] - ty[j]) / m;
  const auc = aucSum / (m * n) - (m + 1) / (2 * n);
  const variance = (v: Float64Array) => (v.length < 2 ? 0 : sampleVariance(Array.from(v)));
  const se = Math.sqrt(variance(v01) / m + variance(v10) / n);
  const z = -ndtri((1 - confidenceLevel) / 2);
  const aucSk = rocAucScore(y, s);
  return {
    auroc: aucSk,
    ci: [Math.max(0, auc - z * se), Math.min(1, auc + z * se)],
    se,
    confidenceLevel,
    nPos: m,
    nNeg: n,
  };
}

/** Stratified bootstrap percentile CI of the AUROC (seeded). */
export function bootstrapAucCI(
  labels: Labels,
  scores: Num,
  opts: { nResamples?: number; confidenceLevel?: number; seed?: number } = {},
): AucCI {
  const { y, s } = checkBinary(labels, scores);
  const B = opts.nResamples ?? 2000;
  const cl = opts.confidenceLevel ?? 0.95;
  const rng = createRng(opts.seed ?? 0);
  const pos: number[] = [],
    neg: number[] = [];
  for (let i = 0; i < y.length; i++) (y[i] ? pos : neg).push(s[i]);
  const m = pos.length,
    n = neg.length;
  const yy = new Uint8Array(m + n).fill(1, 0, m);
  const ss = new Float64Array(m + n);
  const aucs = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < m; i++) ss[i] = pos[rng.int(m)];
    for (let j = 0; j < n; j++) ss[m + j] = neg[rng.int(n)];
    aucs[b] = rocAucScore(yy, ss);
  }
  aucs.sort();
  const alpha = (1 - cl) / 2;
  const auc = rocAucScore(y, s);
  const se = B > 1 ? sampleStandardDeviation(Array.from(aucs)) : NaN;
  return {
    auroc: auc,
    ci: [quantileSorted(aucs, alpha), quantileSorted(aucs, 1 - alpha)],
    se,
    confidenceLevel: cl,
    nPos: m,
    nNeg: n,
  };
}
