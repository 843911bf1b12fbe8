/** lib/model: Llama-family decoder, weights, hooks, generation, tokenizer and chat template. */
export * from "./config.ts";
export * from "./llama.ts";
export * from "./load.ts";
export * from "./edit.ts";
export * from "./hooks.ts";
export * from "./generate.ts";
export { expectedTensors } from "./weights.ts";
export { loadTokenizer } from "./tokenizer.ts";
export type { Tokenizer, EncodeOptions, DecodeOptions, ChatTemplateOptions } from "./tokenizer.ts";
export { loadFrozenModel, disposeFrozenModel, frozenBytes, type FrozenLoadOptions } from "./frozen.ts";
