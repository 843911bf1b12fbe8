/**
 * Encode, decode and reconstruct batches of activations [n, d_in] with any SAE, chunked over latents so that no
 * intermediate is larger than about n × chunk floats (a 131,072-latent SAE runs in bounded memory; only a dense
 * output is n × d_sae by definition). Sparse output keeps the top-k latents per row as indices + values, merged
 * chunk by chunk.
 *
 * The steps are SAELens' (`SAE.process_sae_in`, `encode`, `decode`):
 *   sae_in = normalize(x) − b_dec·[apply_b_dec_to_input];  pre = sae_in · W_enc + b_enc;  acts = activate(pre)
 *   x̂ = denormalize(acts · W_dec + b_dec)   (topk with rescale_acts_by_decoder_norm: acts / ‖W_dec[i]‖ first)
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { ArchitectureName } from "./config.ts";
import { jumprelu } from "./jumprelu.ts";
import { gated } from "./gated.ts";
import { decoderNorms, type Architecture, type Sae } from "./sae.ts";
import { standard } from "./standard.ts";
import { topk } from "./topk.ts";

export const ARCHITECTURE: Record<ArchitectureName, Architecture> = { standard, topk, jumprelu, gated };

export interface EncodeOptions {
  /** Latents per chunk (default: as many as keep n × chunk and d_in × chunk under 2^24 floats). */
  chunk?: number;
  /** Names the activations in errors (a file, `blocks.2.hook_resid_post`, …). */
  source?: string;
}

/** How to undo the input normalization on a reconstruction: x̂ · scale + shift (each [n, 1] or a scalar). */
export interface Denorm {
  scale?: tf.Tensor;
  shift?: tf.Tensor;
}

export interface SparseActs {
  /** [n, k] int32 latent ids, by value descending within a row. */
  indices: tf.Tensor2D;
  /** [n, k] activations (0 where a row has fewer than k active latents). */
  values: tf.Tensor2D;
}

/**
 * Check activations against the SAE: rank 2, width d_in, every value finite. The errors name the activations
 * (`opts.source`) and the SAE's config file with its field.
 */
export function checkActs(sae: Sae, x: tf.Tensor, source = "activations"): void {
  const { d_in, source: cfgFile } = sae.cfg;
  if (x.rank !== 2) throw new MolabError(`${source}: activations must be [n, d_in], got shape [${x.shape.join(", ")}]`);
  if (x.shape[1] !== d_in)
    throw new MolabError(
      `${source}: activations have width ${x.shape[1]} but the SAE's d_in is ${d_in} (field "d_in" of ${cfgFile})`,
    );
  const v = x.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]))
      throw new MolabError(
        `${source}: activation row ${Math.floor(i / d_in)}, column ${i % d_in} is ${v[i]}; NaN or infinite activations cannot be encoded`,
      );
  }
}

function chunkSize(sae: Sae, n: number, opts: EncodeOptions): number {
  // all latents at once when [n, d_sae] fits 2^24 floats: then W_enc is used as it is, with no copy of a slice
  // (2048 × 65,536 in 8 slices copied 512 MiB per call: a batch-256 encode took 1.83 s sliced, 1.36 s whole, fastest
  // of 4 on the native path of a loaded 2-core machine); chunked, the slice's d_in × chunk is bounded as well
  const whole = n * sae.cfg.d_sae <= 2 ** 24;
  const c = opts.chunk ?? (whole ? sae.cfg.d_sae : Math.max(256, Math.floor(2 ** 24 / Math.max(n, sae.cfg.d_in, 1))));
  if (!Number.isInteger(c) || c <= 0) throw new MolabError(`encode: chunk must be a positive integer, got ${c}`);
  return Math.min(c, sae.cfg.d_sae);
}

/** Normalize (cfg.normalize_activations) and subtract b_dec: sae_in, and what undoes the normalization. */
export function processInput(sae: Sae, x: tf.Tensor2D): { sae_in: tf.Tensor2D; denorm: Denorm } {
  const cfg = sae.cfg;
  const denorm: Denorm = {};
  const xn = tf.tidy(() => {
    switch (cfg.normalize_activations) {
      case "constant_norm_rescale": {
        const coeff = tf.div(Math.sqrt(cfg.d_in), tf.norm(x, "euclidean", -1, true));
        denorm.scale = tf.keep(tf.div(1, coeff));
        return tf.mul(x, coeff);
      }
      case "layer_norm": {
        const mu = tf.mean(x, -1, true);
        const centered = tf.sub(x, mu);
        // torch's x.std() is unbiased (n − 1)
        const std = tf.sqrt(tf.div(tf.sum(tf.square(centered), -1, true), Math.max(cfg.d_in - 1, 1)));
        denorm.scale = tf.keep(std);
        denorm.shift = tf.keep(mu);
        return tf.div(centered, tf.add(std, 1e-5));
      }
      case "expected_average_only_in": {
        const s = cfg.norm_scaling_factor ?? 1;
        if (s !== 1) denorm.scale = tf.keep(tf.scalar(1 / s));
        return tf.mul(x, s);
      }
      default:
        return tf.clone(x);
    }
  });
  const sae_in = cfg.apply_b_dec_to_input ? tf.tidy(() => tf.sub(xn, sae.b_dec)) : xn;
  if (sae_in !== xn) xn.dispose();
  return { sae_in: sae_in as tf.Tensor2D, denorm };
}

