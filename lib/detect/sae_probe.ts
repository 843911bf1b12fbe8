/**
 * SAE-feature probes: the texts' pooled SAE latents (lib/sae's pooledTextFeatures: the model runs to the SAE's hook,
 * the SAE encodes every token, latents pooled per text) as the features of a cross-validated detector — the
 * seed's validation probe (logistic regression on SAE features, AUROC with a CI).
 */
import type { Model, Tokenizer } from "../model/index.ts";
import { pooledTextFeatures, type Pool, type Sae } from "../sae/index.ts";
import type { Matrix } from "../stats/logistic.ts";
import { detectionAuroc, type Metric } from "./metrics.ts";
import { crossValScores, linearProbe, type Detector, type Labels01 } from "./probes.ts";

/** Pooled SAE latents of texts as an [n, d_sae] matrix. */
export function saeFeatureMatrix(
  model: Model,
  tokenizer: Tokenizer,
  sae: Sae,
  texts: string[],
  o: { pool?: Pool; scratchpad?: boolean; hook?: string } = {},
): Matrix {
  const f = pooledTextFeatures(model, tokenizer, sae, texts, {
    pool: o.pool ?? "mean",
    scratchpad: o.scratchpad,
    hook: o.hook,
  });
  return { data: Float64Array.from(f.features), rows: f.n, cols: f.d_sae };
}

/** Cross-validated AUROC (DeLong CI) of a detector (default the linear probe) on SAE features. */
export function saeProbe(X: Matrix, y: Labels01, o: { detector?: Detector; k?: number; seed?: number } = {}): Metric {
  const s = crossValScores(X, y, o.detector ?? linearProbe(), o.k ?? 5, o.seed ?? 0);
  return detectionAuroc(y, s, "sae_probe");
}
