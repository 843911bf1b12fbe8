/**
 * molab statistics: tests, resampling, effect sizes, ROC, logistic probes, each checked against
 * scipy / scikit-learn golden fixtures (test/fixtures/stats/golden.json).
 */
export { ks2samp, mannWhitneyU, welchTTest, fisherExact, checkAlternative } from "./tests.ts";
export type { Alternative, TestResult, KsResult, KsMethod, MwuResult, MwuMethod, TTestResult } from "./tests.ts";
export { kstwoSf, smirnovSf } from "./kolmogorov.ts";
export { permutationTest, bootstrapCI, meanDifference } from "./resample.ts";
export type {
  PermutationResult,
  BootstrapResult,
  BootstrapMethod,
  TwoSampleStatistic,
  OneSampleStatistic,
} from "./resample.ts";
export { falseDiscoveryControl, benjaminiHochberg, bonferroni } from "./multitest.ts";
export { cohensD, cliffsDelta, wilsonCI } from "./effect.ts";
export type { Estimate } from "./effect.ts";
export { rocCurve, rocAucScore, delongCI, bootstrapAucCI } from "./roc.ts";
export type { RocCurve, AucCI, Labels } from "./roc.ts";
export { fitLogistic, toMatrix } from "./logistic.ts";
export { trainProbe, crossValAuroc, stratifiedKFold } from "./probe.ts";
export type { Matrix, LogisticModel, LogisticOptions } from "./logistic.ts";
export type { Probe, CvResult } from "./probe.ts";
export { npSum, npMean, rankdata } from "./numeric.ts";
export { ndtr, ndtri } from "./normal.ts";
export { stdtr, binom, lgamma } from "./special.ts";
