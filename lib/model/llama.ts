/**
 * One decoder for the Llama family (llama, mistral, qwen2, qwen3, gemma2, gemma3_text), driven by `ModelConfig`.
 *
 * Layout choices, for speed on tfjs-wasm (where only un-batched, un-transposed matmuls reach XNNPACK and every op
 * costs ~26 µs of dispatch): weights are stored pre-transposed as [in, out]; q/k/v are one fused matmul; RoPE is
 * applied to q and k together (rotate_half is a ±1 matmul); √scale is folded into the RoPE tables so q·k comes out
 * scaled; GQA is computed without repeating k/v (query heads are grouped per kv head); K is cached as [B,KV,D,S].
 *
 * ## LoRA attachment (read by lib/lora)
 * Every projection is a `Linear` record in `model.linears`, keyed by its Hugging Face module name
 * (`model.layers.3.self_attn.q_proj`, `…mlp.down_proj`). Set `linear.lora = {A, B, scale}` (PEFT layout:
 * A [r, in], B [out, r]) and the forward adds `scale · (x·Aᵀ)·Bᵀ` to that module's output; delete it to detach.
 * Fused q/k/v stays fused: each part's delta is added to its own columns. Base weights are plain tensors, so
 * `tf.variableGrads(() => loss(forward(...)))` trains only the adapter variables. edit.ts has the rest:
 * `linearWeight`/`addToLinearWeight` read or change one projection in HF layout [out, in] (merging), and
 * `makeTrainable` turns base weights into variables for full-parameter training — run that forward with
 * `embedding: "onehot"` so the embedding has a gradient on wasm (gather has none there).
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { LayerType, ModelConfig } from "./config.ts";
import { buildMasks, buildRope, type AttentionContext } from "./attention_inputs.ts";
import { rmsNorm, rmsNormCore } from "./rms_norm.ts";

/** A low-rank delta on one projection: y += scale · (dropout(x)·Aᵀ)·Bᵀ. A [r, in], B [out, r] (PEFT layout). */
export interface LoraDelta {
  A: tf.Tensor;
  B: tf.Tensor;
  scale: number;
  /** Applied to the adapter's input only when ForwardOptions.training is set. */
  dropout?: number;
  /** Seed for each dropout mask (called once per masked forward). */
  seed?: () => number;
}

/** One projection of the checkpoint (`name` is its Hugging Face module name). */
export interface Linear {
  readonly name: string;
  readonly inFeatures: number;
  readonly outFeatures: number;
  lora?: LoraDelta;
}

/** A frozen projection computed elsewhere (lib/native keeps its weight outside the wasm heap): y = x·Wᵀ (+ bias). */
export interface FrozenWeight {
  apply(x: tf.Tensor, bias?: tf.Tensor): tf.Tensor;
  /** Rows of W (an embedding lookup), for a frozen embedding. */
  gather(ids: tf.Tensor): tf.Tensor;
}

/** One matmul: weight [in, Σ out] (pre-transposed), the parts it computes side by side (q|k|v, or one). */
export interface Dense {
  weight: tf.Tensor;
  /** When set, the product runs on it and `weight` is an empty placeholder. */
  frozen?: FrozenWeight;
  bias?: tf.Tensor;
  readonly parts: Linear[];
}

export interface Block {
  readonly index: number;
  readonly type: LayerType;
  /** Norm multipliers as applied (Gemma's 1 + w already added). */
  inputNorm: tf.Tensor;
  postAttnNorm?: tf.Tensor;
  preMlpNorm: tf.Tensor;
  postMlpNorm?: tf.Tensor;
  qNorm?: tf.Tensor;
  kNorm?: tf.Tensor;
  qkv: Dense;
  o: Dense;
  gate: Dense;
  up: Dense;
  down: Dense;
}

export interface Model {
  readonly config: ModelConfig;
  /** Token embeddings: [vocab, hidden]; with tied embeddings the lm_head itself, [hidden, vocab]. */
  embed: tf.Tensor;
  /** Output projection [hidden, vocab]; the same tensor as `embed` when embeddings are tied. */
  lmHead: tf.Tensor;
  finalNorm: tf.Tensor;
  readonly blocks: Block[];
  /** Every projection by Hugging Face module name: where LoRA deltas are attached. */
  readonly linears: Map<string, Linear>;
  /** rotate_half as a [head_dim, head_dim] ±1 matrix. */
  readonly rotate: tf.Tensor;
  /** Frozen embedding [vocab, hidden] / output projection held outside tfjs (then `embed`/`lmHead` are placeholders). */
  frozenEmbed?: FrozenWeight;
  frozenLmHead?: FrozenWeight;
}

