import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { exportWeights } from "../../lib/model/edit.ts";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { disposeModel } from "../../lib/model/load.ts";
import { createRng } from "../../lib/rng.ts";
import { trainTiny, type TinyTrainOptions } from "../../lib/tiny/train.ts";
import { BatchSchedule, makeBatch } from "../../lib/tiny/batches.ts";

const rng = createRng("tiny-train-test");
const V = 40;
const sequences = Array.from({ length: 24 }, () => [
  1,
  ...Array.from({ length: 4 + rng.int(14) }, () => 3 + rng.int(V - 3)),
  2,
]);

function options(workDir: string, extra: Partial<TinyTrainOptions> = {}): TinyTrainOptions {
  return {
    workDir,
    sequences,
    vocabSize: V,
    special: { pad: 0, bos: 1, eos: 2 },
    shape: { hidden: 16, layers: 2, heads: 2, kvHeads: 1, intermediate: 24, maxPositions: 64, ropeTheta: 10000 },
    seed: 5,
    steps: 4,
    batchSize: 4,
    lr: 1e-2,
    warmup: 1,
    weightDecay: 0.01,
    clip: 1,
    checkpointEvery: 2,
    progress: null,
    ...extra,
  };
}

async function weightsOf(o: TinyTrainOptions) {
  const r = await trainTiny(o);
  const w = exportWeights(r.model);
  const data = Object.fromEntries(Object.entries(w).map(([k, t]) => [k, Array.from(t.dataSync())]));
  tf.dispose(Object.values(w));
  disposeModel(r.model);
  return { r, data };
}

test("batches: deterministic per step, right-padded, every sequence once per epoch", () => {
  const s = new BatchSchedule(sequences, 4, 9, 0);
  assert.equal(s.perEpoch, 6);
  assert.deepEqual(new BatchSchedule(sequences, 4, 9, 0).batch(7), s.batch(7));
  const counted = Array.from({ length: 6 }, (_, i) => s.batch(i).count).reduce((a, b) => a + b, 0);
  assert.equal(
    counted,
    sequences.reduce((a, q) => a + q.length - 1, 0),
  );
  const b = makeBatch(
    [
      [1, 5, 6],
      [1, 7],
    ],
    0,
  );
  assert.deepEqual(b.inputs, [
    [1, 5, 0, 0, 0, 0, 0, 0],
    [1, 0, 0, 0, 0, 0, 0, 0],
  ]);
  assert.deepEqual(Array.from(b.targets.slice(0, 3)), [5, 6, 0]);
  assert.deepEqual(Array.from(b.mask.slice(0, 9)), [1, 1, 0, 0, 0, 0, 0, 0, 1]);
});

test("wasm training kernels: transposed matmuls and gather's gradient are exact", async () => {
  await initBackend(); // installs the wasm kernels
  const a = tf.randomNormal([7, 5], 0, 1, "float32", 1),
    b = tf.randomNormal([7, 3], 0, 1, "float32", 2);
  const ref = (x: Float32Array, y: Float32Array) => {
    const out = new Float32Array(15);
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 3; j++) for (let k = 0; k < 7; k++) out[i * 3 + j] += x[k * 5 + i] * y[k * 3 + j];
    return out;
  };
  const got = tf.matMul(a, b, true, false).dataSync();
  const want = ref(a.dataSync() as Float32Array, b.dataSync() as Float32Array);
  got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) < 1e-5));
  const c = tf.randomNormal([2, 4, 6], 0, 1, "float32", 3),
    d = tf.randomNormal([2, 5, 6], 0, 1, "float32", 4);
  assert.deepEqual(
    Array.from(tf.matMul(c, d, false, true).dataSync()),
    Array.from(tf.matMul(c, tf.transpose(d, [0, 2, 1])).dataSync()),
  );
  // d/dE Σ gather(E, ids, 1) ⊙ W: column v of the gradient sums W's columns where ids = v.
  const E = tf.randomNormal([3, 6], 0, 1, "float32", 5),
    W = tf.randomNormal([3, 4], 0, 1, "float32", 6);
  const ids = [2, 0, 2, 5];
  const g = tf.grad((e: tf.Tensor) => tf.sum(tf.mul(tf.gather(e, tf.tensor1d(ids, "int32"), 1), W)))(E);
  const w = W.arraySync() as number[][];
  const expect = [0, 1, 2].map((r) =>
    [0, 1, 2, 3, 4, 5].map((v) => ids.reduce((s, id, j) => s + (id === v ? w[r][j] : 0), 0)),
  );
  (g.arraySync() as number[][]).forEach((row, r) =>
    row.forEach((x, v) => assert.ok(Math.abs(x - expect[r][v]) < 1e-6)),
  );
});

