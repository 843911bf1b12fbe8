/**
 * `molab serve`: an OpenAI-compatible HTTP server (node:http) for our own model and its PEFT adapters, so that
 * anything that talks to vLLM — the official `openai` client, lib/llm's ChatClient, the remote elicitation
 * runner — talks to molab's model unchanged.
 *
 * - `GET /v1/models`: the base model and each adapter by name (adapters carry `parent`: the base, as vLLM lists
 *   LoRA modules).
 * - `POST /v1/chat/completions`: temperature, top_p, max_tokens (or max_completion_tokens), seed, stop, n,
 *   logprobs / top_logprobs, stream (server-sent events ending `data: [DONE]`; stream_options.include_usage adds
 *   a usage chunk); `usage` is always filled in.
 * - Errors are JSON `{error: {message, type, param, code}}`: 400 for bad JSON or a bad parameter, 404 for an
 *   unknown model or route, 405 for a wrong method, 413 for a body over 16 MiB.
 *
 * Generation is synchronous (tfjs wasm on the main thread): requests are answered one at a time in arrival
 * order, and a stream's events are written once its generation is done.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import type { LocalModel } from "./local.ts";
import { ApiError, completionBody, parseChatRequest, streamEvents, type Usage } from "./openai.ts";

const MAX_BODY = 16 * 2 ** 20;

export interface ServeOptions {
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** One line per request (method, path, status, ms). */
  log?: (line: string) => void;
}

export interface RunningServer {
  server: http.Server;
  /** e.g. http://127.0.0.1:8000/v1 — what a client takes as its base URL. */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, `the request body is over ${MAX_BODY} bytes`, null, "body_too_large"));
        req.destroy();
      } else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** The `/v1/models` listing. */
export function modelList(lm: LocalModel, created: number) {
  return {
    object: "list",
    data: [
      { id: lm.name, object: "model", created, owned_by: "molab", root: lm.name, parent: null },
      ...[...lm.adapters].map(([id, a]) => ({
        id,
        object: "model",
        created,
        owned_by: "molab",
        root: a.dir,
        parent: lm.name,
      })),
    ],
  };
}

async function chatCompletions(lm: LocalModel, req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
  const raw = await readBody(req);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new ApiError(400, `the request body is not valid JSON (${(e as Error).message})`, null, "invalid_json");
  }
  const r = parseChatRequest(json);
  const prompt = lm.promptIds(r.messages);
  const choices = lm.run(
    r.model,
    Array.from({ length: r.n }, () => prompt),
    {
      maxTokens: r.maxTokens,
      temperature: r.temperature,
      topP: r.topP,
      seed: r.seed,
      stop: r.stop,
      logprobs: r.logprobs,
      topLogprobs: r.topLogprobs,
    },
  );
  const completion = choices.reduce((s, c) => s + c.completionTokens, 0);
  const usage: Usage = {
    prompt_tokens: prompt.length,
    completion_tokens: completion,
    total_tokens: prompt.length + completion,
  };
  const id = `chatcmpl-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  if (!r.stream) {
    send(res, 200, completionBody(id, r.model, created, choices, usage));
    return 200;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
  for (const ev of streamEvents(id, r.model, created, choices, usage, r.includeUsage)) res.write(ev);
  res.end();
  return 200;
}

/** Start serving `lm`. Resolves once the port is bound. */
export function serve(lm: LocalModel, o: ServeOptions = {}): Promise<RunningServer> {
  const created = Math.floor(Date.now() / 1000);
  // One request generates at a time: the next waits for the previous one's generation to end.
  let queue: Promise<unknown> = Promise.resolve();
  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = url.pathname.replace(/\/+$/, "");
    const handle = async (): Promise<number> => {
      if (route === "/v1/models" || route === "/models") {
        if (req.method !== "GET") throw new ApiError(405, `${route} takes GET`, null, "method_not_allowed");
        send(res, 200, modelList(lm, created));
        return 200;
      }
      if (route === "/v1/chat/completions" || route === "/chat/completions") {
        if (req.method !== "POST") throw new ApiError(405, `${route} takes POST`, null, "method_not_allowed");
        const run = queue.then(() => chatCompletions(lm, req, res));
        queue = run.catch(() => {});
        return run;
      }
      if (route === "/health") {
        send(res, 200, { status: "ok" });
        return 200;
      }
      throw new ApiError(404, `no route ${req.method} ${url.pathname}`, null, "unknown_route");
    };
    handle()
      .catch((e: unknown) => {
        const err =
          e instanceof ApiError ? e : new ApiError(500, (e as Error).message ?? String(e), null, "internal_error");
        if (!res.headersSent) send(res, err.status, err.body());
        else res.end();
        return err.status;
      })
      .then((status) => o.log?.(`${req.method} ${url.pathname} ${status} ${Date.now() - t0} ms`));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port ?? 0, o.host ?? "127.0.0.1", () => {
      const { port, address } = server.address() as AddressInfo;
      const host = address.includes(":") ? `[${address}]` : address;
      resolve({
        server,
        port,
        baseUrl: `http://${host}:${port}/v1`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
