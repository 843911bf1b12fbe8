/**
 * Every detector on one labelled set of replies (positives: AF reasoning or an organism's replies; negatives:
 * aligned ones), read by one model: AUROC by layer of the linear probe, the mean-difference direction and the
 * generic defection probe, beside the two black-box baselines (keyword scorer, output-only classifier) — what
 * `molab detect probe` writes and notebook 07 plots.
 */
import { check } from "../errors.ts";
import type { Model, Tokenizer } from "../model/index.ts";
import { residualsByLayer, type LayerActivations, type ResidPool } from "./activations.ts";
import { keywordScores, outputOnlyAuroc } from "./blackbox.ts";
import { contrastDetector, defectionDirections } from "./contrast.ts";
import { detectionAuroc, type Metric } from "./metrics.ts";
import { linearProbe, meanDifference, probeByLayer, type LayerAuroc, type Labels01 } from "./probes.ts";

export interface DetectorOptions {
  layers?: number[];
  pool?: ResidPool;
  /** Pool only over each reply's scratchpad. */
  scratchpad?: boolean;
  /** Folds of the cross-validated detectors (default 5). */
  k?: number;
  seed?: number;
  /** L2 strength of the linear probe (default 1). */
  C?: number;
}

export interface DetectorResults {
  n_pos: number;
  n_neg: number;
  layers: number[];
  /** Detector name → AUROC by layer (cross-validated; the defection probe fits nothing on these rows). */
  by_layer: Record<"linear" | "mean_difference" | "defection", LayerAuroc[]>;
  baselines: { keyword: Metric; output_only: Metric };
  /** The layer where the linear probe's AUROC is highest. */
  best_layer: number;
}

/** Labels 1 for the positives, 0 for the negatives, in that order. */
export const labelsFor = (nPos: number, nNeg: number): Labels01 => [
  ...Array.from({ length: nPos }, () => 1 as const),
  ...Array.from({ length: nNeg }, () => 0 as const),
];

/** All detectors on the activations of positives then negatives (already read). */
export function detectorsOn(
  acts: LayerActivations,
  texts: string[],
  y: Labels01,
  defection: Float64Array[],
  o: DetectorOptions = {},
): DetectorResults {
  const k = o.k ?? 5;
  const seed = o.seed ?? 0;
  const linear = probeByLayer(acts, y, { detector: linearProbe(o.C ?? 1), k, seed, name: "linear" });
  const md = probeByLayer(acts, y, { detector: meanDifference, k, seed, name: "mean_difference" });
  const def = acts.layers.map((layer, i) => ({
    ...detectionAuroc(y, contrastDetector(defection[i])(acts.byLayer[i]), `defection@L${layer}`),
    layer,
  }));
  const best = linear.reduce((b, m) => ((m.estimate ?? 0) > (b.estimate ?? 0) ? m : b), linear[0]);
  return {
    n_pos: y.filter((v) => v === 1).length,
    n_neg: y.filter((v) => v === 0).length,
    layers: acts.layers,
    by_layer: { linear, mean_difference: md, defection: def },
    baselines: {
      keyword: detectionAuroc(y, keywordScores(texts), "keyword"),
      output_only: outputOnlyAuroc(texts, y, k, seed),
    },
    best_layer: best.layer,
  };
}

/** Read positives and negatives with `model` and run every detector. */
export function runDetectors(
  model: Model,
  tokenizer: Tokenizer,
  positives: string[],
  negatives: string[],
  o: DetectorOptions = {},
): DetectorResults {
  check(
    positives.length >= 2 && negatives.length >= 2,
    "runDetectors: at least 2 positives and 2 negatives are needed",
  );
  const texts = [...positives, ...negatives];
  const layers = o.layers ?? Array.from({ length: model.blocks.length }, (_, i) => i);
  const acts = residualsByLayer(model, tokenizer, texts, { layers, pool: o.pool, scratchpad: o.scratchpad });
  const defection = defectionDirections(model, tokenizer, layers);
  return detectorsOn(acts, texts, labelsFor(positives.length, negatives.length), defection, o);
}
