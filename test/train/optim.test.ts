import { test, before } from "node:test";
import assert from "node:assert/strict";
import { tf, initBackend } from "../../lib/backend.ts";
import { AdamW, clipGradNorm, lrMultiplier } from "../../lib/train/optim.ts";
import { withoutKernel } from "../native/helpers.ts";

before(async () => {
  await initBackend();
});

test("schedules: transformers' get_{constant,linear,cosine}_schedule_with_warmup", () => {
  // warmup 2, total 10
  assert.deepEqual(
    [0, 1, 2, 5, 10].map((s) => lrMultiplier("constant", s, 2, 10)),
    [0, 0.5, 1, 1, 1],
  );
  assert.deepEqual(
    [0, 1, 2, 6, 10, 11].map((s) => lrMultiplier("linear", s, 2, 10)),
    [0, 0.5, 1, 0.5, 0, 0],
  );
  const cos = [2, 6, 10].map((s) => lrMultiplier("cosine", s, 2, 10));
  assert.ok(Math.abs(cos[0] - 1) < 1e-15 && Math.abs(cos[1] - 0.5) < 1e-15 && Math.abs(cos[2]) < 1e-15, String(cos));
  assert.equal(lrMultiplier("linear", 0, 0, 4), 1, "no warmup: the first step has the full lr");
  assert.equal(lrMultiplier("linear", 3, 0, 4), 0.25);
});

test("clip_grad_norm_: total 2-norm over tensors, scale max/(norm+1e-6) only when above, returns the norm before clipping", () => {
  const g = [tf.tensor([3, 0]), tf.tensor([[0, 4]])]; // total norm 5
  const a = clipGradNorm(g, 1);
  assert.equal(a.norm, 5);
  const c = 1 / (5 + 1e-6);
  assert.deepEqual(Array.from(a.grads[0].dataSync()), [Math.fround(3 * Math.fround(c)), 0]);
  const b = clipGradNorm(g, 10);
  assert.deepEqual(Array.from(b.grads[1].dataSync()), [0, 4], "below the max: unchanged");
  const off = clipGradNorm(g, 0);
  assert.equal(off.norm, 5);
  assert.deepEqual(Array.from(off.grads[0].dataSync()), [3, 0]);
  tf.dispose([...g, ...a.grads, ...b.grads, ...off.grads]);
});

test("clip_grad_norm_: the norm of a large gradient is exact to float32 rounding (accumulated in float64)", () => {
  // An embedding-sized gradient: a float32 running sum over its 262,144 squares drifts by ~1e-4 relative.
  const n = 2048 * 128;
  const vals = new Float32Array(n);
  let x = 12345;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    vals[i] = (x / 2147483648 - 0.5) * 0.02;
  }
  let sq = 0;
  for (const v of vals) sq += v * v;
  const g = [tf.tensor2d(vals, [128, 2048])];
  const r = clipGradNorm(g, 1);
  assert.ok(Math.abs(r.norm / Math.sqrt(sq) - 1) < 1e-7, `norm ${r.norm} vs float64 ${Math.sqrt(sq)}`);
  tf.dispose([...g, ...r.grads]);
});

