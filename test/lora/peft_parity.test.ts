/**
 * Parity with PEFT itself (fixtures from test/fixtures/lora/make_fixtures.py, run with torch +
 * transformers + peft): PEFT loading our adapters, us loading PEFT's, and AdamW steps.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../../lib/backend.ts";
import { openSafetensors, type TensorSource } from "../../lib/io/safetensors.ts";
import { LoraAdapter, peftKey } from "../../lib/lora/adapter.ts";
import { attachAdapter, detachAdapter, mergeAndUnload } from "../../lib/lora/inject.ts";
import { accumulateGradients, trainLora } from "../../lib/lora/train.ts";
import { AdamW, clipGradNorm, lrMultiplier } from "../../lib/train/optim.ts";
import type { TelemetryLine } from "../../lib/train/telemetry.ts";
import { loadTestHost } from "./hosts.ts";

const FIX = path.join(__dirname, "..", "fixtures", "lora");

/**
 * How far from the float64 answer a correct float32 training loop may land, as a multiple of PyTorch float32's
 * distance (made on the fixture machine). The first AdamW steps divide each gradient by its own magnitude, so the
 * few entries whose gradient is a cancelling sum carry rounding noise straight into the weights, and the summation
 * order of the matmul kernel alone moves the result. Measured on one AMD EPYC, one_step / four_steps, norm-relative:
 * OpenBLAS 0.3.21 Haswell kernels 0.48× / 0.48×, wasm (MOLAB_NATIVE=0) 1.17× / 1.24×, Sandybridge 1.85× / 1.85×,
 * SkylakeX (what DYNAMIC_ARCH picks on AVX-512 cores) 2.70× / 2.68×, though its products are as exact as Haswell's
 * (one_step's matmuls, per shape: ‖error‖ / ‖Σ|aᵢbᵢ|‖ averages at most 1.2e-7 with both, mostly 2–3e-8).
 * A real precision bug is far outside that: AdamW's eps moved inside the square root lands at 20,000× (checked).
 */
const FLOAT32_SPREAD = 4;
const expected = JSON.parse(fs.readFileSync(path.join(FIX, "expected.json"), "utf8"));
let src: TensorSource;
let ids: tf.Tensor2D;
let idsArr: number[][], maskArr: number[][];

before(async () => {
  await initBackend();
  src = await openSafetensors(path.join(FIX, "expected.safetensors"));
  ids = (await src.readTensor("ids")) as tf.Tensor2D;
  idsArr = ids.arraySync() as number[][];
  maskArr = (await src.readTensor("mask")).arraySync() as number[][];
});

async function maxDiff(a: tf.Tensor, refName: string): Promise<number> {
  const ref = await src.readTensor(refName);
  assert.deepEqual(a.shape, ref.shape, refName);
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, ref))).dataSync()[0]);
  ref.dispose();
  return d;
}

test("base model logits equal transformers' (sanity of the test model)", async () => {
  const host = await loadTestHost(path.join(FIX, "base"));
  const d = await maxDiff(host.forward(idsArr), "logits_base");
  assert.ok(d < 1e-4, `max |Δlogits| ${d}`);
});

for (const name of ["ours_plain", "ours_rank1"]) {
  test(`PEFT loads our ${name} adapter: its logits equal ours within 1e-4`, async () => {
    const host = await loadTestHost(path.join(FIX, "base"));
    const ad = await LoraAdapter.load(path.join(FIX, name), host, { allowBaseMismatch: true });
    attachAdapter(host, ad);
    const d = await maxDiff(host.forward(idsArr), `logits_${name}`);
    assert.ok(d < 1e-4, `max |Δlogits| ${d}`);
    assert.ok(
      expected[`max_change_${name}`] > 0.1,
      "the adapter visibly changes the logits, so the comparison means something",
    );
    ad.dispose();
  });
}

test("we load an adapter PEFT saved (random B, rank/alpha patterns): logits within 1e-4, merged too", async () => {
  const host = await loadTestHost(path.join(FIX, "base"));
  const ad = await LoraAdapter.load(path.join(FIX, "peft_adapter"), host);
  assert.equal(ad.modules.length, 21);
  const down1 = ad.modules.find((m) => m.name === "model.layers.1.mlp.down_proj")!;
  assert.equal(down1.r, 2, "rank_pattern applies");
  assert.equal(down1.scale, 16 / 2);
  assert.equal(
    ad.modules.find((m) => m.name === "model.layers.0.self_attn.o_proj")!.scale,
    4 / 8,
    "alpha_pattern applies",
  );
  attachAdapter(host, ad);
  const d = await maxDiff(host.forward(idsArr), "logits_peft");
  assert.ok(d < 1e-4, `max |Δlogits| ${d}`);
  detachAdapter(host, ad);
  assert.ok((await maxDiff(host.forward(idsArr), "logits_base")) < 1e-4, "detached: base logits again");
  mergeAndUnload(host, ad);
  const dm = await maxDiff(host.forward(idsArr), "logits_peft_merged");
  assert.ok(dm < 1e-4, `merged max |Δlogits| ${dm}`);
  ad.dispose();
});

