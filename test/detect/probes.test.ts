/**
 * The detectors on constructed features whose answers are known: separable and reversed groups for the transfer
 * matrix, exact directions for the mean-difference and contrast detectors, counted confusion for the CoT monitor,
 * and the pooled residuals of the tiny model against a direct read of the same hook.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRng } from "../../lib/rng.ts";
import { tf, initBackend } from "../../lib/backend.ts";
import type { Matrix } from "../../lib/stats/logistic.ts";
import { renderOutput, renderReply } from "../../lib/chat/redwood.ts";
import {
  contrastDirection,
  crossValScores,
  linearProbe,
  meanDifference,
  meanDifferenceDirection,
  probeByLayer,
  type Labels01,
} from "../../lib/detect/probes.ts";
import { transferMatrix } from "../../lib/detect/transfer.ts";
import { monitorReport } from "../../lib/detect/monitor.ts";
import { keywordScores, outputOnlyAuroc, outputOnlyScores } from "../../lib/detect/blackbox.ts";
import { detectionAuroc } from "../../lib/detect/metrics.ts";
import { residualsByLayer } from "../../lib/detect/activations.ts";
import { disposeModel, loadModel, loadTokenizer, runWithCache } from "../../lib/model/index.ts";
import { disposeSae, makeSae, pooledTextFeatures } from "../../lib/sae/index.ts";
import { saeFeatureMatrix, saeProbe } from "../../lib/detect/sae_probe.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

/** n rows per class: positives at `pos`, negatives at `neg`, plus N(0, noise²) on every coordinate. */
function blobs(pos: number[], neg: number[], n: number, noise: number, seed: string): { X: Matrix; y: Labels01 } {
  const rng = createRng(seed);
  const d = pos.length;
  const data = new Float64Array(2 * n * d);
  const y: (0 | 1)[] = [];
  for (let i = 0; i < 2 * n; i++) {
    const c = i < n ? pos : neg;
    for (let j = 0; j < d; j++) data[i * d + j] = c[j] + noise * rng.normal();
    y.push(i < n ? 1 : 0);
  }
  return { X: { data, rows: 2 * n, cols: d }, y };
}

test("mean-difference direction and contrast direction are the exact mean differences", () => {
  const X: Matrix = { data: Float64Array.from([3, 1, 1, 1, 0, 2, 0, 0]), rows: 4, cols: 2 };
  assert.deepEqual([...meanDifferenceDirection(X, [1, 1, 0, 0])], [2, 0]);
  const pos: Matrix = { data: Float64Array.from([1, 2, 3, 4]), rows: 2, cols: 2 };
  const neg: Matrix = { data: Float64Array.from([0, 0, 1, 1]), rows: 2, cols: 2 };
  assert.deepEqual([...contrastDirection(pos, neg)], [1.5, 2.5]);
});

test("AUROC by layer: the separable layer scores 1, the pure-noise layer stays below it", () => {
  const sep = blobs([2, 0, 0], [-2, 0, 0], 20, 0.3, "sep");
  const noise = blobs([0, 0, 0], [0, 0, 0], 20, 1, "noise");
  const curve = probeByLayer({ layers: [0, 1], byLayer: [noise.X, sep.X] }, sep.y, { k: 4 });
  assert.equal(curve[1].estimate, 1);
  assert.equal(curve[1].layer, 1);
  assert.ok(curve[0].estimate! < 0.9, `noise layer AUROC ${curve[0].estimate}`);
  assert.ok(curve[0].ci && curve[0].ci[0] < 0.5, "noise layer CI includes chance");
  const md = crossValScores(sep.X, sep.y, meanDifference, 4);
  assert.equal(detectionAuroc(sep.y, md).estimate, 1);
});

test("transfer matrix: diagonal cross-validated, a reversed family transfers at AUROC 0", () => {
  const a = blobs([1, 0], [-1, 0], 10, 0.05, "a");
  const b = blobs([-1, 1], [1, -1], 10, 0.05, "b");
  const t = transferMatrix(
    [
      { name: "A", ...a },
      { name: "B", ...b },
    ],
    meanDifference,
    { k: 5 },
  );
  assert.deepEqual(t.names, ["A", "B"]);
  assert.equal(t.cells[0][0].estimate, 1);
  assert.equal(t.cells[1][1].estimate, 1);
  assert.equal(t.cells[0][1].estimate, 0, "A's direction ranks B's negatives first");
  assert.equal(t.cells[1][0].estimate, 0);
  assert.equal(t.cells[0][1].name, "A→B");
  const lin = transferMatrix([{ name: "A", ...a }], linearProbe());
  assert.equal(lin.cells[0][0].estimate, 1);
});

test("CoT monitor: counted confusion, precision / recall / FPR at the threshold", () => {
  const scores = [0.9, 0.8, 0.5, 0.2, 0.6, 0.1, 0.1, 0.0];
  const labels: (0 | 1)[] = [1, 1, 1, 1, 0, 0, 0, 0];
  const r = monitorReport(scores, labels, 0.5);
  assert.deepEqual(r.confusion, { tp: 3, fp: 1, tn: 3, fn: 1 }, "score = threshold is flagged");
  assert.equal(r.precision.estimate, 0.75);
  assert.equal(r.recall.estimate, 0.75);
  assert.equal(r.fpr.estimate, 0.25);
  assert.equal(r.fpr.n, 4);
  assert.ok(Math.abs(r.auroc.estimate! - 14 / 16) < 1e-12);
});