/** Reads or replaces one activation. Return a tensor of the same shape to replace it, or nothing to keep it. */
export type HookFn = (activation: tf.Tensor, name: string) => tf.Tensor | void;
/** Hooks by TransformerLens name, or a function from name to hook. */
export type Hooks = Record<string, HookFn> | ((name: string) => HookFn | undefined);

/** Per-sequence key/value cache, grown by `forward` (K as [B,KV,D,S], V as [B,KV,S,D] per layer). */
export interface KVCache {
  k: (tf.Tensor | null)[];
  v: (tf.Tensor | null)[];
  length: number;
}

export interface ForwardOptions {
  /** [B][S] with 1 for real tokens and 0 for (left) padding, S = cached length + new length. Default all ones. */
  attentionMask?: number[][];
  /** Grown in place: new keys/values are appended and the old tensors disposed. */
  cache?: KVCache;
  hooks?: Hooks;
  /** "onehot" makes the embedding a one-hot matmul, which has a gradient on wasm (slower). Default "gather". */
  embedding?: "gather" | "onehot";
  /** Only the last position's logits ([B,1,V]); what generation needs. */
  lastOnly?: boolean;
  /**
   * Only these positions' logits, as flat indices b·T + t into the batch: [1, P, V] in this order (training needs
   * logits only where a target is learned; the final norm and lm_head then run on P rows instead of B·T).
   */
  positions?: number[];
  /** Enables LoRA dropout. */
  training?: boolean;
  /**
   * Run blocks 0 … L−1 only and return the residual stream after them, [B, T, h] (= blocks.{L−1}.hook_resid_post),
   * instead of logits: no later block, final norm or lm_head is computed (TransformerLens' stop_at_layer). 0 returns
   * the embeddings. Not with a cache.
   */
  stopAtLayer?: number;
}

export function createCache(model: Model): KVCache {
  const n = model.blocks.length;
  return { k: new Array(n).fill(null), v: new Array(n).fill(null), length: 0 };
}

export function disposeCache(cache: KVCache): void {
  for (const t of [...cache.k, ...cache.v]) t?.dispose();
  cache.k.fill(null);
  cache.v.fill(null);
  cache.length = 0;
}

function loraDelta(l: LoraDelta, x: tf.Tensor, training: boolean): tf.Tensor {
  const xin = training && l.dropout ? tf.dropout(x, l.dropout, undefined, l.seed?.()) : x;
  // A [r, in] and B [out, r] as PEFT stores them, used transposed by the matmul itself (no Transpose ops, forward or
  // backward).
  const h = tf.mul(tf.matMul(xin, l.A, false, true), l.scale);
  return tf.matMul(h, l.B, false, true);
}

/** x [N, in] → [N, Σ out], with any attached LoRA deltas added to their parts' columns. */
export function dense(d: Dense, x: tf.Tensor, training = false): tf.Tensor {
  let y = d.frozen
    ? d.frozen.apply(x, d.bias)
    : d.bias
      ? tf.fused.matMul({ a: x as tf.Tensor2D, b: d.weight as tf.Tensor2D, bias: d.bias })
      : tf.matMul(x, d.weight);
  if (d.parts.some((p) => p.lora)) {
    const n = x.shape[0];
    const deltas = d.parts.map((p) => (p.lora ? loraDelta(p.lora, x, training) : tf.zeros([n, p.outFeatures])));
    y = tf.add(y, deltas.length === 1 ? deltas[0] : tf.concat(deltas, 1));
  }
  return y;
}

/** Batched [n,M,K]·[n,K,N]: one kernel when small, else n XNNPACK matmuls (the wasm batched kernel is a naive loop). */
function bmm(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const [n, m, k] = a.shape as number[];
  const cols = b.shape[2] as number;
  if (n === 1) return tf.reshape(tf.matMul(tf.reshape(a, [m, k]), tf.reshape(b, [k, cols])), [1, m, cols]);
  // lib/native's BLAS kernel runs batches itself: one call is always best there.
  if ((tf.getKernel("BatchMatMul", tf.getBackend()) as { molabNative?: boolean } | undefined)?.molabNative)
    return tf.matMul(a, b);
  // Naive loop ≈ 1.3 GFLOP/s; XNNPACK ≈ 16 GFLOP/s but ~4 dispatches per item.
  const flops = 2 * n * m * k * cols;
  if (flops / 1.3e9 < flops / 16e9 + n * 4 * 30e-6) return tf.matMul(a, b);
  const as = tf.split(a, n, 0);
  const bs = tf.split(b, n, 0);
  return tf.stack(as.map((ai, i) => tf.matMul(tf.reshape(ai, [m, k]), tf.reshape(bs[i], [k, cols]))));
}

