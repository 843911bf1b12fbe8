/**
 * `molab serve` speaks the OpenAI chat-completions API: the listing, every sampling parameter, streaming, logprobs,
 * usage, and 4xx JSON errors; lib/llm's ChatClient, raw fetch, the binary and (when installed) the official
 * `openai` client all work against it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { LocalModel } from "../../lib/elicit/local.ts";
import { serve, type RunningServer } from "../../lib/elicit/serve.ts";
import { ChatClient } from "../../lib/llm/client.ts";
import { randomAdapter, tmpDir, TINY } from "./fixtures.ts";

let lm: LocalModel;
let srv: RunningServer;
const messages = [{ role: "user", content: "What is 2 + 3?" }];

before(async () => {
  const adapter = await randomAdapter(path.join(tmpDir("serve"), "adapter"));
  lm = await LocalModel.load(TINY, { adapters: { af: adapter } });
  srv = await serve(lm);
});
after(async () => {
  await srv.close();
  lm.dispose();
});

async function post(body: unknown, raw?: string) {
  const res = await fetch(`${srv.baseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}
const chat = async (extra: Record<string, unknown>) => {
  const r = await post({ model: "tiny-assistant-v1", messages, max_tokens: 12, ...extra });
  assert.equal(r.status, 200, r.text);
  return JSON.parse(r.text);
};

test("GET /v1/models lists the base and each adapter by name, adapters with the base as parent (as vLLM)", async () => {
  const j = await (await fetch(`${srv.baseUrl}/models`)).json();
  assert.equal(j.object, "list");
  assert.deepEqual(
    j.data.map((m: any) => [m.id, m.object, m.parent]),
    [
      ["tiny-assistant-v1", "model", null],
      ["af", "model", "tiny-assistant-v1"],
    ],
  );
});

test("completions: usage counts the prompt's tokens and the choices'; seeds reproduce; the adapter is used", async () => {
  const j = await chat({ temperature: 0 });
  assert.equal(j.object, "chat.completion");
  assert.equal(j.choices[0].message.role, "assistant");
  assert.equal(typeof j.choices[0].message.content, "string");
  assert.equal(j.usage.prompt_tokens, lm.promptIds(messages).length);
  assert.equal(j.usage.total_tokens, j.usage.prompt_tokens + j.usage.completion_tokens);
  assert.ok(j.usage.completion_tokens >= 1 && j.usage.completion_tokens <= 12);
  const a = await chat({ temperature: 1, top_p: 0.9, seed: 5, n: 2 });
  const b = await chat({ temperature: 1, top_p: 0.9, seed: 5, n: 2 });
  assert.equal(a.choices.length, 2);
  assert.deepEqual(
    a.choices.map((c: any) => c.message.content),
    b.choices.map((c: any) => c.message.content),
  );
  assert.equal(a.usage.completion_tokens, a.usage.total_tokens - a.usage.prompt_tokens);
  const base = await chat({ temperature: 0, max_tokens: 24 });
  const adapted = await chat({ model: "af", temperature: 0, max_tokens: 24 });
  assert.equal(adapted.model, "af");
  assert.notEqual(adapted.choices[0].message.content, base.choices[0].message.content);
  // The adapter is detached after its request: the base answers as before.
  assert.equal(
    (await chat({ temperature: 0, max_tokens: 24 })).choices[0].message.content,
    base.choices[0].message.content,
  );
});

test("stop strings cut the text before the stop, with finish_reason stop; max_tokens ends with length", async () => {
  const full = await chat({ temperature: 0, max_tokens: 20 });
  const text: string = full.choices[0].message.content;
  assert.equal(full.choices[0].finish_reason, "length");
  const stop = text.slice(8, 11);
  const cut = await chat({ temperature: 0, max_tokens: 20, stop: [stop, "\u0000never"] });
  assert.equal(cut.choices[0].message.content, text.slice(0, text.indexOf(stop)));
  assert.equal(cut.choices[0].finish_reason, "stop");
  assert.ok(cut.usage.completion_tokens < full.usage.completion_tokens);
});

test("logprobs: one entry per token, the tokens spell the text, greedy picks the top alternative", async () => {
  const j = await chat({ temperature: 0, logprobs: true, top_logprobs: 3 });
  const c = j.choices[0];
  assert.equal(c.logprobs.content.length, j.usage.completion_tokens);
  assert.equal(c.logprobs.content.map((t: any) => t.token).join(""), c.message.content);
  for (const t of c.logprobs.content) {
    assert.ok(t.logprob <= 0);
    assert.equal(t.top_logprobs.length, 3);
    assert.ok(Math.abs(t.top_logprobs[0].logprob - t.logprob) < 1e-5, "greedy chose the most likely token");
    assert.ok(t.top_logprobs[0].logprob >= t.top_logprobs[1].logprob);
    assert.deepEqual(t.bytes, [...Buffer.from(t.token)]);
  }
  assert.equal((await chat({ temperature: 0 })).choices[0].logprobs, null);
});

test("streaming: SSE chunks whose deltas spell the non-streamed text, a usage chunk, then data: [DONE]", async () => {
  const once = await chat({ temperature: 1, seed: 3 });
  const r = await post({
    model: "tiny-assistant-v1",
    messages,
    max_tokens: 12,
    temperature: 1,
    seed: 3,
    stream: true,
    stream_options: { include_usage: true },
  });
  assert.equal(r.status, 200);
  assert.match(r.type!, /^text\/event-stream/);
  const events = r.text.split("\n\n").filter(Boolean);
  assert.ok(events.every((e) => e.startsWith("data: ")));
  assert.equal(events.at(-1), "data: [DONE]");
  const chunks = events.slice(0, -1).map((e) => JSON.parse(e.slice(6)));
  assert.ok(chunks.every((c) => c.object === "chat.completion.chunk"));
  assert.equal(chunks[0].choices[0].delta.role, "assistant");
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.equal(text, once.choices[0].message.content);
  assert.equal(chunks.at(-2).choices[0].finish_reason, once.choices[0].finish_reason);
  assert.deepEqual(chunks.at(-1).usage, once.usage);
});

test("4xx errors are JSON {error: {message, type, param, code}}", async () => {
  const err = async (r: { status: number; text: string }, status: number, param: string | null, code: string) => {
    assert.equal(r.status, status, r.text);
    const e = JSON.parse(r.text).error;
    assert.deepEqual([e.param, e.code], [param, code], r.text);
    assert.equal(typeof e.message, "string");
    assert.equal(typeof e.type, "string");
  };
  await err(await post(null, "{not json"), 400, null, "invalid_json");
  await err(await post({ model: "nope", messages }), 404, "model", "model_not_found");
  await err(await post({ model: "af", messages: [] }), 400, "messages", "invalid_value");
  await err(await post({ model: "af", messages, temperature: 3 }), 400, "temperature", "invalid_value");
  await err(await post({ model: "af", messages, top_p: 0 }), 400, "top_p", "invalid_value");
  await err(await post({ model: "af", messages, max_tokens: 0 }), 400, "max_tokens", "invalid_value");
  await err(await post({ model: "af", messages, max_tokens: 10 ** 6 }), 400, "max_tokens", "context_length_exceeded");
  await err(await post({ model: "af", messages, n: 1.5 }), 400, "n", "invalid_value");
  await err(await post({ model: "af", messages, top_logprobs: 2 }), 400, "top_logprobs", "invalid_value");
  await err(await post({ model: "af", messages, stop: [1] }), 400, "stop", "invalid_value");
  await err(
    await post({ model: "af", messages: [{ role: "robot", content: "x" }] }),
    400,
    "messages[0].role",
    "invalid_value",
  );
  const get = await fetch(`${srv.baseUrl}/chat/completions`);
  await err({ status: get.status, text: await get.text() }, 405, null, "method_not_allowed");
  const nowhere = await fetch(`${srv.baseUrl}/embeddings`, { method: "POST" });
  await err({ status: nowhere.status, text: await nowhere.text() }, 404, null, "unknown_route");
});

test("lib/llm's ChatClient gets the same text as a raw request", async () => {
  const client = new ChatClient({
    baseUrl: srv.baseUrl,
    model: "af",
    temperature: 1,
    maxTokens: 12,
    requestsPerMinute: 1e6,
  });
  const text = await client.complete(messages, 11);
  const raw = await chat({ model: "af", temperature: 1, seed: 11 });
  assert.equal(text, raw.choices[0].message.content);
});

test("the binary: molab serve --port 0 prints its URL and answers /v1/models", async () => {
  const bin = path.join(__dirname, "..", "..", "bin", "molab.cjs");
  const child = spawn(process.execPath, [bin, "serve", "--model", TINY, "--port", "0", "--quiet"], { stdio: "pipe" });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        const m = /listening on (\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`molab serve exited with ${code}`)));
    });
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const j = await (await fetch(`${url}/models`)).json();
    assert.deepEqual(
      j.data.map((m: any) => m.id),
      ["tiny-assistant-v1"],
    );
  } finally {
    child.kill("SIGTERM");
  }
});

test("the official openai client (a devDependency), unchanged: models.list, create with and without stream, logprobs", async () => {
  const OpenAI = require("openai").default ?? require("openai");
  const client = new OpenAI({ baseURL: srv.baseUrl, apiKey: "unused" });
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, ["tiny-assistant-v1", "af"]);
  const r = await client.chat.completions.create({
    model: "af",
    messages,
    max_tokens: 8,
    temperature: 0,
    logprobs: true,
    top_logprobs: 2,
  });
  assert.equal(r.choices[0].logprobs.content.length, r.usage.completion_tokens);
  const stream = await client.chat.completions.create({
    model: "af",
    messages,
    max_tokens: 8,
    temperature: 0,
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
  assert.equal(text, r.choices[0].message.content);
});
