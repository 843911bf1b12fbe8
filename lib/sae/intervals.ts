/**
 * Confidence intervals for an SAE's FVE and L0 on held-out sequences: each sequence is reduced to sufficient
 * statistics (tokens, Σ‖x − x̂‖², Σx, Σ‖x‖², active latents), and a percentile bootstrap resamples whole
 * sequences (tokens within a sequence are not independent) and recomputes the pooled FVE and L0 of each
 * resample exactly as `evaluateSae` does over all tokens. Also counts how often each latent fires (the
 * feature-density histogram of SAE reports).
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { Model } from "../model/index.ts";
import { createRng } from "../rng.ts";
import { encode, reconstruct } from "./encode.ts";
import { extractActivations } from "./extract.ts";
import type { Sae } from "./sae.ts";
import type { TokenSequence } from "./store.ts";

/** One sequence's sufficient statistics for pooled FVE and L0. */
export interface SequenceStats {
  tokens: number;
  resid: number;
  sumX: Float64Array;
  sumSq: number;
  active: number;
}

export interface Interval {
  estimate: number;
  ci: [number, number];
}

export interface SaeIntervals {
  fve: Interval;
  l0: Interval;
  /** Held-out sequences (the bootstrap's units) and tokens. */
  sequences: number;
  tokens: number;
  /** Share of held-out tokens on which each latent fired. */
  density: number[];
}

/** Per-sequence statistics of `sae` reading `hook` of `model`, and the firing count of each latent. */
export function sequenceStats(model: Model, sae: Sae, hook: string, seqs: TokenSequence[]) {
  const { d_in, d_sae } = sae.cfg;
  const fired = new Float64Array(d_sae);
  const stats: SequenceStats[] = seqs.map((s) => {
    const [x, z, r] = tf.tidy(() => {
      const a = tf.reshape(extractActivations(model, [s.ids], hook), [s.ids.length, d_in]);
      const kept = tf.gather(a, tf.tensor1d(s.keep, "int32")) as tf.Tensor2D;
      return [kept, encode(sae, kept), reconstruct(sae, kept)];
    });
    const xv = x.dataSync(),
      zv = z.dataSync(),
      rv = r.dataSync();
    tf.dispose([x, z, r]);
    const st: SequenceStats = { tokens: s.keep.length, resid: 0, sumX: new Float64Array(d_in), sumSq: 0, active: 0 };
    for (let i = 0; i < xv.length; i++) {
      st.resid += (xv[i] - rv[i]) ** 2;
      st.sumX[i % d_in] += xv[i];
      st.sumSq += xv[i] * xv[i];
    }
    for (let i = 0; i < zv.length; i++)
      if (zv[i] !== 0) {
        st.active++;
        fired[i % d_sae]++;
      }
    return st;
  });
  return { stats, fired };
}

/** Pooled FVE (1 − Σresid / Σ‖x − mean‖², mean over the pooled tokens) and L0 of sequences taken `counts` times. */
export function pooled(stats: SequenceStats[], counts?: ArrayLike<number>): { fve: number; l0: number } {
  const d = stats[0].sumX.length;
  const sumX = new Float64Array(d);
  let n = 0,
    resid = 0,
    sumSq = 0,
    active = 0;
  stats.forEach((s, i) => {
    const c = counts ? counts[i] : 1;
    if (!c) return;
    n += c * s.tokens;
    resid += c * s.resid;
    sumSq += c * s.sumSq;
    active += c * s.active;
    for (let j = 0; j < d; j++) sumX[j] += c * s.sumX[j];
  });
  let meanSq = 0;
  for (let j = 0; j < d; j++) meanSq += sumX[j] * sumX[j];
  const total = sumSq - meanSq / n;
  return { fve: total > 0 ? 1 - resid / total : NaN, l0: n ? active / n : NaN };
}

function percentile(sorted: number[], q: number): number {
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** FVE and L0 with percentile-bootstrap 95% CIs over sequences, and per-latent firing density. */
export function saeIntervals(
  model: Model,
  sae: Sae,
  hook: string,
  seqs: TokenSequence[],
  o: { resamples?: number; seed?: number } = {},
): SaeIntervals {
  if (seqs.length < 2) throw new MolabError(`saeIntervals: need at least 2 held-out sequences, got ${seqs.length}`);
  const { stats, fired } = sequenceStats(model, sae, hook, seqs);
  const all = pooled(stats);
  const rng = createRng(`${o.seed ?? 0}:sae-intervals`);
  const fves: number[] = [];
  const l0s: number[] = [];
  const counts = new Float64Array(stats.length);
  for (let b = 0; b < (o.resamples ?? 1000); b++) {
    counts.fill(0);
    for (let i = 0; i < stats.length; i++) counts[rng.int(stats.length)]++;
    const p = pooled(stats, counts);
    fves.push(p.fve);
    l0s.push(p.l0);
  }
  const ci = (v: number[]): [number, number] => {
    const s = v.filter(Number.isFinite).sort((a, b) => a - b);
    return [percentile(s, 0.025), percentile(s, 0.975)];
  };
  const tokens = stats.reduce((a, s) => a + s.tokens, 0);
  return {
    fve: { estimate: all.fve, ci: ci(fves) },
    l0: { estimate: all.l0, ci: ci(l0s) },
    sequences: stats.length,
    tokens,
    density: Array.from(fired, (c) => c / tokens),
  };
}