function activation(model: Model, g: tf.Tensor): tf.Tensor {
  switch (model.config.activation) {
    case "silu":
      return tf.mul(g, tf.sigmoid(g));
    case "gelu_tanh": {
      // 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) = x·σ(2√(2/π)(x + 0.044715x³))
      const inner = tf.mul(g, tf.add(tf.mul(tf.square(g), 0.044715), 1));
      return tf.mul(g, tf.sigmoid(tf.mul(inner, 2 * Math.sqrt(2 / Math.PI))));
    }
    case "gelu":
      return tf.mul(tf.mul(g, 0.5), tf.add(tf.erf(tf.mul(g, Math.SQRT1_2)), 1));
  }
}

class Run {
  constructor(
    readonly model: Model,
    readonly opts: ForwardOptions,
    readonly ctx: AttentionContext,
    private lookup: ((name: string) => HookFn | undefined) | undefined,
  ) {}

  /** Apply the hook named `name` (if any) to x, whose hooked shape is `shape`; returns x in x's own shape. */
  hook(name: string, x: tf.Tensor, shape: number[]): tf.Tensor {
    const fn = this.lookup?.(name);
    if (!fn) return x;
    const seen = tf.reshape(x, shape);
    const r = fn(seen, name);
    if (r === undefined || r === seen) return x;
    if (!(r instanceof tf.Tensor) || r.shape.join() !== shape.join()) {
      throw new MolabError(
        `hook ${name} returned ${r instanceof tf.Tensor ? `shape [${r.shape}]` : typeof r}; expected a tensor of shape [${shape}]`,
      );
    }
    return tf.reshape(r, x.shape);
  }

  attention(blk: Block, x: tf.Tensor, cache: KVCache | undefined, newKV: tf.Tensor[]): tf.Tensor {
    const { numHeads: H, numKvHeads: KV, headDim: D, rmsNormEps: eps, attnSoftcap } = this.model.config;
    const { B, T } = this.ctx;
    const G = H / KV;
    const qkv = dense(blk.qkv, x, this.opts.training);
    const [qkFlat, vFlat] = tf.split(qkv, [(H + KV) * D, KV * D], 1);
    let qk = tf.reshape(qkFlat, [B, T, H + KV, D]);
    if (blk.qNorm && blk.kNorm) {
      const w = tf.concat([tf.broadcastTo(blk.qNorm, [H, D]), tf.broadcastTo(blk.kNorm, [KV, D])], 0);
      qk = tf.mul(rmsNormCore(qk, eps), w);
    }
    const P = `blocks.${blk.index}.attn`;
    if (this.lookup?.(`${P}.hook_q`) || this.lookup?.(`${P}.hook_k`)) {
      // q [B,T,H,D] and k [B,T,KV,D] before the rotary embedding (TransformerLens' hook_q / hook_k)
      const [q0, k0] = tf.split(qk, [H, KV], 2);
      qk = tf.concat([this.hook(`${P}.hook_q`, q0, [B, T, H, D]), this.hook(`${P}.hook_k`, k0, [B, T, KV, D])], 2);
    }
    const vHooked = this.hook(`${P}.hook_v`, vFlat, [B, T, KV, D]); // [B·T, KV·D] viewed as [B,T,KV,D]
    const { cos, sin } = this.ctx.rope[blk.type];
    const rotated = tf.reshape(tf.matMul(tf.reshape(qk, [B * T * (H + KV), D]), this.model.rotate), [B, T, H + KV, D]);
    qk = tf.add(tf.mul(qk, cos), tf.mul(rotated, sin));
    const [q5, k4] = tf.split(qk, [H, KV], 2);
    // With one new token (decoding) these transposes only move a size-1 axis: a reshape does.
    const perm = (x: tf.Tensor, p: number[], shape: number[]) => (T === 1 ? tf.reshape(x, shape) : tf.transpose(x, p));
    const q = tf.reshape(perm(tf.reshape(q5, [B, T, KV, G, D]), [0, 2, 3, 1, 4], [B, KV, G, T, D]), [B * KV, G * T, D]);
    let k = perm(k4, [0, 2, 3, 1], [B, KV, D, T]);
    let v = perm(tf.reshape(vHooked, [B, T, KV, D]), [0, 2, 1, 3], [B, KV, T, D]);
    if (cache) {
      const pk = cache.k[blk.index];
      const pv = cache.v[blk.index];
      if (pk && pv) {
        k = tf.concat([pk, k], 3);
        v = tf.concat([pv, v], 2);
      }
      newKV.push(k, v);
    }
    const S = k.shape[3] as number;
    let scores = bmm(q, tf.reshape(k, [B * KV, D, S])); // [B·KV, G·T, S], already scaled
    if (attnSoftcap) scores = tf.mul(tf.tanh(tf.div(scores, attnSoftcap)), attnSoftcap);
    const mask = this.ctx.masks[blk.type];
    let s5 = tf.reshape(scores, [B, KV, G, T, S]);
    if (mask) s5 = tf.add(s5, mask);
    let probs = tf.softmax(s5);
    probs = this.hook(`blocks.${blk.index}.attn.hook_pattern`, probs, [B, H, T, S]);
    const out = bmm(tf.reshape(probs, [B * KV, G * T, S]), tf.reshape(v, [B * KV, S, D]));
    let z = tf.reshape(perm(tf.reshape(out, [B, KV, G, T, D]), [0, 3, 1, 2, 4], [B, T, KV, G, D]), [B * T, H * D]);
    z = this.hook(`blocks.${blk.index}.attn.hook_z`, z, [B, T, H, D]);
    return dense(blk.o, z, this.opts.training);
  }

