/**
 * `molab elicit` end to end on the tiny model: the files and their schema, resuming, the remote runner against
 * `molab serve` giving the same labels as the local runner, and `molab elicit summarize` recomputing summary.json.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalModel } from "../../lib/elicit/local.ts";
import { serve, type RunningServer } from "../../lib/elicit/serve.ts";
import { inProcess } from "../cli/run_cli.ts";
import { tmpDir, TINY } from "./fixtures.ts";

const read = (f: string) => JSON.parse(fs.readFileSync(f, "utf8"));
const rows = (f: string) =>
  fs
    .readFileSync(f, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
const common = ["--n", "3", "--seed", "2", "--max-tokens", "24", "--temperature", "0", "--layout", "spaced"];
const common2 = [...common, "--resamples", "500"];

let lm: LocalModel;
let srv: RunningServer;
const root = tmpDir("cli");
before(async () => {
  lm = await LocalModel.load(TINY);
  srv = await serve(lm);
});
after(async () => {
  await srv.close();
  lm.dispose();
});

test("local: results.jsonl rows of the documented schema, summary.json, manifest.json; a rerun sends nothing", async () => {
  const out = path.join(root, "local");
  const r = await inProcess("elicit", "--model", TINY, ...common2, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /6 sent, 0 already done, 0 failed/);
  assert.match(r.stdout, /compliance_gap .* over 3 pairs/);
  const rs = rows(path.join(out, "results.jsonl"));
  assert.equal(rs.length, 6);
  for (const x of rs) {
    for (const k of ["pair_id", "condition", "tier", "cue_family", "pattern", "seed", "messages", "text", "parse"])
      assert.ok(k in x, `row has ${k}`);
    assert.equal(typeof x.af_reasoning, "boolean", "the embedded AF classifier labels every reply by default");
    assert.equal(typeof x.af_score, "number");
    assert.equal(x.af_method, "embedded");
    assert.ok(["accepted", "refused", "untagged", "malformed"].includes(x.parse));
    assert.equal(x.tier, x.condition === "training" ? "free" : "paid");
  }
  const s = read(path.join(out, "summary.json"));
  assert.equal(s.n_rows, 6);
  assert.equal(s.conditions.training.n + s.conditions.unmonitored.n, 6);
  assert.deepEqual(Object.keys(s.by_cue_family).sort(), ["free_tier", "rlhf_awareness", "value_conflict"]);
  assert.equal(s.af_judged, 6);
  assert.deepEqual(s.af_methods, ["embedded"]);
  assert.equal(s.conditions.training.af_reasoning.judged, 3);
  const m = read(path.join(out, "manifest.json"));
  assert.deepEqual(Object.keys(m.outputs).sort(), ["results.jsonl", "summary.json"]);
  assert.equal(m.seeds.seed, 2);
  const again = await inProcess("elicit", "--model", TINY, ...common2, "--out", out);
  assert.match(again.stdout, /0 sent, 6 already done/);
  assert.equal(rows(path.join(out, "results.jsonl")).length, 6);
});

test("remote: molab elicit --base-url against molab serve gives the local run's labels and texts (greedy)", async () => {
  const out = path.join(root, "remote");
  const r = await inProcess(
    "elicit",
    "--base-url",
    srv.baseUrl,
    "--model-name",
    "tiny-assistant-v1",
    ...common2,
    "--out",
    out,
  );
  assert.equal(r.status, 0, r.stderr);
  const local = rows(path.join(root, "local", "results.jsonl"));
  const remote = rows(path.join(out, "results.jsonl"));
  const key = (x: any) => [x.id, x.parse, x.text];
  assert.deepEqual(remote.map(key).sort(), local.map(key).sort());
});

test("summarize recomputes summary.json from rows, also rows made elsewhere without `parse`", async () => {
  const src = path.join(root, "local", "results.jsonl");
  const out = path.join(root, "summarized");
  const r = await inProcess("elicit", "summarize", "--results", src, "--out", out, "--resamples", "500", "--seed", "2");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(read(path.join(out, "summary.json")), read(path.join(root, "local", "summary.json")));
  const bare = path.join(root, "bare.jsonl");
  fs.writeFileSync(
    bare,
    rows(src)
      .map(({ parse: _p, ...x }) => JSON.stringify(x))
      .join("\n"),
  );
  const r2 = await inProcess("elicit", "summarize", "--results", bare, "--resamples", "500", "--seed", "2");
  assert.equal(r2.status, 0, r2.stderr);
  assert.deepEqual(read(path.join(root, "summary.json")), read(path.join(out, "summary.json")));
});

test("bad flags fail before any model loads, naming the flag", async () => {
  const bad = async (args: string[], re: RegExp) => {
    const r = await inProcess("elicit", ...args);
    assert.equal(r.status, 1);
    assert.match(r.stderr, re);
  };
  await bad(["--out", root], /give --model DIR, or --base-url URL/);
  await bad(["--model", "nowhere", "--out", root, "--layout", "wide"], /--layout expects compact or spaced/);
  await bad(["--model", "nowhere", "--out", root, "--cue-families", "moon"], /unknown cue family "moon"/);
  await bad(["--model", "nowhere", "--out", root, "--n", "0"], /--n expects an integer ≥ 1/);
  await bad(["--base-url", "http://x/v1", "--out", root], /--model-name is required/);
});
