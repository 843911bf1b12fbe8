import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { inverseFrequencies, positionIds } from "../../lib/model/attention_inputs.ts";
import { parseConfig, readConfig, SUPPORTED_MODEL_TYPES } from "../../lib/model/config.ts";
import { MolabError } from "../../lib/errors.ts";
import { FIXTURES, MODEL_NAMES } from "./helpers.ts";

const raw = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name, "config.json"), "utf8"));

test("every fixture config parses to what its weights and transformers imply", () => {
  for (const n of MODEL_NAMES) assert.ok(readConfig(path.join(FIXTURES, n)).numLayers >= 2, n);
  const g3 = readConfig(path.join(FIXTURES, "gemma3_text"));
  assert.deepEqual(g3.layerTypes, ["sliding_attention", "sliding_attention", "full_attention"]);
  assert.equal(g3.slidingWindow, 8);
  assert.equal(g3.rope.full_attention.type, "linear");
  assert.equal(g3.rope.full_attention.theta, 1e6);
  assert.equal(g3.rope.sliding_attention.theta, 10000);
  assert.equal(g3.embedScale, 8);
  assert.equal(g3.attnScale, 1 / Math.sqrt(24));
  assert.ok(g3.qkNorm && g3.gemmaNorms && g3.tieWordEmbeddings);
  const q2 = readConfig(path.join(FIXTURES, "qwen2"));
  assert.ok(q2.qkvBias && !q2.oBias);
  assert.equal(q2.slidingWindow, undefined);
  const q3 = readConfig(path.join(FIXTURES, "qwen3"));
  assert.equal(q3.headDim, 32, "explicit head_dim, not hidden/heads");
  const g2 = readConfig(path.join(FIXTURES, "gemma2"));
  assert.equal(g2.attnSoftcap, 1);
  assert.equal(g2.finalSoftcap, 2);
  const m = readConfig(path.join(FIXTURES, "mistral"));
  assert.deepEqual(m.layerTypes, ["sliding_attention", "sliding_attention"]);
  assert.deepEqual(readConfig(path.join(FIXTURES, "llama")).eosTokenIds, [2]);
});

test("classic rope_theta/rope_scaling and transformers-5 rope_parameters give the same frequencies", () => {
  const v5 = parseConfig(raw("llama"));
  const classic = raw("llama");
  const rp = classic.rope_parameters;
  delete classic.rope_parameters;
  classic.rope_theta = rp.rope_theta;
  classic.rope_scaling = {
    type: "llama3",
    factor: rp.factor,
    low_freq_factor: rp.low_freq_factor,
    high_freq_factor: rp.high_freq_factor,
    original_max_position_embeddings: rp.original_max_position_embeddings,
  };
  const old = parseConfig(classic);
  assert.deepEqual(old.rope, v5.rope);
  // llama3 scaling: high frequencies kept, low divided by the factor, the middle smoothed.
  const base = inverseFrequencies({ ...v5.rope.full_attention, type: "default" }, 16);
  const scaled = inverseFrequencies(v5.rope.full_attention, 16);
  assert.equal(scaled[0], base[0]);
  assert.ok(Math.abs(scaled[7] - base[7] / 4) < 1e-12);
  assert.ok(scaled[1] < base[1] && scaled[1] > base[1] / 4);

  const g = raw("gemma3_text");
  delete g.rope_parameters;
  g.rope_theta = 1e6;
  g.rope_local_base_freq = 10000;
  g.rope_scaling = { rope_type: "linear", factor: 8 };
  assert.deepEqual(parseConfig(g).rope, parseConfig(raw("gemma3_text")).rope);
});

test("layer types follow each family's rule when config.json has no layer_types", () => {
  const g3 = raw("gemma3_text");
  delete g3.layer_types;
  g3.num_hidden_layers = 7;
  g3.sliding_window_pattern = 3;
  assert.deepEqual(
    parseConfig(g3).layerTypes.map((t) => t[0]),
    ["s", "s", "f", "s", "s", "f", "s"],
  );
  const g2 = raw("gemma2");
  delete g2.layer_types;
  assert.deepEqual(parseConfig(g2).layerTypes, ["sliding_attention", "full_attention"]);
  const q = raw("qwen2");
  delete q.layer_types;
  Object.assign(q, { use_sliding_window: true, max_window_layers: 1, sliding_window: 16 });
  const qc = parseConfig(q);
  assert.deepEqual(qc.layerTypes, ["full_attention", "sliding_attention"]);
  assert.equal(qc.slidingWindow, 16);
  const mi = raw("mistral");
  mi.sliding_window = null;
  assert.deepEqual(parseConfig(mi).layerTypes, ["full_attention", "full_attention"]);
});

test("position ids follow transformers' generate: cumsum(mask) − 1", () => {
  assert.deepEqual(
    positionIds(2, 4, 0, [
      [0, 0, 1, 1],
      [1, 1, 1, 1],
    ]),
    [
      [1, 1, 0, 1],
      [0, 1, 2, 3],
    ],
  );
  assert.deepEqual(positionIds(1, 1, 3, [[0, 1, 1, 1]]), [[2]]);
  assert.deepEqual(positionIds(3, 2, 5), [[5, 6]]);
});

test("bad configs are one clear error naming the field", () => {
  const unknown = { ...raw("llama"), model_type: "gpt2" };
  assert.throws(
    () => parseConfig(unknown),
    (e: Error) =>
      e instanceof MolabError &&
      /"model_type": "gpt2" is not supported; supported: llama, mistral, qwen2, qwen3, gemma3_text, gemma2/.test(
        e.message,
      ),
  );
  assert.equal(SUPPORTED_MODEL_TYPES.length, 6);
  assert.throws(() => parseConfig({ ...raw("llama"), model_type: "gemma3" }), /multimodal wrapper/);
  assert.throws(
    () => parseConfig({ ...raw("llama"), rope_parameters: { rope_type: "yarn", rope_theta: 1e4, factor: 4 } }),
    /rope type "yarn" is not supported \(supported: default, linear, llama3\)/,
  );
  assert.throws(() => parseConfig({ ...raw("llama"), hidden_size: "64" }), /"hidden_size" must be a number/);
  assert.throws(
    () => parseConfig({ ...raw("llama"), num_key_value_heads: 3 }),
    /not a multiple of num_key_value_heads 3/,
  );
  assert.throws(
    () => parseConfig({ ...raw("gemma2"), layer_types: ["full_attention"] }),
    /"layer_types" must list 2 layer types/,
  );
  assert.throws(() => parseConfig({ ...raw("llama"), hidden_act: "relu" }), /activation "relu" is not supported/);
  assert.throws(
    () =>
      parseConfig({
        ...raw("llama"),
        rope_parameters: { rope_type: "default", rope_theta: 1e4, partial_rotary_factor: 0.5 },
      }),
    /partial_rotary_factor/,
  );
  assert.throws(() => readConfig(FIXTURES), /no config.json/);
});
