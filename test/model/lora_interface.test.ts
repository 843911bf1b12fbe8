/**
 * The model side of LoRA and training: deltas attached by module name (also on the fused q/k/v), merging,
 * gradients only for adapter variables, full-parameter training with a one-hot embedding, export round trip.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { addToLinearWeight, exportWeights, linearWeight, makeTrainable } from "../../lib/model/edit.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { FIXTURES, maxAbsDiff, readReference, rows, tempDir } from "./helpers.ts";

const IDS = [[1, 20, 30, 40, 50, 60, 70, 80]];

test("LoRA deltas on fused q/k/v parts and on down_proj equal merging scale·B·A into the weights", async () => {
  const model = await loadModel(path.join(FIXTURES, "qwen2"));
  const merged = await loadModel(path.join(FIXTURES, "qwen2"));
  try {
    const base = forward(model, IDS);
    const targets = [
      "model.layers.0.self_attn.k_proj",
      "model.layers.1.self_attn.q_proj",
      "model.layers.1.mlp.down_proj",
    ];
    const deltas = targets.map((name, i) => {
      const l = model.linears.get(name)!;
      const A = tf.variable(tf.randomNormal([4, l.inFeatures], 0, 0.3, "float32", 10 + i));
      const B = tf.variable(tf.randomNormal([l.outFeatures, 4], 0, 0.3, "float32", 20 + i));
      l.lora = { A, B, scale: 0.5 };
      tf.tidy(() => addToLinearWeight(merged, name, tf.mul(tf.matMul(B, A), 0.5)));
      return { A, B };
    });
    const withLora = forward(model, IDS);
    const viaMerge = forward(merged, IDS);
    assert.ok(maxAbsDiff(base.dataSync(), withLora.dataSync()) > 1e-2, "the adapters change the logits");
    assert.ok(maxAbsDiff(withLora.dataSync(), viaMerge.dataSync()) < 1e-4);

    // Gradients reach exactly the adapter variables; base weights are not variables.
    const vars = deltas.flatMap((d) => [d.A, d.B]) as tf.Variable[];
    const { value, grads } = tf.variableGrads(
      () => tf.mean(tf.square(forward(model, IDS, { training: true }))) as tf.Scalar,
    );
    assert.deepEqual(Object.keys(grads).sort(), vars.map((v) => v.name).sort());
    for (const v of vars) assert.ok(tf.tidy(() => tf.norm(grads[v.name]).dataSync()[0]) > 0, v.name);

    for (const name of targets) delete model.linears.get(name)!.lora;
    const detached = forward(model, IDS);
    assert.equal(maxAbsDiff(base.dataSync(), detached.dataSync()), 0);
    tf.dispose([base, withLora, viaMerge, detached, value, ...Object.values(grads), ...vars]);
  } finally {
    disposeModel(model);
    disposeModel(merged);
  }
});

test("linearWeight returns a projection in Hugging Face layout", async () => {
  const model = await loadModel(path.join(FIXTURES, "llama_linear"));
  try {
    const w = linearWeight(model, "model.layers.1.self_attn.v_proj");
    const exported = exportWeights(model);
    assert.deepEqual(w.shape, [64, 64]);
    assert.equal(maxAbsDiff(w.dataSync(), exported["model.layers.1.self_attn.v_proj.weight"].dataSync()), 0);
    assert.throws(() => linearWeight(model, "model.layers.9.mlp.up_proj"), /no projection named/);
    tf.dispose([w, ...Object.values(exported)]);
  } finally {
    disposeModel(model);
  }
});

test("exportWeights → safetensors → loadModel round-trips (Gemma norms and tied embeddings included)", async () => {
  for (const name of ["gemma3_text", "llama_linear"]) {
    const model = await loadModel(path.join(FIXTURES, name));
    const dir = tempDir();
    try {
      const w = exportWeights(model);
      await writeSafetensors(path.join(dir, "model.safetensors"), w);
      tf.dispose(Object.values(w));
      fs.copyFileSync(path.join(FIXTURES, name, "config.json"), path.join(dir, "config.json"));
      const again = await loadModel(dir);
      const a = forward(model, IDS);
      const b = forward(again, IDS);
      assert.equal(maxAbsDiff(a.dataSync(), b.dataSync()), 0, name);
      tf.dispose([a, b]);
      disposeModel(again);
    } finally {
      disposeModel(model);
    }
  }
});

test("full-parameter training: one-hot embedding equals gather and gives the embedding a gradient", async () => {
  const ref = await readReference("llama");
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const ids = [rows({ data: ref.input_ids.data, shape: [1, ref.input_ids.shape[0]] })[0]];
    const vars = makeTrainable(model);
    const a = forward(model, ids);
    const b = forward(model, ids, { embedding: "onehot" });
    assert.ok(maxAbsDiff(a.dataSync(), b.dataSync()) < 1e-5);
    assert.ok(maxAbsDiff(a.dataSync(), ref.logits.data) < 1e-4, "trainable weights compute the same model");
    const { value, grads } = tf.variableGrads(() => {
      const logits = tf.reshape(forward(model, ids, { embedding: "onehot" }), [ids[0].length, model.config.vocabSize]);
      const labels = tf.cast(
        tf.oneHot(tf.tensor1d([...ids[0].slice(1), 0], "int32"), model.config.vocabSize),
        "float32",
      );
      return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
    });
    assert.equal(Object.keys(grads).length, vars.length);
    const embedGrad = grads[(model.embed as tf.Variable).name];
    assert.deepEqual(embedGrad.shape, [model.config.vocabSize, model.config.hiddenSize]);
    assert.ok(tf.tidy(() => tf.norm(embedGrad).dataSync()[0]) > 0);
    tf.dispose([a, b, value, ...Object.values(grads)]);
  } finally {
    disposeModel(model);
  }
});
