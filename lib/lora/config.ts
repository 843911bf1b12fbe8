/**
 * LoRA configuration and PEFT's `adapter_config.json`, both ways.
 *
 * Field names and meanings are PEFT's (LoraConfig): `r`, `lora_alpha`, `lora_dropout`,
 * `target_modules` (a list of module-name suffixes, a regex string full-matched against the module
 * name, or "all-linear"), `layers_to_transform` (+ `layers_pattern`), `use_rslora` (scale α/√r
 * instead of α/r), `rank_pattern` / `alpha_pattern`. Features molab does not implement (DoRA, biases,
 * modules_to_save, fan_in_fan_out) are refused with a clear error instead of being ignored.
 */
import { MolabError, check } from "../errors.ts";

/** The seven projections of a Llama-family decoder layer. */
export const LLAMA_PROJECTIONS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] as const;

export interface LoraConfig {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  /** Module-name suffixes (`["q_proj","v_proj"]`), a regex string, or "all-linear". */
  target_modules: string[] | string;
  /** Only these decoder layers get adapters (null: all). */
  layers_to_transform: number[] | null;
  /** Name of the layer list in module names (null: PEFT's defaults, "layers" for Llama). */
  layers_pattern: string | null;
  use_rslora: boolean;
  /** Per-module overrides of r / lora_alpha, keyed by a module-name suffix or regex (PEFT semantics). */
  rank_pattern: Record<string, number>;
  alpha_pattern: Record<string, number>;
  base_model_name_or_path: string | null;
}

export const DEFAULT_LORA: LoraConfig = {
  r: 8,
  lora_alpha: 8,
  lora_dropout: 0,
  target_modules: ["q_proj", "v_proj"],
  layers_to_transform: null,
  layers_pattern: null,
  use_rslora: false,
  rank_pattern: {},
  alpha_pattern: {},
  base_model_name_or_path: null,
};

/** A complete config from a partial one, checked. */
export function loraConfig(partial: Partial<LoraConfig>): LoraConfig {
  const c: LoraConfig = { ...DEFAULT_LORA, ...partial };
  validate(c, "LoRA config");
  return c;
}

function validate(c: LoraConfig, where: string): void {
  check(Number.isInteger(c.r) && c.r >= 1, `${where}: r must be a positive integer, got ${JSON.stringify(c.r)}`);
  check(
    typeof c.lora_alpha === "number" && Number.isFinite(c.lora_alpha) && c.lora_alpha > 0,
    `${where}: lora_alpha must be a positive number, got ${JSON.stringify(c.lora_alpha)}`,
  );
  check(
    typeof c.lora_dropout === "number" && c.lora_dropout >= 0 && c.lora_dropout < 1,
    `${where}: lora_dropout must be in [0, 1), got ${JSON.stringify(c.lora_dropout)}`,
  );
  const tm = c.target_modules;
  check(
    (typeof tm === "string" && tm.length > 0) ||
      (Array.isArray(tm) && tm.length > 0 && tm.every((t) => typeof t === "string" && t.length > 0)),
    `${where}: target_modules must be a non-empty list of module names or a regex string, got ${JSON.stringify(tm)}`,
  );
  if (typeof tm === "string" && tm !== "all-linear") {
    try {
      new RegExp(tm);
    } catch {
      throw new MolabError(`${where}: target_modules ${JSON.stringify(tm)} is not a valid regular expression`);
    }
  }
  check(
    c.layers_to_transform === null ||
      (Array.isArray(c.layers_to_transform) &&
        c.layers_to_transform.length > 0 &&
        c.layers_to_transform.every((l) => Number.isInteger(l) && l >= 0)),
    `${where}: layers_to_transform must be null or a non-empty list of layer indices, got ${JSON.stringify(c.layers_to_transform)}`,
  );
  check(typeof c.use_rslora === "boolean", `${where}: use_rslora must be true or false`);
  for (const [k, v] of Object.entries(c.rank_pattern))
    check(Number.isInteger(v) && v >= 1, `${where}: rank_pattern[${JSON.stringify(k)}] must be a positive integer`);
  for (const [k, v] of Object.entries(c.alpha_pattern))
    check(typeof v === "number" && v > 0, `${where}: alpha_pattern[${JSON.stringify(k)}] must be a positive number`);
}

