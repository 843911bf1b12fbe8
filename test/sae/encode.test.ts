/** Encode / decode math of each architecture against plain loops; chunking, sparse output, normalization, NaN. */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import {
  decode,
  decodeSparse,
  disposeSae,
  encode,
  encodeSparse,
  processInput,
  reconstruct,
  type Sae,
} from "../../lib/sae/index.ts";
import { assertClose, randn, randomSae, referenceEncode } from "./helpers.ts";

before(async () => {
  await initBackend();
});

const N = 5;
const D_IN = 8;
const D_SAE = 24;
const X = randn(N * D_IN, 99);

function dense(sae: Sae, opts = {}): Float32Array {
  const t = encode(sae, tf.tensor2d(X, [N, D_IN]), opts);
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

for (const arch of ["standard", "topk", "jumprelu"] as const) {
  test(`${arch}: encode equals the plain-loops reference, chunked or not`, () => {
    const sae = randomSae(arch, D_IN, D_SAE, 1);
    const ref = referenceEncode(sae, X, N);
    assertClose(dense(sae), ref, 1e-5, `${arch} encode`);
    assertClose(dense(sae, { chunk: 5 }), ref, 1e-5, `${arch} encode chunk 5`);
    assert.ok(
      ref.some((v) => v > 0),
      "some latent fires",
    );
    disposeSae(sae);
  });
}

test("topk with rescale_acts_by_decoder_norm ranks pre · ‖W_dec‖ and decode divides it back", () => {
  const sae = randomSae("topk", D_IN, D_SAE, 3, { k: 3, rescale_acts_by_decoder_norm: true });
  const ref = referenceEncode(sae, X, N);
  assertClose(dense(sae, { chunk: 7 }), ref, 1e-5, "rescaled topk");
  const acts = tf.tensor2d(ref, [N, D_SAE]);
  const y = decode(sae, acts);
  const norms = sae.W_dec_norm!.dataSync();
  const Wd = sae.W_dec.dataSync();
  const bd = sae.b_dec.dataSync();
  const want = new Float32Array(N * D_IN);
  for (let r = 0; r < N; r++)
    for (let i = 0; i < D_IN; i++) {
      let s = bd[i];
      for (let j = 0; j < D_SAE; j++) s += (ref[r * D_SAE + j] / norms[j]) * Wd[j * D_IN + i];
      want[r * D_IN + i] = s;
    }
  assertClose(y.dataSync(), want, 1e-5, "decode");
  tf.dispose([acts, y]);
  disposeSae(sae);
});

test("sparse output: top-k indices + values sorted, equal to the dense activations; decodeSparse = decode", () => {
  for (const [arch, k] of [
    ["topk", undefined],
    ["standard", 6],
  ] as const) {
    const sae = randomSae(arch, D_IN, D_SAE, 5);
    const x = tf.tensor2d(X, [N, D_IN]);
    const sp = encodeSparse(sae, x, { k, chunk: 5 });
    const kk = k ?? sae.cfg.k!;
    assert.deepEqual(sp.indices.shape, [N, kk]);
    const ref = referenceEncode(sae, X, N);
    const ids = sp.indices.dataSync();
    const vals = sp.values.dataSync();
    for (let r = 0; r < N; r++) {
      const row = Array.from(ref.subarray(r * D_SAE, (r + 1) * D_SAE));
      const top = row
        .map((v, j) => [v, j])
        .sort((a, b) => b[0] - a[0])
        .slice(0, kk);
      for (let j = 0; j < kk; j++) {
        assert.ok(Math.abs(vals[r * kk + j] - top[j][0]) < 1e-5, `${arch} row ${r} value ${j}`);
        if (top[j][0] > 0) assert.equal(ids[r * kk + j], top[j][1], `${arch} row ${r} index ${j}`);
      }
    }
    if (arch === "topk") {
      const d = encode(sae, x);
      const a = decode(sae, d);
      const b = decodeSparse(sae, sp);
      assertClose(a.dataSync(), b.dataSync(), 1e-5, "decodeSparse");
      tf.dispose([d, a, b]);
    }
    tf.dispose([x, sp.indices, sp.values]);
    disposeSae(sae);
  }
});

test("normalize_activations constant_norm_rescale and layer_norm: encode as SAELens, reconstruct back in scale", () => {
  for (const mode of ["constant_norm_rescale", "layer_norm"] as const) {
    const sae = randomSae("standard", D_IN, D_SAE, 7, { normalize_activations: mode });
    assertClose(dense(sae), referenceEncode(sae, X, N), 1e-5, mode);
    const x = tf.tensor2d(X, [N, D_IN]);
    const acts = encode(sae, x);
    const { sae_in, denorm } = processInput(sae, x);
    const inNorm = decode(sae, acts);
    const back = reconstruct(sae, x);
    // undoing the normalization by hand
    const want = tf.tidy(() => tf.add(tf.mul(inNorm, denorm.scale!), denorm.shift ?? 0));
    assertClose(back.dataSync(), want.dataSync(), 1e-5, `${mode} reconstruct`);
    tf.dispose([x, acts, sae_in, inNorm, back, want, denorm.scale!, ...(denorm.shift ? [denorm.shift] : [])]);
    disposeSae(sae);
  }
});

test("expected_average_only_in with a scaling factor scales the input; without one it is the identity", () => {
  const plain = randomSae("standard", D_IN, D_SAE, 8);
  const scaled = randomSae("standard", D_IN, D_SAE, 8, {
    normalize_activations: "expected_average_only_in",
    norm_scaling_factor: 2,
  });
  const X2 = X.map((v) => v * 2);
  const a = encode(plain, tf.tensor2d(X2, [N, D_IN]));
  assertClose(dense(scaled), a.dataSync(), 1e-5, "x·s");
  a.dispose();
  disposeSae(plain);
  disposeSae(scaled);
});

test("bad activations: NaN, wrong width, wrong rank → MolabError naming the source and the field", () => {
  const sae = randomSae("standard", D_IN, D_SAE, 9);
  const nan = X.slice();
  nan[2 * D_IN + 3] = NaN;
  assert.throws(
    () => encode(sae, tf.tensor2d(nan, [N, D_IN]), { source: "acts.npy" }),
    (e: Error) => e instanceof MolabError && /^acts\.npy: activation row 2, column 3 is NaN/.test(e.message),
  );
  assert.throws(
    () => encodeSparse(sae, tf.tensor2d(X.slice(0, N * 4), [N, 4]), { k: 2, source: "acts.npy" }),
    (e: Error) =>
      e instanceof MolabError && /acts\.npy: .*width 4 .*d_in is 8 \(field "d_in" of test\)/.test(e.message),
  );
  assert.throws(() => encode(sae, tf.tensor1d(X) as unknown as tf.Tensor2D), /must be \[n, d_in\]/);
  assert.throws(() => encodeSparse(sae, tf.tensor2d(X, [N, D_IN])), /needs k/);
  disposeSae(sae);
});

test("encode leaks no tensors", () => {
  const sae = randomSae("topk", D_IN, D_SAE, 10, { rescale_acts_by_decoder_norm: true });
  const x = tf.tensor2d(X, [N, D_IN]);
  dense(sae); // first call caches the decoder norms
  const before = tf.memory().numTensors;
  for (const chunk of [5, 1000]) {
    tf.dispose([encode(sae, x, { chunk }), reconstruct(sae, x, { chunk })]);
    const sp = encodeSparse(sae, x, { chunk });
    tf.dispose([sp.indices, sp.values]);
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
  disposeSae(sae);
});
