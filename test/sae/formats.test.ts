/**
 * SAELens (v6 and pre-6.0), sparsify and GemmaScope folders written here, loaded back; the SAELens writer; hook
 * mapping; and every bad input — wrong shapes, missing tensors, unknown architecture, hook not in the model, d_in
 * mismatch — as one MolabError naming the file and the field.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { writeNpz } from "../../lib/io/npy.ts";
import { loadModel, disposeModel, type Model } from "../../lib/model/index.ts";
import {
  checkSaeFitsModel,
  disposeSae,
  encode,
  gemmaScopeHook,
  loadSae,
  parseSaeLensConfig,
  saveSaeLens,
  sparsifyHook,
  type Sae,
} from "../../lib/sae/index.ts";
import { assertClose, randn, randomSae, referenceEncode, writeSparsifySae } from "./helpers.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-"));
const MODEL_DIR = path.join(__dirname, "..", "fixtures", "model", "llama"); // hidden 64, 2 layers
let model: Model;

before(async () => {
  await initBackend();
  model = await loadModel(MODEL_DIR);
});
after(() => {
  disposeModel(model);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const N = 4;
const D_IN = 64;
const D_SAE = 96;
const X = randn(N * D_IN, 7);

function encoded(sae: Sae): Float32Array {
  const t = encode(sae, tf.tensor2d(X, [N, D_IN]));
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

const isErr = (re: RegExp) => (e: Error) => e instanceof MolabError && re.test(e.message);

/** Write a SAELens folder by hand (cfg as given, tensors as given). */
async function saeLensDir(name: string, cfg: unknown, tensors: Record<string, tf.Tensor>): Promise<string> {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "cfg.json"), JSON.stringify(cfg));
  await writeSafetensors(path.join(dir, "sae_weights.safetensors"), tensors);
  return dir;
}

test("saveSaeLens writes a v6 folder that loads back to the same encodings, for each architecture", async () => {
  for (const arch of ["standard", "topk", "jumprelu"] as const) {
    const sae = randomSae(arch, D_IN, D_SAE, 11, arch === "topk" ? { k: 5, rescale_acts_by_decoder_norm: true } : {});
    const dir = path.join(tmp, `saved_${arch}`);
    await saveSaeLens(sae, dir);
    const cfg = JSON.parse(fs.readFileSync(path.join(dir, "cfg.json"), "utf8"));
    assert.equal(cfg.architecture, arch);
    assert.equal(cfg.metadata.hook_name, "blocks.0.hook_resid_post");
    assert.equal(cfg.metadata.sae_lens_version, "6.0.0");
    const back = await loadSae(dir);
    assert.equal(back.cfg.format, "saelens");
    assert.equal(back.cfg.rescale_acts_by_decoder_norm, sae.cfg.rescale_acts_by_decoder_norm);
    assertClose(encoded(back), encoded(sae), 0, `${arch} round trip`);
    assert.equal(checkSaeFitsModel(back, model), "blocks.0.hook_resid_post");
    disposeSae(sae);
    disposeSae(back);
  }
});

test("pre-6.0 SAELens configs: hook_point, activation_fn_str topk + activation_fn_kwargs.k, boolean normalization", () => {
  const c = parseSaeLensConfig(
    {
      d_in: 64,
      d_sae: 96,
      hook_point: "blocks.1.hook_resid_post",
      activation_fn_str: "topk",
      activation_fn_kwargs: { k: 7 },
      normalize_activations: false,
      model_name: "tiny",
    },
    "old/cfg.json",
  );
  assert.equal(c.architecture, "topk");
  assert.equal(c.k, 7);
  assert.equal(c.hook_name, "blocks.1.hook_resid_post");
  assert.equal(c.normalize_activations, "none");
  assert.equal(c.apply_b_dec_to_input, true);
  assert.equal(c.metadata.model_name, "tiny");
  const relu = parseSaeLensConfig({ d_in: 4, d_sae: 8, hook_point: "x", normalize_activations: true }, "f");
  assert.equal(relu.architecture, "standard");
  assert.equal(relu.normalize_activations, "expected_average_only_in");
  assert.throws(
    () => parseSaeLensConfig({ d_in: 4, d_sae: 8, activation_fn_str: "topk" }, "old/cfg.json"),
    isErr(/^old\/cfg\.json: field "activation_fn_kwargs\.k" is missing/),
  );
  assert.throws(
    () => parseSaeLensConfig({ d_in: 4, d_sae: 8, activation_fn_str: "tanh-relu" }, "old/cfg.json"),
    isErr(/field "activation_fn_str" is "tanh-relu"/),
  );
});