/** PEFT's scaling for one module: α/r, or α/√r with rsLoRA. */
export function loraScale(r: number, alpha: number, useRslora: boolean): number {
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** PEFT's get_pattern_key: the first pattern key whose regex matches the end of `name` at a dot boundary. */
function patternKey(keys: string[], name: string): string | undefined {
  for (const k of keys) {
    if (name === k || new RegExp(`^(.*\\.)?(${k})$`).test(name)) return k;
  }
  return undefined;
}

/** Rank and alpha for module `name` after rank_pattern / alpha_pattern. */
export function rankAlphaFor(c: LoraConfig, name: string): { r: number; alpha: number; scale: number } {
  const rk = patternKey(Object.keys(c.rank_pattern), name);
  const ak = patternKey(Object.keys(c.alpha_pattern), name);
  const r = rk !== undefined ? c.rank_pattern[rk] : c.r;
  const alpha = ak !== undefined ? c.alpha_pattern[ak] : c.lora_alpha;
  return { r, alpha, scale: loraScale(r, alpha, c.use_rslora) };
}

/** Decoder layer index of a module name (`model.layers.3.mlp.down_proj` → 3), PEFT's way. */
export function layerIndexOf(name: string, layersPattern: string | null): number | undefined {
  const pats = layersPattern ? [layersPattern] : ["layers", "h", "block", "blocks", "layer"];
  for (const p of pats) {
    const m = new RegExp(`.*\\.${p}\\.(\\d+)\\.`).exec(name);
    if (m) return Number(m[1]);
  }
  return undefined;
}

/**
 * Which of `linearNames` (HF module names of a model's linears) a config targets: PEFT's
 * check_target_module_exists — list entries match the whole name or a dot-suffix, a string is a
 * regex full-match, "all-linear" is every linear but the output head; then layers_to_transform.
 */
export function targetedModules(c: LoraConfig, linearNames: string[]): string[] {
  const tm = c.target_modules;
  const hit = (name: string): boolean => {
    if (tm === "all-linear") return !/(^|\.)lm_head$/.test(name);
    if (typeof tm === "string") return new RegExp(`^(?:${tm})$`).test(name);
    return tm.some((t) => name === t || name.endsWith("." + t));
  };
  const out: string[] = [];
  for (const name of linearNames) {
    if (!hit(name)) continue;
    if (c.layers_to_transform) {
      const li = layerIndexOf(name, c.layers_pattern);
      if (li === undefined || !c.layers_to_transform.includes(li)) continue;
    }
    out.push(name);
  }
  return out;
}

/** The adapter_config.json PEFT writes (and reads back) for this config. */
export function toPeftConfigJson(c: LoraConfig): Record<string, unknown> {
  return {
    peft_type: "LORA",
    task_type: "CAUSAL_LM",
    base_model_name_or_path: c.base_model_name_or_path,
    revision: null,
    r: c.r,
    lora_alpha: c.lora_alpha,
    lora_dropout: c.lora_dropout,
    target_modules: c.target_modules,
    layers_to_transform: c.layers_to_transform,
    layers_pattern: c.layers_pattern,
    use_rslora: c.use_rslora,
    rank_pattern: c.rank_pattern,
    alpha_pattern: c.alpha_pattern,
    bias: "none",
    fan_in_fan_out: false,
    init_lora_weights: true,
    inference_mode: true,
    modules_to_save: null,
    use_dora: false,
  };
}

/** Parse a PEFT adapter_config.json object (`file` names it in errors). */
export function fromPeftConfigJson(j: unknown, file: string): LoraConfig {
  check(j !== null && typeof j === "object" && !Array.isArray(j), `${file}: expected a JSON object`);
  const o = j as Record<string, unknown>;
  check(
    o.peft_type === undefined || o.peft_type === "LORA",
    `${file}: peft_type is ${JSON.stringify(o.peft_type)}; only LORA adapters are supported`,
  );
  check(
    o.task_type === undefined || o.task_type === null || o.task_type === "CAUSAL_LM",
    `${file}: task_type is ${JSON.stringify(o.task_type)}; expected CAUSAL_LM`,
  );
  check(!o.use_dora, `${file}: use_dora is true; DoRA adapters are not supported`);
  check(
    o.bias === undefined || o.bias === "none",
    `${file}: bias is ${JSON.stringify(o.bias)}; only bias "none" is supported`,
  );
  check(!o.fan_in_fan_out, `${file}: fan_in_fan_out is true (Conv1D models); not supported`);
  check(
    o.modules_to_save == null || (Array.isArray(o.modules_to_save) && o.modules_to_save.length === 0),
    `${file}: modules_to_save ${JSON.stringify(o.modules_to_save)} is not supported`,
  );
  check(o.layer_replication == null, `${file}: layer_replication is not supported`);
  check(!o.lora_bias, `${file}: lora_bias is true; LoRA biases are not supported`);
  for (const k of ["exclude_modules", "target_parameters", "trainable_token_indices", "alora_invocation_tokens"]) {
    check(
      o[k] == null || (Array.isArray(o[k]) && (o[k] as unknown[]).length === 0),
      `${file}: ${k} ${JSON.stringify(o[k])} is not supported`,
    );
  }
  for (const k of ["use_qalora", "use_bdlora"]) check(!o[k], `${file}: ${k} is set; only plain LoRA is supported`);
  let layers = o.layers_to_transform as unknown;
  if (typeof layers === "number") layers = [layers];
  const tm = o.target_modules;
  const c: LoraConfig = {
    r: o.r as number,
    lora_alpha: (o.lora_alpha ?? 8) as number,
    lora_dropout: (o.lora_dropout ?? 0) as number,
    target_modules: (Array.isArray(tm) ? [...tm] : tm) as string[] | string,
    layers_to_transform: (layers ?? null) as number[] | null,
    layers_pattern: Array.isArray(o.layers_pattern)
      ? ((o.layers_pattern[0] as string) ?? null)
      : ((o.layers_pattern ?? null) as string | null),
    use_rslora: (o.use_rslora ?? false) as boolean,
    rank_pattern: (o.rank_pattern ?? {}) as Record<string, number>,
    alpha_pattern: (o.alpha_pattern ?? {}) as Record<string, number>,
    base_model_name_or_path: (o.base_model_name_or_path ?? null) as string | null,
  };
  validate(c, file);
  return c;
}
