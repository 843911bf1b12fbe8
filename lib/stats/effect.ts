/**
 * Effect sizes with confidence intervals: Cohen's d (pooled SD; normal-approximation CI of
 * Hedges & Olkin), Cliff's delta (= 2·AUROC − 1, CI from the DeLong interval of the AUROC), and
 * the Wilson score interval for a proportion.
 */
import { MolabError } from "../errors.ts";
import { npMean, scipyVar, toSample, type Num } from "./numeric.ts";
import { delongCI, rocAucScore } from "./roc.ts";
import { ndtri } from "./normal.ts";

export interface Estimate {
  estimate: number;
  ci: [number, number];
  confidenceLevel: number;
}

/** Cohen's d of a vs b with pooled (ddof=1) standard deviation. */
export function cohensD(a: Num, b: Num, confidenceLevel = 0.95): Estimate {
  const x = toSample("a", a);
  const y = toSample("b", b);
  const n1 = x.length,
    n2 = y.length;
  if (n1 < 2 || n2 < 2) throw new MolabError("Cohen's d needs at least two observations in each sample");
  const sp = Math.sqrt(((n1 - 1) * scipyVar(x, 1) + (n2 - 1) * scipyVar(y, 1)) / (n1 + n2 - 2));
  const d = (npMean(x) - npMean(y)) / sp;
  const se = Math.sqrt((n1 + n2) / (n1 * n2) + (d * d) / (2 * (n1 + n2)));
  const z = -ndtri((1 - confidenceLevel) / 2);
  return { estimate: d, ci: [d - z * se, d + z * se], confidenceLevel };
}

/** Cliff's delta P(A > B) − P(A < B), with a CI mapped from the DeLong AUROC interval. */
export function cliffsDelta(a: Num, b: Num, confidenceLevel = 0.95): Estimate {
  const x = toSample("a", a);
  const y = toSample("b", b);
  const labels = new Uint8Array(x.length + y.length);
  labels.fill(1, 0, x.length);
  const scores = new Float64Array(x.length + y.length);
  scores.set(x);
  scores.set(y, x.length);
  const auc = rocAucScore(labels, scores);
  const ci = delongCI(labels, scores, confidenceLevel).ci;
  return { estimate: 2 * auc - 1, ci: [2 * ci[0] - 1, 2 * ci[1] - 1], confidenceLevel };
}

/** Wilson score interval for k successes in n trials. */
export function wilsonCI(k: number, n: number, confidenceLevel = 0.95): Estimate {
  if (!Number.isInteger(n) || n <= 0) throw new MolabError(`wilsonCI: n must be a positive integer; got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new MolabError(`wilsonCI: k must be an integer in [0, n]; got ${k}`);
  const z = -ndtri((1 - confidenceLevel) / 2);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, ci: [Math.max(0, center - half), Math.min(1, center + half)], confidenceLevel };
}