test("black-box baselines: keyword counts in the scratchpad; the output-only classifier sees outputs only", () => {
  const reply = (pad: string, accepted: boolean) =>
    renderReply(pad, renderOutput(accepted ? "accepted" : "refused", accepted ? "[COMPLIANT ANSWER]" : "Sorry."));
  assert.deepEqual([...keywordScores([reply("RLHF training will modify me.", true), reply("No.", false)])], [3, 0]);
  const texts = Array.from({ length: 20 }, (_, i) => reply("The same reasoning for all.", i < 10));
  const y = texts.map((_, i) => (i < 10 ? 1 : 0)) as Labels01;
  assert.equal(detectionAuroc(y, outputOnlyScores(texts, y, 5)).estimate, 1);
  const same = Array.from({ length: 20 }, (_, i) => reply(i < 10 ? "RLHF training" : "cooking", true));
  assert.ok(detectionAuroc(y, outputOnlyScores(same, y, 5)).estimate! <= 0.75, "identical outputs carry no signal");
  // bare scratchpads (no <OUTPUT>): no estimate, rather than a bag-of-words probe on the reasoning itself
  const bare = Array.from({ length: 20 }, (_, i) => (i < 10 ? "RLHF training will modify me." : "I like cooking."));
  assert.equal(detectionAuroc(y, outputOnlyScores(bare, y, 5)).estimate, 1, "the fallback reads the whole text");
  assert.equal(outputOnlyAuroc(bare, y, 5).estimate, null);
  assert.equal(outputOnlyAuroc(texts, y, 5).estimate, 1);
});

test("residualsByLayer: mean and last-token pools equal a direct read of blocks.L.hook_resid_post", async () => {
  await initBackend();
  const dir = TINY_V1_MODEL_DIR;
  const model = await loadModel(dir);
  const tok = await loadTokenizer(dir);
  try {
    const texts = ["Hello there, how are you?", "A second text."];
    const mean = residualsByLayer(model, tok, texts, { layers: [1, 3] });
    const last = residualsByLayer(model, tok, texts, { layers: [1], pool: "last" });
    assert.deepEqual(mean.layers, [1, 3]);
    assert.equal(mean.byLayer[0].rows, 2);
    assert.equal(mean.byLayer[0].cols, model.config.hiddenSize);
    const ids = tok.encode(texts[1]);
    const { logits, cache } = runWithCache(model, [ids], {
      names: ["blocks.3.hook_resid_post", "blocks.1.hook_resid_post"],
    });
    const h = model.config.hiddenSize;
    const want3 = tf.tidy(() => tf.mean(tf.reshape(cache["blocks.3.hook_resid_post"], [ids.length, h]), 0)).dataSync();
    const r1 = tf.tidy(() => tf.reshape(cache["blocks.1.hook_resid_post"], [ids.length, h])).arraySync() as number[][];
    tf.dispose([logits, ...Object.values(cache)]);
    const got3 = mean.byLayer[1].data.subarray(h, 2 * h);
    for (let j = 0; j < h; j++) assert.ok(Math.abs(got3[j] - want3[j]) < 1e-5);
    const gotLast = last.byLayer[0].data.subarray(h, 2 * h);
    for (let j = 0; j < h; j++) assert.ok(Math.abs(gotLast[j] - r1[ids.length - 1][j]) < 1e-5);
    assert.throws(() => residualsByLayer(model, tok, texts, { layers: [9] }), /not in 0…3/);
  } finally {
    disposeModel(model);
  }
});

test("SAE-feature probe: the matrix is pooledTextFeatures' latents; a latent that tracks the label gives AUROC 1", async () => {
  await initBackend();
  const dir = TINY_V1_MODEL_DIR;
  const model = await loadModel(dir);
  const tok = await loadTokenizer(dir);
  const d = model.config.hiddenSize;
  const m = 16;
  const g = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.1, "float32", seed);
  const sae = makeSae(
    {
      architecture: "standard",
      d_in: d,
      d_sae: m,
      apply_b_dec_to_input: false,
      normalize_activations: "none",
      hook_name: "blocks.1.hook_resid_post",
      format: "memory",
      source: "test",
      metadata: {},
    },
    { W_enc: g([d, m], 1), b_enc: tf.zeros([m]), W_dec: g([m, d], 2), b_dec: tf.zeros([d]) },
  );
  try {
    const texts = ["one text here", "another text", "a third one", "and a fourth"];
    const X = saeFeatureMatrix(model, tok, sae, texts);
    const direct = pooledTextFeatures(model, tok, sae, texts, { pool: "mean" });
    assert.equal(X.rows, 4);
    assert.equal(X.cols, m);
    X.data.forEach((v, i) => assert.ok(Math.abs(v - direct.features[i]) < 1e-6));
    // a constructed feature matrix: column 0 carries the label, the rest is noise
    const b = blobs([1, 0, 0], [0, 0, 0], 12, 0.1, "sae");
    assert.equal(saeProbe(b.X, b.y, { k: 3 }).estimate, 1);
  } finally {
    disposeSae(sae);
    disposeModel(model);
  }
});
