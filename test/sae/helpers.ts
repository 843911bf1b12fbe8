/** Shared by the SAE tests: random SAEs, a plain-loops reference encoder, comparisons. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { tf } from "../../lib/backend.ts";
import { createRng } from "../../lib/rng.ts";
import { makeSae, type Sae, type SaeConfig } from "../../lib/sae/index.ts";

export function randn(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * rng.normal();
  return out;
}

/** A random SAE of an architecture (threshold for jumprelu), in memory. */
export function randomSae(
  architecture: SaeConfig["architecture"],
  d_in: number,
  d_sae: number,
  seed: number,
  over: Partial<SaeConfig> = {},
): Sae {
  const cfg: SaeConfig = {
    architecture,
    d_in,
    d_sae,
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    format: "memory",
    source: "test",
    metadata: {},
    hook_name: "blocks.0.hook_resid_post",
    ...(architecture === "topk" ? { k: 4, rescale_acts_by_decoder_norm: false } : {}),
    ...over,
  };
  return makeSae(cfg, {
    W_enc: tf.tensor2d(randn(d_in * d_sae, seed, 0.3), [d_in, d_sae]),
    b_enc: tf.tensor1d(randn(d_sae, seed + 1, 0.1)),
    W_dec: tf.tensor2d(randn(d_sae * d_in, seed + 2, 0.3), [d_sae, d_in]),
    b_dec: tf.tensor1d(randn(d_in, seed + 3, 0.1)),
    ...(architecture === "jumprelu" ? { threshold: tf.tensor1d(randn(d_sae, seed + 4, 0.1).map(Math.abs)) } : {}),
  });
}

/** SAELens' encode, written with loops over plain arrays (the same formulas, no tfjs). */
export function referenceEncode(sae: Sae, x: Float32Array, n: number, reluFirst = false): Float32Array {
  const { d_in, d_sae } = sae.cfg;
  const We = sae.W_enc.dataSync();
  const be = sae.b_enc.dataSync();
  const bd = sae.b_dec.dataSync();
  const Wd = sae.W_dec.dataSync();
  const th = sae.threshold?.dataSync();
  const out = new Float32Array(n * d_sae);
  for (let r = 0; r < n; r++) {
    let row = Array.from(x.subarray(r * d_in, (r + 1) * d_in));
    if (sae.cfg.normalize_activations === "constant_norm_rescale") {
      const norm = Math.hypot(...row);
      row = row.map((v) => (v * Math.sqrt(d_in)) / norm);
    } else if (sae.cfg.normalize_activations === "layer_norm") {
      const mu = row.reduce((a, b) => a + b, 0) / d_in;
      const std = Math.sqrt(row.reduce((a, b) => a + (b - mu) ** 2, 0) / (d_in - 1));
      row = row.map((v) => (v - mu) / (std + 1e-5));
    }
    if (sae.cfg.apply_b_dec_to_input) row = row.map((v, i) => v - bd[i]);
    const pre = new Float64Array(d_sae);
    for (let j = 0; j < d_sae; j++) {
      let s = be[j];
      for (let i = 0; i < d_in; i++) s += row[i] * We[i * d_sae + j];
      if (sae.cfg.rescale_acts_by_decoder_norm) {
        let q = 0;
        for (let i = 0; i < d_in; i++) q += Wd[j * d_in + i] ** 2;
        s *= Math.sqrt(q);
      }
      pre[j] = s;
    }
    const acts = Array.from(pre, (p, j) => (th ? (p > th[j] ? Math.max(p, 0) : 0) : reluFirst ? Math.max(p, 0) : p));
    if (sae.cfg.architecture === "topk") {
      const order = acts.map((v, j) => j).sort((a, b) => acts[b] - acts[a]);
      for (const j of order.slice(0, sae.cfg.k)) out[r * d_sae + j] = Math.max(acts[j], 0);
    } else for (let j = 0; j < d_sae; j++) out[r * d_sae + j] = Math.max(acts[j], 0);
  }
  return out;
}

export function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string): number {
  assert.equal(a.length, b.length, `${what}: length`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  assert.ok(max <= tol, `${what}: max abs diff ${max} > ${tol}`);
  return max;
}

/**
 * Writes `ref` (a topk SAE) as a sparsify hookpoint folder — `cfg.json` and `sae.safetensors` with encoder.weight
 * stored [d_sae, d_in] — and returns the cfg written.
 */
export async function writeSparsifySae(
  dir: string,
  ref: Sae,
  o: { k: number; expansion_factor: number },
): Promise<Record<string, unknown>> {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = {
    activation: "topk",
    expansion_factor: o.expansion_factor,
    normalize_decoder: true,
    num_latents: ref.cfg.d_sae,
    k: o.k,
    d_in: ref.cfg.d_in,
  };
  fs.writeFileSync(path.join(dir, "cfg.json"), JSON.stringify(cfg));
  const encT = tf.transpose(ref.W_enc);
  const st = { "encoder.weight": encT, "encoder.bias": ref.b_enc, W_dec: ref.W_dec, b_dec: ref.b_dec };
  await writeSafetensors(path.join(dir, "sae.safetensors"), st);
  encT.dispose();
  return cfg;
}