test("sparsify hookpoint folder: encoder.weight [L, d_in] transposed, layers.N = blocks.N.hook_resid_post", async () => {
  const ref = randomSae("topk", D_IN, D_SAE, 12, { k: 6 });
  const dir = path.join(tmp, "sparsify", "layers.1");
  const cfg = await writeSparsifySae(dir, ref, { k: 6, expansion_factor: 32 });
  const sae = await loadSae(dir);
  assert.equal(sae.cfg.format, "sparsify");
  assert.equal(sae.cfg.hook_name, "blocks.1.hook_resid_post");
  assertClose(encoded(sae), referenceEncode(ref, X, N, true), 1e-5, "sparsify encode");
  disposeSae(sae);
  // the root of a multi-hookpoint repo says which hookpoints it holds
  await assert.rejects(loadSae(path.join(tmp, "sparsify")), isErr(/pick one: layers\.1/));
  // encoder.weight stored the other way round
  const bad = path.join(tmp, "sparsify_bad", "layers.0");
  fs.mkdirSync(bad, { recursive: true });
  fs.writeFileSync(path.join(bad, "cfg.json"), JSON.stringify(cfg));
  const st = { "encoder.weight": ref.W_enc, "encoder.bias": ref.b_enc, W_dec: ref.W_dec, b_dec: ref.b_dec };
  await writeSafetensors(path.join(bad, "sae.safetensors"), st);
  await assert.rejects(
    loadSae(bad),
    isErr(/sae\.safetensors: tensor "encoder\.weight" has shape \[64, 96\], expected \[96, 64\]/),
  );
  // num_latents 0 → d_in × expansion_factor, which these tensors do not fit
  fs.writeFileSync(path.join(bad, "cfg.json"), JSON.stringify({ ...cfg, num_latents: 0, expansion_factor: 2 }));
  await assert.rejects(loadSae(bad), isErr(/expected \[128, 64\]/));
  fs.writeFileSync(path.join(bad, "cfg.json"), JSON.stringify({ ...cfg, activation: "groupmax" }));
  await assert.rejects(loadSae(bad), isErr(/cfg\.json: field "activation" is "groupmax"/));
  disposeSae(ref);
});

test("GemmaScope params.npz: JumpReLU on raw inputs, hook from the path", async () => {
  const ref = randomSae("jumprelu", D_IN, D_SAE, 13, { apply_b_dec_to_input: false });
  const dir = path.join(tmp, "gemma-scope-2b-pt-res", "layer_1", "width_16k", "average_l0_5");
  fs.mkdirSync(dir, { recursive: true });
  const arrays: Record<string, { dtype: "float32"; shape: number[]; data: Float32Array }> = {};
  for (const k of ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const) {
    const t = ref[k]!;
    arrays[k] = { dtype: "float32", shape: t.shape, data: t.dataSync() as Float32Array };
  }
  await writeNpz(path.join(dir, "params.npz"), arrays);
  const sae = await loadSae(dir);
  assert.equal(sae.cfg.format, "gemmascope");
  assert.equal(sae.cfg.apply_b_dec_to_input, false);
  assert.equal(sae.cfg.hook_name, "blocks.1.hook_resid_post");
  assertClose(encoded(sae), referenceEncode(ref, X, N), 1e-5, "gemmascope encode");
  disposeSae(sae);
  const { threshold, ...noThreshold } = arrays;
  void threshold;
  await writeNpz(path.join(tmp, "missing.npz"), noThreshold);
  await assert.rejects(loadSae(path.join(tmp, "missing.npz")), isErr(/missing\.npz: array "threshold" is missing/));
  await writeNpz(path.join(tmp, "wrong.npz"), { ...arrays, W_dec: arrays.W_enc });
  await assert.rejects(
    loadSae(path.join(tmp, "wrong.npz")),
    isErr(/wrong\.npz: tensor "W_dec" has shape \[64, 96\], expected \[96, 64\]/),
  );
  disposeSae(ref);
});

