/**
 * Per-forward attention inputs: additive masks (causal, left padding, sliding window) and RoPE cos/sin tables,
 * one per layer type. Computed in JavaScript with float32 rounding at the same steps as transformers
 * (inv_freq, position·inv_freq, cos/sin), so positions and frequencies match it bit for bit or within an ulp.
 */
import { tf } from "../backend.ts";
import type { LayerType, ModelConfig, RopeConfig } from "./config.ts";

export interface AttentionContext {
  B: number;
  T: number;
  past: number;
  /** Additive [B|1, 1, 1, T, S] (0 or −1e9) per layer type; null when nothing is masked. */
  masks: Record<LayerType, tf.Tensor | null>;
  /** [B|1, T, 1, D] tables per layer type, each pre-multiplied by √attnScale (applied to both q and k). */
  rope: Record<LayerType, { cos: tf.Tensor; sin: tf.Tensor }>;
}

const f32 = Math.fround;
const NEG = -1e9;

/** RoPE inverse frequencies (head_dim / 2 of them), as transformers computes them in float32. */
export function inverseFrequencies(r: RopeConfig, headDim: number): Float32Array {
  const n = headDim / 2;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = f32(1 / f32(Math.pow(r.theta, f32((2 * i) / headDim))));
    if (r.type === "linear") v = f32(v / r.factor);
    else if (r.type === "llama3") {
      const orig = r.originalMaxPositionEmbeddings;
      const lowWl = orig / r.lowFreqFactor;
      const highWl = orig / r.highFreqFactor;
      const wl = (2 * Math.PI) / v;
      let w = wl > lowWl ? v / r.factor : v;
      const smooth = (orig / wl - r.lowFreqFactor) / (r.highFreqFactor - r.lowFreqFactor);
      if (!(wl < highWl) && !(wl > lowWl)) w = ((1 - smooth) * w) / r.factor + smooth * w;
      v = f32(w);
    }
    out[i] = v;
  }
  return out;
}

/** Position ids of the new tokens: cumsum(mask) − 1 (pads get 1), or past + t without a mask. One row if all agree. */
export function positionIds(B: number, T: number, past: number, mask?: number[][]): number[][] {
  if (!mask) return [Array.from({ length: T }, (_, t) => past + t)];
  const rows = mask.map((m) => {
    const pos: number[] = [];
    let c = 0;
    for (let j = 0; j < past + T; j++) {
      c += m[j] ? 1 : 0;
      if (j >= past) pos.push(m[j] ? c - 1 : 1);
    }
    return pos;
  });
  return rows.every((r) => r.join() === rows[0].join()) ? [rows[0]] : rows.slice(0, B);
}

export function buildRope(
  config: ModelConfig,
  B: number,
  T: number,
  past: number,
  mask?: number[][],
): AttentionContext["rope"] {
  const D = config.headDim;
  const pos = positionIds(B, T, past, mask);
  const s = Math.sqrt(config.attnScale);
  const made = new Map<RopeConfig, { cos: tf.Tensor; sin: tf.Tensor }>();
  const out = {} as AttentionContext["rope"];
  for (const type of new Set(config.layerTypes)) {
    const r = config.rope[type];
    let t = made.get(r);
    if (!t) {
      const inv = inverseFrequencies(r, D);
      const cos = new Float32Array(pos.length * T * D);
      const sin = new Float32Array(pos.length * T * D);
      let o = 0;
      for (const row of pos) {
        for (const p of row) {
          for (let i = 0; i < D; i++) {
            const a = f32(f32(p) * inv[i % (D / 2)]);
            cos[o] = f32(Math.cos(a)) * s;
            sin[o] = f32(Math.sin(a)) * s;
            o++;
          }
        }
      }
      t = { cos: tf.tensor4d(cos, [pos.length, T, 1, D]), sin: tf.tensor4d(sin, [pos.length, T, 1, D]) };
      made.set(r, t);
    }
    out[type] = t;
  }
  return out;
}

export function buildMasks(
  config: ModelConfig,
  B: number,
  T: number,
  past: number,
  mask?: number[][],
): AttentionContext["masks"] {
  const S = past + T;
  const padded = !!mask && mask.some((r) => r.some((v) => !v));
  const out = { full_attention: null, sliding_attention: null } as AttentionContext["masks"];
  for (const type of new Set(config.layerTypes)) {
    const W = type === "sliding_attention" && config.slidingWindow ? config.slidingWindow : Infinity;
    if (!padded && T === 1 && S <= W) continue;
    const rows = padded ? B : 1;
    const m = new Float32Array(rows * T * S);
    let o = 0;
    for (let b = 0; b < rows; b++) {
      for (let t = 0; t < T; t++) {
        const i = past + t;
        for (let j = 0; j < S; j++) m[o++] = j <= i && j > i - W && (!padded || mask![b][j]) ? 0 : NEG;
      }
    }
    out[type] = tf.tensor(m, [rows, 1, 1, T, S]);
  }
  return out;
}
