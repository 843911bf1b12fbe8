import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ChatClient } from "../../lib/llm/client.ts";
import { llmConfigFromEnv, type LlmConfig } from "../../lib/llm/config.ts";
import { MolabError } from "../../lib/errors.ts";

const KEY = "sk-test-SECRET-0123456789";

/** What the server does next: answer with a status/body/headers, or hang (for timeouts). Empty queue → a completion "ok". */
type Step = { status: number; body?: string; headers?: Record<string, string> } | "hang";
const script: Step[] = [];
const seen: { auth?: string; body: { model: string; seed: number; messages: unknown[] } }[] = [];
const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    seen.push({ auth: req.headers.authorization, body: JSON.parse(body) });
    const next = script.shift() ?? {
      status: 200,
      body: JSON.stringify({ choices: [{ message: { role: "assistant", content: "ok" } }] }),
    };
    if (next === "hang") return; // never answers; the client's timeout must fire
    res.writeHead(next.status, { "content-type": "application/json", ...(next.headers ?? {}) });
    res.end(next.body ?? "{}");
  });
});
const ready = new Promise<string>((resolve) =>
  server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`)),
);
after(() => {
  server.closeAllConnections();
  server.close();
});

const cfg = async (extra: Partial<LlmConfig> = {}): Promise<LlmConfig> => ({
  baseUrl: await ready,
  model: "m",
  apiKey: KEY,
  requestsPerMinute: 60000,
  backoffMs: 100,
  maxBackoffMs: 1000,
  ...extra,
});
const MSGS = [{ role: "user", content: "hi" }];
/** A client whose sleeps are recorded and skipped. */
function client(c: LlmConfig) {
  const sleeps: number[] = [];
  const logs: string[] = [];
  const cl = new ChatClient(
    c,
    (l) => logs.push(l),
    async (ms) => void sleeps.push(ms),
  );
  return { cl, sleeps, logs };
}
const reset = () => {
  script.length = 0;
  seen.length = 0;
};

test("endpoint settings come from the environment, with clear errors", () => {
  assert.throws(() => llmConfigFromEnv({}), /MOLAB_LLM_BASE_URL/);
  assert.throws(() => llmConfigFromEnv({ MOLAB_LLM_BASE_URL: "http://x/v1" }), /MOLAB_LLM_MODEL/);
  assert.deepEqual(
    llmConfigFromEnv({ MOLAB_LLM_BASE_URL: "http://x/v1/", MOLAB_LLM_MODEL: "m", MOLAB_LLM_API_KEY: "k" }),
    { baseUrl: "http://x/v1", model: "m", apiKey: "k" },
  );
  assert.deepEqual(llmConfigFromEnv({ OPENAI_BASE_URL: "http://y/v1", MOLAB_LLM_MODEL: "m", OPENAI_API_KEY: "k2" }), {
    baseUrl: "http://y/v1",
    model: "m",
    apiKey: "k2",
  });
});

test("a completion: model, messages and seed are sent, the key as a Bearer header; the first choice's content comes back", async () => {
  reset();
  const { cl } = client(await cfg());
  assert.equal(await cl.complete(MSGS, 17), "ok");
  assert.equal(seen[0].auth, `Bearer ${KEY}`);
  assert.deepEqual(seen[0].body.messages, MSGS);
  assert.equal(seen[0].body.model, "m");
  assert.equal(seen[0].body.seed, 17);
  assert.equal(cl.requests, 1);
  // no key: no authorization header at all
  const { cl: anon } = client(await cfg({ apiKey: undefined }));
  await anon.complete(MSGS, 1);
  assert.equal(seen[1].auth, undefined);
  // content that is not a string gives ""
  script.push({ status: 200, body: JSON.stringify({ choices: [{ message: { content: null } }] }) });
  assert.equal(await cl.complete(MSGS, 3), "");
});

test("a 2xx body that is not JSON is retried, then one error naming it", async () => {
  reset();
  script.push({ status: 200, body: "not json" });
  const a = client(await cfg());
  assert.equal(await a.cl.complete(MSGS, 1), "ok");
  assert.equal(a.cl.requests, 2);
  assert.match(a.logs[0], /body is not JSON/);
  reset();
  script.push(...Array.from({ length: 3 }, () => ({ status: 200, body: "{trunc" })));
  const b = client(await cfg({ maxRetries: 2 }));
  await assert.rejects(b.cl.complete(MSGS, 1), /HTTP 200 \(the body is not JSON: "\{trunc"\); gave up after 2 retries/);
  assert.equal(b.cl.requests, 3);
});

test("429 with Retry-After waits exactly that long; 500s back off exponentially with jitter", async () => {
  reset();
  script.push({ status: 429, headers: { "retry-after": "3" } }, { status: 500, body: "oops" }, { status: 503 });
  const { cl, sleeps, logs } = client(await cfg());
  assert.equal(await cl.complete(MSGS, 5), "ok");
  assert.equal(cl.requests, 4);
  assert.equal(sleeps[0], 3000, "Retry-After: 3 → 3000 ms");
  // retry 2 and 3: backoffMs·2^attempt·(0.5…1)
  assert.ok(sleeps[1] >= 100 && sleeps[1] <= 200, `second backoff ${sleeps[1]}`);
  assert.ok(sleeps[2] >= 200 && sleeps[2] <= 400, `third backoff ${sleeps[2]}`);
  assert.equal(logs.filter((l) => l.startsWith("retry ")).length, 3);
});

test("retryable failures give up after maxRetries; a non-retryable status fails at once; the key never appears", async () => {
  reset();
  script.push(...Array.from({ length: 3 }, () => ({ status: 502, body: `bad gateway for ${KEY}` })));
  const a = client(await cfg({ maxRetries: 2 }));
  await assert.rejects(
    a.cl.complete(MSGS, 1),
    (e: unknown) =>
      e instanceof MolabError &&
      /HTTP 502/.test(e.message) &&
      /gave up after 2 retries/.test(e.message) &&
      !e.message.includes(KEY),
  );
  assert.equal(a.cl.requests, 3);
  assert.ok(a.logs.length === 2 && a.logs.every((l) => !l.includes(KEY) && l.includes("***")), a.logs.join("\n"));
  reset();
  script.push({ status: 401, body: `invalid key Bearer ${KEY}` });
  const b = client(await cfg());
  await assert.rejects(
    b.cl.complete(MSGS, 1),
    (e: unknown) => e instanceof MolabError && /HTTP 401/.test(e.message) && !e.message.includes(KEY),
  );
  assert.equal(b.cl.requests, 1, "401 is not retried");
  assert.equal(b.sleeps.length, 0);
});

test("a request that outlives timeoutMs is abandoned and retried", async () => {
  reset();
  script.push("hang");
  const { cl, logs } = client(await cfg({ timeoutMs: 200 }));
  assert.equal(await cl.complete(MSGS, 1), "ok");
  assert.equal(cl.requests, 2);
  assert.match(logs[0], /request failed/);
  reset();
  script.push("hang");
  const once = client(await cfg({ timeoutMs: 200, maxRetries: 0 }));
  await assert.rejects(once.cl.complete(MSGS, 1), /request failed.*gave up after 0 retries/);
});

test("the rate limit spaces request starts", async () => {
  reset();
  const { cl, sleeps } = client(await cfg({ requestsPerMinute: 6 }));
  await cl.complete(MSGS, 1);
  await cl.complete(MSGS, 2);
  assert.equal(sleeps.length, 1, "the second request waits for its slot");
  assert.ok(sleeps[0] > 5000 && sleeps[0] <= 10000, `waited ${sleeps[0]} ms at 6/min (slots 10 s apart)`);
});
