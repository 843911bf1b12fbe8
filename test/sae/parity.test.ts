/**
 * Parity with torch (test/fixtures/sae/make_fixtures.py): one SAE of each format and architecture, our encodings
 * equal torch's within 1e-5 and TopK indices identical; and each SAE saved by our SAELens writer, read back by the
 * script's SAELens loader and encoded in torch, gives our encodings (skipped when no Python with torch is found).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { openSafetensors, type TensorSource } from "../../lib/io/safetensors.ts";
import { disposeSae, encode, encodeSparse, loadSae, reconstruct, saveSaeLens, type Sae } from "../../lib/sae/index.ts";

const FX = path.join(__dirname, "..", "fixtures", "sae");
const SCRIPT = path.join(FX, "make_fixtures.py");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-parity-"));

/** Fixture name → folder, and the hook we expect it to map to. */
const SAES: Record<string, [string, string]> = {
  saelens_standard: ["saelens_standard", "blocks.1.hook_resid_post"],
  saelens_standard_layer_norm: ["saelens_standard_layer_norm", "blocks.1.hook_resid_post"],
  saelens_jumprelu_constant_norm: ["saelens_jumprelu_constant_norm", "blocks.1.hook_resid_post"],
  saelens_topk_rescale: ["saelens_topk_rescale", "blocks.1.hook_resid_post"],
  saelens_pre6_topk: ["saelens_pre6_topk", "blocks.2.hook_resid_post"],
  sparsify: ["sparsify/layers.1", "blocks.1.hook_resid_post"],
  gemmascope: ["gemmascope/gemma-scope-tiny-res/layer_1/width_48/average_l0_10", "blocks.1.hook_resid_post"],
};

let expected: TensorSource;
let x: tf.Tensor2D;

before(async () => {
  await initBackend();
  expected = await openSafetensors(path.join(FX, "expected.safetensors"));
  const a = await readNpy(path.join(FX, "x.npy"));
  x = tf.tensor2d(a.data as Float32Array, a.shape as [number, number]);
});
after(async () => {
  await expected.close();
  x.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Max |a − b| / max(1, |b|): reconstructions of the large-norm row are ~30 in size. */
function maxRel(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

const read = async (name: string) => (await expected.readArray(name)).data;

const report: string[] = [];
after(() => console.log(`SAE parity with torch (max abs diff):\n  ${report.join("\n  ")}`));

for (const [name, [dir, hook]] of Object.entries(SAES)) {
  test(`${name}: encodings equal torch within 1e-5, top-k indices identical`, async () => {
    const sae = await loadSae(path.join(FX, dir));
    assert.equal(sae.cfg.hook_name, hook);
    const dense = encode(sae, x, { chunk: 7 });
    const dDense = maxAbs(dense.dataSync(), await read(`${name}.dense`));
    assert.ok(dDense <= 1e-5, `dense: ${dDense}`);
    const wantIds = (await read(`${name}.indices`)) as Int32Array;
    const wantVals = await read(`${name}.values`);
    const k = expected.info(`${name}.indices`).shape[1];
    const sp = encodeSparse(sae, x, { k, chunk: 7 });
    const ids = sp.indices.dataSync();
    const dVals = maxAbs(sp.values.dataSync(), wantVals);
    assert.ok(dVals <= 1e-5, `sparse values: ${dVals}`);
    let compared = 0;
    for (let i = 0; i < ids.length; i++) {
      if (wantVals[i] === 0) continue; // rows with fewer than k active latents: the order of zeros is arbitrary
      assert.equal(ids[i], wantIds[i], `index ${i}`);
      compared++;
    }
    if (sae.cfg.architecture === "topk") assert.equal(compared, ids.length, "every top-k index compared");
    const recon = reconstruct(sae, x);
    const dRecon = maxRel(recon.dataSync(), await read(`${name}.recon`));
    assert.ok(dRecon <= 1e-5, `reconstruction: ${dRecon}`);
    report.push(
      `${name.padEnd(31)} dense ${dDense.toExponential(2)}  top-${k} values ${dVals.toExponential(2)}  ` +
        `indices equal (${compared})  reconstruction (rel) ${dRecon.toExponential(2)}`,
    );
    tf.dispose([dense, sp.indices, sp.values, recon]);
    disposeSae(sae);
  });
}

/** A Python with torch and numpy (Debian's /usr/bin/python3 first), or undefined. */
function torchPython(): string | undefined {
  for (const py of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(py, ["-c", "import torch, numpy"], { encoding: "utf8" });
    if (r.status === 0) return py;
  }
  return undefined;
}

test("our SAELens folders, read back by the torch SAELens loader, give our encodings", async (t) => {
  const py = torchPython();
  if (!py) return t.skip("no python3 with torch and numpy (apt-get install python3-torch python3-numpy)");
  const saes: Record<string, Sae> = Object.fromEntries(
    await Promise.all(Object.entries(SAES).map(async ([name, [dir]]) => [name, await loadSae(path.join(FX, dir))])),
  );
  for (const [name, sae] of Object.entries(saes)) await saveSaeLens(sae, path.join(tmp, "saved", name));
  const folders = Object.keys(saes).map((name) => path.join(tmp, "saved", name));
  const r = spawnSync(py, [SCRIPT, "encode", path.join(FX, "x.npy"), path.join(tmp, "torch"), ...folders], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  for (const [name, sae] of Object.entries(saes)) {
    const out = path.join(tmp, "torch", name);
    const dense = encode(sae, x);
    const recon = reconstruct(sae, x);
    const dDense = maxAbs(dense.dataSync(), (await readNpy(path.join(out, "dense.npy"))).data as Float32Array);
    const dRecon = maxRel(recon.dataSync(), (await readNpy(path.join(out, "recon.npy"))).data as Float32Array);
    assert.ok(dDense <= 1e-5 && dRecon <= 1e-5, `${name}: dense ${dDense}, reconstruction ${dRecon}`);
    report.push(`${name.padEnd(31)} saved by us, torch SAELens loader: dense ${dDense.toExponential(2)}`);
    tf.dispose([dense, recon]);
    disposeSae(sae);
  }
});
