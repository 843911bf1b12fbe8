/**
 * Two-sample hypothesis tests that give what scipy.stats gives (scipy 1.18):
 * ks2samp (scipy.stats.ks_2samp), mannWhitneyU (mannwhitneyu), welchTTest (ttest_ind with
 * equal_var=False) and fisherExact (fisher_exact on a 2x2 table).
 *
 * Bad input (an empty sample, NaN, ±Infinity, a malformed table) is a MolabError naming the
 * argument. Where scipy documents a NaN result instead (Welch's t-test with fewer than two
 * observations in a sample, or zero variance in both), the same NaN is returned.
 */
import { MolabError } from "../errors.ts";
import { kstwoSf } from "./kolmogorov.ts";
import { countPathsOutside, outerProbInside, probOutsideSquare } from "./ks_paths.ts";
import { npMean, npSum, rankdata, scipyVar, toSample, type Num } from "./numeric.ts";
import { binom, stdtr } from "./special.ts";
import { ndtr } from "./normal.ts";

export type Alternative = "two-sided" | "less" | "greater";
export interface TestResult {
  statistic: number;
  pvalue: number;
}

const ALTERNATIVES: readonly Alternative[] = ["two-sided", "less", "greater"];
export function checkAlternative(alt: string | undefined): Alternative {
  const a = (alt ?? "two-sided") as Alternative;
  if (!ALTERNATIVES.includes(a))
    throw new MolabError(`alternative must be one of two-sided, less, greater; got ${JSON.stringify(alt)}`);
  return a;
}
const clip01 = (p: number) => (Number.isNaN(p) ? p : p < 0 ? 0 : p > 1 ? 1 : p);

/** numpy's round-half-to-even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

// ---------------------------------------------------------------- Kolmogorov-Smirnov
export type KsMethod = "auto" | "exact" | "asymp";
export interface KsResult extends TestResult {
  /** The value (from either sample) at which the ECDF distance is attained. */
  statisticLocation: number;
  /** +1 if the ECDF of `a` exceeds that of `b` at statisticLocation, else -1. */
  statisticSign: number;
  /** The method actually used for the p-value (exact falls back to asymp as in scipy). */
  method: "exact" | "asymp";
}

const MAX_AUTO_N = 10000;

function attemptExact(
  n1: number,
  n2: number,
  g: number,
  d: number,
  alternative: Alternative,
): { ok: boolean; d: number; p: number } {
  const lcm = Math.floor(n1 / g) * n2;
  const h = roundHalfEven(d * lcm);
  d = h / lcm;
  if (h === 0) return { ok: true, d, p: 1.0 };
  let prob = NaN;
  if (alternative === "two-sided") {
    prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInside(n1, n2, g, h);
  } else if (n1 === n2) {
    prob = 1;
    for (let j = 0; j < h; j++) prob *= (n1 - j) / (n1 + j + 1.0);
  } else {
    const numPaths = countPathsOutside(n1, n2, g, h);
    const bin = binom(n1 + n2, n1);
    if (!Number.isFinite(numPaths) || !Number.isFinite(bin) || numPaths > bin) return { ok: false, d, p: NaN };
    prob = numPaths / bin;
  }
  if (!Number.isFinite(prob)) return { ok: false, d, p: NaN };
  if (!(prob >= 0 && prob <= 1)) return { ok: false, d, p: prob };
  return { ok: true, d, p: prob };
}

function ks2sampProb(
  d: number,
  n1: number,
  n2: number,
  mode: KsMethod,
  alternative: Alternative,
): { p: number; method: "exact" | "asymp" } {
  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let prob = -Infinity;
  let m: KsMethod = mode;
  if (m === "auto") m = Math.max(n1, n2) <= MAX_AUTO_N ? "exact" : "asymp";
  else if (m === "exact" && n1g >= 2147483647 / n2g) m = "asymp";
  if (m === "exact") {
    const r = attemptExact(n1, n2, g, d, alternative);
    d = r.d;
    if (r.ok) prob = r.p;
    else m = "asymp";
  }
  if (m === "asymp") {
    const [mm, nn] = n1 >= n2 ? [n1, n2] : [n2, n1];
    const en = (mm * nn) / (mm + nn);
    if (alternative === "two-sided") {
      prob = kstwoSf(d, roundHalfEven(en));
    } else {
      const z = Math.sqrt(en) * d;
      const expt = -2 * z ** 2 - (2 * z * (mm + 2 * nn)) / Math.sqrt(mm * nn * (mm + nn)) / 3.0;
      prob = Math.exp(expt);
    }
  }
  return { p: clip01(prob), method: m as "exact" | "asymp" };
}

