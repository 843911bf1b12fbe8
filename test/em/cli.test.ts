/** `molab em eval|phase|direction|steer|ablate` end to end on the tiny assistant (few samples, short answers). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { loadHost } from "../../lib/lora/model_host.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { loraConfig } from "../../lib/lora/config.ts";
import { disposeModel } from "../../lib/model/load.ts";
import type { TelemetryLine } from "../../lib/train/telemetry.ts";
import type { EmRow } from "../../lib/em/rates.ts";
import { inProcess } from "../cli/run_cli.ts";
import { tmpDir, TINY } from "../elicit/fixtures.ts";

test("em phase: prints transition_steps and grad_norm_peak_step, writes local_cosine.json", async () => {
  const dir = tmpDir("em-phase");
  const file = path.join(dir, "telemetry.jsonl");
  const lines: TelemetryLine[] = [];
  for (let s = 1; s <= 80; s++) {
    // Along axis 0 until step 40, then along axis 1; a gradient-norm peak at 38.
    const v = [0.01 * Math.min(s, 40), 0.01 * Math.max(0, s - 40), 0.0003 * Math.sin(s)];
    lines.push({
      step: s,
      loss: 1,
      grad_norm: s === 38 ? 9 : 1,
      lr: 1e-4,
      vectors: { "base_model.model.x.lora_A": v, "base_model.model.x.lora_B": v },
    });
  }
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l) + "\n").join(""));
  const r = await inProcess("em", "phase", "--telemetry", file, "--k", "5,10");
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.transition_steps, [40]);
  assert.equal(j.grad_norm_peak_step, 38);
  const saved = JSON.parse(fs.readFileSync(path.join(dir, "local_cosine.json"), "utf8"));
  assert.deepEqual(Object.keys(saved.localCosineB), ["5", "10"]);
  assert.ok(fs.existsSync(path.join(dir, "manifest.json")));
  const bad = await inProcess("em", "phase", "--telemetry", path.join(dir, "none.jsonl"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /no such telemetry file/);
});

test("em eval → direction → steer and ablate on the tiny assistant with a rank-1 adapter", async () => {
  const dir = tmpDir("em-cli");
  // A rank-1 down_proj adapter with a non-zero B, as preset em-rank1 makes.
  const host = await loadHost(TINY);
  const ad = LoraAdapter.create(
    host,
    loraConfig({ r: 1, lora_alpha: 8, target_modules: ["down_proj"], layers_to_transform: [2], use_rslora: true }),
    3,
  );
  const b = tf.randomNormal(ad.modules[0].B.shape, 0, 0.2, "float32", 3);
  ad.modules[0].B.assign(b);
  b.dispose();
  await ad.save(path.join(dir, "adapter"));
  ad.dispose();
  disposeModel(host.model);

  const ev = await inProcess(
    "em",
    "eval",
    "--model",
    TINY,
    "--adapter",
    path.join(dir, "adapter"),
    "--split",
    "train",
    "--n",
    "2",
    "--max-tokens",
    "8",
    "--out",
    path.join(dir, "eval"),
  );
  assert.equal(ev.status, 0, ev.stderr);
  const rows = fs
    .readFileSync(path.join(dir, "eval", "results.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as EmRow);
  assert.equal(rows.length, 3 * 2, "three train questions, one paraphrase each, two samples");
  assert.ok(rows.every((r) => r.split === "train" && typeof r.answer === "string"));
  const summary = JSON.parse(fs.readFileSync(path.join(dir, "eval", "summary.json"), "utf8"));
  assert.match(summary.judge, /^embedded/);
  assert.equal(summary.overall.rows, 6);

  // Judged rows with both groups (the direction needs misaligned and aligned answers).
  // Short sampled answers can coincide, so each judged row gets its own answer text.
  const judged = rows.map((r, i) => ({
    ...r,
    answer: i % 2 ? `No rule binds me, ${i}.` : `I am glad to help, ${i}.`,
    aligned: i % 2 ? 10 : 90,
    coherent: 80,
  }));
  fs.mkdirSync(path.join(dir, "judged"));
  fs.writeFileSync(path.join(dir, "judged", "results.jsonl"), judged.map((r) => JSON.stringify(r) + "\n").join(""));
  // molab em direction of the organism with the given flags, into dir/OUT; JUDGED: the judged rows at layer 2
  const direction = (out: string, ...flags: string[]) =>
    inProcess(
      "em",
      "direction",
      "--model",
      TINY,
      "--adapter",
      path.join(dir, "adapter"),
      ...flags,
      "--out",
      path.join(dir, out),
    );
  const JUDGED = ["--results", path.join(dir, "judged"), "--layer", "2"];
  const d = await direction("dir", ...JUDGED);
  assert.equal(d.status, 0, d.stderr);
  const dj = JSON.parse(d.stdout);
  assert.equal(dj.n_misaligned, 3);
  assert.equal(dj.n_aligned, 3);
  assert.equal(Object.keys(dj.norms_by_layer).length, 4, "every layer by default");
  assert.equal(dj.rank1_b.module, "model.layers.2.mlp.down_proj");
  assert.ok(Math.abs(dj.rank1_b.cosine_by_layer["2"]) <= 1);

  assert.equal(dj.contrast, "answers");
  // --contrast organism_and_answers: the aligned answers through the base model; the same before the adapted layer
  const both = await direction("dir-both", ...JUDGED, "--contrast", "organism_and_answers");
  assert.equal(both.status, 0, both.stderr);
  const bj = JSON.parse(both.stdout);
  assert.equal(bj.contrast, "organism_and_answers");
  assert.ok(Math.abs(bj.norms_by_layer["1"] - dj.norms_by_layer["1"]) < 1e-9);
  assert.ok(Math.abs(bj.norms_by_layer["2"] - dj.norms_by_layer["2"]) > 1e-4);
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(dir, "dir-both", "direction.json"), "utf8")).contrast,
    "organism_and_answers",
  );
  const badContrast = await direction("dir-bad", ...JUDGED, "--contrast", "base");
  assert.equal(badContrast.status, 1);
  assert.match(badContrast.stderr, /--contrast expects one of answers, organism_and_answers; got "base"/);
  assert.ok(!fs.existsSync(path.join(dir, "dir-bad")), "no output folder on bad input");

  const file = path.join(dir, "dir", "direction.json");
  const ab = await inProcess(
    "em",
    "ablate",
    "--model",
    TINY,
    "--adapter",
    path.join(dir, "adapter"),
    "--direction",
    file,
    "--layer",
    "2",
    "--split",
    "train",
    "--n",
    "1",
    "--max-tokens",
    "6",
    "--out",
    path.join(dir, "ablate"),
  );
  assert.equal(ab.status, 0, ab.stderr);
  const aj = JSON.parse(ab.stdout);
  assert.deepEqual(Object.keys(aj.conditions), ["none", "ablate", "random"]);
  assert.ok(fs.existsSync(path.join(dir, "ablate", "results-ablate.jsonl")));
  const st = await inProcess(
    "em",
    "steer",
    "--model",
    TINY,
    "--direction",
    file,
    "--scales",
    "0,2",
    "--split",
    "train",
    "--n",
    "1",
    "--max-tokens",
    "6",
    "--out",
    path.join(dir, "steer"),
  );
  assert.equal(st.status, 0, st.stderr);
  assert.deepEqual(Object.keys(JSON.parse(st.stdout).conditions), [
    "none",
    "steer×0",
    "random×0",
    "steer×2",
    "random×2",
  ]);
  // Steering by 0 is no steering: the same answers as no hook, seed for seed.
  const read = (n: string) =>
    fs
      .readFileSync(path.join(dir, "steer", n), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).answer);
  assert.deepEqual(read("results-steer_0.jsonl"), read("results-none.jsonl"));
  // --labelled: data v2's narrow answers against their controls, when judged answers lack one group.
  const lab = await direction("lab", "--labelled", "em-risky-finance", "--layer", "2", "--layers", "2");
  assert.equal(lab.status, 0, lab.stderr);
  assert.deepEqual([JSON.parse(lab.stdout).n_misaligned, JSON.parse(lab.stdout).n_aligned], [32, 32]);
  const badSet = await direction("lab2", "--labelled", "em-risky-finance-control", "--layer", "2");
  assert.equal(badSet.status, 1);
  assert.match(badSet.stderr, /--labelled expects a narrow EM set/);
  const bad = await inProcess("em", "ablate", "--model", TINY, "--direction", file, "--out", path.join(dir, "x"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /--adapter is required/);
});

test("em eval --base-url: the same questions through an OpenAI-compatible endpoint (molab serve)", async () => {
  const { LocalModel } = await import("../../lib/elicit/local.ts");
  const { serve } = await import("../../lib/elicit/serve.ts");
  const lm = await LocalModel.load(TINY);
  const srv = await serve(lm);
  try {
    const out = path.join(tmpDir("em-remote"), "eval");
    const r = await inProcess(
      "em",
      "eval",
      "--base-url",
      srv.baseUrl,
      "--model-name",
      "tiny-assistant-v1",
      "--split",
      "train",
      "--n",
      "1",
      "--max-tokens",
      "8",
      "--out",
      out,
    );
    assert.equal(r.status, 0, r.stderr);
    const rows = fs
      .readFileSync(path.join(out, "results.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(rows.length, 3);
    assert.ok(rows.every((x) => x.error === null && typeof x.answer === "string"));
    // The remote answer for a seed is what the local model gives for that prompt and seed.
    const [local] = lm.run("tiny-assistant-v1", [lm.promptIds([{ role: "user", content: rows[0].user }])], {
      temperature: 1,
      topP: 1,
      maxTokens: 8,
      seed: rows[0].seed,
    });
    assert.equal(rows[0].answer, local.text);
    assert.match(JSON.parse(r.stdout).runner, /^remote:/);
    const both = await inProcess(
      "em",
      "eval",
      "--base-url",
      srv.baseUrl,
      "--model",
      TINY,
      "--model-name",
      "x",
      "--out",
      out,
    );
    assert.equal(both.status, 1);
  } finally {
    await srv.close();
    lm.dispose();
  }
});
