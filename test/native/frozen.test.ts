/**
 * Frozen weights in native memory (lib/model/frozen.ts): every model fixture loaded that way gives the logits of the
 * ordinary (wasm tensor) model within 1e-4 — f32 storage everywhere, bf16 storage on the bf16 fixture (exact there) —
 * and LoRA gradients through the native projections equal the ordinary ones. Skipped without the addon.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { forward } from "../../lib/model/llama.ts";
import type { Model } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { nativeStatus } from "../../lib/native/addon.ts";
import { disposeFrozenModel, frozenBytes, loadFrozenModel } from "../../lib/model/frozen.ts";
import { generate } from "../../lib/model/generate.ts";
import { FIXTURES, MODEL_NAMES, maxAbsDiff, readReference, rows } from "../model/helpers.ts";

const skip = process.env.MOLAB_NATIVE === "0" ? "MOLAB_NATIVE=0" : false;

async function logits(model: Model, name: string): Promise<Float32Array> {
  const ref = await readReference(name);
  const a = forward(model, [Array.from(ref.input_ids.data)]);
  const b = forward(model, rows(ref.batch_input_ids), { attentionMask: rows(ref.batch_attention_mask) });
  const out = new Float32Array(a.size + b.size);
  out.set(a.dataSync());
  out.set(b.dataSync(), a.size);
  tf.dispose([a, b]);
  return out;
}

test("frozen native weights: logits equal the wasm-tensor model's within 1e-4 on every fixture", { skip }, async () => {
  await initBackend();
  if (!nativeStatus().enabled) return;
  const lines: string[] = [];
  for (const name of MODEL_NAMES) {
    const dir = path.join(FIXTURES, name);
    const plain = await loadModel(dir);
    const want = await logits(plain, name);
    const prompt = [[3, 17, 42, 5]];
    const wantGen = generate(plain, prompt, { maxNewTokens: 8, stopTokens: [] }).tokens;
    disposeModel(plain);
    const before = tf.memory().numTensors;
    for (const store of name === "llama_bf16" ? (["f32", "bf16"] as const) : (["f32"] as const)) {
      const fm = await loadFrozenModel(dir, { store });
      assert.ok(frozenBytes(fm) > 0);
      const d = maxAbsDiff(await logits(fm, name), want);
      lines.push(`${name}/${store} ${d.toExponential(1)}`);
      assert.ok(d < 1e-4, `${name} (${store}): max |Δlogits| ${d}`);
      assert.deepEqual(generate(fm, prompt, { maxNewTokens: 8, stopTokens: [] }).tokens, wantGen);
      disposeFrozenModel(fm);
    }
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
  }
  console.log(`max |Δlogits| frozen native vs wasm tensors: ${lines.join(", ")}`);
});

test("frozen native weights: LoRA gradients through them equal the wasm-tensor model's", { skip }, async () => {
  await initBackend();
  if (!nativeStatus().enabled) return;
  const dir = path.join(FIXTURES, "qwen2");
  const ids = [[1, 5, 9, 13, 2, 7, 11, 4]];
  const grads = async (model: Model) => {
    const lin = model.linears.get("model.layers.0.self_attn.v_proj")!;
    const down = model.linears.get("model.layers.1.mlp.down_proj")!;
    const mk = (r: number, c: number, s: number) => tf.variable(tf.randomNormal([r, c], 0, 0.1, "float32", s));
    const vars = [
      mk(4, lin.inFeatures, 1),
      mk(lin.outFeatures, 4, 2),
      mk(2, down.inFeatures, 3),
      mk(down.outFeatures, 2, 4),
    ];
    lin.lora = { A: vars[0], B: vars[1], scale: 2 };
    down.lora = { A: vars[2], B: vars[3], scale: 0.5 };
    const { grads: g } = tf.variableGrads(() => tf.mean(tf.square(forward(model, ids))) as tf.Scalar, vars);
    const out = vars.map((v) => g[v.name].dataSync().slice());
    tf.dispose([...Object.values(g), ...vars]);
    delete lin.lora;
    delete down.lora;
    return out;
  };
  const plain = await loadModel(dir);
  const want = await grads(plain);
  disposeModel(plain);
  const fm = await loadFrozenModel(dir, { store: "f32" });
  const got = await grads(fm);
  disposeFrozenModel(fm);
  got.forEach((g, i) => {
    const scale = Math.max(...want[i].map(Math.abs));
    assert.ok(maxAbsDiff(g, want[i]) <= 1e-4 * scale, `gradient ${i}: ${maxAbsDiff(g, want[i])} (scale ${scale})`);
  });
});
