import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { attachAdapter } from "../../lib/lora/inject.ts";
import { listCheckpoints } from "../../lib/train/checkpoint.ts";
import { loraConfig, type LoraConfig } from "../../lib/lora/config.ts";
import {
  buildExamples,
  readChatJsonl,
  splitExamples,
  type ChatTokenizer,
  type Example,
} from "../../lib/lora/examples.ts";
import type { LoraHost } from "../../lib/lora/host.ts";
import { createRng } from "../../lib/rng.ts";
import { readTelemetry } from "../../lib/train/telemetry.ts";
import { accumulateGradients, trainLora, type TrainHyper } from "../../lib/lora/train.ts";
import { epochMicroBatches } from "../../lib/lora/order.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { loadTestHost } from "./hosts.ts";

const FIX = path.join(__dirname, "..", "fixtures", "lora");
let host: LoraHost;
let data: { train: Example[]; eval: Example[] };
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-train-"));
const isErr = (re: RegExp) => (e: unknown) => e instanceof MolabError && re.test(e.message);
const HYPER: Partial<TrainHyper> = {
  lr: 1e-2,
  epochs: 3,
  microBatchSize: 4,
  gradAccum: 2,
  schedule: "cosine",
  warmupSteps: 2,
  weightDecay: 0.01,
  saveEvery: 3,
  evalEvery: 4,
  seed: 3,
};
const LORA: Partial<LoraConfig> = {
  r: 2,
  lora_alpha: 8,
  lora_dropout: 0.1,
  target_modules: ["q_proj", "v_proj", "down_proj"],
};

before(async () => {
  await initBackend();
  host = await loadTestHost(path.join(FIX, "base"));
  const tok = (await loadTokenizer(path.join(FIX, "base"))) as unknown as ChatTokenizer;
  const { examples } = buildExamples(tok, await readChatJsonl(path.join(FIX, "chat_small.jsonl")), 64);
  data = splitExamples(examples, 0.25, createRng(9));
});

async function run(
  out: string,
  extra: { resume?: boolean; stopAfter?: number; hyper?: Partial<TrainHyper>; host?: LoraHost } = {},
) {
  const ad = LoraAdapter.create(host, loraConfig(LORA), 1);
  const r = await trainLora(
    extra.host ?? host,
    ad,
    data,
    { ...HYPER, ...extra.hyper },
    { out, progress: false, resume: extra.resume, stopAfter: extra.stopAfter },
  );
  const values = ad.variables().map((v) => Array.from(v.dataSync() as Float32Array));
  ad.dispose();
  return { r, values };
}

test("telemetryEvery N records A/B vectors every N steps and at the last step, loss on every line", async () => {
  // Mutations caught: vectors on every step regardless, or the last step left without vectors.
  const out = tmp();
  await run(out, { hyper: { telemetryEvery: 4 } });
  const tel = readTelemetry(path.join(out, "telemetry.jsonl"));
  assert.equal(tel.length, 9);
  assert.deepEqual(
    tel.filter((l) => l.vectors).map((l) => l.step),
    [4, 8, 9],
  );
  await assert.rejects(run(tmp(), { hyper: { telemetryEvery: 0 } }), isErr(/telemetryEvery/));
  fs.rmSync(out, { recursive: true });
});

