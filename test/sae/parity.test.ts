/**
 * Parity with torch (test/fixtures/sae/make_fixtures.py): one SAE of each format and architecture, our encodings
 * equal torch's within 1e-5 and TopK indices identical; and each SAE saved by our SAELens writer, read back by the
 * script's SAELens loader and encoded in torch, gives our encodings (the folders and torch's outputs are committed:
 * saved/, saved_torch/; the writer must still produce the same bytes).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { openSafetensors, type TensorSource } from "../../lib/io/safetensors.ts";
import { disposeSae, encode, encodeSparse, loadSae, reconstruct, saveSaeLens } from "../../lib/sae/index.ts";
import { SAES } from "../fixtures/sae/fixtures.ts";

const FX = path.join(__dirname, "..", "fixtures", "sae");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-parity-"));

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

test("our SAELens writer reproduces the folders torch's SAELens loader was checked on, and torch's encodings of them equal ours", async () => {
  // saved/<name>: written by our writer (write_saved.ts); saved_torch/<name>: make_fixtures.py read them with
  // its SAELens loader and encoded x.npy in torch. Same bytes today means the same check holds today.
  for (const [name, [dir]] of Object.entries(SAES)) {
    const sae = await loadSae(path.join(FX, dir));
    const mine = path.join(tmp, "saved", name);
    await saveSaeLens(sae, mine);
    const committed = path.join(FX, "saved", name);
    assert.deepEqual(fs.readdirSync(mine).sort(), fs.readdirSync(committed).sort(), `${name}: files`);
    for (const f of fs.readdirSync(committed))
      assert.ok(
        fs.readFileSync(path.join(mine, f)).equals(fs.readFileSync(path.join(committed, f))),
        `${name}/${f} differs`,
      );
    const back = await loadSae(committed);
    const out = path.join(FX, "saved_torch", name);
    const dense = encode(back, x);
    const recon = reconstruct(back, x);
    const dDense = maxAbs(dense.dataSync(), (await readNpy(path.join(out, "dense.npy"))).data as Float32Array);
    const dRecon = maxRel(recon.dataSync(), (await readNpy(path.join(out, "recon.npy"))).data as Float32Array);
    assert.ok(dDense <= 1e-5 && dRecon <= 1e-5, `${name}: dense ${dDense}, reconstruction ${dRecon}`);
    report.push(`${name.padEnd(31)} saved by us, torch SAELens loader: dense ${dDense.toExponential(2)}`);
    tf.dispose([dense, recon]);
    disposeSae(sae);
    disposeSae(back);
  }
});
