/**
 * Residual-stream activations per layer for the white-box detectors: each text is read once (teacher-forced, one
 * text per forward so no padding enters the pool), `blocks.L.hook_resid_post` is recorded for every layer asked,
 * and pooled over the text's tokens — the mean (optionally only over the scratchpad span) or the last token.
 */
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import { runWithCache, disposeActivations, type Model, type Tokenizer } from "../model/index.ts";
import { tokenizeWithSpan } from "../sae/features.ts";
import type { Matrix } from "../stats/logistic.ts";

export type ResidPool = "mean" | "last";

export interface ResidOptions {
  /** Layers to read (default: all). */
  layers?: number[];
  /** Mean over tokens (default) or the last token. */
  pool?: ResidPool;
  /** Pool only over each text's scratchpad block (mean pool; texts without one are an error). */
  scratchpad?: boolean;
}

/** Pooled activations: one [n, hidden] matrix per layer read. */
export interface LayerActivations {
  layers: number[];
  /** By layer, in `layers` order. */
  byLayer: Matrix[];
  n: number;
  hidden: number;
}

/** The hook name of the residual stream after block L. */
export const residHook = (layer: number): string => `blocks.${layer}.hook_resid_post`;

/** Pooled residual activations of `texts` after each layer in `o.layers`. */
export function residualsByLayer(
  model: Model,
  tokenizer: Tokenizer,
  texts: string[],
  o: ResidOptions = {},
): LayerActivations {
  const nLayers = model.blocks.length;
  const layers = o.layers ?? Array.from({ length: nLayers }, (_, i) => i);
  for (const L of layers)
    check(Number.isInteger(L) && L >= 0 && L < nLayers, `residualsByLayer: layer ${L} is not in 0…${nLayers - 1}`);
  check(texts.length > 0, "residualsByLayer: no texts");
  const pool = o.pool ?? "mean";
  check(pool === "mean" || pool === "last", `residualsByLayer: pool must be mean or last, got ${JSON.stringify(pool)}`);
  const hidden = model.config.hiddenSize;
  const byLayer = layers.map(() => new Float64Array(texts.length * hidden));
  const names = layers.map(residHook);
  const stop = Math.max(...layers) + 1;
  texts.forEach((text, i) => {
    const { ids, span } = tokenizeWithSpan(tokenizer, text, o.scratchpad ?? false, `text ${i}`);
    check(ids.length > 0, `residualsByLayer: text ${i} has no tokens`);
    const [lo, hi] = pool === "last" ? [ids.length - 1, ids.length] : (span ?? [0, ids.length]);
    const { logits, cache } = runWithCache(model, [ids], { names, stopAtLayer: stop });
    logits.dispose();
    names.forEach((name, k) => {
      const v = tf.tidy(() =>
        tf.mean(tf.slice(tf.reshape(cache[name], [ids.length, hidden]), [lo, 0], [hi - lo, hidden]), 0),
      );
      byLayer[k].set(v.dataSync() as Float32Array, i * hidden);
      v.dispose();
    });
    disposeActivations(cache);
  });
  return {
    layers,
    byLayer: byLayer.map((data) => ({ data, rows: texts.length, cols: hidden })),
    n: texts.length,
    hidden,
  };
}

/** Rows `idx` of a matrix. */
export function takeRows(X: Matrix, idx: readonly number[]): Matrix {
  const data = new Float64Array(idx.length * X.cols);
  idx.forEach((r, i) => data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols));
  return { data, rows: idx.length, cols: X.cols };
}

/** Two matrices with the same columns, one above the other. */
export function stackRows(a: Matrix, b: Matrix): Matrix {
  check(a.cols === b.cols, `stackRows: ${a.cols} columns vs ${b.cols}`);
  const data = new Float64Array((a.rows + b.rows) * a.cols);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, rows: a.rows + b.rows, cols: a.cols };
}
