/**
 * lib/stats against the golden fixtures made by test/fixtures/stats/make_fixtures.py with scipy
 * and scikit-learn (versions in golden.meta). Tolerances are the acceptance criteria:
 * statistics 1e-12 relative, p-values 1e-9 relative (exact where scipy gives 0, so
 * the tiny p-values are checked too), AUROC exact, logistic coefficients 1e-4,
 * CV AUROC 1e-6 with the same folds. Set STATS_REPORT=1 to print the max differences.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import {
  bonferroni,
  bootstrapCI,
  crossValAuroc,
  falseDiscoveryControl,
  fisherExact,
  fitLogistic,
  ks2samp,
  kstwoSf,
  mannWhitneyU,
  ndtr,
  ndtri,
  permutationTest,
  rocAucScore,
  rocCurve,
  stdtr,
  welchTTest,
} from "../../lib/stats/index.ts";

const G = JSON.parse(readFileSync(path.join(__dirname, "..", "fixtures", "stats", "golden.json"), "utf8"));
const num = (v: number | string) =>
  v === "nan" ? NaN : v === "inf" ? Infinity : v === "-inf" ? -Infinity : (v as number);
const nums = (a: (number | string)[]) => a.map(num);
const worst: Record<string, number> = {};
function note(key: string, d: number) {
  worst[key] = Math.max(worst[key] ?? 0, d);
}
function same(
  key: string,
  got: number,
  want: number | string,
  { rel = 0, abs = 0 }: { rel?: number; abs?: number },
  ctx: string,
) {
  const w = num(want);
  if (Number.isNaN(w)) return assert.ok(Number.isNaN(got), `${ctx}: expected NaN, got ${got}`);
  if (!Number.isFinite(w)) return assert.equal(got, w, ctx);
  const d = Math.abs(got - w);
  note(key, rel ? d / Math.max(Math.abs(w), 1e-300) : d);
  assert.ok(d <= abs + rel * Math.abs(w), `${ctx}: got ${got}, scipy/sklearn ${w} (diff ${d})`);
}
/** p-values: 1e-9 relative; a zero from scipy must be zero here (an absolute bound would let every p < 1e-9 pass). */
const PVALUE = { rel: 1e-9 };
test.after(() => {
  if (process.env.STATS_REPORT) console.log("max differences vs scipy/sklearn:", JSON.stringify(worst, null, 1));
});

test("fixture metadata names the scipy and sklearn versions and has >= 200 cases", () => {
  assert.match(G.meta.scipy, /^\d+\.\d+/);
  assert.match(G.meta.sklearn, /^\d+\.\d+/);
  assert.ok(G.meta.total_cases >= 200);
});

test("ks_2samp: statistic, location, sign and p-value (exact, asymp, auto)", () => {
  let n = 0;
  for (const c of G.ks_2samp) {
    for (const r of c.results) {
      const ctx = `ks n=${c.a.length},${c.b.length} ${r.alternative} ${r.method}`;
      const got = ks2samp(nums(c.a), nums(c.b), { alternative: r.alternative, method: r.method });
      same("ks.statistic", got.statistic, r.statistic, { rel: 1e-12 }, ctx);
      same("ks.pvalue", got.pvalue, r.pvalue, PVALUE, ctx);
      assert.equal(got.statisticLocation, num(r.statistic_location), ctx + " location");
      assert.equal(got.statisticSign, r.statistic_sign, ctx + " sign");
      n++;
    }
  }
  assert.ok(n >= 200);
});

test("kstwo.sf on a grid of (n, d)", () => {
  for (const c of G.kstwo_sf) same("kstwo.sf", kstwoSf(c.d, c.n), c.sf, PVALUE, `kstwo n=${c.n} d=${c.d}`);
});

test("mannwhitneyu: exact, asymptotic (tie-corrected, with/without continuity), auto", () => {
  for (const c of G.mannwhitneyu) {
    for (const r of c.results) {
      const ctx = `mwu n=${c.x.length},${c.y.length} ${r.alternative} ${r.method} cont=${r.use_continuity}`;
      const got = mannWhitneyU(nums(c.x), nums(c.y), {
        alternative: r.alternative,
        method: r.method,
        useContinuity: r.use_continuity,
      });
      same("mwu.statistic", got.statistic, r.statistic, { rel: 1e-12 }, ctx);
      same("mwu.pvalue", got.pvalue, r.pvalue, PVALUE, ctx);
    }
  }
});

test("fisher_exact: odds ratio and p-value, every alternative", () => {
  for (const c of G.fisher_exact) {
    const ctx = `fisher ${JSON.stringify(c.table)} ${c.alternative}`;
    const got = fisherExact(c.table, { alternative: c.alternative });
    same("fisher.statistic", got.statistic, c.statistic, { rel: 1e-12 }, ctx);
    same("fisher.pvalue", got.pvalue, c.pvalue, PVALUE, ctx);
  }
});

test("ttest_ind(equal_var=False): t, df, p-value, and NaN where scipy gives NaN", () => {
  for (const c of G.ttest_welch) {
    for (const r of c.results) {
      const ctx = `welch n=${c.a.length},${c.b.length} ${r.alternative}`;
      const got = welchTTest(nums(c.a), nums(c.b), { alternative: r.alternative });
      same("ttest.statistic", got.statistic, r.statistic, { rel: 1e-12 }, ctx);
      same("ttest.df", got.df, r.df, { rel: 1e-12 }, ctx);
      same("ttest.pvalue", got.pvalue, r.pvalue, PVALUE, ctx);
    }
  }
});