test("AdamW: decoupled weight decay, bias correction, eps outside the square root (float64 reference)", () => {
  const p0 = [0.5, -1.0, 2.0];
  const grads = [
    [0.1, -0.2, 1e-9],
    [0.3, 0.1, -1e-9],
    [-0.2, 0.05, 0],
  ];
  const lr = [1e-2, 5e-3, 1e-3],
    wd = 0.1,
    b1 = 0.9,
    b2 = 0.999,
    eps = 1e-8;
  const v = tf.variable(tf.tensor(p0));
  const opt = new AdamW([v], { lr: lr[0], weightDecay: wd });
  const p = [...p0],
    m = [0, 0, 0],
    s = [0, 0, 0];
  for (let t = 1; t <= 3; t++) {
    opt.lr = lr[t - 1];
    const g = tf.tensor(grads[t - 1]);
    opt.step([g]);
    g.dispose();
    for (let i = 0; i < 3; i++) {
      const gi = grads[t - 1][i];
      p[i] *= 1 - lr[t - 1] * wd;
      m[i] = b1 * m[i] + (1 - b1) * gi;
      s[i] = b2 * s[i] + (1 - b2) * gi * gi;
      const denom = Math.sqrt(s[i]) / Math.sqrt(1 - b2 ** t) + eps;
      p[i] -= (lr[t - 1] / (1 - b1 ** t)) * (m[i] / denom);
    }
  }
  const got = v.dataSync();
  for (let i = 0; i < 3; i++)
    assert.ok(Math.abs(got[i] - p[i]) <= 1e-6 * Math.abs(p[i]), `param ${i}: ${got[i]} vs ${p[i]}`);
  // The tiny-gradient element tells eps placements apart: at step 1 its update is lr·g/(|g|+eps) ≈ lr/11,
  // with eps inside the sqrt it would be lr·g/√(g²+eps) ≈ lr·1e-5; coupled decay would shift every element.
  const wrongEps = p0[2] * (1 - lr[0] * wd) - lr[0] * (1e-9 / Math.sqrt(1e-18 + 1e-8));
  const rightEps = p0[2] * (1 - lr[0] * wd) - lr[0] * (1e-9 / (1e-9 + 1e-8));
  assert.ok(Math.abs(wrongEps - rightEps) > 100 * 1e-6 * Math.abs(p[2]), "the check can see the eps placement");
  const st = opt.state();
  assert.equal(st.step, 3);
  assert.ok(Math.abs(st.expAvg[0].dataSync()[0] - m[0]) < 1e-7);
  opt.dispose();
  v.dispose();
});

test("AdamW state round trip continues identically", () => {
  const mk = () => tf.variable(tf.tensor([1, 2, 3]));
  const a = mk(),
    b = mk();
  const oa = new AdamW([a], { lr: 0.1 }),
    ob = new AdamW([b], { lr: 0.1 });
  const g = tf.tensor([0.5, -0.5, 0.25]);
  oa.step([g]);
  ob.step([g]);
  const st = oa.state();
  const oc = new AdamW([b], { lr: 0.1 });
  oc.loadState({
    step: st.step,
    expAvg: st.expAvg.map((t) => tf.clone(t)),
    expAvgSq: st.expAvgSq.map((t) => tf.clone(t)),
  });
  oa.step([g]);
  oc.step([g]);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  assert.throws(
    () => oc.loadState({ step: 1, expAvg: [tf.zeros([2])], expAvgSq: [tf.zeros([2])] }),
    /shape \[2\], parameter is \[3\]/,
  );
  [oa, ob, oc].forEach((o) => o.dispose());
  tf.dispose([a, b, g]);
});

test("AdamW: the native one-kernel update equals the tensor ops bit for bit (parameters and both moments)", async () => {
  const { ADAMW_KERNEL } = await import("../../lib/native/kernels.ts");
  const { nativeStatus } = await import("../../lib/native/addon.ts");
  const kernel = tf.getKernel(ADAMW_KERNEL, tf.getBackend());
  assert.equal(kernel !== undefined, nativeStatus().enabled && tf.getBackend() === "wasm", "installed with the addon");
  if (!kernel) return; // the wasm path: the tensor ops are the only path (the tests above)
  const n = 4099;
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  const p0 = Float32Array.from({ length: n }, rnd);
  const gs = [0, 1, 2, 3].map(() => Float32Array.from({ length: n }, () => rnd() * (s % 7 === 0 ? 1e-6 : 1)));
  const run = () => {
    const v = tf.variable(tf.tensor1d(p0));
    const opt = new AdamW([v], { lr: 3e-3, weightDecay: 0.01, betas: [0.9, 0.98] });
    for (const g of gs) {
      const t = tf.tensor1d(g);
      opt.step([t]);
      t.dispose();
      opt.lr *= 0.7;
    }
    const st = opt.state();
    const out = [v.dataSync(), st.expAvg[0].dataSync(), st.expAvgSq[0].dataSync()].map((a) => Float32Array.from(a));
    opt.dispose();
    v.dispose();
    return out;
  };
  const fused = run();
  const ops = withoutKernel(kernel, run);
  for (let k = 0; k < 3; k++) {
    const a = new Uint32Array(fused[k].buffer),
      b = new Uint32Array(ops[k].buffer);
    let diff = 0;
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) diff++;
    assert.equal(diff, 0, `${["parameters", "exp_avg", "exp_avg_sq"][k]}: ${diff} of ${n} differ`);
  }
  assert.ok(
    fused[0].some((x, i) => x !== p0[i]),
    "the update moved the parameters",
  );
});
