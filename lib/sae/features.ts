/**
 * Pooled SAE features per text: the model (with whatever LoRA adapter is attached) runs up to the SAE's hook only,
 * the SAE encodes every token, and the latents are pooled over the text's tokens (mean, max or the last token),
 * optionally only over the scratchpad span (`<SCRATCHPAD_REASONING>` … `</SCRATCHPAD_REASONING>`, markers included).
 * One text per forward, so no padding enters the pool.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { Model, Tokenizer } from "../model/index.ts";
import { encode } from "./encode.ts";
import { extractActivations } from "./extract.ts";
import { checkSaeFitsModel } from "./hooks.ts";
import type { Sae } from "./sae.ts";

export type Pool = "mean" | "max" | "last";
export const POOLS: readonly Pool[] = ["mean", "max", "last"];

export interface PooledFeatures {
  /** [n, d_sae] row-major. */
  features: Float32Array;
  n: number;
  d_sae: number;
  /** Tokens pooled per text. */
  tokens: number[];
  hook: string;
  pool: Pool;
}

export interface PoolOptions {
  pool?: Pool;
  /** Our hook name, when the SAE's own is missing or to override it. */
  hook?: string;
  /** Latents per chunk in the SAE encode. */
  chunk?: number;
}

/** Pool latents [t, d_sae] over tokens. */
function poolRows(z: tf.Tensor2D, pool: Pool): tf.Tensor1D {
  return tf.tidy(() => {
    if (pool === "mean") return tf.mean(z, 0) as tf.Tensor1D;
    if (pool === "max") return tf.max(z, 0) as tf.Tensor1D;
    return tf.reshape(tf.slice(z, [z.shape[0] - 1, 0], [1, -1]), [-1]) as tf.Tensor1D;
  });
}

/**
 * Pooled features of token sequences. `spans[i]` = [start, end) restricts text i's pool to those positions (the
 * forward still sees the whole sequence).
 */
export function pooledFeatures(
  model: Model,
  sae: Sae,
  ids: number[][],
  opts: PoolOptions & { spans?: ([number, number] | undefined)[] } = {},
): PooledFeatures {
  const pool = opts.pool ?? "mean";
  if (!POOLS.includes(pool))
    throw new MolabError(`pooledFeatures: pool must be one of ${POOLS.join(", ")}, got ${pool}`);
  const hook = checkSaeFitsModel(sae, model, opts.hook);
  const { d_sae } = sae.cfg;
  const features = new Float32Array(ids.length * d_sae);
  const tokens: number[] = [];
  ids.forEach((seq, i) => {
    if (seq.length === 0) throw new MolabError(`pooledFeatures: text ${i} has no tokens`);
    const [lo, hi] = opts.spans?.[i] ?? [0, seq.length];
    if (!(Number.isInteger(lo) && Number.isInteger(hi) && 0 <= lo && lo < hi && hi <= seq.length))
      throw new MolabError(`pooledFeatures: span [${lo}, ${hi}) of text ${i} is not inside its ${seq.length} tokens`);
    const acts = extractActivations(model, [seq], hook);
    const x = tf.tidy(() => tf.slice(tf.reshape(acts, [seq.length, -1]), [lo, 0], [hi - lo, -1]) as tf.Tensor2D);
    acts.dispose();
    const z = encode(sae, x, { chunk: opts.chunk, source: `text ${i} at ${hook}` });
    x.dispose();
    const p = poolRows(z, pool);
    features.set(p.dataSync() as Float32Array, i * d_sae);
    tf.dispose([z, p]);
    tokens.push(hi - lo);
  });
  return { features, n: ids.length, d_sae, tokens, hook, pool };
}

const OPEN = "<SCRATCHPAD_REASONING>";
const CLOSE = "</SCRATCHPAD_REASONING>";

/**
 * Token ids of a text and, with `scratchpad`, the token span of its scratchpad. The text is encoded as
 * prefix + span + suffix so the span's boundaries are token boundaries (the markers are added tokens in the
 * tiny assistant, so this is the whole text's tokenization there).
 */
export function tokenizeWithSpan(
  tokenizer: Tokenizer,
  text: string,
  scratchpad: boolean,
  what = "text",
): { ids: number[]; span?: [number, number] } {
  if (!scratchpad) return { ids: tokenizer.encode(text) };
  const a = text.indexOf(OPEN);
  if (a < 0) throw new MolabError(`${what}: no ${OPEN} to restrict the features to`);
  const c = text.indexOf(CLOSE, a);
  const b = c < 0 ? text.length : c + CLOSE.length;
  // special tokens (BOS) come with the first piece, even when the prefix is empty
  const pre = tokenizer.encode(text.slice(0, a));
  const mid = tokenizer.encode(text.slice(a, b), { addSpecialTokens: false });
  const post = b < text.length ? tokenizer.encode(text.slice(b), { addSpecialTokens: false }) : [];
  return { ids: [...pre, ...mid, ...post], span: [pre.length, pre.length + mid.length] };
}

/** Pooled SAE features of texts (see pooledFeatures); `scratchpad` pools only over each text's scratchpad. */
export function pooledTextFeatures(
  model: Model,
  tokenizer: Tokenizer,
  sae: Sae,
  texts: string[],
  opts: PoolOptions & { scratchpad?: boolean } = {},
): PooledFeatures {
  const enc = texts.map((t, i) => tokenizeWithSpan(tokenizer, t, opts.scratchpad ?? false, `text ${i}`));
  return pooledFeatures(
    model,
    sae,
    enc.map((e) => e.ids),
    { ...opts, spans: enc.map((e) => e.span) },
  );
}