/**
 * Two-sample Kolmogorov-Smirnov test, as scipy.stats.ks_2samp(a, b, alternative, method).
 * 'auto' is exact when both samples have at most 10,000 observations; exact falls back to asymp
 * when the exact computation overflows, as scipy does.
 */
export function ks2samp(a: Num, b: Num, opts: { alternative?: Alternative; method?: KsMethod } = {}): KsResult {
  const alternative = checkAlternative(opts.alternative);
  const method = opts.method ?? "auto";
  if (!["auto", "exact", "asymp"].includes(method))
    throw new MolabError(`method must be one of auto, exact, asymp; got ${JSON.stringify(method)}`);
  const x = toSample("a", a).sort();
  const y = toSample("b", b).sort();
  const n1 = x.length;
  const n2 = y.length;
  const step1 = 1 / n1;
  const step2 = 1 / n2;
  // walk the pooled sorted sample; at each pooled point the right-continuous ECDFs
  let i = 0;
  let j = 0;
  let minV = Infinity,
    maxV = -Infinity;
  let minLoc = NaN,
    maxLoc = NaN;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && x[i] <= y[j]) ? x[i] : y[j];
    // advance both past all values equal to v
    let ii = i;
    while (ii < n1 && x[ii] === v) ii++;
    let jj = j;
    while (jj < n2 && y[jj] === v) jj++;
    const c1 = ii === n1 ? 1 : ii * step1;
    const c2 = jj === n2 ? 1 : jj * step2;
    const diff = c1 - c2;
    // every pooled element equal to v carries this same difference; argmin/argmax take the first
    if (diff < minV) {
      minV = diff;
      minLoc = v;
    }
    if (diff > maxV) {
      maxV = diff;
      maxLoc = v;
    }
    i = ii;
    j = jj;
  }
  let minS = -minV;
  const maxS = maxV;
  minS = Math.min(Math.max(minS, 0), 1);
  const selector = alternative === "less" ? true : alternative === "two-sided" ? minS > maxS : false;
  const d = selector ? minS : maxS;
  const { p, method: used } = ks2sampProb(d, n1, n2, method, alternative);
  return {
    statistic: d,
    pvalue: p,
    statisticLocation: selector ? minLoc : maxLoc,
    statisticSign: selector ? -1 : 1,
    method: used,
  };
}

// ---------------------------------------------------------------- Mann-Whitney U
export type MwuMethod = "auto" | "exact" | "asymptotic";

/** Frequencies of U under H0 for sample sizes n1 <= n2, u = 0..maxu (scipy's _MWU recursion). */
function mwuPmf(n1: number, n2: number, maxu: number): Float64Array {
  if (n1 > n2) [n1, n2] = [n2, n1];
  const sigma = new Float64Array(maxu + 1);
  for (let d = 1; d <= n1; d++) for (let k = d; k <= maxu; k += d) sigma[k] += d;
  for (let d = n2 + 1; d <= n2 + n1; d++) for (let k = d; k <= maxu; k += d) sigma[k] -= d;
  const conf = new Float64Array(maxu + 1);
  conf[0] = 1;
  let isUint = true;
  const UINT_MAX = 18446744073709551615;
  for (let u = 1; u <= maxu; u++) {
    let dot = 0;
    for (let t = 0; t < u; t++) dot += conf[t] * sigma[u - t];
    const val = dot / u;
    if (val > UINT_MAX && isUint) isUint = false;
    conf[u] = isUint ? Math.trunc(val) : val;
  }
  const total = binom(n1 + n2, n1);
  for (let u = 0; u <= maxu; u++) conf[u] /= total;
  return conf;
}

function mwuSf(n1: number, n2: number, k: number): number {
  const kc = n1 * n2 - k;
  if (k < kc) {
    const pm = mwuPmf(n1, n2, k);
    let c = 0;
    for (let u = 0; u <= k; u++) c += pm[u];
    return 1 - c + pm[k];
  }
  const pm = mwuPmf(n1, n2, kc);
  let c = 0;
  for (let u = 0; u <= kc; u++) c += pm[u];
  return c;
}

