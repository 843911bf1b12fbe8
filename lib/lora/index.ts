/** lib/lora: PEFT-format LoRA adapters, injection and merging, the LoRA trainer (its checkpoint contents and telemetry vectors), presets. */
export * from "./config.ts";
export * from "./adapter.ts";
export type { LoraHost } from "./host.ts";
export { attachAdapter, detachAdapter, mergeAndUnload, unmerge, type AttachOptions } from "./inject.ts";
export {
  readChatJsonl,
  tokenizeChat,
  buildExamples,
  splitExamples,
  type ChatRecord,
  type ChatTokenizer,
  type Example,
  type ExampleSet,
} from "./examples.ts";
export {
  trainLora,
  evaluateLoss,
  accumulateGradients,
  DEFAULT_HYPER,
  type TrainHyper,
  type TrainResult,
  type TrainRunOptions,
} from "./train.ts";
export { stepPlan, epochMicroBatches, type OrderOptions } from "./order.ts";
export { saveCheckpoint, loadCheckpoint, type TrainerState } from "./checkpoint.ts";
export { telemetryModules, telemetryVectors, type TelemetryVectorsOptions } from "./telemetry.ts";
export { PRESETS, resolvePreset, type Preset } from "./presets.ts";
export { trainOrganism, compareReplies, type OrganismOptions, type OrganismResult, type Comparison } from "./run.ts";
export { modelHost, loadHost } from "./model_host.ts";
