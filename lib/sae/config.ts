/**
 * An SAE's configuration, in SAELens v6 terms (the lingua franca: sparsify and GemmaScope SAEs are described the same
 * way once loaded), and the readers of SAELens' cfg.json — v6 and the pre-6.0 layout, converted the way SAELens'
 * `handle_pre_6_0_config` does (hook_point → hook_name, activation_fn_str → activation_fn, topk + activation_fn_kwargs.k
 * → architecture topk with k, a boolean normalize_activations → expected_average_only_in or none).
 */
import { MolabError } from "../errors.ts";

export const ARCHITECTURES = ["standard", "topk", "jumprelu", "gated"] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

/**
 * How activations are scaled before encoding (and back after decoding), SAELens' `normalize_activations`:
 * - none: as they are;
 * - expected_average_only_in: x · s with a dataset constant s (SAELens folds s into the weights when it loads a
 *   pretrained SAE, so from a folder it is the identity unless `norm_scaling_factor` is given);
 * - constant_norm_rescale: x · √d_in / ‖x‖ per row (the reconstruction is divided by that factor again);
 * - layer_norm: (x − mean) / (std + 1e-5), std unbiased as torch's (the reconstruction gets · std + mean back).
 */
export const NORMALIZATIONS = ["none", "expected_average_only_in", "constant_norm_rescale", "layer_norm"] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

/** Which file format the SAE came from; decides a few conventions (sparsify applies ReLU before top-k). */
export type SaeFormat = "saelens" | "sparsify" | "gemmascope" | "memory";

export interface SaeConfig {
  architecture: ArchitectureName;
  d_in: number;
  d_sae: number;
  /** Subtract b_dec from the input before encoding (SAELens default true; GemmaScope false; sparsify true). */
  apply_b_dec_to_input: boolean;
  normalize_activations: Normalization;
  /** The constant s of expected_average_only_in when it is not folded into the weights. */
  norm_scaling_factor?: number;
  /** topk: latents kept per row. */
  k?: number;
  /** topk: rank hidden_pre · ‖W_dec[i]‖ and divide by it again in decode (SAELens' rescale_acts_by_decoder_norm). */
  rescale_acts_by_decoder_norm?: boolean;
  /** Our hook point (TransformerLens names, lib/model/hooks.ts), when the format says or implies one. */
  hook_name?: string;
  /** The hook as the source format names it (`layers.3`, `blocks.3.hook_resid_post`, `layer_3/…`). */
  source_hook?: string;
  format: SaeFormat;
  /** Where the config came from, for error messages. */
  source: string;
  /** Everything else of the source config's metadata, kept so a SAELens writer can pass it on. */
  metadata: Record<string, unknown>;
}

/** A MolabError naming the file and the field. */
export function fieldError(file: string, field: string, why: string): MolabError {
  return new MolabError(`${file}: field "${field}" ${why}`);
}

