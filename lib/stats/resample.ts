/**
 * Resampling: a two-sample permutation test with scipy.stats.permutation_test's conventions, and
 * bootstrap confidence intervals (percentile, basic, BCa) with scipy.stats.bootstrap's formulas.
 *
 * Randomness comes from molab's seeded generator (lib/rng.ts): the same seed gives the same
 * p-value. When n_resamples is at least the number of distinct partitions of the pooled sample,
 * every partition is enumerated (as scipy does) and the p-value is exact, equal to scipy's.
 */
import { MolabError } from "../errors.ts";
import { npMean, npSum, quantileSorted, toSample, type Num } from "./numeric.ts";
import { createRng } from "../rng.ts";
import { ndtr, ndtri } from "./normal.ts";
import { checkAlternative, type Alternative } from "./tests.ts";

export type TwoSampleStatistic = (x: Float64Array, y: Float64Array) => number;
/** Difference of means, np.mean(x) - np.mean(y). */
export const meanDifference: TwoSampleStatistic = (x, y) => npMean(x) - npMean(y);

export interface PermutationResult {
  statistic: number;
  pvalue: number;
  /** Number of resamples in the null distribution (all partitions when exact). */
  nResamples: number;
  exact: boolean;
  seed: number;
}

function comb(n: number, k: number): number {
  k = Math.min(k, n - k);
  let r = 1;
  for (let i = 1; i <= k; i++) {
    r = (r * (n - k + i)) / i;
    if (r > 1e15) return Infinity;
  }
  return Math.round(r);
}

/**
 * Two-sample (independent) permutation test. p-values follow scipy: with random resamples,
 * p = (count + 1) / (n_resamples + 1) per side, two-sided = min(1, 2 * min(p_less, p_greater)), so
 * p is never 0; values within 100 ulp (relative) of the observed statistic count as ties.
 */
export function permutationTest(
  x: Num,
  y: Num,
  opts: { statistic?: TwoSampleStatistic; nResamples?: number; alternative?: Alternative; seed?: number } = {},
): PermutationResult {
  const alternative = checkAlternative(opts.alternative);
  const statistic = opts.statistic ?? meanDifference;
  const nResamples = opts.nResamples ?? 9999;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(nResamples) || nResamples <= 0)
    throw new MolabError(`nResamples must be a positive integer; got ${nResamples}`);
  const xs = toSample("x", x);
  const ys = toSample("y", y);
  const n1 = xs.length;
  const n = n1 + ys.length;
  const pooled = new Float64Array(n);
  pooled.set(xs);
  pooled.set(ys, n1);
  const observed = statistic(xs, ys);
  const nMax = comb(n, n1);
  const exact = nResamples >= nMax;
  const bx = new Float64Array(n1);
  const by = new Float64Array(n - n1);
  const gamma = Math.abs(2.220446049250313e-16 * 100 * observed);
  let cLess = 0;
  let cGreater = 0;
  let count = 0;
  const tally = (v: number) => {
    if (v <= observed + gamma) cLess++;
    if (v >= observed - gamma) cGreater++;
    count++;
  };
  if (exact) {
    // all subsets of size n1 in lexicographic order, as itertools.combinations
    const c = Array.from({ length: n1 }, (_, i) => i);
    const inX = new Uint8Array(n);
    for (;;) {
      inX.fill(0);
      for (let i = 0; i < n1; i++) {
        inX[c[i]] = 1;
        bx[i] = pooled[c[i]];
      }
      let k = 0;
      for (let i = 0; i < n; i++) if (!inX[i]) by[k++] = pooled[i];
      tally(statistic(bx, by));
      let i = n1 - 1;
      while (i >= 0 && c[i] === n - n1 + i) i--;
      if (i < 0) break;
      c[i]++;
      for (let j = i + 1; j < n1; j++) c[j] = c[j - 1] + 1;
    }
  } else {
    const rng = createRng(seed);
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    for (let r = 0; r < nResamples; r++) {
      rng.shuffle(idx);
      for (let i = 0; i < n1; i++) bx[i] = pooled[idx[i]];
      for (let i = n1; i < n; i++) by[i - n1] = pooled[idx[i]];
      tally(statistic(bx, by));
    }
  }
  const adj = exact ? 0 : 1;
  const pLess = (cLess + adj) / (count + adj);
  const pGreater = (cGreater + adj) / (count + adj);
  let p = alternative === "less" ? pLess : alternative === "greater" ? pGreater : 2 * Math.min(pLess, pGreater);
  if (Number.isNaN(observed)) p = NaN;
  p = Math.min(Math.max(p, 0), 1);
  return { statistic: observed, pvalue: p, nResamples: count, exact, seed };
}