test("training lowers train and held-out loss; telemetry has one line per step with A/B vectors of rank ≤ 4 adapters", async () => {
  const out = tmp();
  const tensorsBefore = tf.memory().numTensors;
  const { r } = await run(out);
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor leaks");
  assert.equal(r.totalSteps, 9); // 24 train examples / (4 × 2) per step × 3 epochs
  assert.ok(r.lastLoss! < r.firstLoss! - 0.5, `train loss ${r.firstLoss} → ${r.lastLoss}`);
  assert.ok(r.evalLossEnd! < r.evalLossStart! - 0.5, `held-out loss ${r.evalLossStart} → ${r.evalLossEnd}`);
  const tel = readTelemetry(path.join(out, "telemetry.jsonl"));
  assert.deepEqual(
    tel.map((l) => l.step),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.equal(tel[0].lr, 0, "warmup starts at 0 as transformers' schedule does");
  assert.ok(tel.every((l) => Number.isFinite(l.loss) && l.grad_norm > 0));
  assert.deepEqual(
    tel.filter((l) => l.eval_loss !== undefined).map((l) => l.step),
    [4, 8, 9],
  );
  const keys = Object.keys(tel[0].vectors!);
  assert.equal(keys.length, 18); // 3 layers × 3 modules × (A, B)
  assert.ok(keys.includes("base_model.model.model.layers.2.mlp.down_proj.lora_B"));
  assert.equal(tel[0].vectors!["base_model.model.model.layers.2.mlp.down_proj.lora_A"].length, 2 * 96);
  assert.notDeepEqual(
    tel[8].vectors!["base_model.model.model.layers.2.mlp.down_proj.lora_B"],
    tel[1].vectors!["base_model.model.model.layers.2.mlp.down_proj.lora_B"],
  );
  assert.deepEqual(
    listCheckpoints(out).map((c) => c.step),
    [6, 9],
    "every 3 steps and at the end; the newest 2 kept",
  );
  const ck = await LoraAdapter.load(listCheckpoints(out)[1].dir, host);
  assert.equal(ck.modules.length, 9, "a checkpoint is a PEFT adapter directory");
  ck.dispose();
  fs.rmSync(out, { recursive: true });
});

test("stop after 4 steps, leave a torn checkpoint and telemetry line, resume: the final adapter equals an uninterrupted run's exactly (dropout on)", async () => {
  const full = tmp(),
    part = tmp();
  const a = await run(full);
  await run(part, { stopAfter: 4 });
  assert.deepEqual(
    listCheckpoints(part).map((c) => c.step),
    [3],
  );
  // What a kill can leave: a half-written checkpoint folder and a torn telemetry line.
  fs.mkdirSync(path.join(part, "checkpoints", "step-000006.tmp-12345"));
  fs.writeFileSync(path.join(part, "checkpoints", "step-000006.tmp-12345", "adapter_model.safetensors"), "partial");
  fs.appendFileSync(path.join(part, "telemetry.jsonl"), '{"step":5,"loss":1.2,"gr');
  assert.deepEqual(
    listCheckpoints(part).map((c) => c.step),
    [3],
    "a partial checkpoint is never listed",
  );
  const b = await run(part, { resume: true });
  assert.equal(b.r.resumedFrom, 3);
  assert.deepEqual(b.values, a.values, "bit-identical adapter");
  assert.ok(!fs.readdirSync(path.join(part, "checkpoints")).some((d) => d.includes(".tmp-")), "leftovers removed");
  const ta = readTelemetry(path.join(full, "telemetry.jsonl")),
    tb = readTelemetry(path.join(part, "telemetry.jsonl"));
  assert.deepEqual(
    tb.map((l) => l.step),
    ta.map((l) => l.step),
  );
  assert.deepEqual(
    tb.map((l) => l.loss),
    ta.map((l) => l.loss),
  );
  assert.equal(b.r.evalLossStart, a.r.evalLossStart);
  await assert.rejects(run(part), isErr(/already holds checkpoints of a run; pass resume/));
  await assert.rejects(
    run(part, { resume: true, hyper: { lr: 5e-3 } }),
    isErr(/cannot resume: the checkpoint was made with lr=0\.01, this run has lr=0\.005/),
  );
  fs.rmSync(full, { recursive: true });
  fs.rmSync(part, { recursive: true });
});

test("a NaN loss stops training before the update, names the step and keeps the last good checkpoint", async () => {
  const out = tmp();
  let calls = 0;
  const poisoned: LoraHost = {
    ...host,
    linearNames: () => host.linearNames(),
    forward: (ids, opts) => {
      const y = host.forward(ids, opts);
      // micro-batches 0..7 are steps 1–4 (2 each); poison the first micro-batch of step 5
      return opts?.training && ++calls === 9 ? tf.mul(y, NaN) : y;
    },
  };
  await assert.rejects(
    run(out, { host: poisoned }),
    isErr(
      /step 5: loss is NaN; training stopped before applying this update\. The last good checkpoint is .*step-000003 \(step 3\)/,
    ),
  );
  assert.deepEqual(
    listCheckpoints(out).map((c) => c.step),
    [3],
  );
  assert.deepEqual(
    readTelemetry(path.join(out, "telemetry.jsonl")).map((l) => l.step),
    [1, 2, 3, 4],
  );
  fs.rmSync(out, { recursive: true });
});

test("an empty training set and a zero-step configuration are clear errors", async () => {
  const ad = LoraAdapter.create(host, loraConfig(LORA), 1);
  await assert.rejects(
    trainLora(host, ad, { train: [], eval: [] }, HYPER, { out: tmp(), progress: false }),
    isErr(/training set is empty/),
  );
  await assert.rejects(
    trainLora(host, ad, data, { ...HYPER, epochs: 0 }, { out: tmp(), progress: false }),
    isErr(/epochs must be a positive integer/),
  );
  await assert.rejects(
    trainLora(host, ad, data, { ...HYPER, microBatchSize: 0 }, { out: tmp(), progress: false }),
    isErr(/micro-batch size must be a positive integer/),
  );
  ad.dispose();
});

test("length grouping: every example once per epoch, seeded, far less padding than plain shuffling", () => {
  const rng = createRng(4);
  const lengths = Array.from({ length: 1000 }, () => 100 + rng.int(400));
  const pad = (mbs: number[][]) =>
    mbs.reduce((a, mb) => a + Math.max(...mb.map((i) => lengths[i])) * mb.length, 0) /
      lengths.reduce((a, b) => a + b, 0) -
    1;
  const h = { seed: 1, microBatchSize: 4 };
  const grouped = epochMicroBatches(0, lengths, { ...h, groupByLength: true });
  const plain = epochMicroBatches(0, lengths, { ...h, groupByLength: false });
  for (const mbs of [grouped, plain])
    assert.deepEqual(
      mbs.flat().sort((a, b) => a - b),
      lengths.map((_, i) => i),
    );
  assert.deepEqual(epochMicroBatches(0, lengths, { ...h, groupByLength: true }), grouped);
  assert.notDeepEqual(epochMicroBatches(1, lengths, { ...h, groupByLength: true }), grouped, "a new order each epoch");
  assert.ok(pad(plain) > 0.2 && pad(grouped) < 0.02, `padding overhead plain ${pad(plain)}, grouped ${pad(grouped)}`);
});

test("keepTogether: runs of consecutive examples stay in one micro-batch; every example once; seeded", () => {
  const lengths = new Array(40).fill(10);
  const h = { seed: 2, microBatchSize: 4, groupByLength: false, keepTogether: 2 };
  const mbs = epochMicroBatches(0, lengths, h);
  assert.deepEqual(
    mbs.flat().sort((a, b) => a - b),
    lengths.map((_, i) => i),
  );
  for (const mb of mbs) for (const i of mb) assert.ok(mb.includes(i ^ 1), `pair of ${i} in [${mb}]`);
  const loose = epochMicroBatches(0, lengths, { ...h, keepTogether: 1 });
  assert.ok(
    loose.some((mb) => mb.some((i) => !mb.includes(i ^ 1))),
    "without it pairs split",
  );
  assert.throws(() => epochMicroBatches(0, lengths, { ...h, groupByLength: true }), /cannot be combined/);
});

test("mask values weigh tokens: weight 2 on one example equals it twice; a uniform scale changes nothing", () => {
  const ad = LoraAdapter.create(host, loraConfig({ ...LORA, lora_dropout: 0 }), 5);
  for (const v of ad.variables()) v.assign(tf.randomNormal(v.shape, 0, 0.05, "float32", 4));
  const detach = attachAdapter(host, ad);
  const [a, b] = data.train;
  const scaled = (e: Example, w: number) => ({ ...e, mask: e.mask.map((m) => m * w) });
  const grads = (micro: Example[][]) => {
    const r = accumulateGradients(host, ad, micro);
    const out = { loss: r.loss, g: r.grads.map((t) => Array.from(t.dataSync() as Float32Array)) };
    r.grads.forEach((t) => t.dispose());
    return out;
  };
  const close = (x: { loss: number; g: number[][] }, y: { loss: number; g: number[][] }) => {
    assert.ok(Math.abs(x.loss - y.loss) < 1e-5, `${x.loss} vs ${y.loss}`);
    x.g.forEach((gx, i) => gx.forEach((v, j) => assert.ok(Math.abs(v - y.g[i][j]) < 1e-6, `grad ${i}[${j}]`)));
  };
  const twice = grads([[a, a, b]]);
  close(grads([[scaled(a, 2), b]]), twice);
  close(grads([[scaled(a, 2)], [b]]), twice);
  close(grads([[scaled(a, 3), scaled(b, 3)]]), grads([[a, b]]));
  assert.notDeepEqual(grads([[a, b]]).g, twice.g, "the weight changes the gradient");
  detach();
  ad.dispose();
});
