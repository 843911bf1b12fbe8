/**
 * SAE training on synthetic activations (sparse sums of ground-truth directions): the loss falls and FVE rises,
 * AuxK revives latents that would stay dead without it, decoder rows stay unit-norm, a resumed run equals an
 * uninterrupted one bit for bit, and the folded SAE (what is saved) reads raw activations.
 */
import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { createRng } from "../../lib/rng.ts";
import {
  ArrayActivationSource,
  disposeSae,
  encode,
  fractionVarianceExplained,
  loadSae,
  reconstruct,
  saveSaeLens,
  trainSae,
  type SaeTrainOptions,
} from "../../lib/sae/index.ts";

before(async () => {
  await initBackend();
});

const D = 32;
const FEATURES = 48;

/** n rows of sums of 3 of `features` random unit directions with magnitudes in [1, 3), plus an offset. */
function synthetic(n: number, seed = 1, features = FEATURES): Float32Array {
  const rng = createRng(seed);
  const dirs = Array.from({ length: features }, () => {
    const v = Array.from({ length: D }, () => rng.normal());
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
  const out = new Float32Array(n * D);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < D; j++) out[r * D + j] = 0.5;
    for (let a = 0; a < 3; a++) {
      const f = rng.int(features);
      const m = 1 + 2 * rng.float();
      for (let j = 0; j < D; j++) out[r * D + j] += m * dirs[f][j];
    }
  }
  return out;
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "sae-train-"));
const source = (n = 2048, batch = 128) =>
  new ArrayActivationSource(synthetic(n), D, batch, 0, "blocks.0.hook_resid_post");

test("TopK training: the loss falls and FVE rises; decoder rows stay unit-norm; no tensor is left behind", async () => {
  const before = tf.memory().numTensors;
  const r = await trainSae(
    source(),
    { architecture: "topk", d_sae: 64, k: 4, steps: 150, lr: 3e-2, seed: 0, normalize: false },
    { out: tmp(), progress: false },
  );
  const h = r.history;
  const early = h.slice(0, 10).reduce((a, l) => a + l.mse, 0) / 10;
  const late = h.slice(-10).reduce((a, l) => a + l.mse, 0) / 10;
  assert.ok(late < 0.3 * early, `mse ${early} → ${late}`);
  assert.ok(h.at(-1)!.fve > 0.85 && h.at(-1)!.fve > h[0].fve + 0.3, `FVE ${h[0].fve} → ${h.at(-1)!.fve}`);
  assert.ok(
    h.every((l) => l.l0 <= 4 + 1e-9),
    "TopK keeps at most k latents per token",
  );
  const normT = tf.norm(r.sae.W_dec, "euclidean", 1);
  const norms = normT.dataSync();
  normT.dispose();
  for (const v of norms) assert.ok(Math.abs(v - 1) < 1e-5, `decoder row norm ${v}`);
  disposeSae(r.sae);
  assert.equal(tf.memory().numTensors, before, "every tensor of the run is disposed with the SAE");
});

test("ReLU + L1 training: the loss falls, and a larger λ gives a smaller L0", async () => {
  const run = async (l1: number) => {
    const r = await trainSae(
      source(),
      { architecture: "standard", d_sae: 64, l1, steps: 100, lr: 3e-3, seed: 0, normalize: false },
      { out: tmp(), progress: false },
    );
    disposeSae(r.sae);
    return r.history;
  };
  const lo = await run(0.01);
  const hi = await run(0.3);
  assert.ok(lo.at(-1)!.loss < 0.5 * lo[0].loss, `loss ${lo[0].loss} → ${lo.at(-1)!.loss}`);
  assert.ok(hi.at(-1)!.l0 < lo.at(-1)!.l0, `L0 at λ 0.3: ${hi.at(-1)!.l0}, at 0.01: ${lo.at(-1)!.l0}`);
});

