/**
 * The training metrics against hand computations: FVE, L0, CE-loss recovered; and CE-loss recovered end to end on
 * the tiny assistant with an SAE that reconstructs exactly (recovers 1) and one that outputs zeros (recovers 0).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../lib/backend.ts";
import { disposeModel, loadModel, type Model } from "../../lib/model/index.ts";
import {
  ceLossEval,
  ceLossRecovered,
  disposeSae,
  fractionVarianceExplained,
  makeSae,
  meanL0,
  varianceParts,
  type Sae,
  type TokenSequence,
} from "../../lib/sae/index.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL_DIR = TINY_V1_MODEL_DIR;
let model: Model;
before(async () => {
  await initBackend();
  model = await loadModel(MODEL_DIR);
});
after(() => disposeModel(model));

test("FVE = 1 − Σ‖x − x̂‖² / Σ‖x − mean‖², by hand", () => {
  // x rows (1,2), (3,4), (5,0); mean (3,2); Σ‖x − mean‖² = 4+0 + 0+4 + 4+4 = 16
  const x = [1, 2, 3, 4, 5, 0];
  // x̂ off by (1,0), (0,−1), (0,0): Σ‖x − x̂‖² = 2
  const xhat = [0, 2, 3, 5, 5, 0];
  assert.deepEqual(varianceParts(x, xhat, 3, 2), { resid: 2, total: 16 });
  assert.equal(fractionVarianceExplained(x, xhat, 3, 2), 1 - 2 / 16);
  assert.equal(fractionVarianceExplained(x, x, 3, 2), 1);
  // predicting the mean explains nothing
  assert.equal(fractionVarianceExplained(x, [3, 2, 3, 2, 3, 2], 3, 2), 0);
});

test("L0 counts non-zero latents per row; CE-loss recovered = (CE_zero − CE_sae) / (CE_zero − CE_clean)", () => {
  assert.equal(meanL0([0, 1.5, 0, 2, 0, 0, 0, 0.1, 3], 3), 4 / 3);
  assert.equal(ceLossRecovered(2, 5, 3), 2 / 3);
  assert.equal(ceLossRecovered(2, 5, 2), 1);
  assert.equal(ceLossRecovered(2, 5, 5), 0);
  assert.ok(ceLossRecovered(2, 5, 6) < 0, "worse than zero ablation is negative");
});

/** A ReLU SAE with d_sae = 2·d: latents relu(x) and relu(−x), decoded as their difference: x̂ = x exactly. */
function identitySae(d: number, zeroDecoder = false): Sae {
  const eye = tf.eye(d);
  const W_enc = tf.concat([eye, tf.neg(eye)], 1) as tf.Tensor2D;
  const W_dec = zeroDecoder ? tf.zeros([2 * d, d]) : (tf.concat([eye, tf.neg(eye)], 0) as tf.Tensor2D);
  eye.dispose();
  return makeSae(
    {
      architecture: "standard",
      d_in: d,
      d_sae: 2 * d,
      apply_b_dec_to_input: true,
      normalize_activations: "none",
      format: "memory",
      source: "test",
      metadata: {},
      hook_name: "blocks.1.hook_resid_post",
    },
    { W_enc, b_enc: tf.zeros([2 * d]), W_dec: W_dec as tf.Tensor2D, b_dec: tf.zeros([d]) },
  );
}

test("CE-loss recovered on the tiny assistant: an exact SAE recovers 1, a zero decoder 0", () => {
  const seqs: TokenSequence[] = [
    { ids: [1, 40, 41, 42, 300, 301, 7, 8], keep: [1, 2, 3, 4, 5, 6, 7], source: "a" },
    { ids: [1, 90, 91, 92, 93], keep: [1, 2, 3, 4], source: "b" },
  ];
  const exact = identitySae(128);
  const r = ceLossEval(model, exact, "blocks.1.hook_resid_post", seqs);
  assert.ok(r.ceZero > r.ceClean, `zero ablation hurts: ${r.ceZero} vs ${r.ceClean}`);
  assert.ok(Math.abs(r.ceSae - r.ceClean) < 1e-4, `exact reconstruction: ${r.ceSae} vs ${r.ceClean}`);
  assert.ok(Math.abs(r.ceLossRecovered - 1) < 1e-3, `recovered ${r.ceLossRecovered}`);
  const zero = identitySae(128, true);
  const z = ceLossEval(model, zero, "blocks.1.hook_resid_post", seqs);
  assert.ok(Math.abs(z.ceSae - z.ceZero) < 1e-5 && Math.abs(z.ceLossRecovered) < 1e-4, `zeros: ${z.ceLossRecovered}`);
  assert.equal(z.ceClean, r.ceClean);
  disposeSae(exact);
  disposeSae(zero);
});
