/**
 * Gated SAE (Rajamanoharan et al. 2024; SAELens' `GatedSAE`): a gate decides which latents fire, a magnitude path
 * that shares the encoder (rescaled per latent by exp(r_mag)) decides how much:
 *   gate = [sae_in · W_enc + b_gate > 0],  acts = gate · ReLU(sae_in · W_enc · exp(r_mag) + b_mag).
 * b_gate is stored as the SAE's b_enc, so `pre` (= sae_in · W_enc + b_enc) is the gate's pre-activation and the
 * magnitude path is (pre − b_gate) · exp(r_mag) + b_mag.
 */
import { tf } from "../backend.ts";
import type { Architecture } from "./sae.ts";

export const gated: Architecture = {
  name: "gated",
  extraTensors: ["r_mag", "b_mag"],
  activate: (sae, pre, lo, hi) =>
    tf.tidy(() => {
      const part = (t: tf.Tensor1D) => tf.slice(t, [lo], [hi - lo]);
      const magnitude = tf.add(tf.mul(tf.sub(pre, part(sae.b_enc)), tf.exp(part(sae.r_mag!))), part(sae.b_mag!));
      return tf.mul(tf.cast(tf.greater(pre, 0), "float32"), tf.relu(magnitude)) as tf.Tensor2D;
    }),
};
