/**
 * Sparse autoencoders (stage 4): SAELens, sparsify and GemmaScope SAEs as one config-plus-tensors type; encode
 * (dense or top-k sparse), decode and reconstruct in chunks over latents; hook mapping and model checks.
 */
export * from "./config.ts";
export { makeSae, disposeSae, decoderNorms } from "./sae.ts";
export type { Sae, SaeTensors, Architecture } from "./sae.ts";
export { standard } from "./standard.ts";
export { topk } from "./topk.ts";
export { jumprelu } from "./jumprelu.ts";
export { gated } from "./gated.ts";
export * from "./encode.ts";
export * from "./formats.ts";
export * from "./hooks.ts";
export { extractActivations, stopLayerFor } from "./extract.ts";
export type { ExtractOptions } from "./extract.ts";
export { pooledFeatures, pooledTextFeatures, tokenizeWithSpan, POOLS } from "./features.ts";
export type { Pool, PooledFeatures, PoolOptions } from "./features.ts";
export { ActivationStore, ArrayActivationSource, readChatSequences } from "./store.ts";
export type { ActivationSource, StoreOptions, TokenSequence, TokenizeOptions } from "./store.ts";
export { trainSae, unitRows } from "./train.ts";
export type { SaeTrainOptions, SaeRunOptions, SaeTrainResult, SaeTelemetryLine } from "./train.ts";
export * from "./metrics.ts";
export * from "./dashboard.ts";
export { saeIntervals, sequenceStats, pooled } from "./intervals.ts";
export type { SaeIntervals, SequenceStats, Interval } from "./intervals.ts";
