/**
 * Activations at one hook point, computed no further than needed: reading `blocks.L.*` runs blocks 0 … L only
 * (`stopAtLayer` L + 1), so no later layer and no lm_head is computed — what SAE encoding at a hook needs.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { runWithCache, disposeActivations, hookNames, type Model, type RunWithCacheOptions } from "../model/index.ts";

/** How many blocks must run to reach `hook` (undefined: the whole model, for ln_final). */
export function stopLayerFor(hook: string): number | undefined {
  if (hook === "hook_embed") return 0;
  const m = /^blocks\.(\d+)\./.exec(hook);
  return m ? Number(m[1]) + 1 : undefined;
}

export type ExtractOptions = Omit<RunWithCacheOptions, "names" | "stopAtLayer">;

/**
 * The activation at `hook` for ids [B][T], as [B, T, d] (attn.hook_z flattened over heads to [B, T, H·D], as
 * SAELens' hook_z SAEs read it). The caller disposes it.
 */
export function extractActivations(
  model: Model,
  ids: number[][],
  hook: string,
  opts: ExtractOptions = {},
): tf.Tensor3D {
  if (!hookNames(model).includes(hook))
    throw new MolabError(
      `extractActivations: ${JSON.stringify(hook)} is not a hook point of this model (see hookNames)`,
    );
  if (hook.endsWith("attn.hook_pattern"))
    throw new MolabError(`extractActivations: ${hook} is an attention pattern, not a vector per token`);
  const { logits, cache } = runWithCache(model, ids, { ...opts, names: [hook], stopAtLayer: stopLayerFor(hook) });
  logits.dispose();
  const act = cache[hook];
  delete cache[hook];
  disposeActivations(cache);
  if (act.rank === 3) return act as tf.Tensor3D;
  const [B, T] = act.shape;
  const flat = tf.reshape(act, [B, T, -1]) as tf.Tensor3D;
  act.dispose();
  return flat;
}