test("training is deterministic and resumes from its checkpoint bit for bit", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "molab-tiny-train-"));
  try {
    const straight = await weightsOf(options(path.join(root, "a")));
    assert.equal(straight.r.resumedFrom, null);
    assert.equal(straight.r.history.length, 4);
    // Seeded N(0, 0.02) init: the first loss is close to ln(V).
    assert.ok(Math.abs(straight.r.history[0].loss - Math.log(V)) < 0.05, `first loss ${straight.r.history[0].loss}`);
    const part = await trainTiny(options(path.join(root, "b"), { stopAfter: 3 }));
    assert.equal(part.finished, false);
    disposeModel(part.model);
    assert.ok(fs.existsSync(path.join(root, "b", "checkpoints", "step-000003", "model.safetensors")));
    const resumed = await weightsOf(options(path.join(root, "b")));
    assert.equal(resumed.r.resumedFrom, 3);
    assert.equal(resumed.r.finished, true);
    assert.deepEqual(
      resumed.r.history.map((h) => h.loss),
      straight.r.history.map((h) => h.loss),
    );
    assert.deepEqual(resumed.data, straight.data);
    await assert.rejects(trainTiny(options(path.join(root, "b"), { lr: 2e-2 })), /other settings or data/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("emaDecay: the returned weights are the average d²·w0 + d(1−d)·w1 + (1−d)·w2, and a resumed run keeps it bit for bit", async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "molab-tiny-ema-"));
  const read = async (file: string) => {
    const src = await openSafetensors(file);
    try {
      const out: Record<string, Float32Array> = {};
      for (const name of src.names()) out[name] = (await src.readArray(name)).data as Float32Array;
      return out;
    } finally {
      await src.close();
    }
  };
  try {
    const d = 0.75;
    const o = (dir: string, extra: Partial<TinyTrainOptions> = {}) =>
      options(path.join(root, dir), { steps: 2, warmup: 0, checkpointEvery: 1, emaDecay: d, ...extra });
    const straight = await weightsOf(o("a"));
    const ck = (n: number) => path.join(root, "a", "checkpoints", `step-00000${n}`, "model.safetensors");
    const [w0, w1, w2] = await Promise.all([path.join(root, "a", "init", "model.safetensors"), ck(1), ck(2)].map(read));
    let largest = 0;
    for (const [name, got] of Object.entries(straight.data)) {
      got.forEach((g, i) => {
        const want = d * d * w0[name][i] + d * (1 - d) * w1[name][i] + (1 - d) * w2[name][i];
        largest = Math.max(largest, Math.abs(g - want));
      });
      // and the average is not the trained weights (the run moved them)
      assert.ok(got.some((g, i) => g !== w2[name][i]) || name.includes("norm"), name);
    }
    assert.ok(largest < 1e-6, `largest difference from the average ${largest}`);
    disposeModel((await trainTiny(o("b", { stopAfter: 1 }))).model);
    const resumed = await weightsOf(o("b"));
    assert.equal(resumed.r.resumedFrom, 1);
    assert.deepEqual(resumed.data, straight.data);
    await assert.rejects(trainTiny(o("b", { emaDecay: 0.9 })), /other settings or data/);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("batches: the loss covers only tokens from each sequence's loss start", () => {
  const b = makeBatch(
    [
      [1, 5, 6, 7],
      [1, 8, 9],
    ],
    0,
    8,
    [2, 1],
  );
  // Row 0 learns targets 6 and 7 (positions 1, 2), row 1 learns 8 and 9.
  assert.deepEqual(Array.from(b.mask.slice(0, 4)), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(b.mask.slice(8, 11)), [1, 1, 0]);
  assert.equal(b.count, 4);
});
