/**
 * Runners: the local runner and the remote runner pointed at `molab serve` of the same model give the same texts;
 * the remote runner keeps to its concurrency limit and reports failures per item; a run whose server dies mid-run
 * is finished by running it again, and the rerun sends only the items that were not done.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalModel } from "../../lib/elicit/local.ts";
import { serve, type RunningServer } from "../../lib/elicit/serve.ts";
import {
  LocalRunner,
  readRows,
  RemoteRunner,
  runResumable,
  type Generation,
  type RunItem,
} from "../../lib/elicit/runner.ts";
import { pairedScenarios } from "../../lib/elicit/scenarios.ts";
import { verdictOf } from "../../lib/elicit/metrics.ts";
import { completion, mockEndpoint, randomAdapter, tmpDir, TINY } from "./fixtures.ts";

let lm: LocalModel;
let srv: RunningServer;
before(async () => {
  lm = await LocalModel.load(TINY, { adapters: { af: await randomAdapter(path.join(tmpDir("runner"), "a")) } });
  srv = await serve(lm);
});
after(async () => {
  await srv.close();
  lm.dispose();
});

const items = (n: number): RunItem[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `item-${i}`,
    messages: [{ role: "user", content: `What is ${i} + ${i + 1}?` }],
    seed: 100 + i,
  }));
const row = (it: RunItem, g: Generation) => ({ id: it.id, text: g.text, error: g.error });
const fast = { requestsPerMinute: 1e6, maxRetries: 1, backoffMs: 1, timeoutMs: 2000 };

async function texts(runner: LocalRunner | RemoteRunner, list: RunItem[]) {
  const out = new Map<string, string | null>();
  await runner.run(list, (it, g) => out.set(it.id, g.text));
  return list.map((it) => out.get(it.id));
}

test("local and remote (molab serve of the same model and adapter) give the same texts, sampled and greedy", async () => {
  const list = items(4);
  for (const sampling of [
    { temperature: 1, maxTokens: 10 },
    { temperature: 0, maxTokens: 10 },
  ]) {
    const local = await texts(new LocalRunner(lm, "af", sampling, 4), list);
    const remote = await texts(new RemoteRunner({ baseUrl: srv.baseUrl, model: "af", ...fast }, sampling), list);
    assert.deepEqual(remote, local, `temperature ${sampling.temperature}`);
    assert.ok(local.every((t) => typeof t === "string"));
  }
  const base = await texts(new LocalRunner(lm, "tiny-assistant-v1", { temperature: 0, maxTokens: 10 }), list);
  assert.notDeepEqual(base, await texts(new LocalRunner(lm, "af", { temperature: 0, maxTokens: 10 }), list));
});

test("local and remote give the same parsed labels on 52 held-out Redwood prompts (greedy, base and adapter)", async () => {
  const list = pairedScenarios({ n: 26, seed: 5, layout: "spaced" }); // 52 prompts, every cue family
  assert.equal(list.length, 52);
  const greedy = { temperature: 0, maxTokens: 48 };
  for (const model of ["tiny-assistant-v1", "af"]) {
    const local = await texts(new LocalRunner(lm, model, greedy, 26), list);
    const remote = await texts(
      new RemoteRunner({ baseUrl: srv.baseUrl, model, ...fast, timeoutMs: 60000 }, greedy),
      list,
    );
    const labels = (ts: (string | null | undefined)[]) =>
      ts.map((t) => (typeof t === "string" ? verdictOf(t) : "error"));
    assert.deepEqual(labels(remote), labels(local), model);
    assert.deepEqual(remote, local, model);
    assert.ok(!labels(local).includes("error"));
  }
});

test("remote: at most `concurrency` requests in flight; an item's failure is its row's error and the run goes on", async () => {
  let inFlight = 0;
  let most = 0;
  const ep = await mockEndpoint((body) => {
    const content: string = body.messages[0].content;
    if (content.includes("3 + 4")) return { status: 400, body: { error: { message: "bad item" } } };
    return { status: 200, body: completion(`echo ${content}`) };
  });
  const runner = new RemoteRunner(
    { baseUrl: ep.baseUrl, model: "m", ...fast },
    { temperature: 1, maxTokens: 5, concurrency: 3 },
  );
  const orig = runner.client.complete.bind(runner.client);
  runner.client.complete = async (m, s) => {
    most = Math.max(most, ++inFlight);
    await new Promise((r) => setTimeout(r, 20));
    try {
      return await orig(m, s);
    } finally {
      inFlight--;
    }
  };
  const file = path.join(tmpDir("conc"), "results.jsonl");
  const res = await runResumable(runner, items(8), file, row);
  await ep.close();
  assert.equal(most, 3);
  assert.equal(res.failed, 1);
  assert.equal(res.rows.length, 8);
  const bad = res.rows.find((r) => r.id === "item-3")!;
  assert.equal(bad.text, null);
  assert.match(bad.error!, /HTTP 400/);
  assert.ok(res.rows.filter((r) => r.id !== "item-3").every((r) => r.text!.startsWith("echo ") && r.error === null));
});

test("resume: the server dies mid-run; the rerun sends only the items not done, and every item ends with one good row", async () => {
  const file = path.join(tmpDir("resume"), "results.jsonl");
  const list = items(6);
  const first = await mockEndpoint((body, count) => {
    if (count === 3) setImmediate(() => void first.close());
    return { status: 200, body: completion(`first ${body.messages[0].content}`) };
  });
  const sampling = { temperature: 1, maxTokens: 5, concurrency: 1 };
  const r1 = await runResumable(
    new RemoteRunner({ baseUrl: first.baseUrl, model: "m", ...fast }, sampling),
    list,
    file,
    row,
  );
  assert.equal(r1.sent, 6);
  assert.equal(r1.failed, 3, "the three items after the server died failed and were recorded");
  const done1 = r1.rows.filter((r) => r.error === null).map((r) => r.id);
  assert.deepEqual(done1, ["item-0", "item-1", "item-2"]);

  // A crash while writing leaves a cut-off last line: it is skipped, and the next row starts on a line of its own.
  fs.appendFileSync(file, '{"id":"item-2","text":"cut o');
  const second = await mockEndpoint((body) => ({
    status: 200,
    body: completion(`second ${body.messages[0].content}`),
  }));
  const r2 = await runResumable(
    new RemoteRunner({ baseUrl: second.baseUrl, model: "m", ...fast }, sampling),
    list,
    file,
    row,
  );
  await second.close();
  assert.equal(r2.reused, 3);
  assert.equal(r2.sent, 3);
  assert.deepEqual(
    second.seen,
    [3, 4, 5].map((i) => list[i].messages[0].content),
  );
  assert.ok(r2.rows.every((r) => r.error === null));
  assert.deepEqual(
    r2.rows.map((r) => r.text!.split(" ")[0]),
    ["first", "first", "first", "second", "second", "second"],
  );
  const back = readRows<{ id: string; error: string | null }>(file);
  assert.equal(back.skipped, 1, "the cut-off line is skipped");
  assert.equal(back.rows.size, 6);
  assert.ok(
    [...back.rows.values()].every((r) => r.error === null),
    "the last row of each id wins",
  );
  // Nothing left: a third run sends nothing.
  const r3 = await runResumable(
    new RemoteRunner({ baseUrl: "http://127.0.0.1:9/v1", model: "m", ...fast }, sampling),
    list,
    file,
    row,
  );
  assert.deepEqual([r3.sent, r3.reused], [0, 6]);
});
