/** Stage 3 (elicitation): our model served over the OpenAI API, runners, paired scenarios and the compliance gap. */
export { LocalModel, type LoadLocalOptions, type RunOptions } from "./local.ts";
export { serve, modelList, type ServeOptions, type RunningServer } from "./serve.ts";
export { ApiError, parseChatRequest, type ChatRequest, type Choice, type TokenLogprob, type Usage } from "./openai.ts";
export {
  LocalRunner,
  RemoteRunner,
  runResumable,
  readRows,
  type Runner,
  type RunItem,
  type Generation,
  type Sampling,
  type RemoteOptions,
  type ResumableResult,
} from "./runner.ts";
export {
  pairedScenarios,
  parseCueFamilies,
  CONDITIONS,
  type Condition,
  type PairedItem,
  type PairedOptions,
} from "./scenarios.ts";
export {
  summarize,
  conditionStats,
  afReasoningStats,
  complianceGap,
  pairDifferences,
  signFlipPValue,
  complied,
  verdictOf,
  type ResultRow,
  type ConditionStats,
  type Gap,
  type GapOptions,
  type Summary,
  type SummaryOptions,
  type GroupSummary,
} from "./metrics.ts";
export { summaryLines } from "./cli.ts";
export {
  AfClassifier,
  trainAfClassifier,
  formatAfClassifier,
  reasoningText,
  CRITERIA,
  AF_CLASSIFIER_FORMAT,
  type AfClassifierJson,
  type AfVerdict,
  type Criterion,
  type CriterionLabels,
  type TrainOptions,
} from "./af_classifier.ts";
export {
  labelledPads,
  evaluate,
  heldOutPatterns,
  referencePads,
  agreement,
  KIND_LABELS,
  type LabelledPad,
  type PadKind,
  type Evaluation,
} from "./af_train.ts";
export { buildAfClassifier, balancedThreshold, type BuildOptions } from "./af_build.ts";
export { LlmJudge, JUDGE_SYSTEM, judgeMessages, parseVote, type JudgeOptions, type JudgeVerdict } from "./llm_judge.ts";
export {
  labelRows,
  compactResults,
  embeddedLabeller,
  judgeLabeller,
  DEFAULT_AF_CLASSIFIER,
  AF_METHODS,
  type AfLabeller,
  type LabelResult,
} from "./af_label.ts";
export { afLabellerFromFlags } from "./cli.ts";