test("SAELens bad input: wrong shape, missing tensor (threshold, b_gate), unknown architecture, bad normalization", async () => {
  const ref = randomSae("jumprelu", D_IN, D_SAE, 14);
  const cfg = { architecture: "jumprelu", d_in: D_IN, d_sae: D_SAE, metadata: { sae_lens_version: "6.5.0" } };
  const all = { W_enc: ref.W_enc, b_enc: ref.b_enc, W_dec: ref.W_dec, b_dec: ref.b_dec, threshold: ref.threshold! };
  const wrong = await saeLensDir("wrong", cfg, { ...all, W_enc: ref.W_dec });
  await assert.rejects(
    loadSae(wrong),
    isErr(/wrong\/sae_weights\.safetensors: tensor "W_enc" has shape \[96, 64\], expected \[64, 96\]/),
  );
  const { threshold, ...noThreshold } = all;
  void threshold;
  const missing = await saeLensDir("missing", cfg, noThreshold);
  await assert.rejects(loadSae(missing), isErr(/missing\/sae_weights\.safetensors: tensor "threshold" is missing/));
  // a gated SAE saved without its gate bias: SAELens' gated SAEs store b_gate, not b_enc
  const gated = await saeLensDir("gated", { ...cfg, architecture: "gated" }, all);
  await assert.rejects(loadSae(gated), isErr(/gated\/sae_weights\.safetensors: tensor "b_gate" is missing/));
  const transcoder = await saeLensDir("transcoder", { ...cfg, architecture: "transcoder" }, all);
  await assert.rejects(
    loadSae(transcoder),
    isErr(/transcoder\/cfg\.json: field "architecture" is "transcoder"; supported: standard, topk, jumprelu, gated/),
  );
  const norm = await saeLensDir("norm", { ...cfg, normalize_activations: "rms" }, all);
  await assert.rejects(loadSae(norm), isErr(/norm\/cfg\.json: field "normalize_activations" is "rms"/));
  const dims = await saeLensDir("dims", { ...cfg, d_in: "64" }, all);
  await assert.rejects(loadSae(dims), isErr(/dims\/cfg\.json: field "d_in" must be a positive integer/));
  await assert.rejects(loadSae(path.join(tmp, "nowhere")), isErr(/nowhere: no such SAE folder/));
  fs.mkdirSync(path.join(tmp, "empty"));
  await assert.rejects(loadSae(path.join(tmp, "empty")), isErr(/empty: not an SAE folder/));
  disposeSae(ref);
});

test("hook mapping per format, and SAEs that do not fit the model", async () => {
  assert.equal(sparsifyHook("layers.3"), "blocks.3.hook_resid_post");
  assert.equal(sparsifyHook("model.layers.3.mlp"), "blocks.3.hook_mlp_out");
  assert.equal(sparsifyHook("layers.0.self_attn"), "blocks.0.hook_attn_out");
  assert.equal(sparsifyHook("embed_tokens"), "hook_embed");
  assert.equal(sparsifyHook("layers.3.mlp.act_fn"), undefined);
  assert.equal(
    gemmaScopeHook("gemma-scope-2b-pt-res/layer_12/width_16k/average_l0_82/params.npz"),
    "blocks.12.hook_resid_post",
  );
  assert.equal(gemmaScopeHook("gemma-scope-2b-pt-mlp/layer_3/width_16k/x/params.npz"), "blocks.3.hook_mlp_out");
  assert.equal(gemmaScopeHook("gemma-scope-2b-pt-att/layer_3/width_16k/x/params.npz"), "blocks.3.attn.hook_z");
  const far = randomSae("standard", D_IN, D_SAE, 15, { hook_name: "blocks.9.hook_resid_post", source: "far/cfg.json" });
  assert.throws(
    () => checkSaeFitsModel(far, model),
    isErr(/far\/cfg\.json: hook "blocks\.9\.hook_resid_post" is not a hook point of this model \(2 layers/),
  );
  const narrow = randomSae("standard", 32, D_SAE, 16, { source: "narrow/cfg.json" });
  assert.throws(
    () => checkSaeFitsModel(narrow, model),
    isErr(/narrow\/cfg\.json: field "d_in" is 32, but blocks\.0\.hook_resid_post of this model has width 64/),
  );
  const mlp = randomSae("standard", 128, D_SAE, 17, { hook_name: "blocks.1.mlp.hook_post" });
  assert.equal(checkSaeFitsModel(mlp, model), "blocks.1.mlp.hook_post");
  const none = randomSae("standard", D_IN, D_SAE, 18, { hook_name: undefined, source_hook: "layers.3.mlp.act_fn" });
  assert.throws(() => checkSaeFitsModel(none, model), isErr(/does not say which hook.*"layers\.3\.mlp\.act_fn"/));
  assert.equal(checkSaeFitsModel(none, model, "blocks.1.hook_resid_mid"), "blocks.1.hook_resid_mid");
  [far, narrow, mlp, none].forEach(disposeSae);
});
