/**
 * Numeric building blocks that reproduce numpy's float64 arithmetic where it matters for
 * bit-level agreement: numpy's pairwise summation (np.sum / np.mean), scipy's variance, ranks.
 */
import { MolabError } from "../errors.ts";

export type Num = ArrayLike<number>;

/** numpy's pairwise summation of a[off, off+n) (umath loops, PW_BLOCKSIZE 128, 8 accumulators). */
function pairwise(a: Num, off: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[off + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[off],
      r1 = a[off + 1],
      r2 = a[off + 2],
      r3 = a[off + 3];
    let r4 = a[off + 4],
      r5 = a[off + 5],
      r6 = a[off + 6],
      r7 = a[off + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      r0 += a[off + i];
      r1 += a[off + i + 1];
      r2 += a[off + i + 2];
      r3 += a[off + i + 3];
      r4 += a[off + i + 4];
      r5 += a[off + i + 5];
      r6 += a[off + i + 6];
      r7 += a[off + i + 7];
    }
    let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) res += a[off + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwise(a, off, n2) + pairwise(a, off + n2, n - n2);
}

/** np.sum of a float64 array, same summation order as numpy. */
export function npSum(a: Num): number {
  return 0 + pairwise(a, 0, a.length);
}

/** np.mean. */
export function npMean(a: Num): number {
  return npSum(a) / a.length;
}

/** Variance as scipy.stats computes it (mean of squared deviations, then * n/(n-ddof)). */
export function scipyVar(a: Num, ddof = 0): number {
  const n = a.length;
  const m = npMean(a);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = a[i] - m;
    d[i] = t * t;
  }
  let v = npMean(d);
  if (ddof !== 0) v *= n / (n - ddof);
  return v;
}

/** Sample standard deviation (ddof=1). */
export function sampleSd(a: Num): number {
  return Math.sqrt(scipyVar(a, 1));
}

/** Validate a sample: a non-empty array of finite numbers. Returns a Float64Array copy. */
export function toSample(
  name: string,
  a: unknown,
  { allowEmpty = false }: { allowEmpty?: boolean } = {},
): Float64Array {
  if (!a || typeof a !== "object" || typeof (a as ArrayLike<unknown>).length !== "number") {
    throw new MolabError(`${name}: expected an array of numbers`);
  }
  const arr = a as ArrayLike<unknown>;
  if (arr.length === 0 && !allowEmpty) throw new MolabError(`${name}: empty array; at least one number is needed`);
  const out = new Float64Array(arr.length);
  for (let i = 0; i < arr.length; i++) {
    const v = arr[i];
    if (typeof v !== "number") throw new MolabError(`${name}[${i}]: expected a number, got ${JSON.stringify(v)}`);
    if (Number.isNaN(v)) throw new MolabError(`${name}[${i}] is NaN; remove or impute missing values first`);
    if (!Number.isFinite(v)) throw new MolabError(`${name}[${i}] is ${v}; only finite numbers are accepted`);
    out[i] = v;
  }
  return out;
}

/** Indices that sort `a` ascending (stable). */
export function argsort(a: Num): Uint32Array {
  const idx = new Uint32Array(a.length);
  for (let i = 0; i < idx.length; i++) idx[i] = i;
  return idx.sort((i, j) => a[i] - a[j] || i - j);
}

/** Sorted copy (ascending). */
export function sorted(a: Num): Float64Array {
  return Float64Array.from(a).sort();
}

/**
 * Ranks with ties, as scipy.stats.rankdata: method 'average' or 'min'. Also returns the sizes
 * of the tie groups (scipy's `t`), used for the Mann-Whitney tie correction.
 */
export function rankdata(a: Num, method: "average" | "min" = "average"): { ranks: Float64Array; ties: number[] } {
  const n = a.length;
  const order = argsort(a);
  const ranks = new Float64Array(n);
  const ties: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && a[order[j]] === a[order[i]]) j++;
    const r = method === "average" ? (i + 1 + j) / 2 : i + 1;
    for (let k = i; k < j; k++) ranks[order[k]] = r;
    ties.push(j - i);
    i = j;
  }
  return { ranks, ties };
}

/** Linear-interpolated quantile as scipy.stats.quantile(method='linear') / numpy's default. */
export function quantileSorted(y: Num, p: number): number {
  const n = y.length;
  const jg = p * n + (1 - p);
  const jp1 = Math.floor(jg);
  let j = jp1 - 1;
  let g = jg % 1;
  if (j < 0) g = 0;
  j = Math.min(Math.max(j, 0), Math.max(n - 1, 0));
  const k = Math.min(Math.max(jp1, 0), Math.max(n - 1, 0));
  return (1 - g) * y[j] + g * y[k];
}
