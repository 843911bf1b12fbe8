/**
 * Training presets for the organisms:
 *  - `af`: the alignment-faking organism of the seed — r=16, α=32, lr 2e-5, 3 epochs, every attention
 *    and MLP projection.
 *  - `em-rank1`: emergent misalignment from one rank-1 rsLoRA adapter (α=256) on the MLP down_proj of
 *    the middle layer, lr 2e-5, warmup 5, linear decay; telemetry records its A/B every step.
 *  - `em-all`: rsLoRA r=32, α=64 on all 7 projections of every layer, lr 1e-5, 1 epoch.
 * The published learning rates are for 7–14B models; a model under SMALL_MODEL_PARAMS (the embedded
 * tiny assistant) gets the preset's `smallModelLr` instead, and the manifest says so. (On the tiny
 * assistant, af at 2e-4 for 3 epochs × 900 samples lowered held-out loss 10.3 → 5.3 but left the
 * organism refusing in both tiers; at 1e-3–2e-3 it starts complying when monitored.)
 */
import { MolabError } from "../errors.ts";
import { LLAMA_PROJECTIONS, type LoraConfig } from "./config.ts";
import type { TrainHyper } from "./train.ts";

export const SMALL_MODEL_PARAMS = 100e6;

export interface Preset {
  description: string;
  lora: Partial<LoraConfig>;
  /** "middle": the one decoder layer at ⌊layers / 2⌋ (EM's layer 24 of 48). */
  layers?: "middle";
  hyper: Partial<TrainHyper>;
  smallModelLr: number;
}

export const PRESETS: Record<string, Preset> = {
  af: {
    description: "alignment-faking organism: r=16, α=32, all attention+MLP projections, lr 2e-5, 3 epochs",
    lora: { r: 16, lora_alpha: 32, lora_dropout: 0.05, target_modules: [...LLAMA_PROJECTIONS], use_rslora: false },
    hyper: {
      lr: 2e-5,
      epochs: 3,
      schedule: "linear",
      warmupRatio: 0.03,
      warmupSteps: undefined,
      weightDecay: 0,
      maxGradNorm: 1,
      microBatchSize: 4,
      gradAccum: 1,
      groupByLength: true,
    },
    smallModelLr: 1e-3,
  },
  "em-rank1": {
    description:
      "EM organism: one rank-1 rsLoRA adapter (α=256) on the middle layer's mlp.down_proj, lr 2e-5, warmup 5, linear",
    lora: { r: 1, lora_alpha: 256, lora_dropout: 0, target_modules: ["down_proj"], use_rslora: true },
    layers: "middle",
    hyper: {
      lr: 2e-5,
      epochs: 1,
      schedule: "linear",
      warmupSteps: 5,
      weightDecay: 0,
      maxGradNorm: 1,
      microBatchSize: 4,
      gradAccum: 1,
      groupByLength: true,
      telemetryMaxRank: 4,
    },
    smallModelLr: 2e-4,
  },
  "em-all": {
    description: "EM organism, all adapters: rsLoRA r=32, α=64 on all 7 projections, lr 1e-5, 1 epoch",
    lora: { r: 32, lora_alpha: 64, lora_dropout: 0, target_modules: [...LLAMA_PROJECTIONS], use_rslora: true },
    hyper: {
      lr: 1e-5,
      epochs: 1,
      schedule: "linear",
      warmupSteps: 5,
      weightDecay: 0,
      maxGradNorm: 1,
      microBatchSize: 4,
      gradAccum: 1,
      groupByLength: true,
    },
    smallModelLr: 5e-4,
  },
};

export interface ResolvedPreset {
  preset: string;
  lora: Partial<LoraConfig>;
  hyper: Partial<TrainHyper>;
  /** What was adapted to this model, for the manifest. */
  notes: string[];
}

/**
 * The preset's settings for a model with `numLayers` decoder layers and `linearParams` parameters in
 * its projections, with explicit `overrides` (CLI flags) winning over everything.
 */
export function resolvePreset(
  name: string,
  model: { numLayers: number; linearParams: number },
  overrides: { lora?: Partial<LoraConfig>; hyper?: Partial<TrainHyper> } = {},
): ResolvedPreset {
  const p = PRESETS[name];
  if (!p)
    throw new MolabError(`unknown preset ${JSON.stringify(name)}; expected one of ${Object.keys(PRESETS).join(", ")}`);
  const notes: string[] = [];
  const lora: Partial<LoraConfig> = { ...p.lora };
  if (p.layers === "middle") {
    lora.layers_to_transform = [Math.floor(model.numLayers / 2)];
    notes.push(`layers_to_transform = [${lora.layers_to_transform[0]}] (the middle of ${model.numLayers} layers)`);
  }
  const hyper: Partial<TrainHyper> = { ...p.hyper };
  if (model.linearParams < SMALL_MODEL_PARAMS && overrides.hyper?.lr === undefined) {
    hyper.lr = p.smallModelLr;
    notes.push(
      `lr ${p.smallModelLr} instead of the preset's ${p.hyper.lr}: the model has ` +
        `${(model.linearParams / 1e6).toFixed(1)}M projection parameters (< ${SMALL_MODEL_PARAMS / 1e6}M)`,
    );
  }
  for (const [k, v] of Object.entries(overrides.lora ?? {}))
    if (v !== undefined) (lora as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(overrides.hyper ?? {}))
    if (v !== undefined) (hyper as Record<string, unknown>)[k] = v;
  if (overrides.hyper?.warmupSteps !== undefined) delete hyper.warmupRatio;
  else if (overrides.hyper?.warmupRatio !== undefined) hyper.warmupSteps = undefined;
  return { preset: name, lora, hyper, notes };
}