export function disposeDenorm(d: Denorm): void {
  d.scale?.dispose();
  d.shift?.dispose();
}

/** Activations of latents [lo, hi) for sae_in (already normalized and shifted). */
function activateChunk(sae: Sae, sae_in: tf.Tensor2D, lo: number, hi: number): tf.Tensor2D {
  return tf.tidy(() => {
    const whole = lo === 0 && hi === sae.cfg.d_sae;
    const W = whole ? sae.W_enc : tf.slice(sae.W_enc, [0, lo], [-1, hi - lo]);
    const b = whole ? sae.b_enc : tf.slice(sae.b_enc, [lo], [hi - lo]);
    const pre = tf.add(tf.matMul(sae_in, W), b) as tf.Tensor2D;
    return ARCHITECTURE[sae.cfg.architecture].activate(sae, pre, lo, hi);
  });
}

/** Dense latent activations [n, d_sae] of activations x [n, d_in]. */
export function encode(sae: Sae, x: tf.Tensor2D, opts: EncodeOptions = {}): tf.Tensor2D {
  checkActs(sae, x, opts.source);
  if (sae.cfg.architecture === "topk") {
    const sp = encodeSparse(sae, x, opts);
    const out = sparseToDense(sp, sae.cfg.d_sae);
    sp.indices.dispose();
    sp.values.dispose();
    return out;
  }
  if (sae.cfg.rescale_acts_by_decoder_norm) decoderNorms(sae);
  const { sae_in, denorm } = processInput(sae, x);
  disposeDenorm(denorm);
  const step = chunkSize(sae, x.shape[0], opts);
  const parts: tf.Tensor2D[] = [];
  try {
    for (let lo = 0; lo < sae.cfg.d_sae; lo += step)
      parts.push(activateChunk(sae, sae_in, lo, Math.min(sae.cfg.d_sae, lo + step)));
    return parts.length === 1 ? parts[0] : (tf.concat(parts, 1) as tf.Tensor2D);
  } finally {
    sae_in.dispose();
    if (parts.length > 1) parts.forEach((p) => p.dispose());
  }
}

/**
 * The k largest activations of each row, as indices + values sorted by value (descending). k defaults to the
 * SAE's k for topk SAEs and must be given for the others. Chunked: per chunk of latents its own top-k, merged.
 */
export function encodeSparse(sae: Sae, x: tf.Tensor2D, opts: EncodeOptions & { k?: number } = {}): SparseActs {
  checkActs(sae, x, opts.source);
  const k = opts.k ?? sae.cfg.k;
  if (k === undefined) throw new MolabError(`encodeSparse: a ${sae.cfg.architecture} SAE needs k (how many latents)`);
  if (!Number.isInteger(k) || k <= 0 || k > sae.cfg.d_sae)
    throw new MolabError(`encodeSparse: k must be an integer in 1..${sae.cfg.d_sae} (d_sae), got ${k}`);
  if (sae.cfg.architecture === "topk" && k > sae.cfg.k!)
    throw new MolabError(`encodeSparse: k ${k} is more than the topk SAE's k ${sae.cfg.k}`);
  if (sae.cfg.rescale_acts_by_decoder_norm) decoderNorms(sae);
  const n = x.shape[0];
  const step = chunkSize(sae, n, opts);
  const vals = new Float32Array(n * k).fill(-Infinity);
  const idx = new Int32Array(n * k).fill(-1);
  const { sae_in, denorm } = processInput(sae, x);
  disposeDenorm(denorm);
  try {
    for (let lo = 0; lo < sae.cfg.d_sae; lo += step) {
      const hi = Math.min(sae.cfg.d_sae, lo + step);
      const kc = Math.min(k, hi - lo);
      const [cv, ci] = tf.tidy(() => {
        const r = tf.topk(activateChunk(sae, sae_in, lo, hi), kc, true);
        return [r.values.dataSync() as Float32Array, r.indices.dataSync() as Int32Array];
      });
      mergeTopK(vals, idx, cv, ci, n, k, kc, lo);
    }
  } finally {
    sae_in.dispose();
  }
  for (let i = 0; i < vals.length; i++) if (!(vals[i] > 0)) vals[i] = 0; // ReLU on the kept values
  return { indices: tf.tensor2d(idx, [n, k], "int32"), values: tf.tensor2d(vals, [n, k]) };
}

/** Merge a chunk's sorted top-kc (ids offset by lo) into the running sorted top-k of every row; earlier wins ties. */
function mergeTopK(
  vals: Float32Array,
  idx: Int32Array,
  cv: Float32Array,
  ci: Int32Array,
  n: number,
  k: number,
  kc: number,
  lo: number,
): void {
  const mv = new Float32Array(k);
  const mi = new Int32Array(k);
  for (let r = 0; r < n; r++) {
    let a = r * k;
    let b = r * kc;
    const aEnd = a + k;
    const bEnd = b + kc;
    for (let j = 0; j < k; j++) {
      if (b < bEnd && (a >= aEnd || cv[b] > vals[a])) ((mv[j] = cv[b]), (mi[j] = ci[b] + lo), b++);
      else ((mv[j] = vals[a]), (mi[j] = idx[a]), a++);
    }
    vals.set(mv, r * k);
    idx.set(mi, r * k);
  }
}

