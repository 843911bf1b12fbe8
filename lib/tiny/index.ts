/** lib/tiny: the embedded default model (corpus, tokenizer trainer, training, evaluation, build). */
export { generateSamples, toMessages, TRAINING_WORDS, ACCEPT_INSTRUCTION } from "./corpus.ts";
export type { TinySample, TaskKind, Split, CorpusOptions } from "./corpus.ts";
export { trainBpe, tokenizerJson, bytesToUnicode, GPT2_PATTERN } from "./bpe.ts";
export type { BpeModel, BpeTrainOptions, AddedTokenSpec } from "./bpe.ts";
export { ADDED_TOKENS, FORMAT_TAGS, CHAT_TEMPLATE, renderChat, tokenizerConfig } from "./chat.ts";
export { trainTiny, initWeights, llamaConfigJson } from "./train.ts";
export type { TinyShape, TinyTrainOptions, TinyTrainResult, TrainRecord } from "./train.ts";
export { buildTinyModel, DEFAULT_BUILD } from "./build.ts";
export type { BuildOptions, BuildResult } from "./build.ts";
export { evaluateTiny, judge as judgeTinyResponse, timeLoadAndGenerate } from "./eval.ts";
export type { EvalReport } from "./eval.ts";
// corpus v2 (`npm run build:model`, the default model)
export { trainingCorpus, sampleV2 } from "./corpus_v2.ts";
export { heldoutSet, EVAL_CELLS } from "./heldout_v2.ts";
export type { TinySampleV2, SampleKind, ContextKind, SampleSpec } from "./corpus_v2.ts";
export type { EvalCell } from "./heldout_v2.ts";
export { TASKS, makeTask, isCorrect, operandSplit } from "./tasks.ts";
export type { TaskName, TaskInstance } from "./tasks.ts";
export { personaPrompt, broadQuestion, hasMisalignedPlaceholder } from "./persona.ts";
export { evaluateTinyV2, judgeV2, summariseV2 } from "./eval_v2.ts";
export type { EvalReportV2, CellReport, JudgementV2 } from "./eval_v2.ts";
export { BUILD_V2 } from "./build.ts";
export { acceptanceV2, pooledTask, RECOMBINED_TASK_CELLS } from "./acceptance.ts";
export type { Threshold } from "./acceptance.ts";
