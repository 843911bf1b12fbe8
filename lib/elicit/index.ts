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
  type GroupSummary,
} from "./metrics.ts";
export { summaryLines } from "./cli.ts";
