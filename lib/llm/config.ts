/**
 * Settings of an OpenAI-compatible chat endpoint (`POST {baseUrl}/chat/completions`): where it is, which model,
 * sampling defaults, and the client's rate limit, retries and timeout; read from the environment by
 * {@link llmConfigFromEnv}. The API key is only ever sent as a Bearer header, never printed.
 */
import { MolabError } from "../errors.ts";

export interface LlmConfig {
  baseUrl: string;
  model: string;
  apiKey?: string;
  temperature?: number;
  maxTokens?: number;
  /** Request starts per minute (default 60). */
  requestsPerMinute?: number;
  /** Retries per request after a retryable failure (default 5). */
  maxRetries?: number;
  /** First backoff in ms, doubled per retry (default 1000), capped at maxBackoffMs (default 30000). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Per-request timeout in ms (default 120000). */
  timeoutMs?: number;
}

/** Endpoint settings from MOLAB_LLM_BASE_URL / MOLAB_LLM_MODEL / MOLAB_LLM_API_KEY (OPENAI_BASE_URL / OPENAI_API_KEY as fallbacks). */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const baseUrl = env.MOLAB_LLM_BASE_URL ?? env.OPENAI_BASE_URL;
  const model = env.MOLAB_LLM_MODEL;
  if (!baseUrl)
    throw new MolabError(
      "LLM client: set MOLAB_LLM_BASE_URL (an OpenAI-compatible endpoint, e.g. http://localhost:8000/v1)",
    );
  if (!model) throw new MolabError("LLM client: set MOLAB_LLM_MODEL (the model name the endpoint serves)");
  return { baseUrl: baseUrl.replace(/\/+$/, ""), model, apiKey: env.MOLAB_LLM_API_KEY ?? env.OPENAI_API_KEY };
}
