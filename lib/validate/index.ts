/** The validation report of an organism against a labelled reference (see report.ts). */
export { validationReport } from "./report.ts";
export { reportFigures, reportMarkdown } from "./render.ts";
export type { ValidationReport, VerdictRow, FeatureRow, ValidateOptions, GroupSummary } from "./report.ts";
export { fitBagOfWords, tokenize } from "../stats/bow.ts";
export type { FeatureMatrix, BowModel } from "../stats/bow.ts";
export { readReference, readOrganism, ORGANISM_FILES } from "./inputs.ts";
export type { ReferenceText } from "./inputs.ts";
export { runValidate, validateTexts, bagOfWordsFeatures, comparisonMarkdown, comparisonRows } from "./run.ts";
export type { SaeSource, ValidateRun, TextValidation, Featurized } from "./run.ts";
export { saeFeatures, saeFeaturesFromDirs } from "./sae_features.ts";
export type { SaeFeatures, SaeFeatureOptions } from "./sae_features.ts";