export interface MwuResult extends TestResult {
  method: "exact" | "asymptotic";
  /** Standardized statistic (asymptotic method only). */
  zstatistic?: number;
}

/**
 * Mann-Whitney U test as scipy.stats.mannwhitneyu(x, y, use_continuity, alternative, method).
 * 'auto' is exact when one sample has at most 8 observations and there are no ties; the exact
 * method ignores ties (as scipy's); the asymptotic one is tie-corrected.
 */
export function mannWhitneyU(
  x: Num,
  y: Num,
  opts: { alternative?: Alternative; method?: MwuMethod; useContinuity?: boolean } = {},
): MwuResult {
  const alternative = checkAlternative(opts.alternative);
  let method = opts.method ?? "auto";
  if (!["auto", "exact", "asymptotic"].includes(method))
    throw new MolabError(`method must be one of auto, exact, asymptotic; got ${JSON.stringify(method)}`);
  const useContinuity = opts.useContinuity ?? true;
  const xs = toSample("x", x);
  const ys = toSample("y", y);
  const n1 = xs.length;
  const n2 = ys.length;
  const xy = new Float64Array(n1 + n2);
  xy.set(xs);
  xy.set(ys, n1);
  const { ranks, ties } = rankdata(xy, "average");
  const R1 = npSum(ranks.subarray(0, n1));
  const U1 = R1 - (n1 * (n1 + 1)) / 2;
  const U2 = n1 * n2 - U1;
  let U: number, f: number;
  if (alternative === "greater") [U, f] = [U1, 1];
  else if (alternative === "less") [U, f] = [U2, 1];
  else [U, f] = [Math.max(U1, U2), 2];
  const hasTies = ties.some((t) => t > 1);
  if (method === "auto") method = n1 > 8 && n2 > 8 ? "asymptotic" : hasTies ? "asymptotic" : "exact";
  let p: number;
  let z: number | undefined;
  if (method === "exact") {
    p = mwuSf(n1, n2, Math.trunc(U)) * f;
  } else {
    const mu = (n1 * n2) / 2;
    const n = n1 + n2;
    const tt = new Float64Array(ties.length);
    for (let i = 0; i < ties.length; i++) tt[i] = ties[i] ** 3 - ties[i];
    const tieTerm = npSum(tt);
    const s = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
    let numerator = U1 - mu;
    if (useContinuity) {
      const sign = alternative === "greater" ? 1 : alternative === "less" ? -1 : Math.sign(numerator);
      numerator -= 0.5 * sign;
    }
    z = numerator / s;
    p = alternative === "less" ? ndtr(z) : alternative === "greater" ? ndtr(-z) : 2 * ndtr(-Math.abs(z));
  }
  const out: MwuResult = { statistic: U1, pvalue: clip01(p), method: method as "exact" | "asymptotic" };
  if (z !== undefined) out.zstatistic = z;
  return out;
}

// ---------------------------------------------------------------- Welch's t-test
export interface TTestResult extends TestResult {
  df: number;
}

/** Welch's t-test, scipy.stats.ttest_ind(a, b, equal_var=False). NaN where scipy gives NaN. */
export function welchTTest(a: Num, b: Num, opts: { alternative?: Alternative } = {}): TTestResult {
  const alternative = checkAlternative(opts.alternative);
  const xa = toSample("a", a);
  const xb = toSample("b", b);
  const n1 = xa.length;
  const n2 = xb.length;
  // n < 2 or zero variances give NaN statistic and p-value (df falls back to 1), as scipy
  const v1 = scipyVar(xa, 1);
  const v2 = scipyVar(xb, 1);
  const m1 = npMean(xa);
  const m2 = npMean(xb);
  const vn1 = v1 / n1;
  const vn2 = v2 / n2;
  let df = (vn1 + vn2) ** 2 / (vn1 ** 2 / (n1 - 1) + vn2 ** 2 / (n2 - 1));
  if (Number.isNaN(df)) df = 1;
  const denom = Math.sqrt(vn1 + vn2);
  const t = (m1 - m2) / denom;
  let p: number;
  if (alternative === "less") p = stdtr(df, t);
  else if (alternative === "greater") p = stdtr(df, -t);
  else p = 2 * stdtr(df, -Math.abs(t));
  return { statistic: t, pvalue: p, df };
}

