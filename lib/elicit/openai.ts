/**
 * The OpenAI chat-completions wire format as `molab serve` speaks it: the request body checked field by field
 * (so that a bad value is a 400 naming its `param`, as OpenAI and vLLM answer), the error body
 * `{error: {message, type, param, code}}`, and the response / stream-chunk objects.
 */
import type { ChatMessage } from "../chat/message.ts";

/** An HTTP error in OpenAI's shape; `status` is the HTTP status (400 bad request, 404 unknown model or route, …). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status === 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error",
  ) {
    super(message);
  }
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** A checked chat-completions request. Defaults are OpenAI's (temperature 1, top_p 1, n 1). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  temperature: number;
  topP: number;
  /** Undefined: up to the model's context length. */
  maxTokens?: number;
  seed?: number;
  stop: string[];
  n: number;
  logprobs: boolean;
  topLogprobs: number;
  stream: boolean;
  /** stream_options.include_usage: a last chunk with `usage` and no choices. */
  includeUsage: boolean;
}

/** Most choices per request and most stop strings, as OpenAI limits them (n ≤ 128 there; smaller here: CPU). */
export const MAX_N = 16;
export const MAX_STOP = 4;
export const MAX_TOP_LOGPROBS = 20;

const bad = (param: string, message: string) => new ApiError(400, message, param, "invalid_value");

function num(body: Record<string, unknown>, key: string, fallback: number, lo: number, hi: number, open = false) {
  const v = body[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw bad(key, `${key} must be a number, got ${JSON.stringify(v)}`);
  if (v < lo || v > hi || (open && v === lo))
    throw bad(key, `${key} must be in ${open ? "(" : "["}${lo}, ${hi}], got ${v}`);
  return v;
}

function int(body: Record<string, unknown>, key: string, lo: number, hi: number): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v))
    throw bad(key, `${key} must be an integer, got ${JSON.stringify(v)}`);
  if (v < lo || v > hi) throw bad(key, `${key} must be in [${lo}, ${hi}], got ${v}`);
  return v;
}

function bool(body: Record<string, unknown>, key: string): boolean {
  const v = body[key];
  if (v === undefined || v === null) return false;
  if (typeof v !== "boolean") throw bad(key, `${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Check a parsed JSON body. Throws an ApiError (400) naming the first bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw new ApiError(400, "the request body must be a JSON object", null, "invalid_body");
  const b = body as Record<string, unknown>;
  if (typeof b.model !== "string" || b.model === "") throw bad("model", "model is required (a served model's id)");
  const msgs = b.messages;
  if (!Array.isArray(msgs) || msgs.length === 0)
    throw bad("messages", "messages must be a non-empty array of {role, content}");
  const messages = msgs.map((m, i): ChatMessage => {
    const where = `messages[${i}]`;
    if (typeof m !== "object" || m === null) throw bad(where, `${where} must be an object {role, content}`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== "string" || !["system", "developer", "user", "assistant"].includes(role))
      throw bad(`${where}.role`, `${where}.role must be system, developer, user or assistant`);
    let text: string;
    if (typeof content === "string") text = content;
    else if (Array.isArray(content) && content.every((p) => p?.type === "text" && typeof p.text === "string"))
      text = content.map((p) => p.text as string).join("");
    else throw bad(`${where}.content`, `${where}.content must be text (a string or a list of text parts)`);
    return { role: role === "developer" ? "system" : role, content: text };
  });
  const stop = b.stop === undefined || b.stop === null ? [] : typeof b.stop === "string" ? [b.stop] : b.stop;
  if (!Array.isArray(stop) || stop.length > MAX_STOP || stop.some((s) => typeof s !== "string" || s === ""))
    throw bad("stop", `stop must be a non-empty string or a list of at most ${MAX_STOP} of them`);
  const logprobs = bool(b, "logprobs");
  const topLogprobs = int(b, "top_logprobs", 0, MAX_TOP_LOGPROBS) ?? 0;
  if (topLogprobs > 0 && !logprobs) throw bad("top_logprobs", "top_logprobs needs logprobs: true");
  const maxTokens = int(b, "max_completion_tokens", 1, 1e9) ?? int(b, "max_tokens", 1, 1e9);
  const opts = b.stream_options;
  if (opts !== undefined && opts !== null && (typeof opts !== "object" || Array.isArray(opts)))
    throw bad("stream_options", "stream_options must be an object");
  return {
    model: b.model,
    messages,
    temperature: num(b, "temperature", 1, 0, 2),
    topP: num(b, "top_p", 1, 0, 1, true),
    maxTokens,
    seed: int(b, "seed", Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    stop: stop as string[],
    n: int(b, "n", 1, MAX_N) ?? 1,
    logprobs,
    topLogprobs,
    stream: bool(b, "stream"),
    includeUsage: !!(opts as { include_usage?: unknown } | undefined)?.include_usage,
  };
}

/** One token's log-probability entry (OpenAI's `choices[].logprobs.content[]`). */
export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** One generated choice before it is put on the wire. */
export interface Choice {
  text: string;
  /** The text of each generated token that is part of `text` (its pieces concatenate to `text`). */
  pieces: string[];
  finishReason: "stop" | "length";
  logprobs: TokenLogprob[] | null;
  completionTokens: number;
}

export function completionBody(id: string, model: string, created: number, choices: Choice[], usage: Usage) {
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: choices.map((c, index) => ({
      index,
      message: { role: "assistant", content: c.text },
      logprobs: c.logprobs ? { content: c.logprobs } : null,
      finish_reason: c.finishReason,
    })),
    usage,
  };
}

/**
 * The server-sent events of a streamed completion: per choice a first chunk with the role, one chunk per token
 * piece (with its logprob entry when asked), a last chunk with finish_reason; then a usage chunk when
 * stream_options.include_usage is set; then `data: [DONE]`.
 */
export function* streamEvents(
  id: string,
  model: string,
  created: number,
  choices: Choice[],
  usage: Usage,
  includeUsage: boolean,
): Generator<string> {
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model, choices, ...extra })}\n\n`;
  for (const [index, c] of choices.entries()) {
    yield chunk([{ index, delta: { role: "assistant", content: "" }, logprobs: null, finish_reason: null }]);
    for (const [i, piece] of c.pieces.entries()) {
      const logprobs = c.logprobs?.[i] ? { content: [c.logprobs[i]] } : null;
      yield chunk([{ index, delta: { content: piece }, logprobs, finish_reason: null }]);
    }
    yield chunk([{ index, delta: {}, logprobs: null, finish_reason: c.finishReason }]);
  }
  if (includeUsage) yield chunk([], { usage });
  yield "data: [DONE]\n\n";
}
