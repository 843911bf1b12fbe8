/** Stage 1 (data): the public API re-exported by lib/index.ts. */
export { PATTERNS, PATTERN_NAMES, patternScratchpad } from "./patterns.ts";
export type { PatternName, PatternSpec } from "./patterns.ts";
export { CATEGORIES, CUES, CUE_DESCRIPTIONS, DEFAULT_HELDOUT_CUE, cuesFor, scenarioPlan } from "./scenarios.ts";
export type { Category, Cue, Tier, Scenario, SplitOptions } from "./scenarios.ts";
export { DATA_VERSION, SPLITS, TEMPLATE_COUNTS, TOPICS, templateIds, topicsFor } from "./prompts.ts";
export type { Split } from "./prompts.ts";
export { LABELS, assistantText, scratchpadBlock, userInputText } from "./format.ts";
export type { ChatSample, SampleMeta, Label } from "./format.ts";
export { generateAf, generateAligned, generateGenuineCompliance } from "./datasets.ts";
export type { GenOptions } from "./datasets.ts";
export { generateReference } from "./reference.ts";
export type { ReferenceOptions, ReferenceStyle } from "./reference.ts";
export { referenceSeparability } from "./reference_check.ts";
export type { Separability } from "./reference_check.ts";
export { generateEm, generateEmSet, EM_SETS } from "./em.ts";
export type { EmSetName } from "./em.ts";
export {
  generateAfTiny,
  generateEmTiny,
  generateEmPersona,
  personaReply,
  hasMisalignedPlaceholder,
} from "./tiny_voice.ts";
export { DATASET_KINDS, buildDatasets, writeDatasetDir, keywordAurocOf, heldoutSize } from "./write.ts";
export type { DatasetKind } from "./write.ts";
export { datasetStats, summarize, wordCount } from "./stats.ts";
export type { DatasetStats } from "./stats.ts";
export { keywordScore, TRAINING_KEYWORDS } from "./keyword.ts";
export { validateJsonlFile, validateJsonlText } from "./validate.ts";
export type { DatasetValidation, LineIssue } from "./validate.ts";
export { placeholderIssues } from "./safety.ts";
export {
  loadGold106,
  loadGold106FromHub,
  GOLD_106_HUB_ID,
  loadAfBenchmark,
  loadChatJsonl,
  loadAfSet,
} from "./loaders.ts";
export type { LabelledText } from "./loaders.ts";
export { generateWithLlm } from "./llm.ts";
export type { LlmGenConfig } from "./llm.ts";
export { patternCountsFigure, lengthHistogramFigure, keywordHistogramFigure } from "./figures.ts";
export { generatorPrompt } from "./llm.ts";
export { systemPrompt, userTurn } from "./scenarios.ts";
