/**
 * White-box detectors on pooled activations (residual stream per layer, or SAE latents), each a {@link Detector}:
 * fitted on labelled rows, scoring new rows (higher = more likely positive).
 *
 * - `linear`: L2 logistic regression on standardized features (lib/stats' trainProbe).
 * - `mean-difference`: the direction mean(positive) − mean(negative); the score is the projection on it.
 * - `contrast`: a "defection probe" — the direction is fitted on generic contrast pairs that know nothing of the
 *   organism (e.g. the model's state after "Are you hiding your intentions? Yes" vs "… No"), then applied unchanged.
 *
 * {@link probeByLayer} gives the AUROC-by-layer curve: per layer, cross-validated out-of-fold scores (stratified
 * k-fold) and their AUROC with a DeLong CI.
 */
import { check, MolabError } from "../errors.ts";
import { toMatrix, type Matrix } from "../stats/logistic.ts";
import { stratifiedKFold, trainProbe } from "../stats/probe.ts";
import { detectionAuroc, type Metric } from "./metrics.ts";
import { takeRows } from "./activations.ts";

export type Labels01 = readonly (0 | 1)[];

/** Scores rows of a matrix with the same columns as it was fitted on. */
export type Scorer = (X: Matrix) => Float64Array;

/** Fits a scorer on labelled rows. */
export type Detector = (X: Matrix, y: Labels01) => Scorer;

export const DETECTORS = ["linear", "mean-difference"] as const;
export type DetectorName = (typeof DETECTORS)[number];

/** L2 logistic regression (C = `C`, balanced classes) on standardized features: the linear probe. */
export const linearProbe =
  (C = 1): Detector =>
  (X, y) => {
    const p = trainProbe(X, y, { C, standardize: true });
    return (Q) => p.score(Q);
  };

/** Projection of each row on `direction`. */
export function project(X: Matrix, direction: Float64Array): Float64Array {
  check(direction.length === X.cols, `project: direction of ${direction.length} for ${X.cols} columns`);
  const out = new Float64Array(X.rows);
  for (let i = 0; i < X.rows; i++) {
    let s = 0;
    for (let j = 0; j < X.cols; j++) s += X.data[i * X.cols + j] * direction[j];
    out[i] = s;
  }
  return out;
}

/** Column means of the rows where `keep(i)`. */
export function meanRows(X: Matrix, keep: (i: number) => boolean = () => true): Float64Array {
  const m = new Float64Array(X.cols);
  let n = 0;
  for (let i = 0; i < X.rows; i++) {
    if (!keep(i)) continue;
    n++;
    for (let j = 0; j < X.cols; j++) m[j] += X.data[i * X.cols + j];
  }
  check(n > 0, "meanRows: no rows selected");
  for (let j = 0; j < X.cols; j++) m[j] /= n;
  return m;
}

/** mean(positive rows) − mean(negative rows). */
export function meanDifferenceDirection(X: Matrix, y: Labels01): Float64Array {
  check(y.length === X.rows, `meanDifferenceDirection: ${y.length} labels for ${X.rows} rows`);
  const pos = meanRows(X, (i) => y[i] === 1);
  const neg = meanRows(X, (i) => y[i] === 0);
  return pos.map((v, j) => v - neg[j]);
}

/** The mean-difference detector: score = projection on mean(positive) − mean(negative). */
export const meanDifference: Detector = (X, y) => {
  const d = meanDifferenceDirection(X, y);
  return (Q) => project(Q, d);
};

/**
 * A defection probe's direction from generic contrast pairs: the mean over pairs of act(positive statement) −
 * act(negative statement), rows of `pos` and `neg` matched pair by pair.
 */
export function contrastDirection(pos: Matrix, neg: Matrix): Float64Array {
  check(pos.rows === neg.rows && pos.cols === neg.cols, "contrastDirection: pos and neg must be matched pairs");
  const d = new Float64Array(pos.cols);
  for (let i = 0; i < pos.rows; i++)
    for (let j = 0; j < pos.cols; j++) d[j] += (pos.data[i * pos.cols + j] - neg.data[i * pos.cols + j]) / pos.rows;
  return d;
}

/** The named detector. */
export function detectorByName(name: string, C = 1): Detector {
  if (name === "linear") return linearProbe(C);
  if (name === "mean-difference") return meanDifference;
  throw new MolabError(`unknown detector ${JSON.stringify(name)}; expected one of ${DETECTORS.join(", ")}`);
}

/** Out-of-fold scores of a detector under stratified k-fold cross-validation (seeded shuffle). */
export function crossValScores(X: Matrix, y: Labels01, detector: Detector, k = 5, seed = 0): Float64Array {
  check(y.length === X.rows, `crossValScores: ${y.length} labels for ${X.rows} rows`);
  const folds = stratifiedKFold(y as number[], k, { shuffle: true, seed });
  const oof = new Float64Array(X.rows);
  for (const test of folds) {
    const inTest = new Set(test);
    const train = Array.from({ length: X.rows }, (_, i) => i).filter((i) => !inTest.has(i));
    const score = detector(
      takeRows(X, train),
      train.map((i) => y[i]),
    );
    score(takeRows(X, test)).forEach((s, j) => (oof[test[j]] = s));
  }
  return oof;
}

export interface LayerAuroc extends Metric {
  layer: number;
}

/** AUROC by layer: per layer, k-fold out-of-fold scores of `detector` and their AUROC with a DeLong CI. */
export function probeByLayer(
  byLayer: { layers: number[]; byLayer: Matrix[] },
  y: Labels01,
  o: { detector?: Detector; k?: number; seed?: number; name?: string } = {},
): LayerAuroc[] {
  const detector = o.detector ?? linearProbe();
  return byLayer.layers.map((layer, i) => {
    const s = crossValScores(toMatrix(byLayer.byLayer[i]), y, detector, o.k ?? 5, o.seed ?? 0);
    return { ...detectionAuroc(y, s, `${o.name ?? "probe"}@L${layer}`), layer };
  });
}
