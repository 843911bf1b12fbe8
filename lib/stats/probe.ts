/**
 * Linear probes on top of fitLogistic: sklearn's StratifiedKFold test-fold assignment, cross-validated AUROC, and a
 * probe with standardization.
 */

import { MolabError } from "../errors.ts";
import { createRng } from "../rng.ts";
import { fitLogistic, toMatrix, type LogisticModel, type LogisticOptions, type Matrix } from "./logistic.ts";
import { npMean } from "./numeric.ts";
import { checkBinary, rocAucScore, type Labels } from "./roc.ts";

/**
 * sklearn's StratifiedKFold test-fold assignment: returns, for each fold, its test indices.
 * Without `shuffle` the assignment is exactly sklearn's; with it, molab's seeded generator
 * (lib/rng.ts) shuffles each class's fold labels (sklearn uses numpy's RNG, so shuffled folds differ from sklearn's).
 */
export function stratifiedKFold(labels: Labels, k = 5, opts: { shuffle?: boolean; seed?: number } = {}): number[][] {
  const { y } = checkBinary(labels, new Float64Array(labels.length));
  const n = y.length;
  if (!Number.isInteger(k) || k < 2) throw new MolabError(`k must be an integer >= 2; got ${k}`);
  // classes encoded in order of first appearance, as sklearn
  const first = y[0];
  const enc = Array.from(y, (v) => (v === first ? 0 : 1));
  const counts = [0, 0];
  for (const e of enc) counts[e]++;
  if (Math.min(...counts) < k)
    throw new MolabError(
      `each class needs at least k=${k} members for stratified ${k}-fold; class counts are ${counts.join(", ")}`,
    );
  const order = [...enc].sort((a, b) => a - b);
  const alloc = Array.from({ length: k }, () => [0, 0]);
  for (let f = 0; f < k; f++) for (let i = f; i < n; i += k) alloc[f][order[i]]++;
  const testFold = new Int32Array(n);
  const rng = createRng(opts.seed ?? 0);
  for (let c = 0; c < 2; c++) {
    const folds: number[] = [];
    for (let f = 0; f < k; f++) for (let r = 0; r < alloc[f][c]; r++) folds.push(f);
    if (opts.shuffle) rng.shuffle(folds);
    let q = 0;
    for (let i = 0; i < n; i++) if (enc[i] === c) testFold[i] = folds[q++];
  }
  const out: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) out[testFold[i]].push(i);
  return out;
}

function subRows(X: Matrix, idx: ArrayLike<number>): Matrix {
  const data = new Float64Array(idx.length * X.cols);
  for (let i = 0; i < idx.length; i++) data.set(X.data.subarray(idx[i] * X.cols, (idx[i] + 1) * X.cols), i * X.cols);
  return { data, rows: idx.length, cols: X.cols };
}

export interface CvResult {
  foldAuroc: Float64Array;
  meanAuroc: number;
  /** Out-of-fold decision values, one per sample. */
  oofScores: Float64Array;
  folds: number[][];
}

/** Cross-validated AUROC of logistic regression over the given test folds (default: stratified 5-fold). */
export function crossValAuroc(
  Xin: Matrix | ArrayLike<ArrayLike<number>>,
  labels: Labels,
  opts: LogisticOptions & { folds?: number[][]; k?: number; seed?: number; standardize?: boolean } = {},
): CvResult {
  const X = toMatrix(Xin);
  const { y } = checkBinary(labels, new Float64Array(labels.length));
  if (y.length !== X.rows) throw new MolabError(`X has ${X.rows} rows but labels has ${y.length} entries`);
  const folds = opts.folds ?? stratifiedKFold(y, opts.k ?? 5, { shuffle: true, seed: opts.seed ?? 0 });
  const foldAuroc = new Float64Array(folds.length);
  const oof = new Float64Array(X.rows).fill(NaN);
  folds.forEach((test, f) => {
    const inTest = new Uint8Array(X.rows);
    for (const i of test) inTest[i] = 1;
    const train: number[] = [];
    for (let i = 0; i < X.rows; i++) if (!inTest[i]) train.push(i);
    const probe = trainProbe(
      subRows(X, train),
      train.map((i) => y[i]),
      opts,
    );
    const s = probe.score(subRows(X, test));
    test.forEach((i, j) => (oof[i] = s[j]));
    foldAuroc[f] = rocAucScore(
      test.map((i) => y[i]),
      s,
    );
  });
  return { foldAuroc, meanAuroc: npMean(foldAuroc), oofScores: oof, folds };
}

export interface Probe {
  model: LogisticModel;
  mean: Float64Array;
  scale: Float64Array;
  /** Decision values (log-odds of the positive class) for new rows. */
  score(X: Matrix | ArrayLike<ArrayLike<number>>): Float64Array;
}

/**
 * A linear probe: optional per-feature standardization (fitted on the training rows; constant
 * features get scale 1) followed by L2 logistic regression (default C=1, class_weight balanced).
 */
export function trainProbe(
  Xin: Matrix | ArrayLike<ArrayLike<number>>,
  labels: Labels,
  opts: LogisticOptions & { standardize?: boolean } = {},
): Probe {
  const X = toMatrix(Xin);
  const d = X.cols;
  const mean = new Float64Array(d);
  const scale = new Float64Array(d).fill(1);
  const standardize = opts.standardize ?? false;
  if (standardize) {
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < d; j++) mean[j] += X.data[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= X.rows;
    const v = new Float64Array(d);
    for (let i = 0; i < X.rows; i++) for (let j = 0; j < d; j++) v[j] += (X.data[i * d + j] - mean[j]) ** 2;
    for (let j = 0; j < d; j++) scale[j] = v[j] > 0 ? Math.sqrt(v[j] / X.rows) : 1;
  }
  const tf = (M: Matrix): Matrix => {
    if (!standardize) return M;
    const data = new Float64Array(M.data.length);
    for (let i = 0; i < M.rows; i++)
      for (let j = 0; j < d; j++) data[i * d + j] = (M.data[i * d + j] - mean[j]) / scale[j];
    return { data, rows: M.rows, cols: d };
  };
  const model = fitLogistic(tf(X), labels, {
    C: opts.C ?? 1.0,
    classWeight: opts.classWeight === undefined ? "balanced" : opts.classWeight,
    fitIntercept: opts.fitIntercept,
    tol: opts.tol,
    maxIter: opts.maxIter,
  });
  return { model, mean, scale, score: (Xq) => model.decision(tf(toMatrix(Xq))) };
}
