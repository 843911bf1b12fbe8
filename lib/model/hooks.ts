/**
 * Hook points with TransformerLens names, run-with-cache, and the two replacement hooks later stages use
 * (steering adds a direction, ablation projects it out).
 *
 * Names and shapes (B batch, T new tokens, S cached + new, h hidden, H heads, D head_dim, I intermediate):
 *   hook_embed                       [B,T,h]  embeddings (× √h on Gemma) = blocks.0.hook_resid_pre
 *   blocks.{L}.hook_resid_pre        [B,T,h]
 *   blocks.{L}.attn.hook_q           [B,T,H,D] queries before the rotary embedding (after Qwen3/Gemma 3's q-norm)
 *   blocks.{L}.attn.hook_k           [B,T,KV,D] keys before the rotary embedding (KV heads, as TransformerLens' GQA)
 *   blocks.{L}.attn.hook_v           [B,T,KV,D] values
 *   blocks.{L}.attn.hook_pattern     [B,H,T,S] softmax attention weights
 *   blocks.{L}.attn.hook_z           [B,T,H,D] per-head attention output, before o_proj
 *   blocks.{L}.hook_attn_out         [B,T,h]  what attention adds to the residual (after Gemma's post-attention norm)
 *   blocks.{L}.hook_resid_mid        [B,T,h]
 *   blocks.{L}.mlp.hook_pre          [B,T,I]  gate_proj output, before the activation
 *   blocks.{L}.mlp.hook_pre_linear   [B,T,I]  up_proj output
 *   blocks.{L}.mlp.hook_post         [B,T,I]  act(gate)·up, the input of down_proj
 *   blocks.{L}.hook_mlp_out          [B,T,h]  what the MLP adds to the residual (after Gemma's post-feedforward norm)
 *   blocks.{L}.hook_resid_post       [B,T,h]  = transformers' hidden_states[L+1] for L < last
 *   ln_final.hook_normalized         [B,T,h]  = transformers' last hidden_states entry (after the final norm)
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { forward, type ForwardOptions, type HookFn, type Hooks, type Model } from "./llama.ts";

/** Every hook point of `model`, in the order the forward reaches them. */
export function hookNames(model: Model): string[] {
  const out = ["hook_embed"];
  for (let L = 0; L < model.blocks.length; L++) {
    const p = `blocks.${L}.`;
    out.push(
      p + "hook_resid_pre",
      p + "attn.hook_q",
      p + "attn.hook_k",
      p + "attn.hook_v",
      p + "attn.hook_pattern",
      p + "attn.hook_z",
      p + "hook_attn_out",
      p + "hook_resid_mid",
      p + "mlp.hook_pre",
      p + "mlp.hook_pre_linear",
      p + "mlp.hook_post",
      p + "hook_mlp_out",
      p + "hook_resid_post",
    );
  }
  out.push("ln_final.hook_normalized");
  return out;
}

export interface RunWithCacheOptions extends Omit<ForwardOptions, "hooks" | "cache" | "lastOnly"> {
  /** Which activations to keep: exact names or a predicate. Default: every hook point. */
  names?: string[] | ((name: string) => boolean);
  /** Hooks that run first (steering, patching); the cache records what they return. */
  hooks?: Hooks;
}

export interface ActivationCache {
  /** [B, T, V]; with `stopAtLayer` L, the residual stream [B, T, h] after block L−1 (TransformerLens does the same). */
  logits: tf.Tensor;
  /** Activations by hook name (shapes as listed above). The caller disposes them (`disposeActivations`). */
  cache: Record<string, tf.Tensor>;
}

/** One forward that records the named activations (TransformerLens' run_with_cache). */
export function runWithCache(model: Model, ids: number[][], opts: RunWithCacheOptions = {}): ActivationCache {
  const valid = new Set(hookNames(model));
  const { names, hooks, ...rest } = opts;
  if (Array.isArray(names)) {
    const bad = names.filter((n) => !valid.has(n));
    if (bad.length)
      throw new MolabError(
        `runWithCache: unknown hook name${bad.length > 1 ? "s" : ""} ` +
          `${bad.map((n) => JSON.stringify(n)).join(", ")} (e.g. "blocks.0.hook_resid_post"; see hookNames)`,
      );
  }
  const wanted = names === undefined ? () => true : Array.isArray(names) ? (n: string) => names.includes(n) : names;
  const user = hooks === undefined ? undefined : typeof hooks === "function" ? hooks : (n: string) => hooks[n];
  const cache: Record<string, tf.Tensor> = {};
  const lookup = (name: string): HookFn | undefined => {
    const u = user?.(name);
    if (!wanted(name)) return u;
    return (act, n) => {
      const r = u ? u(act, n) : undefined;
      cache[n] = tf.keep(tf.clone(r ?? act));
      return r;
    };
  };
  try {
    const logits = forward(model, ids, { ...rest, hooks: lookup });
    return { logits, cache };
  } catch (e) {
    disposeActivations(cache);
    throw e;
  }
}

export function disposeActivations(cache: Record<string, tf.Tensor>): void {
  tf.dispose(Object.values(cache));
}

/** A hook adding `coeff · direction` ([h], or broadcastable to the activation) — activation steering. */
export function steeringHook(direction: tf.Tensor, coeff = 1): HookFn {
  return (act) => tf.add(act, tf.mul(direction, coeff));
}

/** A hook removing the component along `direction` ([h]) from every position: x − (x·d̂) d̂ — directional ablation. */
export function ablationHook(direction: tf.Tensor): HookFn {
  return (act) => {
    const d = tf.div(direction, tf.norm(direction));
    const proj = tf.sum(tf.mul(act, d), -1, true);
    return tf.sub(act, tf.mul(proj, d));
  };
}