test("AuxK revives dead latents; without it they stay dead", async () => {
  // 512 true directions in 32 dimensions, more than the 256 latents, so every latent has something to learn; a high
  // learning rate (5e-2) with k = 2 kills about a third of them within the 1,024-token window. Without AuxK they stay
  // dead (35.5-37.5% at step 200, seeds 0-2); with it they come back (0.4-2.0%; peaks 32-34%). The sparsify-style
  // normalization (AuxK error over the batch variance) ended at 1.2-2.7% on seeds 1-2, and without the ReLU on the dead
  // scores at 5.1% (seed 0). The old setting here (48 directions for 128 latents) could not show revival: latents
  // beyond the true directions have nothing to reconstruct, and AuxK ended with more dead latents than without.
  const opts = (auxkAlpha: number): SaeTrainOptions => ({
    architecture: "topk",
    d_sae: 256,
    k: 2,
    steps: 200,
    lr: 5e-2,
    seed: 1,
    normalize: false,
    deadWindow: 1024,
    auxkAlpha,
  });
  const src = () => new ArrayActivationSource(synthetic(4096, 1, 512), D, 256, 0, "blocks.0.hook_resid_post");
  const on = await trainSae(src(), opts(1 / 32), { out: tmp(), progress: false });
  const off = await trainSae(src(), opts(0), { out: tmp(), progress: false });
  const deadOn = on.history.at(-1)!.dead_fraction;
  const deadOff = off.history.at(-1)!.dead_fraction;
  const peakOn = Math.max(...on.history.map((l) => l.dead_fraction));
  assert.ok(deadOff > 0.25, `without AuxK many latents die and stay dead: ${deadOff}`);
  assert.ok(peakOn > 0.25, `with AuxK as many die first (so AuxK had work): peak ${peakOn}`);
  assert.ok(
    on.history.some((l) => l.auxk > 0),
    "the AuxK term was active",
  );
  assert.ok(deadOn < 0.1 && deadOn < deadOff / 4, `dead with AuxK ${deadOn}, without ${deadOff}`);
  assert.ok(on.history.at(-1)!.fve > off.history.at(-1)!.fve, "the revived latents explain more variance");
  disposeSae(on.sae);
  disposeSae(off.sae);
});

test("a run stopped and resumed equals an uninterrupted run, bit for bit", async () => {
  const o: SaeTrainOptions = { architecture: "topk", d_sae: 32, k: 3, steps: 12, lr: 3e-3, seed: 5, deadWindow: 256 };
  const full = await trainSae(source(), o, { out: tmp(), progress: false, saveEvery: 4 });
  const out = tmp();
  const part = await trainSae(source(), o, { out, progress: false, saveEvery: 4, stopAfter: 6 });
  disposeSae(part.sae);
  await assert.rejects(trainSae(source(), o, { out, progress: false }), /pass resume \(CLI: --resume\)/);
  const rest = await trainSae(source(), o, { out, progress: false, saveEvery: 4, resume: true });
  assert.equal(rest.resumedFrom, 4, "resumed from the newest checkpoint (step 4; steps 5–6 are redone)");
  for (const k of ["W_enc", "b_enc", "W_dec", "b_dec"] as const)
    assert.deepEqual(Array.from(rest.sae[k].dataSync()), Array.from(full.sae[k].dataSync()), k);
  assert.deepEqual(rest.tokensSinceFired, full.tokensSinceFired);
  const tel = fs
    .readFileSync(path.join(out, "telemetry.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    tel.map((l) => l.step),
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    tel.map((l) => l.loss),
    full.history.map((l) => l.loss),
  );
  // a different setting refuses to resume
  await assert.rejects(
    trainSae(source(), { ...o, lr: 1e-3 }, { out, progress: false, resume: true }),
    /cannot resume: the checkpoint was made with lr=0.003/,
  );
  disposeSae(full.sae);
  disposeSae(rest.sae);
});

test("normalization is folded: the saved SAE reads raw activations and round-trips through SAELens v6", async () => {
  const data = synthetic(1024).map((v) => v * 40);
  const src = new ArrayActivationSource(data, D, 128, 0, "blocks.0.hook_resid_post");
  const r = await trainSae(
    src,
    { architecture: "topk", d_sae: 64, k: 4, steps: 150, lr: 3e-2, seed: 0 },
    { out: tmp(), progress: false },
  );
  assert.ok(r.scale > 0.005 && r.scale < 0.1, `activations ×40 are scaled down to E‖x‖ = √d_in: scale ${r.scale}`);
  const x = tf.tensor2d(data.subarray(0, 256 * D), [256, D]);
  const xhat = reconstruct(r.sae, x);
  const fve = fractionVarianceExplained(x.dataSync(), xhat.dataSync(), 256, D);
  assert.ok(fve > 0.8, `FVE on raw activations ${fve}`);
  const dir = tmp();
  await saveSaeLens(r.sae, dir);
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "cfg.json"), "utf8"));
  assert.equal(cfg.architecture, "topk");
  assert.equal(cfg.k, 4);
  assert.equal(cfg.normalize_activations, "none");
  assert.equal(cfg.metadata.hook_name, "blocks.0.hook_resid_post");
  const back = await loadSae(dir);
  const a = encode(r.sae, x);
  const b = encode(back, x);
  assert.deepEqual(Array.from(b.dataSync()), Array.from(a.dataSync()));
  tf.dispose([x, xhat, a, b]);
  disposeSae(r.sae);
  disposeSae(back);
});
