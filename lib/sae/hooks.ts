/**
 * Where an SAE reads the model: each format's hook names mapped to ours (TransformerLens names, lib/model/hooks.ts),
 * and the check that an SAE fits a model (its hook exists there and its d_in is that hook's width).
 *
 * - SAELens uses TransformerLens names already (`blocks.3.hook_resid_post`); taken as they are.
 * - sparsify names modules of the HF model: `layers.N` is the output of decoder layer N = hidden_states[N+1] =
 *   `blocks.N.hook_resid_post`; `layers.N.mlp` → `blocks.N.hook_mlp_out`; `layers.N.self_attn` →
 *   `blocks.N.hook_attn_out`; `embed_tokens` → `hook_embed` (a leading `model.` is dropped).
 * - GemmaScope's paths say `layer_N` and the site in the release name (`…-res`, `…-mlp`, `…-att`): resid_post,
 *   hook_mlp_out and attn.hook_z.
 */
import { MolabError } from "../errors.ts";
import { hookNames, type Model } from "../model/index.ts";
import type { Sae } from "./sae.ts";

/** Our hook for a sparsify hookpoint (the folder name), or undefined when it has no counterpart. */
export function sparsifyHook(hookpoint: string): string | undefined {
  const h = hookpoint.replace(/^model\./, "");
  if (h === "embed_tokens") return "hook_embed";
  const m = /^layers\.(\d+)(?:\.(mlp|self_attn))?$/.exec(h);
  if (!m) return undefined;
  const site = m[2] === "mlp" ? "hook_mlp_out" : m[2] === "self_attn" ? "hook_attn_out" : "hook_resid_post";
  return `blocks.${m[1]}.${site}`;
}

/** Our hook for a GemmaScope params.npz path (`…/gemma-scope-2b-pt-res/layer_12/width_16k/…`), if it says. */
export function gemmaScopeHook(file: string): string | undefined {
  const layer = /layer_(\d+)/.exec(file)?.[1];
  if (layer === undefined) return undefined;
  if (/(^|[-_/])res([-_/]|$)/.test(file)) return `blocks.${layer}.hook_resid_post`;
  if (/(^|[-_/])mlp([-_/]|$)/.test(file)) return `blocks.${layer}.hook_mlp_out`;
  if (/(^|[-_/])att([-_/]|$)/.test(file)) return `blocks.${layer}.attn.hook_z`;
  return undefined;
}

/** The width of a hook's activation in a model (attn.hook_z/q/k/v flattened over heads, as SAELens' hook_z SAEs read it). */
export function hookWidth(model: Model, hook: string): number | undefined {
  const c = model.config;
  if (/\.mlp\.hook_(post|pre|pre_linear)$/.test(hook)) return c.intermediateSize;
  if (/\.attn\.hook_[zq]$/.test(hook)) return c.numHeads * c.headDim;
  if (/\.attn\.hook_[kv]$/.test(hook)) return c.numKvHeads * c.headDim;
  if (/\.attn\.hook_pattern$/.test(hook)) return undefined;
  return c.hiddenSize;
}

/**
 * Check that an SAE can read `model`: its hook is one of the model's hook points and its d_in is that hook's width.
 * `hook` overrides the SAE's own. Returns the hook. Errors name the SAE's config file and field.
 */
export function checkSaeFitsModel(sae: Sae, model: Model, hook?: string): string {
  const cfg = sae.cfg;
  const h = hook ?? cfg.hook_name;
  const field = cfg.format === "saelens" ? "metadata.hook_name" : "hook";
  if (h === undefined)
    throw new MolabError(
      `${cfg.source}: the SAE does not say which hook it reads` +
        (cfg.source_hook ? ` (${JSON.stringify(cfg.source_hook)} has no counterpart in our hook names)` : "") +
        `; pass a hook such as "blocks.2.hook_resid_post"`,
    );
  const names = hookNames(model);
  if (!names.includes(h))
    throw new MolabError(
      `${cfg.source}: ${field} ${JSON.stringify(h)} is not a hook point of this model ` +
        `(${model.config.numLayers} layers: blocks.0 … blocks.${model.config.numLayers - 1}; e.g. "blocks.0.hook_resid_post")`,
    );
  const width = hookWidth(model, h);
  if (width === undefined) throw new MolabError(`${cfg.source}: hook ${JSON.stringify(h)} is not a vector per token`);
  if (width !== cfg.d_in)
    throw new MolabError(
      `${cfg.source}: field "d_in" is ${cfg.d_in}, but ${h} of this model has width ${width} (hidden_size ${model.config.hiddenSize})`,
    );
  return h;
}
