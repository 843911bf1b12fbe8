/**
 * SAE files on disk, three formats, detected from what a folder holds:
 * - SAELens: `cfg.json` + `sae_weights.safetensors` (W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec,
 *   threshold for jumprelu); v6 and pre-6.0 configs (config.ts). Also written here (`saveSaeLens`).
 * - sparsify: a hookpoint folder `<hookpoint>/cfg.json` {activation, expansion_factor, num_latents, k, d_in, …} +
 *   `sae.safetensors` (encoder.weight [L, d_in], encoder.bias [L], W_dec [L, d_in], b_dec [d_in]); encode is
 *   topk(relu((x − b_dec)·encoder.weightᵀ + encoder.bias)), so W_enc = encoder.weightᵀ.
 * - GemmaScope: `params.npz` (W_enc [d_in, d_sae], W_dec [d_sae, d_in], b_enc, b_dec, threshold): JumpReLU on raw
 *   inputs (no b_dec subtraction), no normalization.
 * Every shape is checked against the config before use (neither library's orientation is trusted).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { resolveSae } from "../hub/resolve.ts";
import { readJsonFile } from "../io/json.ts";
import { readNpz } from "../io/npy.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import {
  fieldError,
  parseSaeLensConfig,
  positiveInt,
  toSaeLensConfig,
  validateConfig,
  type SaeConfig,
} from "./config.ts";
import { gemmaScopeHook, sparsifyHook } from "./hooks.ts";
import { makeSae, type Sae, type SaeTensors } from "./sae.ts";

export interface LoadSaeOptions {
  /** Our hook name for the SAE, overriding what the format says or implies. */
  hook?: string;
  /** The SAE's folder inside a hub repo (or inside the given directory): a SAELens sae_id, a sparsify hookpoint, a
   * GemmaScope `layer_N/width_Xk/average_l0_Y`. */
  subfolder?: string;
  /** Hub revision of a repo id (default "main"). */
  revision?: string;
  /** Download progress lines (default: stderr). */
  log?: (line: string) => void;
}

/** Read the named tensors of a safetensors file; a MolabError names the file and any tensor that is missing. */
async function readTensors(file: string, names: Record<string, string>, optional: string[] = []) {
  const src = await openSafetensors(file);
  const out: Record<string, tf.Tensor> = {};
  try {
    for (const [key, name] of Object.entries(names)) {
      if (!src.has(name)) {
        if (optional.includes(key)) continue;
        throw new MolabError(`${file}: tensor "${name}" is missing (has: ${src.names().join(", ") || "nothing"})`);
      }
      out[key] = await src.readTensor(name);
    }
    return out;
  } catch (e) {
    Object.values(out).forEach((t) => t.dispose());
    throw e;
  } finally {
    await src.close();
  }
}

/** Build the SAE, disposing the tensors if a shape is wrong. */
function build(cfg: SaeConfig, t: SaeTensors, file: string): Sae {
  try {
    const files: Partial<Record<keyof SaeTensors, string>> = {};
    for (const k of Object.keys(t) as (keyof SaeTensors)[]) files[k] = file;
    return makeSae(cfg, t, files);
  } catch (e) {
    Object.values(t).forEach((x) => x?.dispose());
    throw e;
  }
}