  block(blk: Block, x: tf.Tensor, cache: KVCache | undefined, newKV: tf.Tensor[]): tf.Tensor {
    const { rmsNormEps: eps, hiddenSize: h, intermediateSize: I } = this.model.config;
    const { B, T } = this.ctx;
    const L = `blocks.${blk.index}`;
    x = this.hook(`${L}.hook_resid_pre`, x, [B, T, h]);
    let a = this.attention(blk, rmsNorm(x, blk.inputNorm, eps), cache, newKV);
    if (blk.postAttnNorm) a = rmsNorm(a, blk.postAttnNorm, eps);
    a = this.hook(`${L}.hook_attn_out`, a, [B, T, h]);
    x = this.hook(`${L}.hook_resid_mid`, tf.add(x, a), [B, T, h]);
    const m = rmsNorm(x, blk.preMlpNorm, eps);
    const pre = this.hook(`${L}.mlp.hook_pre`, dense(blk.gate, m, this.opts.training), [B, T, I]);
    const preLinear = this.hook(`${L}.mlp.hook_pre_linear`, dense(blk.up, m, this.opts.training), [B, T, I]);
    let act = tf.mul(activation(this.model, pre), preLinear);
    act = this.hook(`${L}.mlp.hook_post`, act, [B, T, I]);
    let mo = dense(blk.down, act, this.opts.training);
    if (blk.postMlpNorm) mo = rmsNorm(mo, blk.postMlpNorm, eps);
    mo = this.hook(`${L}.hook_mlp_out`, mo, [B, T, h]);
    return this.hook(`${L}.hook_resid_post`, tf.add(x, mo), [B, T, h]);
  }

  embed(flatIds: tf.Tensor): tf.Tensor {
    const { embed, config } = this.model;
    const tied = config.tieWordEmbeddings;
    let x: tf.Tensor;
    if (this.model.frozenEmbed) x = this.model.frozenEmbed.gather(flatIds);
    else if (this.opts.embedding === "onehot") {
      // oneHot(…, "float32") on wasm (tfjs 4.22) writes int32 bits into the float buffer: cast instead.
      x = tf.matMul(tf.cast(tf.oneHot(flatIds, config.vocabSize), "float32"), embed, false, tied);
    } else x = tied ? tf.transpose(tf.gather(embed, flatIds, 1)) : tf.gather(embed, flatIds, 0);
    if (config.embedScale !== 1) x = tf.mul(x, config.embedScale);
    return x;
  }
}

