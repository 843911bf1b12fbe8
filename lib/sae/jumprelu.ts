/**
 * JumpReLU (SAELens' `JumpReLUSAE`, GemmaScope): a latent fires only above its own threshold,
 * acts = ReLU(pre) · [pre > threshold], pre = sae_in · W_enc + b_enc. GemmaScope encodes raw inputs
 * (apply_b_dec_to_input false).
 */
import { tf } from "../backend.ts";
import type { Architecture } from "./sae.ts";

export const jumprelu: Architecture = {
  name: "jumprelu",
  extraTensors: ["threshold"],
  activate: (sae, pre, lo, hi) =>
    tf.tidy(() => {
      const theta = tf.slice(sae.threshold!, [lo], [hi - lo]);
      return tf.mul(tf.relu(pre), tf.cast(tf.greater(pre, theta), "float32"));
    }),
};