test("false_discovery_control (BH, BY) and Bonferroni", () => {
  for (const c of G.fdr) {
    const bh = falseDiscoveryControl(c.ps, "bh"),
      by = falseDiscoveryControl(c.ps, "by"),
      bo = bonferroni(c.ps);
    c.bh.forEach((v: number, i: number) => same("fdr.bh", bh[i], v, { rel: 1e-12 }, `bh m=${c.ps.length} i=${i}`));
    c.by.forEach((v: number, i: number) => same("fdr.by", by[i], v, { rel: 1e-12 }, `by m=${c.ps.length} i=${i}`));
    c.bonferroni.forEach((v: number, i: number) =>
      same("fdr.bonf", bo[i], v, { rel: 1e-12 }, `bonf m=${c.ps.length} i=${i}`),
    );
  }
});

test("permutation_test: exact enumeration equals scipy; random resampling agrees within Monte-Carlo error", () => {
  for (const c of G.permutation_test) {
    const ctx = `perm n=${c.x.length},${c.y.length} ${c.alternative} exact=${c.exact}`;
    const got = permutationTest(nums(c.x), nums(c.y), {
      alternative: c.alternative,
      nResamples: c.exact ? 1e6 : 9999,
      seed: 3,
    });
    same("perm.statistic", got.statistic, c.statistic, { rel: 1e-12 }, ctx);
    if (c.exact) {
      assert.ok(got.exact && got.nResamples === c.n_resamples, ctx);
      same("perm.pvalue.exact", got.pvalue, c.pvalue, { abs: 1e-12 }, ctx);
    } else {
      const p = num(c.pvalue);
      const se =
        Math.sqrt((Math.max(p, 1e-4) * (1 - Math.min(p, 0.999))) / 9999) * (c.alternative === "two-sided" ? 2 : 1);
      assert.ok(Math.abs(got.pvalue - p) <= 5 * se + 2e-4, `${ctx}: ${got.pvalue} vs scipy ${p}`);
      note("perm.pvalue.random(|diff|)", Math.abs(got.pvalue - p));
    }
  }
});

test("bootstrap: percentile, basic and BCa CIs on scipy's own resample indices", () => {
  for (const c of G.bootstrap_mean) {
    const ctx = `bootstrap n=${c.data.length} ${c.method} cl=${c.confidence_level}`;
    const got = bootstrapCI(nums(c.data), {
      method: c.method,
      confidenceLevel: c.confidence_level,
      indices: c.indices,
    });
    same("bootstrap.low", got.low, c.low, { rel: 1e-12 }, ctx);
    same("bootstrap.high", got.high, c.high, { rel: 1e-12 }, ctx);
    same("bootstrap.se", got.standardError, c.standard_error, { rel: 1e-10 }, ctx);
  }
});

test("special functions: ndtr, ndtri, stdtr", () => {
  for (const c of G.special.ndtr) same("ndtr", ndtr(c.x), c.y, { rel: 1e-14 }, `ndtr(${c.x})`);
  for (const c of G.special.ndtri) same("ndtri", ndtri(c.p), c.y, { rel: 1e-14 }, `ndtri(${c.p})`);
  for (const c of G.special.stdtr) same("stdtr", stdtr(c.df, c.t), c.y, { abs: 1e-12 }, `stdtr(${c.df}, ${c.t})`);
});

test("roc_auc_score is exactly sklearn's; roc_curve points and thresholds too", () => {
  for (const c of G.auroc) {
    const ctx = `auroc n=${c.y.length}`;
    if (c.auroc === "nan") continue;
    assert.equal(rocAucScore(c.y, nums(c.score)), c.auroc, ctx);
    for (const [drop, fk, tk, hk] of [
      [true, "fpr", "tpr", "thresholds"],
      [false, "fpr_all", "tpr_all", "thresholds_all"],
    ] as const) {
      const r = rocCurve(c.y, nums(c.score), { dropIntermediate: drop });
      assert.deepEqual(Array.from(r.fpr), nums(c[fk]), ctx + " fpr");
      assert.deepEqual(Array.from(r.tpr), nums(c[tk]), ctx + " tpr");
      assert.deepEqual(Array.from(r.thresholds), nums(c[hk]), ctx + " thresholds");
    }
  }
});

test("logistic regression (L2, C, class_weight) coefficients within 1e-4 of sklearn lbfgs", () => {
  for (const c of G.logistic) {
    const X = Array.from({ length: c.n }, (_, i) => c.X.slice(i * c.d, (i + 1) * c.d));
    const m = fitLogistic(X, c.y, { C: c.C, classWeight: c.class_weight });
    const ctx = `logistic n=${c.n} d=${c.d} C=${c.C} cw=${c.class_weight}`;
    c.coef.forEach((w: number, j: number) =>
      same("logistic.coef(abs)", m.coef[j], w, { abs: 1e-4 }, `${ctx} coef[${j}]`),
    );
    same("logistic.intercept(abs)", m.intercept, c.intercept, { abs: 1e-4 }, ctx);
    c.coef_newton.forEach((w: number, j: number) =>
      note("logistic.coef_vs_newton-cholesky(abs)", Math.abs(m.coef[j] - w)),
    );
  }
});

test("stratified CV AUROC within 1e-6 of sklearn given the same folds", () => {
  for (const c of G.cv_auroc) {
    const X = Array.from({ length: c.n }, (_, i) => c.X.slice(i * c.d, (i + 1) * c.d));
    const r = crossValAuroc(X, c.y, { C: c.C, classWeight: c.class_weight, folds: c.test_folds });
    const ctx = `cv n=${c.n} d=${c.d}`;
    c.fold_auroc.forEach((a: number, f: number) =>
      same("cv.fold_auroc", r.foldAuroc[f], a, { abs: 1e-6 }, `${ctx} fold ${f}`),
    );
    same("cv.mean_auroc", r.meanAuroc, c.mean_auroc, { abs: 1e-6 }, ctx);
  }
});