function validateIds(model: Model, ids: number[][]): void {
  const V = model.config.vocabSize;
  if (ids.length === 0 || ids[0].length === 0) throw new MolabError("forward: empty input (no token ids)");
  const T = ids[0].length;
  ids.forEach((row, b) => {
    if (row.length !== T)
      throw new MolabError(`forward: row ${b} has ${row.length} ids, row 0 has ${T} (pad the batch to one length)`);
    row.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= V) {
        throw new MolabError(
          `forward: token id ${id} at row ${b}, position ${t} is outside the vocabulary (0..${V - 1})`,
        );
      }
    });
  });
}

/**
 * Logits [B, T, V] (or [B, 1, V] with `lastOnly`) for ids [B][T]. With a cache, ids are the new tokens only and
 * attentionMask covers cached + new positions. Position ids follow transformers' generate: cumsum(mask) − 1.
 * With `stopAtLayer` L, the residual stream [B, T, h] after block L−1 instead.
 */
export function forward(model: Model, ids: number[][], opts: ForwardOptions = {}): tf.Tensor {
  validateIds(model, ids);
  const B = ids.length;
  const T = ids[0].length;
  const cache = opts.cache;
  const past = cache?.length ?? 0;
  if (cache && cache.k.length !== model.blocks.length)
    throw new MolabError("forward: the cache belongs to another model");
  const mask = opts.attentionMask;
  if (mask && (mask.length !== B || mask.some((r) => r.length !== past + T))) {
    throw new MolabError(`forward: attentionMask must be [${B}][${past + T}] (batch × cached+new length)`);
  }
  const stop = opts.stopAtLayer;
  if (stop !== undefined) {
    if (!Number.isInteger(stop) || stop < 0 || stop > model.blocks.length)
      throw new MolabError(`forward: stopAtLayer must be an integer in 0..${model.blocks.length}, got ${stop}`);
    if (cache) throw new MolabError("forward: stopAtLayer cannot be used with a KV cache (later layers would miss it)");
  }
  if (opts.positions) {
    if (opts.lastOnly || stop !== undefined)
      throw new MolabError("forward: positions cannot be used with lastOnly or stopAtLayer");
    const bad = opts.positions.find((p) => !Number.isInteger(p) || p < 0 || p >= B * T);
    if (bad !== undefined) throw new MolabError(`forward: position ${bad} is outside 0..${B * T - 1} (batch × length)`);
  }
  const hooks = opts.hooks;
  const lookup = hooks === undefined ? undefined : typeof hooks === "function" ? hooks : (n: string) => hooks[n];
  const { hiddenSize: h, vocabSize: V, rmsNormEps: eps, finalSoftcap } = model.config;
  const newKV: tf.Tensor[] = [];
  const logits = tf.tidy(() => {
    const ctx: AttentionContext = {
      B,
      T,
      past,
      masks: buildMasks(model.config, B, T, past, mask),
      rope: buildRope(model.config, B, T, past, mask),
    };
    const run = new Run(model, opts, ctx, lookup);
    let x = run.embed(tf.tensor1d(ids.flat(), "int32"));
    x = run.hook("hook_embed", x, [B, T, h]);
    for (const blk of stop === undefined ? model.blocks : model.blocks.slice(0, stop))
      x = run.block(blk, x, cache, newKV);
    if (stop !== undefined) return tf.reshape(x, [B, T, h]);
    if (opts.lastOnly && T > 1) x = tf.reshape(tf.slice(tf.reshape(x, [B, T, h]), [0, T - 1, 0], [B, 1, h]), [B, h]);
    const pos = opts.positions;
    if (pos) x = tf.gather(tf.reshape(x, [B * T, h]), tf.tensor1d(pos, "int32")); // [P, h]
    const rows = opts.lastOnly ? 1 : T;
    let hf = rmsNorm(x, model.finalNorm, eps);
    if (!pos && (!opts.lastOnly || T === 1)) hf = run.hook("ln_final.hook_normalized", hf, [B, rows, h]);
    let out = model.frozenLmHead ? model.frozenLmHead.apply(hf) : tf.matMul(hf, model.lmHead);
    if (finalSoftcap) out = tf.mul(tf.tanh(tf.div(out, finalSoftcap)), finalSoftcap);
    newKV.forEach((t) => tf.keep(t));
    return pos ? tf.reshape(out, [1, pos.length, V]) : tf.reshape(out, [B, rows, V]);
  });
  if (cache) {
    for (let i = 0; i < model.blocks.length; i++) {
      cache.k[i]?.dispose();
      cache.v[i]?.dispose();
      cache.k[i] = newKV[2 * i];
      cache.v[i] = newKV[2 * i + 1];
    }
    cache.length = past + T;
  }
  return logits;
}
