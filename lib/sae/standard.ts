/**
 * The standard (ReLU) SAE, SAELens' `StandardSAE`: acts = ReLU(sae_in · W_enc + b_enc), trained with an L1 penalty.
 */
import { tf } from "../backend.ts";
import type { Architecture } from "./sae.ts";

export const standard: Architecture = {
  name: "standard",
  extraTensors: [],
  activate: (_sae, pre) => tf.relu(pre),
};