export function positiveInt(raw: Record<string, unknown>, field: string, file: string): number {
  const v = raw[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0)
    throw fieldError(file, field, `must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function bool(raw: Record<string, unknown>, field: string, file: string, fallback: boolean): boolean {
  const v = raw[field];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean") throw fieldError(file, field, `must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Check the parts every architecture shares: k within d_sae for topk, a known normalization. */
export function validateConfig(cfg: SaeConfig): SaeConfig {
  const file = cfg.source;
  if (!ARCHITECTURES.includes(cfg.architecture))
    throw fieldError(
      file,
      "architecture",
      `is ${JSON.stringify(cfg.architecture)}; supported: ${ARCHITECTURES.join(", ")} (transcoders are not)`,
    );
  if (!NORMALIZATIONS.includes(cfg.normalize_activations))
    throw fieldError(
      file,
      "normalize_activations",
      `is ${JSON.stringify(cfg.normalize_activations)}; expected one of ${NORMALIZATIONS.join(", ")}`,
    );
  if (cfg.architecture === "topk") {
    if (cfg.k === undefined || !Number.isInteger(cfg.k) || cfg.k <= 0)
      throw fieldError(file, "k", `must be a positive integer for a topk SAE, got ${JSON.stringify(cfg.k)}`);
    if (cfg.k > cfg.d_sae) throw fieldError(file, "k", `is ${cfg.k}, more than d_sae ${cfg.d_sae}`);
  }
  if (cfg.norm_scaling_factor !== undefined && !(cfg.norm_scaling_factor > 0))
    throw fieldError(file, "norm_scaling_factor", `must be a positive number, got ${cfg.norm_scaling_factor}`);
  return cfg;
}

/** SAELens' version test: a config is v6 when sae_lens_version (top level or in metadata) is ≥ 6.0.0-rc.0. */
function isV6(raw: Record<string, unknown>): boolean {
  const meta = (raw.metadata ?? {}) as Record<string, unknown>;
  const v = raw.sae_lens_version ?? meta.sae_lens_version;
  if (typeof v !== "string") return false;
  const major = Number(/^(\d+)/.exec(v)?.[1]);
  return Number.isFinite(major) && major >= 6;
}

/**
 * Read a SAELens cfg.json object into an SaeConfig. Pre-6.0 configs (no sae_lens_version ≥ 6) are converted first,
 * as SAELens does; the hook is `metadata.hook_name` (v6) or `hook_name` / `hook_point` (older).
 */
export function parseSaeLensConfig(raw: unknown, file: string): SaeConfig {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new MolabError(`${file}: expected a JSON object (a SAELens cfg.json)`);
  let r = raw as Record<string, unknown>;
  if (!isV6(r)) r = fromPre6(r, file);
  const meta = { ...((r.metadata ?? {}) as Record<string, unknown>) };
  const hook = meta.hook_name ?? r.hook_name;
  if (hook !== undefined && typeof hook !== "string")
    throw fieldError(file, "metadata.hook_name", `must be a string, got ${JSON.stringify(hook)}`);
  const arch = r.architecture ?? "standard";
  let norm = r.normalize_activations ?? "none";
  if (norm === null) norm = "none";
  const cfg: SaeConfig = {
    architecture: arch as ArchitectureName,
    d_in: positiveInt(r, "d_in", file),
    d_sae: positiveInt(r, "d_sae", file),
    apply_b_dec_to_input: bool(r, "apply_b_dec_to_input", file, true),
    normalize_activations: norm as Normalization,
    hook_name: hook as string | undefined,
    source_hook: hook as string | undefined,
    format: "saelens",
    source: file,
    metadata: meta,
  };
  if (typeof r.norm_scaling_factor === "number") cfg.norm_scaling_factor = r.norm_scaling_factor;
  if (arch === "topk") {
    cfg.k = r.k as number;
    cfg.rescale_acts_by_decoder_norm = bool(r, "rescale_acts_by_decoder_norm", file, false);
  }
  return validateConfig(cfg);
}

/** Keys SAELens moves into `metadata` when it converts a pre-6.0 config (LLM_METADATA_KEYS, the ones we meet). */
const METADATA_KEYS = [
  "model_name",
  "hook_name",
  "hook_head_index",
  "model_class_name",
  "model_from_pretrained_kwargs",
  "prepend_bos",
  "dataset_path",
  "context_size",
  "neuronpedia_id",
  "sae_lens_training_version",
  "exclude_special_tokens",
  "sequence_separator_token",
];

/** SAELens' handle_pre_6_0_config, for the fields that change encoding. */
function fromPre6(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  const rename: Record<string, string> = {
    hook_point: "hook_name",
    hook_point_head_index: "hook_head_index",
    activation_fn_str: "activation_fn",
  };
  const c: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) c[rename[k] ?? k] = v;
  const fn = c.activation_fn ?? "relu";
  const kwargs = (c.activation_fn_kwargs ?? {}) as Record<string, unknown>;
  let arch = (c.architecture as string | undefined) ?? "standard";
  if (fn === "topk") {
    if (kwargs.k === undefined || kwargs.k === null)
      throw fieldError(file, "activation_fn_kwargs.k", "is missing; a pre-6.0 topk SAE needs it");
    arch = "topk";
    c.k = kwargs.k;
  } else if (fn !== "relu")
    throw fieldError(file, "activation_fn_str", `is ${JSON.stringify(fn)}; supported: relu, topk`);
  if (typeof c.normalize_activations === "boolean")
    c.normalize_activations = c.normalize_activations ? "expected_average_only_in" : "none";
  if (c.finetuning_scaling_factor === true)
    throw fieldError(
      file,
      "finetuning_scaling_factor",
      "is true; SAEs with a fine-tuned scaling factor are not supported",
    );
  const metadata: Record<string, unknown> = {};
  for (const k of METADATA_KEYS) if (k in c) metadata[k] = c[k];
  return { ...c, architecture: arch, metadata };
}

/** The SAELens v6 cfg.json of a config (what `SAE.save_model` writes). */
export function toSaeLensConfig(cfg: SaeConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    architecture: cfg.architecture,
    d_in: cfg.d_in,
    d_sae: cfg.d_sae,
    dtype: "float32",
    device: "cpu",
    apply_b_dec_to_input: cfg.apply_b_dec_to_input,
    normalize_activations: cfg.normalize_activations,
    reshape_activations: "none",
    metadata: {
      ...cfg.metadata,
      sae_lens_version: "6.0.0",
      ...(cfg.hook_name !== undefined ? { hook_name: cfg.hook_name } : {}),
    },
  };
  if (cfg.norm_scaling_factor !== undefined) out.norm_scaling_factor = cfg.norm_scaling_factor;
  if (cfg.architecture === "topk") {
    out.k = cfg.k;
    out.rescale_acts_by_decoder_norm = cfg.rescale_acts_by_decoder_norm ?? false;
  }
  return out;
}
