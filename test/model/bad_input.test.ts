/** Each bad input is one MolabError naming what is wrong (file, tensor, field, id), never a tfjs stack. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { generate } from "../../lib/model/generate.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { parseConfig } from "../../lib/model/config.ts";
import { expectedTensors } from "../../lib/model/weights.ts";
import { copyModel, FIXTURES, tempDir } from "./helpers.ts";

const molab = (re: RegExp) => (e: unknown) => e instanceof MolabError && re.test(e.message);

test("truncated safetensors", async () => {
  const dir = await copyModel("llama");
  const f = path.join(dir, "model.safetensors");
  fs.truncateSync(f, fs.statSync(f).size - 1000);
  await assert.rejects(
    loadModel(dir),
    molab(/model\.safetensors: not a valid safetensors file: .*(past the end|truncated)/),
  );
});

test("wrong dtype", async () => {
  const dir = await copyModel("llama", {
    tensors: (t) => {
      const w = t["model.norm.weight"];
      t["model.norm.weight"] = tf.cast(w, "int32");
      w.dispose();
    },
  });
  await assert.rejects(loadModel(dir), molab(/tensor "model\.norm\.weight" has dtype I32; expected a float dtype/));
});

test("missing tensor", async () => {
  const dir = await copyModel("llama", {
    tensors: (t) => {
      t["model.layers.1.mlp.up_proj.weight"].dispose();
      delete t["model.layers.1.mlp.up_proj.weight"];
    },
  });
  await assert.rejects(
    loadModel(dir),
    molab(/missing tensor "model\.layers\.1\.mlp\.up_proj\.weight" \(model_type llama\)/),
  );
});

test("shape mismatch names the tensor, the found and the expected shape", async () => {
  const dir = await copyModel("qwen3", { config: (c) => (c.intermediate_size = 96) });
  await assert.rejects(
    loadModel(dir),
    molab(/tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[128,64\]; config\.json implies \[96,64\]/),
  );
});

test("unexpected tensor (config and weights disagree)", async () => {
  const dir = await copyModel("llama", { config: (c) => (c.num_hidden_layers = 1) });
  await assert.rejects(
    loadModel(dir),
    molab(/unexpected tensors "model\.layers\.1\..*" and \d+ more for model_type llama/),
  );
});

test("unknown model_type lists the supported ones", async () => {
  const dir = await copyModel("llama", { config: (c) => (c.model_type = "falcon") });
  await assert.rejects(
    loadModel(dir),
    molab(/"model_type": "falcon" is not supported; supported: llama, mistral, qwen2, qwen3, gemma3_text, gemma2/),
  );
});

test("pickle-only directory is refused", async () => {
  const dir = await copyModel("llama");
  fs.renameSync(path.join(dir, "model.safetensors"), path.join(dir, "pytorch_model.bin"));
  await assert.rejects(loadModel(dir), molab(/pickle-based weights are never loaded/));
});

test("weights too large for the wasm heap are refused before reading, with the sizes", async () => {
  // A sparse file whose header describes 2.5 GiB of float32 weights: checked, refused, never read.
  const dir = tempDir();
  const config = {
    model_type: "llama",
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 2,
    num_attention_heads: 32,
    max_position_embeddings: 4096,
  };
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [k, shape] of expectedTensors(parseConfig(config))) {
    const n = shape.reduce((a, b) => a * b, 1) * 4;
    header[k.startsWith("lm_head") ? k : "model." + k] = { dtype: "F32", shape, data_offsets: [off, off + n] };
    off += n;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const file = path.join(dir, "model.safetensors");
  fs.writeFileSync(file, Buffer.concat([len, json]));
  fs.truncateSync(file, 8 + json.length + off);
  await assert.rejects(
    loadModel(dir),
    molab(
      /the weights need 2\.\d\d GiB as float32 and about 4\.\d\d GiB of wasm heap once XNNPACK packs its copy of the matmul weights; wasm32 holds at most 4 GiB/,
    ),
  );
  await assert.rejects(
    loadModel(path.join(FIXTURES, "llama"), { maxWeightBytes: 1000 }),
    molab(/more than the 0\.00 GiB allowed \(maxWeightBytes\)/),
  );
});

test("ids out of vocab range, ragged batch, empty input and empty prompt", async () => {
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const before = tf.memory().numTensors;
    assert.throws(
      () => forward(model, [[1, 2, 256]]),
      molab(/token id 256 at row 0, position 2 is outside the vocabulary \(0\.\.255\)/),
    );
    assert.throws(() => forward(model, [[1, -1]]), molab(/token id -1 at row 0, position 1/));
    assert.throws(() => forward(model, [[1, 2.5]]), molab(/token id 2\.5/));
    assert.throws(() => forward(model, [[1, 2], [3]]), molab(/row 1 has 1 ids, row 0 has 2/));
    assert.throws(() => forward(model, [[]]), molab(/empty input/));
    assert.throws(() => forward(model, [[1, 2]], { attentionMask: [[1]] }), molab(/attentionMask must be \[1\]\[2\]/));
    assert.throws(() => generate(model, [[5, 6], []]), molab(/prompt 1 is empty/));
    assert.throws(() => generate(model, [[5, 600]], { maxNewTokens: 2 }), molab(/token id 600/));
    assert.throws(() => generate(model, [[5]], { topP: 0 }), molab(/topP must be in \(0, 1\]/));
    assert.throws(() => generate(model, [[5]], { maxNewTokens: 0 }), molab(/maxNewTokens must be a positive integer/));
    assert.equal(tf.memory().numTensors, before, "failed calls leave no tensors behind");
  } finally {
    disposeModel(model);
  }
});