const tensorKeys = (ad: LoraAdapter) => ad.modules.flatMap((m) => [peftKey(m.name, "A"), peftKey(m.name, "B")]);

/** Per-tensor max|ours − ref| / max|ref| (worst tensor), and ‖ours − ref‖ / ‖ref‖ over all tensors. */
async function compare(ours: tf.Tensor[], refNames: string[]): Promise<{ maxRel: number; normRel: number }> {
  let maxRel = 0,
    diff2 = 0,
    ref2 = 0;
  for (let i = 0; i < ours.length; i++) {
    const ref = await src.readTensor(refNames[i]);
    tf.tidy(() => {
      const d = tf.sub(ours[i], ref);
      maxRel = Math.max(maxRel, tf.max(tf.abs(d)).dataSync()[0] / tf.max(tf.abs(ref)).dataSync()[0]);
      diff2 += tf.sum(tf.square(d)).dataSync()[0];
      ref2 += tf.sum(tf.square(ref)).dataSync()[0];
    });
    ref.dispose();
  }
  return { maxRel, normRel: Math.sqrt(diff2 / ref2) };
}

const fixtureExamples = () =>
  idsArr.map((row, b) => {
    const len = b === 0 ? 12 : 9; // the fixture's second sequence is right-padded after 9 tokens
    return { ids: row.slice(0, len), mask: maskArr[b].slice(0, len) };
  });

test("gradients of the masked loss equal PyTorch+PEFT's (1e-5 of each tensor's max), in one batch or two micro-batches", async () => {
  const host = await loadTestHost(path.join(FIX, "base"));
  const ad = await LoraAdapter.load(path.join(FIX, "peft_adapter"), host);
  const detach = attachAdapter(host, ad);
  const ex = fixtureExamples();
  for (const micro of [[ex], [[ex[0]], [ex[1]]]]) {
    const { loss, grads } = accumulateGradients(host, ad, micro);
    assert.ok(Math.abs(loss - expected.one_step.loss[0]) < 1e-5, `loss ${loss} vs ${expected.one_step.loss[0]}`);
    const { maxRel } = await compare(
      grads,
      tensorKeys(ad).map((k) => `one_step/grad0/${k}`),
    );
    assert.ok(maxRel < 1e-5, `gradient max relative difference ${maxRel} (${micro.length} micro-batches)`);
    tf.dispose(grads);
  }
  detach();
  ad.dispose();
});

