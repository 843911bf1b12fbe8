/**
 * A chat client for any OpenAI-compatible endpoint (`POST {baseUrl}/chat/completions`): one completion per
 * call, request starts spaced by a shared rate limit, retries with exponential backoff and jitter on 408, 429,
 * 5xx and network errors (honouring Retry-After), a per-request timeout, and error messages with the API key
 * redacted — the key is never printed.
 */
import { MolabError } from "../errors.ts";
import { createRng } from "../rng.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { LlmConfig } from "./config.ts";

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** `text` with every occurrence of `key` replaced by *** (keys shorter than 4 characters are left alone). */
const redact = (text: string, key?: string) => (key && key.length >= 4 ? text.split(key).join("***") : text);

/** The first generated token's top alternatives, with the reply's content. */
export interface FirstTokenLogprobs {
  content: string;
  top: { token: string; logprob: number }[];
}

/** One chat completion with retries and the shared rate limiter; returns the message content. */
export class ChatClient {
  private nextStart = 0;
  /** HTTP requests started so far, retries included. */
  requests = 0;
  /** `log` gets one line per retry; `sleep` is injectable for tests. */
  constructor(
    private cfg: LlmConfig,
    private log: (line: string) => void = () => {},
    private sleep = sleepMs,
  ) {}

  /**
   * The content of the first choice ("" when it has no string content; a body that is not JSON is retried, see
   * post). `seed` is sent and seeds the backoff jitter.
   */
  async complete(messages: ChatMessage[], seed: number): Promise<string> {
    const j = (await this.post(messages, seed, {})) as { choices?: { message?: { content?: unknown } }[] } | null;
    const content = j?.choices?.[0]?.message?.content;
    return typeof content === "string" ? content : "";
  }

  /**
   * The first choice's content and the top-`topLogprobs` alternatives of its first token (OpenAI's
   * `choices[0].logprobs.content[0].top_logprobs`; [] when the endpoint sent none): what a logprob-weighted
   * judge reads. `logprobs: true` and `top_logprobs` are sent with the request.
   */
  async completeLogprobs(messages: ChatMessage[], seed: number, topLogprobs: number): Promise<FirstTokenLogprobs> {
    const j = (await this.post(messages, seed, { logprobs: true, top_logprobs: topLogprobs })) as {
      choices?: {
        message?: { content?: unknown };
        logprobs?: { content?: { top_logprobs?: { token?: unknown; logprob?: unknown }[] }[] } | null;
      }[];
    } | null;
    const c = j?.choices?.[0];
    const content = typeof c?.message?.content === "string" ? c.message.content : "";
    const top = (c?.logprobs?.content?.[0]?.top_logprobs ?? []).flatMap((t) =>
      typeof t?.token === "string" && typeof t.logprob === "number" ? [{ token: t.token, logprob: t.logprob }] : [],
    );
    return { content, top };
  }

  /**
   * POST one request with retries; the parsed JSON body of a 2xx answer. Connection failures, timeouts, 408, 429,
   * 5xx and a 2xx whose body is not JSON (a cut or garbled answer) are retried; after maxRetries, one error.
   */
  private async post(messages: ChatMessage[], seed: number, extra: Record<string, unknown>): Promise<unknown> {
    const c = this.cfg;
    const maxRetries = c.maxRetries ?? 5;
    const jitter = createRng(`backoff:${seed}`);
    for (let attempt = 0; ; attempt++) {
      const wait = this.nextStart - Date.now();
      if (wait > 0) await this.sleep(wait);
      this.nextStart = Date.now() + 60000 / (c.requestsPerMinute ?? 60);
      this.requests++;
      let status = 0;
      let retryAfter: number | null = null;
      let detail = "";
      let malformed = false;
      try {
        const res = await fetch(`${c.baseUrl}/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json", ...(c.apiKey ? { authorization: `Bearer ${c.apiKey}` } : {}) },
          body: JSON.stringify({
            model: c.model,
            messages,
            temperature: c.temperature ?? 1,
            max_tokens: c.maxTokens ?? 1024,
            seed,
            ...extra,
          }),
          signal: AbortSignal.timeout(c.timeoutMs ?? 120000),
        });
        status = res.status;
        const body = await res.text();
        if (res.ok) {
          try {
            return JSON.parse(body);
          } catch {
            malformed = true;
            detail = `the body is not JSON: ${JSON.stringify(body.slice(0, 80))}`;
          }
        } else {
          const ra = Number(res.headers.get("retry-after"));
          retryAfter = Number.isFinite(ra) && res.headers.get("retry-after") !== null ? ra * 1000 : null;
          detail = body.slice(0, 200);
        }
      } catch (e) {
        detail = (e as Error).message;
      }
      const retryable = malformed || status === 0 || status === 408 || status === 429 || status >= 500;
      const what = redact(
        `${c.baseUrl}/chat/completions: ${status ? `HTTP ${status}` : "request failed"} (${detail})`,
        c.apiKey,
      );
      if (!retryable) throw new MolabError(`LLM client: ${what}`);
      if (attempt >= maxRetries) throw new MolabError(`LLM client: ${what}; gave up after ${maxRetries} retries`);
      const backoff =
        retryAfter ??
        Math.min(c.maxBackoffMs ?? 30000, (c.backoffMs ?? 1000) * 2 ** attempt) * (0.5 + 0.5 * jitter.float());
      this.log(`retry ${attempt + 1}/${maxRetries} in ${Math.round(backoff)} ms: ${what}`);
      await this.sleep(backoff);
    }
  }
}