/** A SAELens folder (cfg.json + sae_weights.safetensors). */
export async function loadSaeLens(dir: string, opts: LoadSaeOptions = {}): Promise<Sae> {
  const cfgFile = path.join(dir, "cfg.json");
  const cfg = parseSaeLensConfig(readJsonFile(cfgFile, "a SAELens config"), cfgFile);
  if (opts.hook) cfg.hook_name = opts.hook;
  const file = path.join(dir, "sae_weights.safetensors");
  const wanted: Record<string, string> = { W_enc: "W_enc", b_enc: "b_enc", W_dec: "W_dec", b_dec: "b_dec" };
  if (cfg.architecture === "jumprelu") wanted.threshold = "threshold";
  // SAELens' gated SAE has no b_enc: its gate bias b_gate plays that part (gated.ts)
  if (cfg.architecture === "gated") Object.assign(wanted, { b_enc: "b_gate", r_mag: "r_mag", b_mag: "b_mag" });
  wanted.scaling_factor = "scaling_factor";
  const tensors = await readTensors(file, wanted, ["scaling_factor"]);
  // SAELens drops an all-ones scaling_factor (older saves always wrote one) and refuses any other
  const scaling = tensors.scaling_factor;
  delete tensors.scaling_factor;
  if (scaling) {
    const ones = (scaling.dataSync() as Float32Array).every((v) => v === 1);
    scaling.dispose();
    if (!ones) {
      Object.values(tensors).forEach((t) => t.dispose());
      throw new MolabError(
        `${file}: tensor "scaling_factor" is not all ones; fine-tuned scaling factors are not supported`,
      );
    }
  }
  return build(cfg, tensors, file);
}

/** Write an SAE as a SAELens v6 folder: cfg.json + sae_weights.safetensors (what `SAE.save_model` writes). */
export async function saveSaeLens(sae: Sae, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, tf.Tensor> = { W_enc: sae.W_enc, b_enc: sae.b_enc, W_dec: sae.W_dec, b_dec: sae.b_dec };
  if (sae.threshold) tensors.threshold = sae.threshold;
  if (sae.cfg.architecture === "gated") {
    delete tensors.b_enc;
    Object.assign(tensors, { b_gate: sae.b_enc, r_mag: sae.r_mag!, b_mag: sae.b_mag! });
  }
  await writeSafetensors(path.join(dir, "sae_weights.safetensors"), tensors);
  await writeJsonAtomic(path.join(dir, "cfg.json"), toSaeLensConfig(sae.cfg));
}

/** A sparsify hookpoint folder (cfg.json + sae.safetensors); the folder's name is the hookpoint. */
export async function loadSparsify(dir: string, opts: LoadSaeOptions = {}): Promise<Sae> {
  const cfgFile = path.join(dir, "cfg.json");
  const raw = readJsonFile<Record<string, unknown>>(cfgFile, "a sparsify config");
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new MolabError(`${cfgFile}: expected a JSON object (a sparsify cfg.json)`);
  const d_in = positiveInt(raw, "d_in", cfgFile);
  const activation = raw.activation ?? "topk";
  if (activation !== "topk")
    throw fieldError(cfgFile, "activation", `is ${JSON.stringify(activation)}; only topk sparsify SAEs are supported`);
  if (raw.transcode === true) throw fieldError(cfgFile, "transcode", "is true; transcoders are not supported");
  if (raw.skip_connection === true)
    throw fieldError(cfgFile, "skip_connection", "is true; SAEs with a skip connection are not supported");
  const num = typeof raw.num_latents === "number" && raw.num_latents > 0 ? raw.num_latents : 0;
  const d_sae = num || d_in * positiveInt(raw, "expansion_factor", cfgFile);
  const hookpoint = path.basename(path.resolve(dir));
  const cfg: SaeConfig = validateConfig({
    architecture: "topk",
    d_in,
    d_sae,
    k: positiveInt(raw, "k", cfgFile),
    rescale_acts_by_decoder_norm: false,
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    hook_name: opts.hook ?? sparsifyHook(hookpoint),
    source_hook: hookpoint,
    format: "sparsify",
    source: cfgFile,
    metadata: {},
  });
  const file = path.join(dir, "sae.safetensors");
  const names = { enc: "encoder.weight", b_enc: "encoder.bias", W_dec: "W_dec", b_dec: "b_dec" };
  const tensors = await readTensors(file, names);
  const enc = tensors.enc;
  if (enc.rank !== 2 || enc.shape[0] !== d_sae || enc.shape[1] !== d_in) {
    Object.values(tensors).forEach((t) => t.dispose());
    throw new MolabError(
      `${file}: tensor "encoder.weight" has shape [${enc.shape.join(", ")}], expected [${d_sae}, ${d_in}] ` +
        `(num_latents, d_in from ${cfgFile})`,
    );
  }
  const W_enc = tf.transpose(enc);
  enc.dispose();
  return build(cfg, { W_enc, b_enc: tensors.b_enc, W_dec: tensors.W_dec, b_dec: tensors.b_dec }, file);
}