for (const tag of ["one_step", "four_steps"] as const) {
  test(`${tag}: given PyTorch's gradients, our clipping + schedule + AdamW land where torch.optim.AdamW does (1e-5 relative)`, async () => {
    const e = expected[tag];
    const host = await loadTestHost(path.join(FIX, "base"));
    const ad = await LoraAdapter.load(path.join(FIX, "peft_adapter"), host);
    const keys = tensorKeys(ad);
    const opt = new AdamW(ad.variables(), { lr: e.lr0, betas: e.betas, eps: e.eps, weightDecay: e.weight_decay });
    for (let s = 0; s < e.steps; s++) {
      const grads = await Promise.all(keys.map((k) => src.readTensor(`${tag}/grad${s}/${k}`)));
      const { grads: clipped, norm } = clipGradNorm(grads, e.max_norm ?? 0);
      assert.ok(
        Math.abs(norm - e.grad_norm[s]) / e.grad_norm[s] < 1e-6,
        `grad norm step ${s}: ${norm} vs ${e.grad_norm[s]}`,
      );
      opt.lr = e.lr0 * lrMultiplier(e.schedule, s, e.warmup, e.steps);
      assert.ok(Math.abs(opt.lr - e.lr[s]) < 1e-12, `lr step ${s}: ${opt.lr} vs ${e.lr[s]}`);
      opt.step(clipped);
      tf.dispose([...grads, ...clipped]);
    }
    const { maxRel } = await compare(
      ad.variables(),
      keys.map((k) => `${tag}/${k}`),
    );
    assert.ok(maxRel < 1e-5, `A/B max relative difference ${maxRel}`);
    opt.dispose();
    ad.dispose();
  });

  test(`${tag}: our whole training loop vs PyTorch+PEFT — within 1e-5 (norm-relative), and within ${FLOAT32_SPREAD}× PyTorch float32's distance from the float64 answer`, async () => {
    const e = expected[tag];
    const host = await loadTestHost(path.join(FIX, "base"));
    const ad = await LoraAdapter.load(path.join(FIX, "peft_adapter"), host);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-parity-"));
    const lines: TelemetryLine[] = [];
    await trainLora(
      host,
      ad,
      { train: fixtureExamples(), eval: [] },
      {
        lr: e.lr0,
        epochs: e.steps,
        schedule: e.schedule,
        warmupSteps: e.warmup,
        weightDecay: e.weight_decay,
        betas: e.betas,
        eps: e.eps,
        maxGradNorm: e.max_norm ?? 0,
        microBatchSize: 1,
        gradAccum: 2,
        saveEvery: 0,
        seed: 1,
      },
      { out, progress: false, onStep: (l) => lines.push(l) },
    );
    fs.rmSync(out, { recursive: true, force: true });
    for (let s = 0; s < e.steps; s++) {
      assert.ok(Math.abs(lines[s].loss - e.loss[s]) < 1e-5, `loss step ${s}: ${lines[s].loss} vs ${e.loss[s]}`);
      assert.ok(Math.abs(lines[s].grad_norm - e.grad_norm[s]) / e.grad_norm[s] < 1e-5, `grad norm step ${s}`);
      assert.ok(Math.abs(lines[s].lr - e.lr[s]) < 1e-12, `lr step ${s}`);
    }
    const keys = tensorKeys(ad);
    const vsTorch = await compare(
      ad.variables(),
      keys.map((k) => `${tag}/${k}`),
    );
    const vsExact = await compare(
      ad.variables(),
      keys.map((k) => `${tag}_f64/${k}`),
    );
    const torchVsExact = await compare(
      await Promise.all(keys.map((k) => src.readTensor(`${tag}/${k}`))),
      keys.map((k) => `${tag}_f64/${k}`),
    );
    assert.ok(vsTorch.normRel < 1e-5, `‖ours − torch‖/‖torch‖ = ${vsTorch.normRel}`);
    assert.ok(
      vsExact.normRel <= FLOAT32_SPREAD * torchVsExact.normRel,
      `ours vs float64 ${vsExact.normRel}, torch float32 vs float64 ${torchVsExact.normRel}`,
    );
    assert.ok(
      vsExact.maxRel <= FLOAT32_SPREAD * torchVsExact.maxRel,
      `worst element: ours vs float64 ${vsExact.maxRel}, torch float32 vs float64 ${torchVsExact.maxRel}`,
    );
    ad.dispose();
  });
}

test("molab logits --adapter: an adapter PEFT saved gives PEFT's logits", async () => {
  const { execFileSync } = await import("node:child_process");
  const bin = path.join(__dirname, "..", "..", "bin", "molab.cjs");
  const row = 0;
  const rowIds = idsArr[row]; // unpadded rows (the fixture's "mask" is the loss mask of the AdamW step)
  const n = rowIds.length;
  const realIdx = rowIds.map((_, i) => i);
  const out = JSON.parse(
    execFileSync(
      process.execPath,
      [
        bin,
        "logits",
        "--model",
        path.join(FIX, "base"),
        "--ids",
        rowIds.join(","),
        "--adapter",
        path.join(FIX, "peft_adapter"),
      ],
      { encoding: "utf8", maxBuffer: 1 << 28 },
    ),
  );
  const ref = (await src.readTensor("logits_peft")).arraySync() as number[][][];
  assert.deepEqual(out.shape, [n, ref[0][0].length]);
  let d = 0;
  realIdx.forEach((pos, t) =>
    out.logits[t].forEach((v: number, k: number) => (d = Math.max(d, Math.abs(v - ref[row][pos][k])))),
  );
  assert.ok(d < 1e-4, `max |Δlogits| ${d}`);
  const base = JSON.parse(
    execFileSync(process.execPath, [bin, "logits", "--model", path.join(FIX, "base"), "--ids", rowIds.join(",")], {
      encoding: "utf8",
      maxBuffer: 1 << 28,
    }),
  );
  assert.notDeepEqual(base.logits[n - 1], out.logits[n - 1], "the adapter changes the logits");
});