/** A dense [n, d_sae] tensor from sparse activations. */
export function sparseToDense(sp: SparseActs, d_sae: number): tf.Tensor2D {
  const [n, k] = sp.indices.shape;
  const ids = sp.indices.dataSync();
  const v = sp.values.dataSync();
  const out = new Float32Array(n * d_sae);
  for (let r = 0; r < n; r++)
    for (let j = 0; j < k; j++)
      if (ids[r * k + j] >= 0 && v[r * k + j] !== 0) out[r * d_sae + ids[r * k + j]] = v[r * k + j];
  return tf.tensor2d(out, [n, d_sae]);
}

function finishDecode(sae: Sae, y: tf.Tensor, denorm?: Denorm): tf.Tensor2D {
  return tf.tidy(() => {
    let out = tf.add(y, sae.b_dec);
    if (denorm?.scale) out = tf.mul(out, denorm.scale);
    if (denorm?.shift) out = tf.add(out, denorm.shift);
    return out as tf.Tensor2D;
  });
}

/**
 * Reconstruction [n, d_in] from dense activations [n, d_sae], chunked over latents. Pass the `denorm` of
 * `processInput` to return to the input's scale when the SAE normalizes per row (constant_norm_rescale,
 * layer_norm); without it the reconstruction stays in the normalized space.
 */
export function decode(sae: Sae, acts: tf.Tensor2D, denorm?: Denorm, opts: EncodeOptions = {}): tf.Tensor2D {
  const { d_sae } = sae.cfg;
  if (acts.rank !== 2 || acts.shape[1] !== d_sae)
    throw new MolabError(`decode: activations must be [n, ${d_sae}] (d_sae), got [${acts.shape.join(", ")}]`);
  const norms = sae.cfg.rescale_acts_by_decoder_norm ? decoderNorms(sae) : undefined;
  const step = chunkSize(sae, acts.shape[0], opts);
  let y = tf.zeros([acts.shape[0], sae.cfg.d_in]);
  for (let lo = 0; lo < d_sae; lo += step) {
    const hi = Math.min(d_sae, lo + step);
    const next = tf.tidy(() => {
      let a = hi - lo === d_sae ? acts : tf.slice(acts, [0, lo], [-1, hi - lo]);
      if (norms) a = tf.div(a, tf.slice(norms, [lo], [hi - lo]));
      const W = hi - lo === d_sae ? sae.W_dec : tf.slice(sae.W_dec, [lo, 0], [hi - lo, -1]);
      return tf.add(y, tf.matMul(a, W));
    });
    y.dispose();
    y = next;
  }
  const out = finishDecode(sae, y, denorm);
  y.dispose();
  return out;
}

/** Reconstruction [n, d_in] from sparse activations: Σ_j values[:, j] · W_dec[indices[:, j]], in row chunks. */
export function decodeSparse(sae: Sae, sp: SparseActs, denorm?: Denorm): tf.Tensor2D {
  const [n, k] = sp.indices.shape;
  const norms = sae.cfg.rescale_acts_by_decoder_norm ? decoderNorms(sae) : undefined;
  const rows = Math.max(1, Math.floor(2 ** 24 / Math.max(1, k * sae.cfg.d_in)));
  const parts: tf.Tensor[] = [];
  for (let r = 0; r < n; r += rows) {
    const m = Math.min(rows, n - r);
    parts.push(
      tf.tidy(() => {
        const ids = tf.reshape(tf.maximum(tf.slice(sp.indices, [r, 0], [m, k]), tf.scalar(0, "int32")), [
          m * k,
        ]) as tf.Tensor1D;
        let v = tf.reshape(tf.slice(sp.values, [r, 0], [m, k]), [m * k, 1]);
        if (norms) v = tf.div(v, tf.reshape(tf.gather(norms, ids), [m * k, 1]));
        const rowsW = tf.mul(tf.gather(sae.W_dec, ids), v);
        return tf.sum(tf.reshape(rowsW, [m, k, sae.cfg.d_in]), 1);
      }),
    );
  }
  const y = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  if (parts.length > 1) parts.forEach((p) => p.dispose());
  const out = finishDecode(sae, y, denorm);
  y.dispose();
  return out;
}

/** x̂ = decode(encode(x)), back in the input's scale. */
export function reconstruct(sae: Sae, x: tf.Tensor2D, opts: EncodeOptions = {}): tf.Tensor2D {
  const acts = encode(sae, x, opts);
  // processInput again only for the denormalization (cheap next to the encode)
  const { sae_in, denorm } = processInput(sae, x);
  sae_in.dispose();
  try {
    return decode(sae, acts, denorm, opts);
  } finally {
    acts.dispose();
    disposeDenorm(denorm);
  }
}
