import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { LoraAdapter, peftKey } from "../../lib/lora/adapter.ts";
import { loraConfig, toPeftConfigJson } from "../../lib/lora/config.ts";
import { attachAdapter, mergeAndUnload, unmerge } from "../../lib/lora/inject.ts";
import type { LoraHost } from "../../lib/lora/host.ts";
import { loadTestHost } from "./hosts.ts";

const FIX = path.join(__dirname, "..", "fixtures", "lora");
const expected = JSON.parse(fs.readFileSync(path.join(FIX, "expected.json"), "utf8"));
let host: LoraHost;
const ids = [[1, 5, 9, 30, 44, 2, 7, 80]];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-adapter-"));
const isErr = (re: RegExp) => (e: unknown) => e instanceof MolabError && re.test(e.message);

before(async () => {
  await initBackend();
  host = await loadTestHost(path.join(FIX, "base"));
});

test("PEFT's init: A ~ kaiming_uniform(a=√5) = U(±1/√in) with PEFT's spread, B = 0, so a fresh adapter changes nothing", () => {
  const ad = LoraAdapter.create(host, loraConfig({ r: 16, lora_alpha: 32, target_modules: ["down_proj"] }), 3);
  const m = ad.modules[0];
  assert.equal(m.name, "model.layers.0.mlp.down_proj");
  const a = m.A.dataSync() as Float32Array;
  const bound = 1 / Math.sqrt(m.inFeatures);
  const maxAbs = Math.max(...a.map(Math.abs));
  const mean = a.reduce((s, x) => s + x, 0) / a.length;
  const std = Math.sqrt(a.reduce((s, x) => s + (x - mean) ** 2, 0) / (a.length - 1));
  const peft = expected.peft_init["lora_A.default"]; // PEFT's fresh down_proj A of the same shape
  assert.deepEqual(peft.shape, [16, 96]);
  assert.ok(maxAbs <= bound && peft.max_abs <= bound, `max |A| ${maxAbs}, PEFT ${peft.max_abs}, bound ${bound}`);
  assert.ok(Math.abs(std - peft.std) / peft.std < 0.05, `std ${std} vs PEFT ${peft.std}`);
  assert.ok(Math.abs(std - bound / Math.sqrt(3)) / (bound / Math.sqrt(3)) < 0.05);
  assert.ok(Math.abs(mean) < 0.01);
  assert.equal(Math.max(...(m.B.dataSync() as Float32Array).map(Math.abs)), 0);
  const base = host.forward(ids);
  attachAdapter(host, ad)();
  const detach = attachAdapter(host, ad);
  const same = host.forward(ids);
  detach();
  assert.equal(tf.max(tf.abs(tf.sub(base, same))).dataSync()[0], 0);
  const again = LoraAdapter.create(host, loraConfig({ r: 16, lora_alpha: 32, target_modules: ["down_proj"] }), 3);
  assert.deepEqual(again.modules[0].A.dataSync(), m.A.dataSync(), "seeded");
  const other = LoraAdapter.create(host, loraConfig({ r: 16, lora_alpha: 32, target_modules: ["down_proj"] }), 4);
  assert.notDeepEqual(other.modules[0].A.dataSync(), m.A.dataSync());
  [ad, again, other].forEach((x) => x.dispose());
  tf.dispose([base, same]);
});

test("save → load is exact, with PEFT's key names; merge then unmerge restores the base", async () => {
  const ad = LoraAdapter.create(
    host,
    loraConfig({ r: 2, lora_alpha: 4, target_modules: ["q_proj", "up_proj"], layers_to_transform: [1] }),
    5,
  );
  ad.modules.forEach((m, i) => m.B.assign(tf.randomNormal(m.B.shape, 0, 0.1, "float32", 10 + i)));
  const dir = tmp();
  await ad.save(dir);
  const src = await openSafetensors(path.join(dir, "adapter_model.safetensors"));
  assert.deepEqual(src.names().sort(), [
    "base_model.model.model.layers.1.mlp.up_proj.lora_A.weight",
    "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight",
    "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
    "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
  ]);
  assert.deepEqual(src.info("base_model.model.model.layers.1.mlp.up_proj.lora_B.weight").shape, [96, 2]);
  await src.close();
  const back = await LoraAdapter.load(dir, host);
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(back.modules[i].A.dataSync(), ad.modules[i].A.dataSync());
    assert.deepEqual(back.modules[i].B.dataSync(), ad.modules[i].B.dataSync());
  }
  const base = host.forward(ids);
  const detach = attachAdapter(host, back);
  const adapted = host.forward(ids);
  detach();
  mergeAndUnload(host, back);
  const merged = host.forward(ids);
  unmerge(host, back);
  const restored = host.forward(ids);
  const d = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0];
  assert.ok(d(adapted, base) > 1e-3, "the adapter changes the logits");
  assert.ok(d(merged, adapted) < 1e-5, `merged vs attached ${d(merged, adapted)}`);
  assert.ok(d(restored, base) < 1e-5, `unmerged vs base ${d(restored, base)}`);
  tf.dispose([base, adapted, merged, restored]);
  ad.dispose();
  back.dispose();
  fs.rmSync(dir, { recursive: true });
});

