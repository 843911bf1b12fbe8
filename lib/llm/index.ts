/** lib/llm: the OpenAI-compatible chat client and its settings. Imports only errors.ts, rng.ts and the ChatMessage type of lib/chat. */
export { ChatClient, type FirstTokenLogprobs } from "./client.ts";
export { llmConfigFromEnv } from "./config.ts";
export type { LlmConfig } from "./config.ts";