// ---------------------------------------------------------------- bootstrap
export type OneSampleStatistic = (x: Float64Array) => number;
export type BootstrapMethod = "percentile" | "basic" | "bca";

export interface BootstrapResult {
  low: number;
  high: number;
  standardError: number;
  method: BootstrapMethod;
  confidenceLevel: number;
  nResamples: number;
  seed: number;
}

function npStd(a: Float64Array, ddof: number): number {
  const m = npMean(a);
  const d = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) d[i] = (a[i] - m) * (a[i] - m);
  return Math.sqrt(npSum(d) / (a.length - ddof));
}

/**
 * Bootstrap confidence interval of a one-sample statistic (default: the mean), two-sided, with
 * scipy.stats.bootstrap's percentile / basic / BCa formulas. `indices` (nResamples × n, row-major)
 * replaces the random resampling, e.g. to replay the resamples scipy drew.
 */
export function bootstrapCI(
  data: Num,
  opts: {
    statistic?: OneSampleStatistic;
    nResamples?: number;
    confidenceLevel?: number;
    method?: BootstrapMethod;
    seed?: number;
    indices?: ArrayLike<number>;
  } = {},
): BootstrapResult {
  const x = toSample("data", data);
  const n = x.length;
  if (n < 2) throw new MolabError("bootstrap: the sample must contain two or more observations");
  const statistic = opts.statistic ?? ((v: Float64Array) => npMean(v));
  const cl = opts.confidenceLevel ?? 0.95;
  if (!(cl > 0 && cl < 1)) throw new MolabError(`confidenceLevel must be in (0, 1); got ${cl}`);
  const method = opts.method ?? "bca";
  if (!["percentile", "basic", "bca"].includes(method))
    throw new MolabError(`method must be percentile, basic or bca; got ${JSON.stringify(method)}`);
  const seed = opts.seed ?? 0;
  const B = opts.indices ? opts.indices.length / n : (opts.nResamples ?? 9999);
  if (!Number.isInteger(B) || B <= 0) throw new MolabError(`nResamples must be a positive integer; got ${B}`);
  const theta = new Float64Array(B);
  const buf = new Float64Array(n);
  const rng = createRng(seed);
  for (let b = 0; b < B; b++) {
    if (opts.indices) for (let i = 0; i < n; i++) buf[i] = x[opts.indices[b * n + i]];
    else for (let i = 0; i < n; i++) buf[i] = x[rng.int(n)];
    theta[b] = statistic(buf);
  }
  const alpha = (1 - cl) / 2;
  let a1 = alpha;
  let a2 = 1 - alpha;
  const thetaHat = statistic(x);
  if (method === "bca") {
    let lt = 0;
    let le = 0;
    for (let b = 0; b < B; b++) {
      if (theta[b] < thetaHat) lt++;
      if (theta[b] <= thetaHat) le++;
    }
    const z0 = ndtri((lt + le) / (2 * B));
    const jack = new Float64Array(n);
    const sub = new Float64Array(n - 1);
    for (let i = 0; i < n; i++) {
      let k = 0;
      for (let j = 0; j < n; j++) if (j !== i) sub[k++] = x[j];
      jack[i] = statistic(sub);
    }
    const dot = npMean(jack);
    const u3 = new Float64Array(n);
    const u2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const u = (n - 1) * (dot - jack[i]);
      u3[i] = u ** 3;
      u2[i] = u ** 2;
    }
    const num = npSum(u3) / n ** 3;
    const den = npSum(u2) / n ** 2;
    const aHat = ((1 / 6) * num) / den ** (3 / 2);
    const zA = ndtri(alpha);
    const num1 = z0 + zA;
    a1 = ndtr(z0 + num1 / (1 - aHat * num1));
    const num2 = z0 - zA;
    a2 = ndtr(z0 + num2 / (1 - aHat * num2));
  }
  const sortedTheta = Float64Array.from(theta).sort();
  let low = Number.isNaN(a1) ? NaN : quantileSorted(sortedTheta, a1);
  let high = Number.isNaN(a2) ? NaN : quantileSorted(sortedTheta, a2);
  if (method === "basic") [low, high] = [2 * thetaHat - high, 2 * thetaHat - low];
  return { low, high, standardError: npStd(theta, 1), method, confidenceLevel: cl, nResamples: B, seed };
}
