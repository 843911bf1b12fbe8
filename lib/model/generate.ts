/**
 * Autoregressive generation with a KV cache: greedy or sampled (temperature, top-k, top-p, seeded), batched prompts
 * left-padded to one length (positions and masks as transformers' generate makes them), stop tokens per row.
 * Greedy output equals transformers' `generate(do_sample=False)` token for token (test/model/parity.test.ts).
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { createCache, disposeCache, forward, type Hooks, type Model } from "./llama.ts";

export interface GenerateOptions {
  /** Default 64. */
  maxNewTokens?: number;
  /** 0 (default) = greedy. */
  temperature?: number;
  /** Keep the k most likely tokens before sampling (0 = off). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p (1 = off). */
  topP?: number;
  /** Sampling seed: the same seed, prompts and options give the same tokens. Default: random. */
  seed?: number;
  /** Ids that end a row (kept in its output). Default: the model's eos ids. */
  stopTokens?: number[];
  /** Id fed for left padding and for rows that have stopped. Default: pad_token_id, else the first eos, else 0. */
  padTokenId?: number;
  /** Hooks applied at every step (e.g. steering). */
  hooks?: Hooks;
  /** Called after each step with the token chosen for each row (-1 for rows already stopped). */
  onStep?: (step: number, tokens: number[]) => void;
}

export interface GenerateResult {
  /** New tokens per row, up to and including the stop token. */
  tokens: number[][];
  finishReason: ("stop" | "length")[];
}

/** mulberry32: a small seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sample one id from logits with temperature, top-k and top-p (transformers' order: temperature, top-k, top-p). */
export function sampleToken(
  logits: Float32Array,
  temperature: number,
  topK: number,
  topP: number,
  rand: () => number,
): number {
  const V = logits.length;
  let order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  if (topK > 0 && topK < V) order = order.slice(0, topK);
  const max = logits[order[0]];
  const w = order.map((i) => Math.exp((logits[i] - max) / temperature));
  const total = w.reduce((a, b) => a + b, 0);
  let n = order.length;
  if (topP < 1) {
    let cum = 0;
    for (let j = 0; j < order.length; j++) {
      cum += w[j] / total;
      if (cum >= topP) {
        n = j + 1;
        break;
      }
    }
  }
  const kept = w.slice(0, n).reduce((a, b) => a + b, 0);
  let r = rand() * kept;
  for (let j = 0; j < n; j++) {
    r -= w[j];
    if (r < 0) return order[j];
  }
  return order[n - 1];
}

function checkOptions(
  o: GenerateOptions,
): Required<Pick<GenerateOptions, "maxNewTokens" | "temperature" | "topK" | "topP">> {
  const maxNewTokens = o.maxNewTokens ?? 64;
  const temperature = o.temperature ?? 0;
  const topK = o.topK ?? 0;
  const topP = o.topP ?? 1;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1)
    throw new MolabError(`generate: maxNewTokens must be a positive integer, got ${maxNewTokens}`);
  if (!(temperature >= 0)) throw new MolabError(`generate: temperature must be ≥ 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0)
    throw new MolabError(`generate: topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new MolabError(`generate: topP must be in (0, 1], got ${topP}`);
  return { maxNewTokens, temperature, topK, topP };
}

/** Generate continuations of `prompts` (token ids; rows may differ in length and are left-padded). */
export function generate(model: Model, prompts: number[][], opts: GenerateOptions = {}): GenerateResult {
  const { maxNewTokens, temperature, topK, topP } = checkOptions(opts);
  if (prompts.length === 0) throw new MolabError("generate: no prompts");
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new MolabError(`generate: prompt ${i} is empty (it needs at least one token, e.g. BOS)`);
  });
  const c = model.config;
  const stop = new Set(opts.stopTokens ?? c.eosTokenIds);
  const pad = opts.padTokenId ?? c.padTokenId ?? c.eosTokenIds[0] ?? 0;
  const rand = seededRandom(opts.seed ?? Math.floor(Math.random() * 2 ** 32));
  const B = prompts.length;
  const T0 = Math.max(...prompts.map((p) => p.length));
  const ids = prompts.map((p) => [...new Array(T0 - p.length).fill(pad), ...p]);
  const mask = prompts.map((p) => [...new Array(T0 - p.length).fill(0), ...new Array(p.length).fill(1)]);
  const tokens: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const cache = createCache(model);
  try {
    let input = ids;
    for (let step = 0; step < maxNewTokens; step++) {
      const logits = forward(model, input, { cache, attentionMask: mask, hooks: opts.hooks, lastOnly: true });
      let next: number[];
      if (temperature === 0) {
        const am = tf.tidy(() => tf.argMax(tf.reshape(logits, [B, c.vocabSize]), 1));
        next = Array.from(am.dataSync());
        am.dispose();
      } else {
        const data = logits.dataSync() as Float32Array;
        next = Array.from({ length: B }, (_, b) =>
          sampleToken(data.subarray(b * c.vocabSize, (b + 1) * c.vocabSize), temperature, topK, topP, rand),
        );
      }
      logits.dispose();
      const chosen = next.map((t, b) => (done[b] ? -1 : t));
      chosen.forEach((t, b) => {
        if (t < 0) return;
        tokens[b].push(t);
        if (stop.has(t)) done[b] = true;
      });
      opts.onStep?.(step, chosen);
      if (done.every(Boolean) || step === maxNewTokens - 1) break;
      input = chosen.map((t) => [t < 0 ? pad : t]);
      mask.forEach((m) => m.push(1));
    }
  } finally {
    disposeCache(cache);
  }
  return { tokens, finishReason: done.map((d) => (d ? "stop" : "length")) };
}
