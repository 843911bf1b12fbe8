/**
 * The metrics SAE training reports (SAELens' evals; Gao et al. 2024):
 * - L0: latents active per token, averaged over tokens;
 * - FVE, fraction of variance explained: 1 − Σ‖x − x̂‖² / Σ‖x − mean‖² (mean over the same tokens, per dimension);
 * - dead %: latents that fired on none of the last N training tokens (dead.ts keeps the counters);
 * - CE-loss recovered: (CE_zero − CE_sae) / (CE_zero − CE_clean), the next-token loss of the model with the hook's
 *   activation replaced by the SAE's reconstruction (CE_sae) and by zeros (CE_zero), against the clean model's,
 *   on the tokens of the assistant's reply.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { forward, type Model } from "../model/index.ts";
import { weightedCrossEntropy } from "../train/loss.ts";
import { encode, reconstruct } from "./encode.ts";
import { extractActivations } from "./extract.ts";
import type { Sae } from "./sae.ts";
import type { TokenSequence } from "./store.ts";

/** Σ‖x − x̂‖² and Σ‖x − mean‖² of row-major [n, d] arrays; FVE = 1 − the first over the second. */
export function varianceParts(x: ArrayLike<number>, xhat: ArrayLike<number>, n: number, d: number) {
  if (x.length !== n * d || xhat.length !== n * d)
    throw new MolabError(`varianceParts: expected ${n}×${d} values, got ${x.length} and ${xhat.length}`);
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += x[r * d + j] / n;
  let resid = 0,
    total = 0;
  for (let i = 0; i < n * d; i++) {
    resid += (x[i] - xhat[i]) ** 2;
    total += (x[i] - mean[i % d]) ** 2;
  }
  return { resid, total };
}

/** Fraction of variance explained, 1 − Σ‖x − x̂‖² / Σ‖x − mean‖² over the rows of x [n, d]. */
export function fractionVarianceExplained(x: ArrayLike<number>, xhat: ArrayLike<number>, n: number, d: number): number {
  const { resid, total } = varianceParts(x, xhat, n, d);
  return total > 0 ? 1 - resid / total : NaN;
}

/** Mean number of non-zero latents per row of acts [n, d_sae]. */
export function meanL0(acts: ArrayLike<number>, n: number): number {
  let c = 0;
  for (let i = 0; i < acts.length; i++) if (acts[i] !== 0) c++;
  return n ? c / n : NaN;
}

/** (CE_zero − CE_sae) / (CE_zero − CE_clean): 1 when the SAE loses nothing, 0 when it is as bad as zeros. */
export function ceLossRecovered(ceClean: number, ceZero: number, ceSae: number): number {
  return (ceZero - ceSae) / (ceZero - ceClean);
}

/**
 * Mean next-token cross-entropy over the sequences' reply tokens (from `replyStart`; every token when it is 0): a
 * chat model is trained to predict replies, and its loss on the prompt says little.
 */
function meanCe(model: Model, seqs: TokenSequence[], hooksFor?: (s: TokenSequence) => Record<string, any>): number {
  let sum = 0,
    count = 0;
  for (const s of seqs) {
    const T = s.ids.length;
    const from = Math.max(1, s.replyStart ?? 0);
    if (T - from < 1) continue;
    const ce = tf.tidy(() => {
      const logits = forward(model, [s.ids], { hooks: hooksFor?.(s) });
      const V = logits.shape[2]!;
      const targets = tf.tensor1d([...s.ids.slice(1), 0], "int32");
      const w = tf.tensor1d(
        Array.from({ length: T }, (_, t) => (t + 1 < T && t + 1 >= from ? 1 : 0)),
        "float32",
      );
      return weightedCrossEntropy(tf.reshape(logits, [T, V]) as tf.Tensor2D, targets, w);
    });
    sum += ce.dataSync()[0];
    ce.dispose();
    count += T - from;
  }
  return count ? sum / count : NaN;
}

/** A [1, T, 1] mask with 1 at the positions the SAE reads (the sequence's kept positions). */
function keptMask(s: TokenSequence): tf.Tensor {
  const m = new Float32Array(s.ids.length);
  for (const p of s.keep) m[p] = 1;
  return tf.tensor3d(m, [1, s.ids.length, 1]);
}

export interface CeLossResult {
  ceClean: number;
  ceZero: number;
  ceSae: number;
  ceLossRecovered: number;
}

/**
 * CE-loss recovered on sequences: the forward runs three times per sequence — clean, with the hook's activation
 * replaced by zeros, and replaced by the SAE's reconstruction — at the positions the SAE was trained on (special
 * tokens it never saw keep their clean activation in both ablations).
 */
export function ceLossEval(model: Model, sae: Sae, hook: string, seqs: TokenSequence[]): CeLossResult {
  const splice = (zero: boolean) => (s: TokenSequence) => ({
    [hook]: (act: tf.Tensor) => {
      const m = keptMask(s);
      const [B, T, h] = act.shape;
      const x = tf.reshape(act, [B * T, h]) as tf.Tensor2D;
      const repl = zero
        ? tf.zerosLike(act)
        : tf.reshape(reconstruct(sae, x, { source: `${s.source} at ${hook}` }), act.shape);
      return tf.add(tf.mul(act, tf.sub(1, m)), tf.mul(repl, m));
    },
  });
  const ceClean = meanCe(model, seqs);
  const ceZero = meanCe(model, seqs, splice(true));
  const ceSae = meanCe(model, seqs, splice(false));
  return { ceClean, ceZero, ceSae, ceLossRecovered: ceLossRecovered(ceClean, ceZero, ceSae) };
}

export interface SaeEval extends CeLossResult {
  /** Fraction of variance explained on the held-out tokens. */
  fve: number;
  /** Mean active latents per held-out token. */
  l0: number;
  /** Latents that fired on none of the held-out tokens. */
  deadOnEval: number;
  tokens: number;
  sequences: number;
}

/** FVE, L0 and CE-loss recovered of an SAE (reading raw activations at `hook`) on held-out sequences. */
export function evaluateSae(model: Model, sae: Sae, hook: string, seqs: TokenSequence[]): SaeEval {
  const { d_in, d_sae } = sae.cfg;
  const xs: Float32Array[] = [];
  const xh: Float32Array[] = [];
  let active = 0,
    tokens = 0;
  const fired = new Uint8Array(d_sae);
  for (const s of seqs) {
    const [x, z, r] = tf.tidy(() => {
      const a = tf.reshape(extractActivations(model, [s.ids], hook), [s.ids.length, d_in]);
      const kept = tf.gather(a, tf.tensor1d(s.keep, "int32")) as tf.Tensor2D;
      return [kept, encode(sae, kept), reconstruct(sae, kept)];
    });
    const zv = z.dataSync();
    for (let i = 0; i < zv.length; i++)
      if (zv[i] !== 0) {
        active++;
        fired[i % d_sae] = 1;
      }
    xs.push(x.dataSync() as Float32Array);
    xh.push(r.dataSync() as Float32Array);
    tokens += s.keep.length;
    tf.dispose([x, z, r]);
  }
  const ce = ceLossEval(model, sae, hook, seqs);
  return {
    fve: fractionVarianceExplained(concat(xs), concat(xh), tokens, d_in),
    l0: tokens ? active / tokens : NaN,
    deadOnEval: fired.reduce((a, f) => a + (f ? 0 : 1), 0) / d_sae,
    tokens,
    sequences: seqs.length,
    ...ce,
  };
}

function concat(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
