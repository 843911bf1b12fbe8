/**
 * An SAE is a config plus tensors, in SAELens' orientation whatever the file held:
 * W_enc [d_in, d_sae], b_enc [d_sae], W_dec [d_sae, d_in], b_dec [d_in], threshold [d_sae] for JumpReLU, and for
 * gated SAEs r_mag and b_mag [d_sae] (b_enc then holds the gate bias, SAELens' b_gate).
 * Each architecture (standard.ts, topk.ts, jumprelu.ts, gated.ts) says how latents activate from their pre-activations;
 * encode.ts does the rest (input normalization, chunking over latents, top-k, decoding).
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { validateConfig, type ArchitectureName, type SaeConfig } from "./config.ts";

export interface Sae {
  cfg: SaeConfig;
  W_enc: tf.Tensor2D;
  b_enc: tf.Tensor1D;
  W_dec: tf.Tensor2D;
  b_dec: tf.Tensor1D;
  threshold?: tf.Tensor1D;
  /** Gated: the magnitude path's log-scale and bias per latent. */
  r_mag?: tf.Tensor1D;
  b_mag?: tf.Tensor1D;
  /** ‖W_dec[i]‖ per latent, computed once when rescale_acts_by_decoder_norm needs it. */
  W_dec_norm?: tf.Tensor1D;
}

/** What one architecture adds: tensors it needs and how a chunk of latents activates. */
export interface Architecture {
  name: ArchitectureName;
  /** Tensors beyond W_enc, b_enc, W_dec, b_dec. */
  extraTensors: readonly ("threshold" | "r_mag" | "b_mag")[];
  /**
   * Activations of latents [lo, hi) from their pre-activations `pre` [n, hi − lo] (= sae_in · W_enc + b_enc).
   * For topk these are the scores the top-k is taken over; encode.ts keeps the k largest.
   */
  activate(sae: Sae, pre: tf.Tensor2D, lo: number, hi: number): tf.Tensor2D;
}

/** The tensors of an SAE before its shapes are checked. */
export interface SaeTensors {
  W_enc?: tf.Tensor;
  b_enc?: tf.Tensor;
  W_dec?: tf.Tensor;
  b_dec?: tf.Tensor;
  threshold?: tf.Tensor;
  r_mag?: tf.Tensor;
  b_mag?: tf.Tensor;
}

/**
 * Build an SAE from a config and tensors, checking every tensor is there with the shape the config implies.
 * `files` names where each tensor came from, for errors (default: the config's source).
 */
export function makeSae(cfg: SaeConfig, t: SaeTensors, files: Partial<Record<keyof SaeTensors, string>> = {}): Sae {
  validateConfig(cfg);
  const { d_in, d_sae } = cfg;
  const want: [keyof SaeTensors, number[]][] = [
    ["W_enc", [d_in, d_sae]],
    ["b_enc", [d_sae]],
    ["W_dec", [d_sae, d_in]],
    ["b_dec", [d_in]],
  ];
  if (cfg.architecture === "jumprelu") want.push(["threshold", [d_sae]]);
  if (cfg.architecture === "gated") want.push(["r_mag", [d_sae]], ["b_mag", [d_sae]]);
  for (const [name, shape] of want) {
    const file = files[name] ?? cfg.source;
    const x = t[name];
    if (!x) throw new MolabError(`${file}: tensor "${name}" is missing (a ${cfg.architecture} SAE needs it)`);
    if (x.shape.length !== shape.length || x.shape.some((d, i) => d !== shape[i]))
      throw new MolabError(
        `${file}: tensor "${name}" has shape [${x.shape.join(", ")}], expected [${shape.join(", ")}] ` +
          `(d_in ${d_in}, d_sae ${d_sae} from ${cfg.source})`,
      );
    if (x.dtype !== "float32") throw new MolabError(`${file}: tensor "${name}" is ${x.dtype}, expected floats`);
  }
  return {
    cfg,
    W_enc: t.W_enc as tf.Tensor2D,
    b_enc: t.b_enc as tf.Tensor1D,
    W_dec: t.W_dec as tf.Tensor2D,
    b_dec: t.b_dec as tf.Tensor1D,
    ...(t.threshold && cfg.architecture === "jumprelu" ? { threshold: t.threshold as tf.Tensor1D } : {}),
    ...(cfg.architecture === "gated" ? { r_mag: t.r_mag as tf.Tensor1D, b_mag: t.b_mag as tf.Tensor1D } : {}),
  };
}

/** Free an SAE's tensors. */
export function disposeSae(sae: Sae): void {
  for (const t of [sae.W_enc, sae.b_enc, sae.W_dec, sae.b_dec, sae.threshold, sae.r_mag, sae.b_mag, sae.W_dec_norm])
    t?.dispose();
}

/** ‖W_dec[i]‖ for every latent, computed in chunks of rows (bounded memory) and cached on the SAE. */
export function decoderNorms(sae: Sae, chunk = 8192): tf.Tensor1D {
  if (sae.W_dec_norm) return sae.W_dec_norm;
  const parts: tf.Tensor[] = [];
  for (let lo = 0; lo < sae.cfg.d_sae; lo += chunk) {
    const hi = Math.min(sae.cfg.d_sae, lo + chunk);
    parts.push(tf.tidy(() => tf.sqrt(tf.sum(tf.square(tf.slice(sae.W_dec, [lo, 0], [hi - lo, -1])), 1))));
  }
  // kept: the first call may come from inside a tf.tidy, and the cache must outlive it
  sae.W_dec_norm = tf.keep((parts.length === 1 ? parts[0] : tf.concat(parts)) as tf.Tensor1D);
  if (parts.length > 1) parts.forEach((p) => p.dispose());
  return sae.W_dec_norm;
}