/** An adapter dir with the given tensors and config fields. */
async function adapterDir(tensors: Record<string, number[]>, cfg: Record<string, unknown> = {}): Promise<string> {
  const dir = tmp();
  const t: Record<string, tf.Tensor> = {};
  for (const [k, shape] of Object.entries(tensors)) t[k] = tf.zeros(shape);
  await writeSafetensors(path.join(dir, "adapter_model.safetensors"), t);
  tf.dispose(Object.values(t));
  fs.writeFileSync(
    path.join(dir, "adapter_config.json"),
    JSON.stringify({ ...toPeftConfigJson(loraConfig({ r: 2, target_modules: ["q_proj"] })), ...cfg }),
  );
  return dir;
}

test("adapters that do not fit the base are clear errors naming the file and module", async () => {
  const q0 = "model.layers.0.self_attn.q_proj";
  const cases: [Record<string, number[]>, Record<string, unknown>, RegExp][] = [
    [
      {
        [peftKey("model.layers.7.self_attn.q_proj", "A")]: [2, 64],
        [peftKey("model.layers.7.self_attn.q_proj", "B")]: [64, 2],
      },
      {},
      /target module model\.layers\.7\.self_attn\.q_proj does not exist in the base model/,
    ],
    [
      { [peftKey(q0, "A")]: [2, 32], [peftKey(q0, "B")]: [64, 2] },
      {},
      /q_proj: adapter shape A \[2,32\] B \[64,2\] does not fit the base linear \[out 64, in 64\]/,
    ],
    [{ [peftKey(q0, "A")]: [2, 64] }, {}, /module model\.layers\.0\.self_attn\.q_proj has lora_A but no lora_B/],
    [{ [peftKey(q0, "A")]: [3, 64], [peftKey(q0, "B")]: [64, 3] }, {}, /rank 3 but adapter_config\.json says r=2/],
    [
      { [peftKey(q0, "A")]: [2, 64], [peftKey(q0, "B")]: [64, 2] },
      { base_model_name_or_path: "meta-llama/Llama-3.1-8B" },
      /base_model_name_or_path is "meta-llama\/Llama-3\.1-8B" but the model is "base"/,
    ],
    [
      { "base_model.model.model.embed_tokens.weight": [128, 64] },
      {},
      /unexpected tensor base_model\.model\.model\.embed_tokens\.weight/,
    ],
  ];
  for (const [tensors, cfg, re] of cases) {
    const dir = await adapterDir(tensors, cfg);
    await assert.rejects(LoraAdapter.load(dir, host), isErr(re), re.source);
    fs.rmSync(dir, { recursive: true });
  }
  const ok = await adapterDir(
    { [peftKey(q0, "A")]: [2, 64], [peftKey(q0, "B")]: [64, 2] },
    { base_model_name_or_path: "/somewhere/else/base" },
  );
  (await LoraAdapter.load(ok, host)).dispose(); // same model name in another folder: accepted
  fs.writeFileSync(
    path.join(ok, "adapter_config.json"),
    JSON.stringify({ ...toPeftConfigJson(loraConfig({ r: 2 })), base_model_name_or_path: "other" }),
  );
  (await LoraAdapter.load(ok, host, { allowBaseMismatch: true })).dispose();
  fs.rmSync(path.join(ok, "adapter_model.safetensors"));
  fs.writeFileSync(path.join(ok, "adapter_model.bin"), "x");
  await assert.rejects(
    LoraAdapter.load(ok, host),
    isErr(/no adapter_model\.safetensors \(adapter_model\.bin is a pickle; molab reads safetensors only\)/),
  );
  fs.rmSync(ok, { recursive: true });
  await assert.rejects(
    LoraAdapter.load("/nonexistent-adapter", host),
    isErr(/no adapter_config\.json \(not a PEFT adapter directory\)/),
  );
  assert.throws(
    () => LoraAdapter.create(host, loraConfig({ target_modules: ["c_attn"] })),
    isErr(/target_modules \["c_attn"\] match no linear of the model/),
  );
});
