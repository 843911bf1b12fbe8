/**
 * The row-copy GatherV2 (lib/wasm_kernels.ts, every wasm run) and the native Softmax / Sigmoid kernels
 * (lib/native/kernels.ts, when the addon is on) against float64 references computed here, and their gradients
 * against the cpu backend's. Runs on whichever path this process has (MOLAB_NATIVE=0|1).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../lib/backend.ts";
import { nativeStatus } from "../../lib/native/addon.ts";
import { withoutKernel } from "./helpers.ts";

function rand(n: number, seed: number, scale = 4): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale;
  return out;
}

const isNative = (name: string) =>
  (tf.getKernel(name, "wasm") as unknown as { molabNative?: boolean } | undefined)?.molabNative === true;

test("Softmax and Sigmoid are the native kernels exactly when the addon is on", async () => {
  await initBackend();
  const on = nativeStatus().enabled && tf.getBackend() === "wasm";
  assert.equal(isNative("Softmax"), on);
  assert.equal(isNative("Sigmoid"), on);
});

test("GatherV2: rows along every axis, int32 and float32 tensors, repeated indices, equal to indexing by hand", async () => {
  await initBackend();
  const shape = [3, 5, 7];
  const x = rand(3 * 5 * 7, 1);
  const at = (i: number, j: number, k: number) => x[(i * 5 + j) * 7 + k];
  for (const axis of [0, 1, 2, -1]) {
    const ax = axis < 0 ? axis + 3 : axis;
    const ids = [[0, shape[ax] - 1, 1, 1]];
    const got = tf.tidy(() => tf.gather(tf.tensor(x, shape), tf.tensor2d(ids, [1, 4], "int32"), axis).arraySync());
    const want = [0, 1, 2].map((i) =>
      ax === 0
        ? [ids[0].map((r) => [0, 1, 2, 3, 4].map((j) => [0, 1, 2, 3, 4, 5, 6].map((k) => at(r, j, k))))]
        : ax === 1
          ? [ids[0].map((r) => [0, 1, 2, 3, 4, 5, 6].map((k) => at(i, r, k)))]
          : [0, 1, 2, 3, 4].map((j) => [ids[0].map((r) => at(i, j, r))]),
    );
    if (ax === 0) assert.deepEqual(got, want[0]);
    else assert.deepEqual(got, want, `axis ${axis}`);
  }
  const ints = tf.tensor2d([10, 11, 12, 20, 21, 22], [2, 3], "int32");
  const g = tf.gather(ints, tf.tensor1d([1, 0, 1], "int32"));
  assert.equal(g.dtype, "int32");
  assert.deepEqual(g.arraySync(), [
    [20, 21, 22],
    [10, 11, 12],
    [20, 21, 22],
  ]);
  const empty = tf.gather(ints, tf.tensor1d([], "int32"));
  assert.deepEqual(empty.shape, [0, 3]);
  tf.dispose([ints, g, empty]);
});

test("GatherV2: its gradient (UnsortedSegmentSum) sums the rows of repeated indices", async () => {
  await initBackend();
  const table = tf.tensor2d(rand(4 * 3, 2), [4, 3]);
  const ids = tf.tensor1d([2, 0, 2, 2], "int32");
  const w = tf.tensor2d(rand(4 * 3, 3), [4, 3]);
  const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, ids), w)))(table);
  const wv = w.arraySync() as number[][];
  const want = [0, 1, 2, 3].map((r) =>
    [0, 1, 2].map((c) => [0, 1, 2, 3].reduce((s, i) => s + ([2, 0, 2, 2][i] === r ? wv[i][c] : 0), 0)),
  );
  const got = grad.arraySync() as number[][];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) assert.ok(Math.abs(got[r][c] - want[r][c]) < 1e-6);
  tf.dispose([table, ids, w, grad]);
});

test("Softmax over the last axis within 1e-6 of float64, for row widths around the 16-lane blocks", async () => {
  await initBackend();
  for (const [rows, cols] of [
    [1, 1],
    [3, 15],
    [5, 16],
    [7, 17],
    [64, 128],
    [4, 2048],
  ]) {
    const x = rand(rows * cols, rows * 31 + cols, 40);
    const got = tf.tidy(() => tf.softmax(tf.tensor2d(x, [rows, cols])).dataSync());
    let worst = 0;
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let j = 0; j < cols; j++) worst = Math.max(worst, Math.abs(got[r * cols + j] - e[j] / sum));
    }
    assert.ok(worst < 1e-6, `softmax [${rows}, ${cols}]: worst absolute error ${worst}`);
  }
  // −∞ entries (masked positions) get 0; a row of 4-D attention scores is softmaxed along its last axis.
  const masked = tf.tidy(() => tf.softmax(tf.tensor2d([0, -Infinity, 0, -Infinity], [1, 4])).arraySync());
  assert.deepEqual(masked, [[0.5, 0, 0.5, 0]]);
  const four = tf.tidy(() => tf.sum(tf.softmax(tf.tensor4d(rand(2 * 3 * 4 * 5, 9), [2, 3, 4, 5])), -1).dataSync());
  for (const v of four) assert.ok(Math.abs(v - 1) < 1e-6);
});

test("Softmax and Sigmoid gradients equal the cpu backend's", async () => {
  await initBackend();
  const x = rand(6 * 40, 5, 10);
  const w = rand(6 * 40, 6, 2);
  const grads = () =>
    tf.tidy(() => {
      const xt = tf.tensor2d(x, [6, 40]);
      const wt = tf.tensor2d(w, [6, 40]);
      const gs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.softmax(t), wt)))(xt);
      const gg = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.sigmoid(t), wt)))(xt);
      return [gs.dataSync(), gg.dataSync()];
    });
  const ours = grads();
  const before = tf.getBackend();
  await tf.setBackend("cpu");
  const cpu = grads();
  await tf.setBackend(before);
  for (let k = 0; k < 2; k++)
    for (let i = 0; i < ours[k].length; i++) assert.ok(Math.abs(ours[k][i] - cpu[k][i]) < 1e-6, `grad ${k}[${i}]`);
});

test("Sigmoid within 2e-7 of float64 over [-110, 110] and at ±∞, NaN", async () => {
  await initBackend();
  const xs = new Float32Array(20003);
  for (let i = 0; i < 20000; i++) xs[i] = -110 + (220 * i) / 19999;
  xs.set([Infinity, -Infinity, NaN], 20000);
  const got = tf.tidy(() => tf.sigmoid(tf.tensor1d(xs)).dataSync());
  let worst = 0;
  for (let i = 0; i < 20000; i++) worst = Math.max(worst, Math.abs(got[i] - 1 / (1 + Math.exp(-xs[i]))));
  assert.ok(worst < 2e-7, `sigmoid: worst absolute error ${worst}`);
  assert.equal(got[20000], 1);
  assert.equal(got[20001], 0);
  assert.ok(Number.isNaN(got[20002]));
});

test("RMSNorm: the native kernels give the tensor ops' output, dx and dw (within 1e-5), exactly when the addon is on", async () => {
  await initBackend();
  const { rmsNorm } = await import("../../lib/model/rms_norm.ts");
  const { RMSNORM_KERNEL } = await import("../../lib/native/kernels.ts");
  const kernel = tf.getKernel(RMSNORM_KERNEL, tf.getBackend());
  assert.equal(kernel !== undefined, nativeStatus().enabled && tf.getBackend() === "wasm");
  const [rows, n] = [37, 131];
  const x = rand(rows * n, 11, 6);
  const w = rand(n, 12, 2);
  const up = rand(rows * n, 13, 2);
  const run = () =>
    tf.tidy(() => {
      const xt = tf.tensor3d(x, [1, rows, n]);
      const wt = tf.tensor1d(w);
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(rmsNorm(a, b, 1e-5), tf.tensor3d(up, [1, rows, n])));
      const [dx, dw] = tf.grads(f)([xt, wt]);
      return [rmsNorm(xt, wt, 1e-5).dataSync(), dx.dataSync(), dw.dataSync()].map((a) => Float32Array.from(a));
    });
  // float64 reference of the forward
  const got = run();
  let worst = 0;
  for (let i = 0; i < rows; i++) {
    let ss = 0;
    for (let j = 0; j < n; j++) ss += x[i * n + j] ** 2;
    const r = 1 / Math.sqrt(ss / n + 1e-5);
    for (let j = 0; j < n; j++) worst = Math.max(worst, Math.abs(got[0][i * n + j] - x[i * n + j] * r * w[j]));
  }
  assert.ok(worst < 1e-5, `forward vs float64: ${worst}`);
  if (!kernel) return; // the wasm path: the tensor ops are the only path
  const ops = withoutKernel(kernel, run);
  ["y", "dx", "dw"].forEach((name, k) => {
    let d = 0,
      scale = 1e-6;
    for (let i = 0; i < ops[k].length; i++) {
      d = Math.max(d, Math.abs(got[k][i] - ops[k][i]));
      scale = Math.max(scale, Math.abs(ops[k][i]));
    }
    assert.ok(d / scale < 1e-5, `${name}: native vs ops ${d / scale} (relative to max ${scale})`);
  });
});

test("TopK: the k largest per row, descending, ties by the lower index; k = 0 and k = n; a NaN row falls back to tfjs", async () => {
  await initBackend();
  const on = nativeStatus().enabled && tf.getBackend() === "wasm";
  assert.equal(isNative("TopK"), on);
  const [rows, n] = [9, 300];
  // few distinct values, so ties are everywhere
  const x = Float32Array.from(rand(rows * n, 21), (v) => Math.round(v * 3));
  for (const k of [0, 1, 7, 64, n]) {
    const r = tf.topk(tf.tensor2d(x, [rows, n]), k, true);
    const [vals, ids] = [r.values.dataSync(), r.indices.dataSync()];
    for (let i = 0; i < rows; i++) {
      const want = Array.from({ length: n }, (_, j) => j)
        .sort((p, q) => x[i * n + q] - x[i * n + p] || p - q)
        .slice(0, k);
      assert.deepEqual(Array.from(ids.slice(i * k, (i + 1) * k)), want, `k ${k} row ${i}`);
      assert.deepEqual(
        Array.from(vals.slice(i * k, (i + 1) * k)),
        want.map((j) => x[i * n + j]),
      );
    }
    tf.dispose([r.values, r.indices]);
  }
  const withNan = tf.tensor2d([1, NaN, 3, 2], [1, 4]);
  const r = tf.topk(withNan, 2);
  assert.equal(r.values.shape[1], 2); // tfjs's own kernel answered (its NaN order is its own)
  tf.dispose([withNan, r.values, r.indices]);
});
