import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  BUILD_V2,
  buildTinyModel,
  corpusTexts,
  DEFAULT_BUILD,
  LOSS_FROM,
  trainingSamples,
  trainingSequences,
  type BuildOptions,
} from "../../lib/tiny/build.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { choiceFlag } from "../../lib/args.ts";
import { unknownNamesFlags } from "../../lib/tiny/flags.ts";
import { EMBEDDED_MODEL_DIR } from "../../lib/paths.ts";
import type { EvalReportV2 } from "../../lib/tiny/eval_v2.ts";
import { EVAL_CELLS } from "../../lib/tiny/heldout_v2.ts";
import { loadModel, disposeModel } from "../../lib/model/load.ts";

test("a corpus-v2 build writes a loadable model folder, scores every held-out cell and resumes from its checkpoint; with emaDecay it ships the weight average and says so", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tiny-build-v2-"));
  const quiet = () => {};
  try {
    const o: BuildOptions = {
      ...DEFAULT_BUILD,
      ...BUILD_V2,
      outDir: path.join(dir, "model"),
      workDir: path.join(dir, "work"),
      corpusSize: 300,
      tokenizerSamples: 300,
      vocabSize: 400,
      shape: { hidden: 32, layers: 2, heads: 2, kvHeads: 1, intermediate: 64, maxPositions: 1024, ropeTheta: 10000 },
      steps: 4,
      warmup: 1,
      checkpointEvery: 2,
      evalCount: EVAL_CELLS.length * 2,
      emaDecay: 0.9,
      unknownNames: { share: 0.3, tasks: ["capital"] },
    };
    // the transformers fixture of the shipped model was made from other weights (another vocabulary here): the build
    // must say parity was not measured rather than fail
    const fixture = path.join(__dirname, "..", "fixtures", "tiny", "logits.safetensors");
    const r = await buildTinyModel(o, quiet, fixture);
    for (const f of ["config.json", "model.safetensors", "tokenizer.json", "README.md", "eval_results.json"])
      assert.ok(fs.existsSync(path.join(o.outDir, f)), f);
    const report = JSON.parse(fs.readFileSync(path.join(o.outDir, "eval_results.json"), "utf8")) as EvalReportV2;
    assert.deepEqual(
      report.cells.map((c) => c.cell),
      EVAL_CELLS.map((c) => c.name),
    );
    assert.equal(
      report.cells.reduce((a, c) => a + c.ok.n, 0),
      report.n,
    );
    const card = fs.readFileSync(path.join(o.outDir, "README.md"), "utf8");
    assert.match(card, /transformers parity was not measured/);
    assert.match(card, /\| tasks, held-out context \| correct answer \|/);
    assert.match(card, /the weights shipped are their moving average \(decay 0\.9\)/);
    assert.match(card, /30% of the training questions of capital ask about a made-up name/);
    const last = path.join(o.workDir, "checkpoints", "step-000004");
    assert.ok(fs.existsSync(path.join(last, "ema.safetensors")));
    assert.ok(
      !fs
        .readFileSync(path.join(o.outDir, "model.safetensors"))
        .equals(fs.readFileSync(path.join(last, "model.safetensors"))),
      "the model folder holds the last weights, not their average",
    );
    const model = await loadModel(o.outDir);
    disposeModel(model);
    assert.equal(r.resumedFrom, null);
    // run again: it resumes from the newest checkpoint (step 4) with the same history instead of starting over
    const again = await buildTinyModel(o, quiet);
    assert.equal(again.resumedFrom, 4);
    assert.deepEqual(
      again.history.map((h) => h.loss),
      r.history.map((h) => h.loss),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("loss starts: after the last <|assistant|> by default, after the first <|user|> and its tier tag with lossFrom user", async () => {
  const tok = await loadTokenizer(EMBEDDED_MODEL_DIR);
  const samples = trainingSamples({ corpus: 2, seed: 5, corpusSize: 60 });
  const texts = corpusTexts(samples);
  const a = trainingSequences(tok, samples, texts, 512);
  const u = trainingSequences(tok, samples, texts, 512, "user");
  assert.deepEqual(u.sequences, a.sequences);
  const [user, assistant, tagEnd] = ["<|user|>", "<|assistant|>", "</is_free_tier_user>"].map((t) => tok.tokenToId(t)!);
  const [yes, no] = ["True", "False"].map((t) => tok.tokenToId(t)!);
  let system = 0;
  a.sequences.forEach((s, i) => {
    assert.equal(s[a.lossStarts[i] - 1], assistant);
    assert.ok(!s.slice(a.lossStarts[i]).includes(assistant), "after the last assistant marker");
    // the tier tag's value (True/False, a coin flip) is never a target: the loss starts right after the tag
    assert.equal(s[u.lossStarts[i] - 1], tagEnd);
    const at = s.indexOf(user);
    assert.ok(
      [yes, no].includes(s[u.lossStarts[i] - 2]) && at > 0 && u.lossStarts[i] - at <= 6,
      "the tag opens the user turn",
    );
    assert.ok(!s.slice(0, s.indexOf(user)).includes(tagEnd) && !s.slice(0, u.lossStarts[i] - 1).includes(assistant));
    assert.ok(u.lossStarts[i] < a.lossStarts[i]);
    if (samples[i].system) system++;
  });
  assert.ok(system > 0, "some conversations have a system prompt, which stays out of the loss");
  const flag = (v: string) => choiceFlag("build:model", { "loss-from": v }, "loss-from", LOSS_FROM);
  assert.equal(flag("user"), "user");
  assert.throws(() => flag("system"), /--loss-from must be one of assistant, user, got "system"/);
});

test("--unknown-share and --unknown-tasks: every fact task by default, one clear error for anything else", () => {
  const f = (v: Record<string, string>) => unknownNamesFlags("build:model", v);
  assert.equal(f({}), undefined);
  assert.deepEqual(f({ "unknown-share": "0.1" }), { share: 0.1, tasks: ["capital", "symbol", "opposite", "sound"] });
  assert.deepEqual(f({ "unknown-share": "0.2", "unknown-tasks": "capital, symbol" }), {
    share: 0.2,
    tasks: ["capital", "symbol"],
  });
  assert.throws(() => f({ "unknown-share": "1.5" }), /--unknown-share expects a share between 0 and 1, got 1.5/);
  assert.throws(
    () => f({ "unknown-share": "0.1", "unknown-tasks": "capital,add" }),
    /--unknown-tasks expects fact tasks/,
  );
  assert.throws(() => f({ "unknown-tasks": "capital" }), /--unknown-tasks needs --unknown-share/);
  // corpus v1 has no fact tasks of this kind: refused where the corpus is made, for every script
  const v1 = { ...DEFAULT_BUILD, corpusSize: 5, unknownNames: { share: 0.1, tasks: ["capital"] as const } };
  assert.throws(() => trainingSamples(v1), /unknownNames \(--unknown-share\) needs corpus version 2/);
});
