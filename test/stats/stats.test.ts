/**
 * lib/stats beyond the golden fixtures: bad input, permutation-test conventions and speed,
 * effect sizes, Wilson and DeLong intervals, folds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  bootstrapAucCI,
  bootstrapCI,
  cliffsDelta,
  cohensD,
  delongCI,
  falseDiscoveryControl,
  fisherExact,
  fitLogistic,
  ks2samp,
  mannWhitneyU,
  permutationTest,
  rocAucScore,
  stratifiedKFold,
  welchTTest,
  wilsonCI,
} from "../../lib/stats/index.ts";
import { MolabError } from "../../lib/errors.ts";
import { createRng } from "../../lib/rng.ts";

const rng = createRng(42);
const normal = (n: number, mu = 0) =>
  Array.from({ length: n }, () => mu + Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float()));

test("empty arrays are one clear error for every test", () => {
  for (const f of [
    () => ks2samp([], [1, 2]),
    () => mannWhitneyU([1], []),
    () => welchTTest([], [1, 2, 3]),
    () => permutationTest([], [1]),
  ]) {
    assert.throws(f, (e: unknown) => e instanceof MolabError && /empty array/.test((e as Error).message));
  }
});

test("NaN and infinities are rejected with the index", () => {
  assert.throws(() => ks2samp([1, NaN, 3], [1, 2]), /a\[1\] is NaN/);
  assert.throws(() => mannWhitneyU([1, 2], [Infinity]), /y\[0\] is Infinity/);
  assert.throws(() => welchTTest([1, 2, "x" as unknown as number], [1, 2]), /a\[2\]: expected a number/);
  assert.throws(() => rocAucScore([0, 1], [0.1, NaN]), /scores\[1\]/);
});

test("AUROC with a single class, mismatched lengths, or non-binary labels is a clear error", () => {
  assert.throws(() => rocAucScore([1, 1, 1], [0.1, 0.2, 0.3]), /only one class is present/);
  assert.throws(() => rocAucScore([0, 1, 1], [0.1, 0.2]), /different lengths \(3 vs 2\)/);
  assert.throws(() => rocAucScore([0, 2], [0.1, 0.2]), /labels must be 0\/1/);
  assert.throws(() => delongCI([0, 0], [1, 2]), /only one class/);
  assert.throws(() => fitLogistic([[1], [2]], [1, 1]), /only one class/);
  assert.throws(() => fitLogistic([[1], [2], [3]], [0, 1]), /different lengths|rows/);
});

test("bad options and tables are clear errors; scipy's documented NaN results are kept", () => {
  assert.throws(() => ks2samp([1, 2], [3], { alternative: "both" as never }), /alternative must be one of/);
  assert.throws(() => ks2samp([1, 2], [3], { method: "fast" as never }), /method must be one of auto, exact, asymp/);
  assert.throws(() => fisherExact([[1, 2]] as never), /2x2/);
  assert.throws(
    () =>
      fisherExact([
        [1, -2],
        [3, 4],
      ]),
    /non-negative integers/,
  );
  assert.throws(() => falseDiscoveryControl([0.1, 1.5]), /between 0 and 1/);
  const t = welchTTest([1], [1, 2, 3]);
  assert.ok(Number.isNaN(t.statistic) && Number.isNaN(t.pvalue), "n=1: NaN as scipy");
  const z = mannWhitneyU([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1, 1], { method: "asymptotic" });
  assert.ok(Number.isNaN(z.pvalue), "all-equal samples: NaN p as scipy");
  assert.deepEqual(
    fisherExact([
      [0, 0],
      [3, 4],
    ]),
    { statistic: NaN, pvalue: 1 },
  );
});

test("permutation test: same seed same p, never 0, 10,000 resamples on n=106 in < 1 s", () => {
  const x = normal(51, 3),
    y = normal(55, 0);
  const r1 = permutationTest(x, y, { nResamples: 10000, seed: 7 });
  const r2 = permutationTest(x, y, { nResamples: 10000, seed: 7 });
  const r3 = permutationTest(x, y, { nResamples: 10000, seed: 8 });
  assert.equal(r1.pvalue, r2.pvalue);
  assert.equal(r1.pvalue, 2 / 10001, "no permutation as extreme: p = 2 (1 + 0)/(n + 1) two-sided, never 0");
  assert.ok(r3.pvalue > 0);
  const one = permutationTest(x, y, { nResamples: 10000, seed: 7, alternative: "greater" });
  assert.equal(one.pvalue, 1 / 10001);
});

test("permutation test accepts any statistic (median difference)", () => {
  const med = (a: Float64Array) => {
    const s = Float64Array.from(a).sort();
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const r = permutationTest(normal(20), normal(20, 1), {
    statistic: (a, b) => med(a) - med(b),
    nResamples: 2000,
    seed: 1,
  });
  assert.ok(r.pvalue > 0 && r.pvalue <= 1 && r.nResamples === 2000 && !r.exact);
});

test("bootstrap CI brackets the mean; same seed same interval", () => {
  const x = normal(60, 2);
  const a = bootstrapCI(x, { nResamples: 2000, seed: 3 });
  const b = bootstrapCI(x, { nResamples: 2000, seed: 3 });
  assert.deepEqual(a, b);
  const m = x.reduce((s, v) => s + v, 0) / x.length;
  assert.ok(a.low < m && m < a.high);
  assert.throws(() => bootstrapCI([1]), /two or more/);
});

test("BCa closed-form check: for a symmetric sample the BCa acceleration vanishes, so BCa = percentile with z0 = 0", () => {
  // data symmetric about 0: jackknife U_i are antisymmetric, sum U^3 = 0 -> a_hat = 0. With the bootstrap
  // distribution replaced by its mirror image as well, z0 = ndtri(1/2) = 0 and the BCa levels are alpha, 1-alpha.
  const half = [1, 2, 3, 5, 8]; // integers: every resample mean is exact, so the mirror symmetry is exact
  const data = [...half, ...half.map((v) => -v)];
  const n = data.length;
  const B = 400;
  const idx: number[] = [];
  const r = createRng(5);
  for (let b = 0; b < B / 2; b++) {
    const row = Array.from({ length: n }, () => r.int(n));
    idx.push(...row);
    idx.push(...row.map((i) => (i < 5 ? i + 5 : i - 5))); // mirror resample: mean -> -mean
  }
  const bca = bootstrapCI(data, { method: "bca", indices: idx });
  const pct = bootstrapCI(data, { method: "percentile", indices: idx });
  assert.ok(
    Math.abs(bca.low - pct.low) < 1e-12 && Math.abs(bca.high - pct.high) < 1e-12,
    `${bca.low},${bca.high} vs ${pct.low},${pct.high}`,
  );
});

test("effect sizes and intervals", () => {
  const d = cohensD([2, 4, 6, 8], [1, 3, 5, 7]);
  assert.ok(Math.abs(d.estimate - 1 / Math.sqrt(20 / 3)) < 1e-12);
  assert.ok(d.ci[0] < d.estimate && d.estimate < d.ci[1]);
  const c = cliffsDelta([3, 4, 5], [1, 2, 3]);
  assert.ok(Math.abs(c.estimate - (8 - 0) / 9) < 1e-12, String(c.estimate)); // 8 wins, 1 tie, 0 losses
  const w = wilsonCI(51, 106);
  assert.ok(
    Math.abs(w.ci[0] - 0.3883511832212952) < 1e-15 && Math.abs(w.ci[1] - 0.5752326944607227) < 1e-15,
    JSON.stringify(w.ci),
  ); // closed form, checked by hand
  assert.deepEqual(wilsonCI(0, 10).ci[0], 0);
  const y = [...Array(50).fill(1), ...Array(50).fill(0)];
  const s = [...normal(50, 1), ...normal(50, 0)];
  const dl = delongCI(y, s);
  const bs = bootstrapAucCI(y, s, { nResamples: 500, seed: 1 });
  assert.equal(dl.auroc, rocAucScore(y, s));
  assert.ok(dl.ci[0] < dl.auroc && dl.auroc < dl.ci[1]);
  assert.ok(Math.abs(dl.ci[0] - bs.ci[0]) < 0.06 && Math.abs(dl.ci[1] - bs.ci[1]) < 0.06);
});

test("stratified k-fold: every index once, classes spread evenly", () => {
  const y = [...Array(51).fill(1), ...Array(55).fill(0)];
  const folds = stratifiedKFold(y, 5, { shuffle: true, seed: 0 });
  const all = folds.flat().sort((a, b) => a - b);
  assert.deepEqual(
    all,
    Array.from({ length: 106 }, (_, i) => i),
  );
  for (const f of folds) {
    const pos = f.filter((i) => y[i] === 1).length;
    assert.ok(pos === 10 || pos === 11);
  }
});
