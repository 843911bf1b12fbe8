/**
 * stopAtLayer in the decoder (no later block, final norm or lm_head runs) and extractActivations at a hook, then
 * SAE encoding of what it returns.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import {
  createCache,
  disposeActivations,
  disposeModel,
  forward,
  loadModel,
  runWithCache,
  type Model,
} from "../../lib/model/index.ts";
import {
  checkSaeFitsModel,
  disposeSae,
  encode,
  extractActivations,
  hookWidth,
  stopLayerFor,
} from "../../lib/sae/index.ts";
import { randomSae } from "./helpers.ts";

const MODEL_DIR = path.join(__dirname, "..", "fixtures", "model", "llama"); // hidden 64, 2 layers, 4 heads
const IDS = [
  [1, 5, 9, 12, 3],
  [2, 7, 7, 30, 4],
];
let model: Model;

before(async () => {
  await initBackend();
  model = await loadModel(MODEL_DIR);
});
after(() => disposeModel(model));

test("stopAtLayer L returns blocks.{L-1}.hook_resid_post and reaches no later hook", () => {
  const full = runWithCache(model, IDS);
  for (const L of [0, 1, 2]) {
    const seen: string[] = [];
    const out = forward(model, IDS, { stopAtLayer: L, hooks: (n) => void seen.push(n) });
    const want = L === 0 ? full.cache["hook_embed"] : full.cache[`blocks.${L - 1}.hook_resid_post`];
    assert.deepEqual(out.shape, [2, 5, 64]);
    assert.deepEqual(Array.from(out.dataSync()), Array.from(want.dataSync()), `stopAtLayer ${L}`);
    assert.ok(!seen.includes("ln_final.hook_normalized"), "the final norm (and lm_head after it) did not run");
    assert.ok(!seen.some((n) => Number(/^blocks\.(\d+)/.exec(n)?.[1] ?? -1) >= L), `no block ≥ ${L}: ${seen}`);
    out.dispose();
  }
  full.logits.dispose();
  disposeActivations(full.cache);
});

test("stopAtLayer out of range or with a KV cache is a MolabError", () => {
  for (const bad of [-1, 3, 1.5])
    assert.throws(() => forward(model, IDS, { stopAtLayer: bad }), /stopAtLayer must be an integer in 0\.\.2/);
  const cache = createCache(model);
  assert.throws(
    () => forward(model, IDS, { stopAtLayer: 1, cache }),
    (e: Error) => e instanceof MolabError && /KV cache/.test(e.message),
  );
});

test("extractActivations at a hook equals the full run's cache; SAE encodes it", () => {
  assert.equal(stopLayerFor("blocks.3.hook_mlp_out"), 4);
  assert.equal(stopLayerFor("hook_embed"), 0);
  assert.equal(stopLayerFor("ln_final.hook_normalized"), undefined);
  const full = runWithCache(model, IDS);
  for (const hook of ["blocks.0.hook_resid_post", "blocks.1.hook_mlp_out", "ln_final.hook_normalized"]) {
    const a = extractActivations(model, IDS, hook);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(full.cache[hook].dataSync()), hook);
    a.dispose();
  }
  const z = extractActivations(model, IDS, "blocks.1.attn.hook_z");
  assert.deepEqual(z.shape, [2, 5, 64]);
  z.dispose();
  full.logits.dispose();
  disposeActivations(full.cache);
  assert.throws(() => extractActivations(model, IDS, "blocks.7.hook_resid_post"), /not a hook point of this model/);

  const sae = randomSae("topk", 64, 96, 21, { k: 4, hook_name: "blocks.0.hook_resid_post" });
  const hook = checkSaeFitsModel(sae, model);
  const acts = extractActivations(model, IDS, hook);
  const x = tf.reshape(acts, [10, 64]) as tf.Tensor2D;
  const latents = encode(sae, x, { source: hook });
  assert.deepEqual(latents.shape, [10, 96]);
  const v = latents.dataSync();
  for (let r = 0; r < 10; r++) assert.ok(v.slice(r * 96, (r + 1) * 96).filter((q) => q !== 0).length <= 4);
  tf.dispose([acts, x, latents]);
  disposeSae(sae);
});

test("q/k/v and MLP pre-activation hooks extract flat per-token vectors of hookWidth", () => {
  const c = model.config;
  const cases: [string, number][] = [
    ["blocks.1.attn.hook_q", c.numHeads * c.headDim],
    ["blocks.1.attn.hook_k", c.numKvHeads * c.headDim],
    ["blocks.1.attn.hook_v", c.numKvHeads * c.headDim],
    ["blocks.0.mlp.hook_pre", c.intermediateSize],
    ["blocks.0.mlp.hook_pre_linear", c.intermediateSize],
  ];
  for (const [hook, width] of cases) {
    assert.equal(hookWidth(model, hook), width, hook);
    const act = extractActivations(model, IDS, hook);
    assert.deepEqual(act.shape, [2, 5, width], hook);
    act.dispose();
  }
});