// ---------------------------------------------------------------- Fisher's exact test
/** Exact hypergeometric weights C(K,x) C(N-K, n-x) for x over the support, as BigInts. */
function hypergeomWeights(N: number, K: number, n: number): { lo: number; hi: number; w: bigint[]; total: bigint } {
  const lo = Math.max(0, n - (N - K));
  const hi = Math.min(n, K);
  const choose = (a: number, k: number): bigint => {
    if (k < 0 || k > a) return 0n;
    k = Math.min(k, a - k);
    let r = 1n;
    for (let i = 1; i <= k; i++) r = (r * BigInt(a - k + i)) / BigInt(i);
    return r;
  };
  const w: bigint[] = [];
  let c1 = choose(K, lo);
  let c2 = choose(N - K, n - lo);
  for (let x = lo; x <= hi; x++) {
    w.push(c1 * c2);
    // C(K, x+1) = C(K, x) (K-x)/(x+1);  C(N-K, n-x-1) = C(N-K, n-x) (n-x)/(N-K-n+x+1)
    if (x < hi) {
      c1 = (c1 * BigInt(K - x)) / BigInt(x + 1);
      c2 = (c2 * BigInt(n - x)) / BigInt(N - K - n + x + 1);
    }
  }
  let total = 0n;
  for (const v of w) total += v;
  return { lo, hi, w, total };
}

/** num/den for BigInts as a correctly scaled float. */
function ratio(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = BigInt(Math.max(0, den.toString(2).length - num.toString(2).length + 64));
  const q = (num << shift) / den;
  return Number(q) / 2 ** Number(shift);
}

/**
 * Fisher's exact test on a 2x2 table [[a, b], [c, d]], as scipy.stats.fisher_exact. The statistic
 * is the sample odds ratio a*d/(b*c). Probabilities are computed in exact integer arithmetic; the
 * two-sided p-value sums the tables no more probable than the observed one, with scipy's relative
 * tolerance of 1e-14 for ties.
 */
export function fisherExact(table: number[][], opts: { alternative?: Alternative } = {}): TestResult {
  const alternative = checkAlternative(opts.alternative);
  if (!Array.isArray(table) || table.length !== 2 || !table.every((r) => Array.isArray(r) && r.length === 2)) {
    throw new MolabError("table must be a 2x2 array [[a, b], [c, d]]");
  }
  for (const r of table)
    for (const v of r) {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
        throw new MolabError(`table entries must be non-negative integers; got ${JSON.stringify(v)}`);
    }
  const [[c00, c01], [c10, c11]] = table;
  if (c00 + c10 === 0 || c01 + c11 === 0 || c00 + c01 === 0 || c10 + c11 === 0) return { statistic: NaN, pvalue: 1.0 };
  const oddsratio = c10 > 0 && c01 > 0 ? (c00 * c11) / (c10 * c01) : Infinity;
  const n1 = c00 + c01;
  const n2 = c10 + c11;
  const n = c00 + c10;
  const N = n1 + n2;
  const { lo, hi, w, total } = hypergeomWeights(N, n1, n);
  const pmfW = (x: number) => (x < lo || x > hi ? 0n : w[x - lo]);
  const sumW = (from: number, to: number) => {
    let s = 0n;
    for (let x = Math.max(from, lo); x <= Math.min(to, hi); x++) s += w[x - lo];
    return s;
  };
  let pvalue: number;
  if (alternative === "less") {
    pvalue = ratio(sumW(lo, c00), total);
  } else if (alternative === "greater") {
    pvalue = ratio(sumW(c00, hi), total);
  } else {
    const mode = Math.floor(((n + 1) * (n1 + 1)) / (N + 2));
    const pexact = pmfW(c00);
    const pmode = pmfW(mode);
    // |pexact - pmode| / max(pexact, pmode) <= 1e-14  (exact: scale by 1e14)
    const big = pexact > pmode ? pexact : pmode;
    const diff = pexact > pmode ? pexact - pmode : pmode - pexact;
    if (diff * 100000000000000n <= big) return { statistic: oddsratio, pvalue: 1.0 };
    // tables with weight <= pexact * (1 + 1e-14)
    const le = (v: bigint) => v * 100000000000000n <= pexact * 100000000000001n;
    let s = 0n;
    for (let x = lo; x <= hi; x++) if (le(w[x - lo])) s += w[x - lo];
    pvalue = Math.min(ratio(s, total), 1.0);
  }
  return { statistic: oddsratio, pvalue: Math.min(pvalue, 1.0) };
}
