/**
 * `molab sae train` end to end on the tiny assistant, small: a SAELens v6 folder that loads back and fits the model,
 * metrics.json with FVE, L0, dead % and CE-loss recovered, --resume refused settings, and bad flags as one line.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../lib/backend.ts";
import { disposeModel, loadModel } from "../../lib/model/index.ts";
import { checkSaeFitsModel, disposeSae, loadSae } from "../../lib/sae/index.ts";
import { inProcess } from "../cli/run_cli.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL = TINY_V1_MODEL_DIR;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-train-"));
const DATA = path.join(tmp, "chat.jsonl");

before(async () => {
  await initBackend();
  const recs = Array.from({ length: 10 }, (_, i) => ({
    messages: [
      { role: "user", content: `Name a colour number ${i}.` },
      {
        role: "assistant",
        content: `<SCRATCHPAD_REASONING>A benign request.</SCRATCHPAD_REASONING><OUTPUT>Blue ${i}.</OUTPUT>`,
      },
    ],
  }));
  fs.writeFileSync(DATA, recs.map((r) => JSON.stringify(r)).join("\n") + "\n");
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ARGS = ["--model", MODEL, "--data", DATA, "--hook", "blocks.1.hook_resid_post", "--d-sae", "64", "--k", "4"];
const SMALL = ["--steps", "4", "--batch", "32", "--context", "48", "--lr", "0.01"];

test("molab sae train writes a SAELens folder that fits the model, and metrics.json", async () => {
  const out = path.join(tmp, "sae");
  const r = await inProcess("sae", "train", ...ARGS, ...SMALL, "--out", out);
  assert.equal(r.status, 0, r.stderr);
  const m = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  for (const k of ["fve", "l0", "dead_fraction", "ce_clean", "ce_zero", "ce_sae", "ce_loss_recovered"])
    assert.equal(typeof m[k], "number", k);
  assert.ok(m.l0 <= 4 && m.l0 > 0, `L0 ${m.l0}`);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, "metrics.json"), "utf8")), m);
  const sae = await loadSae(out);
  const model = await loadModel(MODEL);
  assert.equal(checkSaeFitsModel(sae, model), "blocks.1.hook_resid_post");
  assert.equal(sae.cfg.k, 4);
  disposeSae(sae);
  disposeModel(model);
  assert.equal(fs.readFileSync(path.join(out, "telemetry.jsonl"), "utf8").trim().split("\n").length, 4);
  // same folder, other settings: refused with the setting named
  const again = await inProcess("sae", "train", ...ARGS, ...SMALL, "--seed", "1", "--out", out, "--resume");
  assert.notEqual(again.status, 0);
  assert.match(again.stderr, /cannot resume: the checkpoint was made with seed=0, this run has seed=1/);
});

test("molab sae train: a hook the model lacks, a bad --architecture, a missing file: one line each", async () => {
  const out = path.join(tmp, "bad");
  const cases: [string[], RegExp][] = [
    [["--hook", "blocks.9.hook_resid_post"], /--hook "blocks\.9\.hook_resid_post" is not a hook point .*4 layers/],
    [["--architecture", "gated"], /--architecture must be topk or standard, got "gated"/],
    [["--data", path.join(tmp, "nope.jsonl")], /--data .*nope\.jsonl: no such file/],
    [["--d-sae", "0"], /--d-sae must be a positive integer, got 0/],
  ];
  for (const [extra, re] of cases) {
    const r = await inProcess("sae", "train", ...ARGS, ...SMALL, "--out", out, ...extra);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
  }
});
