/**
 * The pipeline runner on stand-in stages (no model work, milliseconds): what reruns when a stage's settings, code
 * version or upstream output change, that a failing stage leaves no folder behind and the stages before it
 * finished, and that summary.json lists the keys of unbuilt slots as pending.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadConfig, type PipelineConfig } from "../../lib/cli/pipeline/config.ts";
import { runPipeline } from "../../lib/cli/pipeline/run.ts";
import type { Stage } from "../../lib/cli/pipeline/stage.ts";

function stages(calls: string[], o: { bVersion?: number; failB?: boolean } = {}): Stage[] {
  return [
    {
      name: "a",
      dir: "a",
      version: 1,
      after: [],
      keys: ["a.x"],
      settings: (c: PipelineConfig) => c.data,
      async run(ctx) {
        calls.push("a");
        fs.writeFileSync(path.join(ctx.out, "a.txt"), String(ctx.config.data.af));
        return { line: "a done", summary: { "a.x": { estimate: 1, ci: [0, 2], n: 3 } } };
      },
    },
    {
      name: "b",
      dir: "nested/b",
      version: o.bVersion ?? 1,
      after: ["a"],
      keys: ["b.y"],
      settings: (c: PipelineConfig) => c.sae,
      async run(ctx) {
        calls.push("b");
        fs.writeFileSync(path.join(ctx.out, "half.txt"), "written before the failure");
        if (o.failB) throw new Error("stage b failed");
        const a = fs.readFileSync(path.join(ctx.dirOf("a"), "a.txt"), "utf8");
        fs.writeFileSync(path.join(ctx.out, "b.txt"), `${a}/${ctx.config.sae.steps}`);
        return { line: "b done", summary: { "b.y": { estimate: 0.5, ci: [0.4, 0.6], n: 10 } } };
      },
    },
    { name: "slot", dir: "slot", version: 1, after: [], keys: ["slot.z"], settings: () => ({}), pending: "not built" },
  ];
}

async function go(run: string, calls: string[], config = loadConfig(), o: Parameters<typeof stages>[1] = {}) {
  return runPipeline({ run, config, command: "test", log: () => {}, stages: stages(calls, o) });
}

test("reruns exactly what changed: nothing, a downstream version bump, an upstream setting", async () => {
  const run = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "molab-runner-")), "run");
  const calls: string[] = [];
  const r1 = await go(run, calls);
  assert.deepEqual(calls, ["a", "b"]);
  assert.deepEqual(r1.states, { a: "ran", b: "ran", slot: "pending" });
  assert.equal(fs.readFileSync(path.join(run, "nested/b/b.txt"), "utf8"), `400/${loadConfig().sae.steps}`);

  calls.length = 0;
  assert.deepEqual((await go(run, calls)).states, { a: "unchanged", b: "unchanged", slot: "pending" });
  assert.deepEqual(calls, []);

  await go(run, calls, loadConfig(), { bVersion: 2 });
  assert.deepEqual(calls, ["b"], "a new code version of b reruns b only");

  calls.length = 0;
  const c = loadConfig();
  c.sae.steps = 7;
  await go(run, calls, c, { bVersion: 2 });
  assert.deepEqual(calls, ["b"], "b's own setting reruns b only");
  assert.equal(fs.readFileSync(path.join(run, "nested/b/b.txt"), "utf8"), "400/7");

  calls.length = 0;
  c.data.af = 500;
  await go(run, calls, c, { bVersion: 2 });
  assert.deepEqual(calls, ["a", "b"], "a's setting reruns a, and b because a's output changed");
  assert.equal(fs.readFileSync(path.join(run, "nested/b/b.txt"), "utf8"), "500/7");

  const summary = JSON.parse(fs.readFileSync(path.join(run, "summary.json"), "utf8"));
  assert.deepEqual(summary["a.x"], { estimate: 1, ci: [0, 2], n: 3 });
  assert.deepEqual(summary.pending, ["slot.z"]);
  assert.equal(summary["slot.z"], undefined);
});

test("a failing stage leaves no folder of its own; the finished stages before it are kept and recorded", async () => {
  const run = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "molab-runner-")), "run");
  const calls: string[] = [];
  await assert.rejects(go(run, calls, loadConfig(), { failB: true }), /stage b failed/);
  assert.ok(fs.existsSync(path.join(run, "a", "stage.json")));
  assert.equal(fs.existsSync(path.join(run, "nested", "b")), false, "no half-written b folder");
  const m = JSON.parse(fs.readFileSync(path.join(run, "manifest.json"), "utf8"));
  assert.equal(m.stages.a.state, "ran");
  assert.equal(m.stages.b.fingerprint, null);
  assert.match(m.outputs["a/a.txt"], /^[0-9a-f]{64}$/);
  assert.equal(
    Object.keys(m.outputs).some((f) => f.includes("half.txt")),
    false,
    "partial files are not outputs",
  );

  calls.length = 0;
  await go(run, calls);
  assert.deepEqual(calls, ["b"], "the rerun keeps a and redoes b from scratch");
  assert.equal(fs.existsSync(path.join(run, "nested/b/half.txt")), true);
  assert.equal(fs.existsSync(path.join(run, ".partial")), false);
});

test("--only a stage whose input stage has not run is refused before the run folder is made", async () => {
  const run = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "molab-runner-")), "run");
  const calls: string[] = [];
  const only = (names: string[]) =>
    runPipeline({ run, config: loadConfig(), command: "test", log: () => {}, stages: stages(calls), only: names });
  await assert.rejects(only(["b"]), /--only b needs stage a/);
  assert.equal(fs.existsSync(run), false);
  await only(["a", "b"]);
  assert.deepEqual(calls, ["a", "b"]);
  calls.length = 0;
  const c = loadConfig();
  c.data.af = 10;
  await runPipeline({ run, config: c, command: "test", log: () => {}, stages: stages(calls), only: ["b"] });
  assert.deepEqual(calls, [], "a is finished but outside --only, so it is not redone and b's inputs are unchanged");
});

test("a stage whose folder depends on the config: written there, skipped when unchanged, read by later stages", async () => {
  // Mutation caught: readRecord / dirOf using a function-valued dir as a path (the stage would rerun every time).
  const run = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "molab-runner-")), "run");
  const calls: string[] = [];
  const st: Stage[] = [
    {
      name: "org",
      dir: (c) => `organisms/em-${c.em.set}`,
      version: 1,
      after: [],
      keys: [],
      settings: (c) => c.em.set,
      async run(ctx) {
        calls.push("org");
        fs.writeFileSync(path.join(ctx.out, "adapter.txt"), ctx.config.em.set);
        return { line: "org", summary: {} };
      },
    },
    {
      name: "use",
      dir: "use",
      version: 1,
      after: ["org"],
      keys: [],
      settings: () => ({}),
      async run(ctx) {
        calls.push("use");
        fs.copyFileSync(path.join(ctx.dirOf("org"), "adapter.txt"), path.join(ctx.out, "read.txt"));
        return { line: "use", summary: {} };
      },
    },
  ];
  const go2 = (c: PipelineConfig) => runPipeline({ run, config: c, command: "test", log: () => {}, stages: st });
  const c = loadConfig();
  await go2(c);
  assert.equal(fs.readFileSync(path.join(run, `organisms/em-${c.em.set}/adapter.txt`), "utf8"), c.em.set);
  assert.equal(fs.readFileSync(path.join(run, "use/read.txt"), "utf8"), c.em.set);
  calls.length = 0;
  assert.deepEqual((await go2(c)).states, { org: "unchanged", use: "unchanged" });
  assert.deepEqual(calls, []);
});
