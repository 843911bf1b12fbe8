/**
 * weightedCrossEntropy (lib/train/loss.ts) against a float64 reference, value and gradient, with rows of weight 0;
 * on the native path also against its own tensor-op path (the kernel unregistered for the comparison).
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/backend.ts";
import { weightedCrossEntropy } from "../../lib/train/loss.ts";
import { CE_GRAD_KERNEL, CE_KERNEL } from "../../lib/native/kernels.ts";
import { nativeStatus } from "../../lib/native/addon.ts";
import { withoutKernel } from "../native/helpers.ts";

before(async () => {
  await initBackend();
});

const N = 37,
  V = 203; // V not a multiple of 16: the vector loops' tails run too
let s = 99;
const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
const x = Float32Array.from({ length: N * V }, () => 6 * rnd());
const t = Int32Array.from({ length: N }, (_, i) => (i * 53) % V);
const w = Float32Array.from({ length: N }, (_, i) => (i % 4 === 0 ? 0 : 0.5 + Math.abs(rnd())));
const dy = 1.7;

function run(): { value: number; grad: Float32Array } {
  return tf.tidy(() => {
    const logits = tf.tensor2d(x, [N, V]);
    const f = (l: tf.Tensor) =>
      tf.mul(weightedCrossEntropy(l as tf.Tensor2D, tf.tensor1d(t, "int32"), tf.tensor1d(w)), dy);
    const { value, grad } = tf.valueAndGrad(f)(logits);
    return { value: value.dataSync()[0] / dy, grad: Float32Array.from(grad.dataSync()) };
  });
}

function reference(): { value: number; grad: Float64Array } {
  let value = 0;
  const grad = new Float64Array(N * V);
  for (let i = 0; i < N; i++) {
    const row = Array.from(x.subarray(i * V, (i + 1) * V));
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    value += w[i] * (lse - row[t[i]]);
    for (let j = 0; j < V; j++) grad[i * V + j] = (Math.exp(row[j] - lse) - (j === t[i] ? 1 : 0)) * w[i] * dy;
  }
  return { value, grad };
}

test("weighted cross-entropy: value within 1e-6 relative and gradient within 1e-6 of float64; weight-0 rows add nothing", () => {
  const got = run();
  const want = reference();
  assert.ok(Math.abs(got.value - want.value) <= 1e-6 * Math.abs(want.value), `${got.value} vs ${want.value}`);
  let worst = 0;
  for (let i = 0; i < N * V; i++) worst = Math.max(worst, Math.abs(got.grad[i] - want.grad[i]));
  assert.ok(worst < 1e-6, `gradient: worst absolute error ${worst}`);
  for (let j = 0; j < V; j++) assert.ok(got.grad[j] === 0, "row 0 has weight 0"); // ±0
});

test("weighted cross-entropy: the native kernels agree with the tensor ops (within 1e-6) exactly when the addon is on", () => {
  const fwd = tf.getKernel(CE_KERNEL, tf.getBackend());
  const bwd = tf.getKernel(CE_GRAD_KERNEL, tf.getBackend());
  assert.equal(fwd !== undefined, nativeStatus().enabled && tf.getBackend() === "wasm");
  if (!fwd || !bwd) return; // the wasm path: the tensor ops are the only path (the test above)
  const native = run();
  const ops = withoutKernel(fwd, run);
  assert.ok(Math.abs(native.value - ops.value) <= 1e-6 * Math.abs(ops.value));
  let worst = 0;
  for (let i = 0; i < N * V; i++) worst = Math.max(worst, Math.abs(native.grad[i] - ops.grad[i]));
  assert.ok(worst < 1e-6, `gradient: native vs ops ${worst}`);
});
