/**
 * TopK SAE (Gao et al. 2024; SAELens' `TopKSAE`, sparsify's `SparseCoder`): only the k largest latents of each row
 * fire. Scores are pre = sae_in · W_enc + b_enc, times ‖W_dec[i]‖ when rescale_acts_by_decoder_norm is set (the
 * decoder then divides by it again); the kept values are ReLU'd. SAELens takes top-k then ReLU, sparsify ReLU then
 * top-k: the activations are the same, and so are the indices wherever a row has at least k positive scores.
 * encode.ts keeps the k largest across chunks of latents.
 */
import { tf } from "../backend.ts";
import { decoderNorms, type Architecture } from "./sae.ts";

export const topk: Architecture = {
  name: "topk",
  extraTensors: [],
  activate: (sae, pre, lo, hi) =>
    tf.tidy(() => {
      if (!sae.cfg.rescale_acts_by_decoder_norm) return tf.relu(pre);
      return tf.relu(tf.mul(pre, tf.slice(decoderNorms(sae), [lo], [hi - lo]))) as tf.Tensor2D;
    }),
};
