import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { generate, sampleToken, seededRandom } from "../../lib/model/generate.ts";
import { createCache, disposeCache, forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { FIXTURES, maxAbsDiff, readReference, rows } from "./helpers.ts";

test("KV-cache forward, token by token, equals the full forward (sliding-window model)", async () => {
  const model = await loadModel(path.join(FIXTURES, "gemma3_text"));
  try {
    const ids = Array.from({ length: 14 }, (_, i) => (i * 37 + 11) % 256);
    const full = forward(model, [ids]);
    const cache = createCache(model);
    const parts = [forward(model, [ids.slice(0, 5)], { cache })];
    for (let t = 5; t < ids.length; t++) parts.push(forward(model, [[ids[t]]], { cache }));
    assert.equal(cache.length, ids.length);
    const inc = tf.concat(parts, 1);
    const d = maxAbsDiff(inc.dataSync(), full.dataSync());
    tf.dispose([full, inc, ...parts]);
    disposeCache(cache);
    assert.ok(d < 1e-4, `max |Δ| ${d}`);
  } finally {
    disposeModel(model);
  }
});

test("generation keeps the tensor count flat across steps and frees everything at the end", async () => {
  const model = await loadModel(path.join(FIXTURES, "qwen2"));
  try {
    const before = tf.memory();
    const counts: number[] = [];
    const bytes: number[] = [];
    generate(
      model,
      [
        [5, 6, 7],
        [8, 9],
      ],
      {
        maxNewTokens: 12,
        temperature: 0.8,
        seed: 1,
        stopTokens: [],
        onStep: () => {
          counts.push(tf.memory().numTensors);
          bytes.push(tf.memory().numBytes);
        },
      },
    );
    assert.equal(counts.length, 12);
    assert.ok(
      counts.every((c) => c === counts[0]),
      `tensor counts per step ${counts}`,
    );
    const { numLayers: L, numKvHeads: KV, headDim: D } = model.config;
    const perStep = 2 * L * 2 * KV * D * 4; // k and v, every layer, batch 2, one position, float32
    for (let i = 1; i < bytes.length; i++) assert.equal(bytes[i] - bytes[i - 1], perStep, "only the KV cache grows");
    assert.equal(tf.memory().numTensors, before.numTensors);
    assert.equal(tf.memory().numBytes, before.numBytes);
  } finally {
    disposeModel(model);
  }
});

test("seeded sampling: the same seed gives the same tokens, another seed others", async () => {
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const opts = { maxNewTokens: 16, temperature: 1, topP: 0.95, topK: 50, stopTokens: [] as number[] };
    const a = generate(
      model,
      [
        [1, 5, 9],
        [1, 7],
      ],
      { ...opts, seed: 42 },
    );
    const b = generate(
      model,
      [
        [1, 5, 9],
        [1, 7],
      ],
      { ...opts, seed: 42 },
    );
    const c = generate(
      model,
      [
        [1, 5, 9],
        [1, 7],
      ],
      { ...opts, seed: 43 },
    );
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
    assert.equal(a.tokens[0].length, 16);
  } finally {
    disposeModel(model);
  }
});

test("stop tokens end a row (kept in its output); other rows go on", async () => {
  const ref = await readReference("llama");
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const prompt = rows(ref.gen_input_ids)[0];
    const greedy = rows(ref.gen_output_ids)[0].slice(prompt.length);
    const stop = greedy[6];
    const at = greedy.indexOf(stop);
    const r = generate(model, [prompt, [3, 4]], { maxNewTokens: 32, stopTokens: [stop] });
    assert.deepEqual(r.tokens[0], greedy.slice(0, at + 1));
    assert.equal(r.finishReason[0], "stop");
    const other = generate(model, [[3, 4]], { maxNewTokens: 32, stopTokens: [stop] });
    assert.deepEqual(r.tokens[1], other.tokens[0]);
  } finally {
    disposeModel(model);
  }
});

test("sampleToken: temperature, top-k, top-p", () => {
  const logits = new Float32Array([0.1, 2.0, -1, 1.9, 0.5]);
  const rand = seededRandom(7);
  for (let i = 0; i < 50; i++) {
    assert.equal(sampleToken(logits, 1, 1, 1, rand), 1, "top-k 1 is greedy");
    assert.equal(sampleToken(logits, 1, 0, 0.01, rand), 1, "tiny top-p is greedy");
    assert.ok([1, 3].includes(sampleToken(logits, 1, 2, 1, rand)), "top-k 2 keeps the two best");
  }
  const two = new Float32Array([0, Math.log(3)]);
  let ones = 0;
  const n = 4000;
  for (let i = 0; i < n; i++) ones += sampleToken(two, 1, 0, 1, rand);
  assert.ok(Math.abs(ones / n - 0.75) < 0.03, `p(1) = ${ones / n}, expected 0.75`);
  ones = 0;
  for (let i = 0; i < n; i++) ones += sampleToken(two, 0.5, 0, 1, rand);
  assert.ok(Math.abs(ones / n - 0.9) < 0.03, `T=0.5: p(1) = ${ones / n}, expected 9/10`);
});