/** A GemmaScope params.npz (a file, or a folder holding one). */
export async function loadGemmaScope(fileOrDir: string, opts: LoadSaeOptions = {}): Promise<Sae> {
  const file = fileOrDir.endsWith(".npz") ? fileOrDir : path.join(fileOrDir, "params.npz");
  const arrays = await readNpz(file);
  for (const name of ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"])
    if (!arrays[name])
      throw new MolabError(`${file}: array "${name}" is missing (has: ${Object.keys(arrays).join(", ") || "nothing"})`);
  const W = arrays.W_enc;
  if (W.shape.length !== 2)
    throw new MolabError(`${file}: array "W_enc" has shape [${W.shape.join(", ")}], expected [d_in, d_sae]`);
  const cfg: SaeConfig = {
    architecture: "jumprelu",
    d_in: W.shape[0],
    d_sae: W.shape[1],
    apply_b_dec_to_input: false,
    normalize_activations: "none",
    hook_name: opts.hook ?? gemmaScopeHook(path.resolve(file)),
    source_hook: path.resolve(file),
    format: "gemmascope",
    source: file,
    metadata: {},
  };
  const t: SaeTensors = {};
  for (const name of ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const) {
    const a = arrays[name];
    if (a.dtype !== "float32" && a.dtype !== "float64")
      throw new MolabError(`${file}: array "${name}" is ${a.dtype}, expected float32 or float64`);
    t[name] = tf.tensor(Float32Array.from(a.data as Float32Array), a.shape);
  }
  return build(cfg, t, file);
}

/** Which format a folder (or file) holds, or a MolabError saying what was looked for. */
export function detectFormat(dirOrFile: string): "saelens" | "sparsify" | "gemmascope" {
  if (dirOrFile.endsWith(".npz")) return "gemmascope";
  const has = (f: string) => fs.existsSync(path.join(dirOrFile, f));
  if (!fs.existsSync(dirOrFile)) throw new MolabError(`${dirOrFile}: no such SAE folder`);
  if (has("cfg.json") && has("sae_weights.safetensors")) return "saelens";
  if (has("cfg.json") && has("sae.safetensors")) return "sparsify";
  if (has("params.npz")) return "gemmascope";
  const sub = fs.statSync(dirOrFile).isDirectory()
    ? fs.readdirSync(dirOrFile).filter((d) => fs.existsSync(path.join(dirOrFile, d, "sae.safetensors")))
    : [];
  throw new MolabError(
    `${dirOrFile}: not an SAE folder: expected cfg.json + sae_weights.safetensors (SAELens), cfg.json + sae.safetensors ` +
      `(sparsify) or params.npz (GemmaScope)` +
      (sub.length ? `; it holds sparsify hookpoints, pick one: ${sub.slice(0, 8).join(", ")}` : ""),
  );
}

/**
 * Load an SAE from a SAELens folder, a sparsify hookpoint folder, or a GemmaScope params.npz (or its folder) — local,
 * or `subfolder` of a hub repo id (lib/hub's resolveSae: the HF cache, only that folder's files downloaded).
 */
export async function loadSae(idOrPath: string, opts: LoadSaeOptions = {}): Promise<Sae> {
  const { subfolder, revision, log } = opts;
  const hubId = !fs.existsSync(idOrPath) && /^\w[\w.-]*\/\w[\w.-]*$/.test(idOrPath);
  const dirOrFile = hubId
    ? await resolveSae(idOrPath, { subfolder, revision, log })
    : subfolder
      ? path.join(idOrPath, subfolder)
      : idOrPath;
  const format = detectFormat(dirOrFile);
  if (format === "saelens") return loadSaeLens(dirOrFile, opts);
  if (format === "sparsify") return loadSparsify(dirOrFile, opts);
  return loadGemmaScope(dirOrFile, opts);
}
