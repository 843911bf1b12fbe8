/**
 * Hugging Face `config.json` → the one `ModelConfig` that drives the decoder in llama.ts.
 *
 * Supported model_type: llama, mistral, qwen2, qwen3, gemma3_text, gemma2. Both rope spellings are read: the classic
 * `rope_theta` + `rope_scaling` (+ Gemma3's `rope_local_base_freq`) and the `rope_parameters` dict that
 * transformers ≥ 5 writes (flat, or keyed by layer type for Gemma3). Per-layer attention type comes from
 * `layer_types` when present, else from each family's rule (Mistral `sliding_window`, Qwen `use_sliding_window` +
 * `max_window_layers`, Gemma2 alternating, Gemma3 `sliding_window_pattern`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../errors.ts";

export const SUPPORTED_MODEL_TYPES = ["llama", "mistral", "qwen2", "qwen3", "gemma3_text", "gemma2"] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
export type LayerType = "full_attention" | "sliding_attention";
export type Activation = "silu" | "gelu_tanh" | "gelu";

/** RoPE frequencies for one layer type. `linear` divides every frequency by `factor`; `llama3` is Llama 3.1's. */
export interface RopeConfig {
  type: "default" | "linear" | "llama3";
  theta: number;
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositionEmbeddings: number;
}

export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  tieWordEmbeddings: boolean;
  /** q/k/v projections have biases (Qwen2 always; others when `attention_bias`). */
  qkvBias: boolean;
  /** o_proj has a bias (`attention_bias` on llama/qwen3/gemma; never on qwen2/mistral). */
  oBias: boolean;
  mlpBias: boolean;
  /** RMSNorm over head_dim on q and k before RoPE (Qwen3, Gemma3). */
  qkNorm: boolean;
  /** Gemma: norms multiply by (1 + w), and attention/MLP outputs are normed again before the residual add. */
  gemmaNorms: boolean;
  /** Embeddings are multiplied by this (Gemma: √hidden_size). */
  embedScale: number;
  activation: Activation;
  /** Attention scores are multiplied by this (head_dim^-½, Gemma: query_pre_attn_scalar^-½). */
  attnScale: number;
  attnSoftcap?: number;
  finalSoftcap?: number;
  layerTypes: LayerType[];
  /** Keys with cache index > query index − slidingWindow are visible on sliding layers. */
  slidingWindow?: number;
  rope: Record<LayerType, RopeConfig>;
  maxPositionEmbeddings: number;
  bosTokenId?: number;
  eosTokenIds: number[];
  padTokenId?: number;
  /** The parsed config.json as read. */
  raw: Record<string, unknown>;
}

type Raw = Record<string, unknown>;

function where(source: string, key: string): string {
  return `${source}: "${key}"`;
}

function num(raw: Raw, key: string, source: string, fallback?: number): number {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new MolabError(`${where(source, key)} is missing (expected a number)`);
  }
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new MolabError(`${where(source, key)} must be a number, got ${JSON.stringify(v)}`);
  return v;
}

function int(raw: Raw, key: string, source: string, fallback?: number): number {
  const v = num(raw, key, source, fallback);
  if (!Number.isInteger(v) || v <= 0)
    throw new MolabError(`${where(source, key)} must be a positive integer, got ${v}`);
  return v;
}

function bool(raw: Raw, key: string, source: string, fallback: boolean): boolean {
  const v = raw[key];
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "boolean")
    throw new MolabError(`${where(source, key)} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function optNum(raw: Raw, key: string, source: string): number | undefined {
  const v = raw[key];
  return v === undefined || v === null ? undefined : num(raw, key, source);
}

function tokenIds(v: unknown, key: string, source: string): number[] {
  if (v === undefined || v === null) return [];
  const arr = Array.isArray(v) ? v : [v];
  for (const x of arr)
    if (!Number.isInteger(x) || (x as number) < 0)
      throw new MolabError(`${where(source, key)} must be a token id or a list of them, got ${JSON.stringify(v)}`);
  return arr as number[];
}

const DEFAULT_THETA: Record<ModelType, number> = {
  llama: 10000,
  mistral: 10000,
  qwen2: 10000,
  qwen3: 10000,
  gemma3_text: 1_000_000,
  gemma2: 10000,
};

/** One rope dict (`rope_scaling` or a `rope_parameters` entry) → RopeConfig. */
function parseRope(d: Raw | undefined, theta: number, maxPos: number, key: string, source: string): RopeConfig {
  const out: RopeConfig = {
    type: "default",
    theta,
    factor: 1,
    lowFreqFactor: 1,
    highFreqFactor: 4,
    originalMaxPositionEmbeddings: maxPos,
  };
  if (!d) return out;
  if (typeof d !== "object" || Array.isArray(d)) throw new MolabError(`${where(source, key)} must be an object`);
  if (d.rope_theta !== undefined) out.theta = num(d, "rope_theta", `${source}: ${key}`);
  const t = (d.rope_type ?? d.type ?? "default") as string;
  const prf = d.partial_rotary_factor;
  if (prf !== undefined && prf !== null && prf !== 1 && prf !== 1.0) {
    throw new MolabError(
      `${where(source, key)}: partial_rotary_factor ${prf} is not supported (only full rotary embeddings)`,
    );
  }
  if (t === "default") return out;
  if (t === "linear") {
    out.type = "linear";
    out.factor = num(d, "factor", `${source}: ${key}`);
    return out;
  }
  if (t === "llama3") {
    out.type = "llama3";
    const s = `${source}: ${key}`;
    out.factor = num(d, "factor", s);
    out.lowFreqFactor = num(d, "low_freq_factor", s);
    out.highFreqFactor = num(d, "high_freq_factor", s);
    out.originalMaxPositionEmbeddings = num(d, "original_max_position_embeddings", s);
    return out;
  }
  throw new MolabError(`${where(source, key)}: rope type "${t}" is not supported (supported: default, linear, llama3)`);
}

function parseRopes(raw: Raw, mt: ModelType, maxPos: number, source: string): Record<LayerType, RopeConfig> {
  const rp = raw.rope_parameters as Raw | undefined | null;
  if (rp && typeof rp === "object") {
    const perType = "full_attention" in rp || "sliding_attention" in rp;
    if (perType) {
      const full = parseRope(
        rp.full_attention as Raw,
        DEFAULT_THETA[mt],
        maxPos,
        "rope_parameters.full_attention",
        source,
      );
      const sliding = rp.sliding_attention
        ? parseRope(rp.sliding_attention as Raw, DEFAULT_THETA[mt], maxPos, "rope_parameters.sliding_attention", source)
        : full;
      return { full_attention: full, sliding_attention: sliding };
    }
    const r = parseRope(rp, num(raw, "rope_theta", source, DEFAULT_THETA[mt]), maxPos, "rope_parameters", source);
    return { full_attention: r, sliding_attention: r };
  }
  const theta = num(raw, "rope_theta", source, DEFAULT_THETA[mt]);
  const global = parseRope((raw.rope_scaling ?? undefined) as Raw | undefined, theta, maxPos, "rope_scaling", source);
  if (mt === "gemma3_text") {
    const local = parseRope(
      undefined,
      num(raw, "rope_local_base_freq", source, 10000),
      maxPos,
      "rope_local_base_freq",
      source,
    );
    return { full_attention: global, sliding_attention: local };
  }
  return { full_attention: global, sliding_attention: global };
}

function parseLayerTypes(raw: Raw, mt: ModelType, n: number, source: string): LayerType[] {
  const lt = raw.layer_types;
  if (lt !== undefined && lt !== null) {
    if (!Array.isArray(lt) || lt.length !== n)
      throw new MolabError(
        `${where(source, "layer_types")} must list ${n} layer types (num_hidden_layers), got ${JSON.stringify(lt)}`,
      );
    for (const t of lt) {
      if (t !== "full_attention" && t !== "sliding_attention") {
        throw new MolabError(
          `${where(source, "layer_types")}: "${t}" is not supported (supported: full_attention, sliding_attention)`,
        );
      }
    }
    return lt as LayerType[];
  }
  const out: LayerType[] = [];
  for (let i = 0; i < n; i++) {
    let sliding = false;
    if (mt === "mistral") sliding = raw.sliding_window !== undefined && raw.sliding_window !== null;
    else if (mt === "qwen2" || mt === "qwen3")
      sliding = bool(raw, "use_sliding_window", source, false) && i >= num(raw, "max_window_layers", source, n);
    else if (mt === "gemma2") sliding = i % 2 === 0;
    else if (mt === "gemma3_text") {
      const pattern = int(
        raw,
        raw.sliding_window_pattern !== undefined ? "sliding_window_pattern" : "_sliding_window_pattern",
        source,
        6,
      );
      sliding = (i + 1) % pattern !== 0;
    }
    out.push(sliding ? "sliding_attention" : "full_attention");
  }
  return out;
}

function parseActivation(raw: Raw, mt: ModelType, source: string): Activation {
  const gemma = mt.startsWith("gemma");
  const key = gemma && raw.hidden_activation != null ? "hidden_activation" : "hidden_act";
  const v = (raw[key] ?? (gemma ? "gelu_pytorch_tanh" : "silu")) as string;
  if (v === "silu" || v === "swish") return "silu";
  if (v === "gelu_pytorch_tanh" || v === "gelu_new" || v === "gelu_fast") return "gelu_tanh";
  if (v === "gelu") return "gelu";
  throw new MolabError(
    `${where(source, key)}: activation "${v}" is not supported (supported: silu, gelu_pytorch_tanh, gelu)`,
  );
}

/**
 * Parse a config.json object. `source` names the file in error messages. `generation` (generation_config.json,
 * optional) adds its eos_token_id(s) to the stop tokens.
 */
export function parseConfig(json: unknown, source = "config.json", generation?: unknown): ModelConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new MolabError(`${source}: expected a JSON object`);
  const raw = json as Raw;
  const mtRaw = raw.model_type;
  if (typeof mtRaw !== "string" || !(SUPPORTED_MODEL_TYPES as readonly string[]).includes(mtRaw)) {
    const hint =
      mtRaw === "gemma3" ? ' ("gemma3" is the multimodal wrapper; use a text-only gemma3_text checkpoint)' : "";
    throw new MolabError(
      `${where(source, "model_type")}: ${JSON.stringify(mtRaw)} is not supported${hint}; supported: ${SUPPORTED_MODEL_TYPES.join(", ")}`,
    );
  }
  const mt = mtRaw as ModelType;
  const gemma = mt === "gemma2" || mt === "gemma3_text";
  const hiddenSize = int(raw, "hidden_size", source);
  const numHeads = int(raw, "num_attention_heads", source);
  const numLayers = int(raw, "num_hidden_layers", source);
  const numKvHeads = int(raw, "num_key_value_heads", source, numHeads);
  if (numHeads % numKvHeads !== 0)
    throw new MolabError(
      `${source}: num_attention_heads ${numHeads} is not a multiple of num_key_value_heads ${numKvHeads}`,
    );
  const headDim = raw.head_dim == null ? hiddenSize / numHeads : int(raw, "head_dim", source);
  if (!Number.isInteger(headDim) || headDim % 2 !== 0)
    throw new MolabError(`${source}: head_dim ${headDim} must be an even integer`);
  const maxPos = int(raw, "max_position_embeddings", source, 4096);
  if (bool(raw, "use_bidirectional_attention", source, false))
    throw new MolabError(
      `${where(source, "use_bidirectional_attention")}: bidirectional (encoder) attention is not supported`,
    );
  const attentionBias = bool(raw, "attention_bias", source, false);
  const layerTypes = parseLayerTypes(raw, mt, numLayers, source);
  const sw = optNum(raw, "sliding_window", source);
  if (sw !== undefined && (!Number.isInteger(sw) || sw <= 0))
    throw new MolabError(`${where(source, "sliding_window")} must be a positive integer, got ${sw}`);
  const eos = tokenIds(raw.eos_token_id, "eos_token_id", source);
  if (generation && typeof generation === "object") {
    for (const id of tokenIds((generation as Raw).eos_token_id, "eos_token_id", "generation_config.json"))
      if (!eos.includes(id)) eos.push(id);
  }
  const qpas = optNum(raw, "query_pre_attn_scalar", source);
  return {
    modelType: mt,
    vocabSize: int(raw, "vocab_size", source),
    hiddenSize,
    intermediateSize: int(raw, "intermediate_size", source),
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    rmsNormEps: num(raw, "rms_norm_eps", source, 1e-6),
    tieWordEmbeddings: bool(raw, "tie_word_embeddings", source, gemma),
    qkvBias: mt === "qwen2" ? true : mt === "mistral" ? false : attentionBias,
    oBias: mt === "qwen2" || mt === "mistral" ? false : attentionBias,
    mlpBias: mt === "llama" ? bool(raw, "mlp_bias", source, false) : false,
    qkNorm: mt === "qwen3" || mt === "gemma3_text",
    gemmaNorms: gemma,
    embedScale: gemma ? Math.sqrt(hiddenSize) : 1,
    activation: parseActivation(raw, mt, source),
    attnScale: gemma && qpas !== undefined ? 1 / Math.sqrt(qpas) : 1 / Math.sqrt(headDim),
    attnSoftcap: gemma ? optNum(raw, "attn_logit_softcapping", source) : undefined,
    finalSoftcap: gemma ? optNum(raw, "final_logit_softcapping", source) : undefined,
    layerTypes,
    slidingWindow: layerTypes.includes("sliding_attention") ? sw : undefined,
    rope: parseRopes(raw, mt, maxPos, source),
    maxPositionEmbeddings: maxPos,
    bosTokenId: typeof raw.bos_token_id === "number" ? raw.bos_token_id : undefined,
    eosTokenIds: eos,
    padTokenId: typeof raw.pad_token_id === "number" ? raw.pad_token_id : undefined,
    raw,
  };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new MolabError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new MolabError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Read `config.json` (and `generation_config.json` when present) from a model directory. */
export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, "config.json");
  if (!fs.existsSync(file)) throw new MolabError(`${dir}: no config.json (expected a Hugging Face model directory)`);
  const genFile = path.join(dir, "generation_config.json");
  return parseConfig(readJson(file), file, fs.existsSync(genFile) ? readJson(genFile) : undefined);
}
