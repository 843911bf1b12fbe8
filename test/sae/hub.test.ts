/**
 * SAEs by hub id (loadSae → lib/hub's resolveSae): a local stand-in hub (HF_ENDPOINT) serving a SAELens repo (one
 * folder per sae_id), a sparsify repo (one per hookpoint) and a GemmaScope repo (layer_N/width_Xk/average_l0_Y);
 * only the asked folder's files are downloaded, pickle-only folders are refused, and a cache in the HF layout is
 * read with HF_HUB_OFFLINE=1 (also through `molab sae encode --sae ORG/REPO --sae-id ID`). No test reaches the network.
 */
import { test, before, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { readNpy, writeNpy, writeNpz } from "../../lib/io/npy.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { resolveSae, saeFolders } from "../../lib/hub/index.ts";
import { disposeSae, encode, loadSae, saveSaeLens, type Sae } from "../../lib/sae/index.ts";
import { saeCommand } from "../../lib/sae/cli.ts";
import { FakeHub, gitOid } from "../hub/fake_hub.ts";
import { randn, randomSae, writeSparsifySae } from "./helpers.ts";
import { rejectsWith } from "../helpers.ts";

const SHA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const D_IN = 16;
const D_SAE = 24;
const ENV = ["HF_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HUB_OFFLINE", "HF_ENDPOINT", "HF_TOKEN"];
let tmp: string;
let saved: Record<string, string | undefined>;
const X = randn(5 * D_IN, 77);

before(async () => {
  await initBackend();
});

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-hub-"));
  saved = Object.fromEntries(ENV.map((k) => [k, process.env[k]]));
  for (const k of ENV) delete process.env[k];
  process.env.HF_HUB_CACHE = path.join(tmp, "cache");
  process.env.HF_ENDPOINT = "http://127.0.0.1:9"; // nothing listens: a test that forgets its server fails fast
});

afterEach(() => {
  for (const k of ENV) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Every file below dir as repo path → bytes, under `prefix`. */
function filesOf(dir: string, prefix: string): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const f of fs.readdirSync(dir)) out[`${prefix}/${f}`] = fs.readFileSync(path.join(dir, f));
  return out;
}

/** The three repos' files, each SAE random (seeded), written with our writers. */
async function repos(): Promise<{
  saelens: Record<string, Buffer>;
  sparsify: Record<string, Buffer>;
  gemma: Record<string, Buffer>;
}> {
  const saelens: Record<string, Buffer> = { "README.md": Buffer.from("# SAEs\n") };
  for (const layer of [0, 1]) {
    const sae = randomSae("standard", D_IN, D_SAE, 10 + layer, { hook_name: `blocks.${layer}.hook_resid_post` });
    const dir = path.join(tmp, "src", `blocks.${layer}.hook_resid_post`);
    await saveSaeLens(sae, dir);
    Object.assign(saelens, filesOf(dir, `blocks.${layer}.hook_resid_post`));
    disposeSae(sae);
  }
  saelens["old_sae/cfg.json"] = saelens["blocks.0.hook_resid_post/cfg.json"];
  saelens["old_sae/sae_weights.pt"] = Buffer.from("pickle bytes");
  const sparsify: Record<string, Buffer> = {};
  for (const layer of [0, 1]) {
    const ref = randomSae("topk", D_IN, D_SAE, 20 + layer, { k: 3 });
    const dir = path.join(tmp, "src", "sparsify", `layers.${layer}`);
    await writeSparsifySae(dir, ref, { k: 3, expansion_factor: 1 });
    disposeSae(ref);
    Object.assign(sparsify, filesOf(dir, `layers.${layer}`));
  }
  const ref = randomSae("jumprelu", D_IN, D_SAE, 30, { apply_b_dec_to_input: false });
  const arrays: Record<string, { dtype: "float32"; shape: number[]; data: Float32Array }> = {};
  for (const k of ["W_enc", "W_dec", "b_enc", "b_dec", "threshold"] as const)
    arrays[k] = { dtype: "float32", shape: ref[k]!.shape, data: ref[k]!.dataSync() as Float32Array };
  disposeSae(ref);
  const npz = path.join(tmp, "src", "params.npz");
  await writeNpz(npz, arrays);
  const gemma: Record<string, Buffer> = {};
  for (const l0 of [5, 9]) gemma[`layer_1/width_16k/average_l0_${l0}/params.npz`] = fs.readFileSync(npz);
  return { saelens, sparsify, gemma };
}

function encoded(sae: Sae): Float32Array {
  const x = tf.tensor2d(X, [5, D_IN]);
  const z = encode(sae, x);
  const v = z.dataSync() as Float32Array;
  tf.dispose([x, z]);
  return v;
}

test("hub ids: only the asked SAE folder is downloaded, in each format, and reads as the same SAE locally", async () => {
  const r = await repos();
  const lfs = (files: Record<string, Buffer>) => Object.keys(files).filter((f) => !f.endsWith(".json"));
  const hub = new FakeHub([
    { type: "model", id: "org/saelens-saes", sha: SHA, files: r.saelens, lfs: lfs(r.saelens) },
    { type: "model", id: "org/sparsify-saes", sha: SHA, files: r.sparsify, lfs: lfs(r.sparsify) },
    { type: "model", id: "google/gemma-scope-2b-pt-res", sha: SHA, files: r.gemma, lfs: lfs(r.gemma) },
  ]);
  process.env.HF_ENDPOINT = await hub.start();
  const log = () => {};
  try {
    const a = await loadSae("org/saelens-saes", { subfolder: "blocks.1.hook_resid_post", log });
    const local = await loadSae(path.join(tmp, "src", "blocks.1.hook_resid_post"));
    assert.equal(a.cfg.format, "saelens");
    assert.equal(a.cfg.hook_name, "blocks.1.hook_resid_post");
    assert.deepEqual(encoded(a), encoded(local));
    disposeSae(local);
    disposeSae(a);
    const fetched = (from = 0) =>
      [
        ...new Set(
          hub
            .downloads()
            .slice(from)
            .map((u) => u.split(`/resolve/${SHA}/`)[1]),
        ),
      ].sort();
    assert.deepEqual(fetched(), [
      "blocks.1.hook_resid_post/cfg.json",
      "blocks.1.hook_resid_post/sae_weights.safetensors",
    ]);

    const before = hub.downloads().length;
    const s = await loadSae("org/sparsify-saes", { subfolder: "layers.1", log });
    assert.equal(s.cfg.format, "sparsify");
    assert.equal(s.cfg.hook_name, "blocks.1.hook_resid_post");
    const sl = await loadSae(path.join(tmp, "src", "sparsify", "layers.1"));
    assert.deepEqual(encoded(s), encoded(sl));
    disposeSae(s);
    disposeSae(sl);
    assert.deepEqual(fetched(before), ["layers.1/cfg.json", "layers.1/sae.safetensors"]);

    const g = await loadSae("google/gemma-scope-2b-pt-res", { subfolder: "layer_1/width_16k/average_l0_9/", log });
    assert.equal(g.cfg.format, "gemmascope");
    assert.equal(g.cfg.hook_name, "blocks.1.hook_resid_post", "the hook comes from the repo name and layer_N");
    disposeSae(g);
    assert.equal(hub.downloads().filter((u) => u.includes("average_l0_5")).length, 0, "the other width is not fetched");

    // a folder with pickle weights only, a folder that is not there, a path that leaves the repo
    const n = hub.downloads().length;
    await rejectsWith(
      loadSae("org/saelens-saes", { subfolder: "old_sae", log }),
      /only as pickle files \(sae_weights\.pt\)/,
    );
    await rejectsWith(
      loadSae("org/saelens-saes", { subfolder: "blocks.7.hook_resid_post", log }),
      /folder "blocks\.7\.hook_resid_post" holds no SAE .*SAEs are in: blocks\.0\.hook_resid_post, blocks\.1\.hook_resid_post;/,
    );
    await rejectsWith(
      loadSae("org/sparsify-saes", { log }),
      /the repo root holds no SAE.*SAEs are in: layers\.0, layers\.1/,
    );
    await rejectsWith(resolveSae("org/sparsify-saes", { subfolder: "../x" }), /not a plain folder path/);
    assert.equal(hub.downloads().length, n, "nothing was downloaded for a refused folder");
  } finally {
    await hub.stop();
  }
});

/** A cache entry as huggingface_hub writes it: blobs, a snapshot of relative symlinks, refs/main. */
function fakeCache(folder: string, files: Record<string, Buffer>): string {
  const storage = path.join(process.env.HF_HUB_CACHE!, folder);
  const snap = path.join(storage, "snapshots", SHA);
  for (const [rel, content] of Object.entries(files)) {
    const blob = path.join(storage, "blobs", gitOid(content));
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(blob, content);
    const pointer = path.join(snap, rel);
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
  }
  fs.mkdirSync(path.join(storage, "refs"), { recursive: true });
  fs.writeFileSync(path.join(storage, "refs", "main"), SHA);
  return snap;
}

test("offline (HF_HUB_OFFLINE=1): SAEs come from a cache in the HF layout; the CLI takes --sae ORG/REPO --sae-id", async () => {
  const r = await repos();
  const only = (files: Record<string, Buffer>, prefix: string) =>
    Object.fromEntries(Object.entries(files).filter(([f]) => f.startsWith(prefix)));
  const snap = fakeCache("models--org--sparsify-saes", only(r.sparsify, "layers.0/"));
  process.env.HF_HUB_OFFLINE = "1";
  assert.equal(await resolveSae("org/sparsify-saes", { subfolder: "layers.0" }), path.join(snap, "layers.0"));
  const s = await loadSae("org/sparsify-saes", { subfolder: "layers.0" });
  const local = await loadSae(path.join(tmp, "src", "sparsify", "layers.0"));
  assert.equal(s.cfg.hook_name, "blocks.0.hook_resid_post");
  assert.deepEqual(encoded(s), encoded(local));
  disposeSae(s);
  disposeSae(local);
  // the cache holds layers.0 only: layers.1 cannot be fetched offline, and the error says what the cache has
  await rejectsWith(
    loadSae("org/sparsify-saes", { subfolder: "layers.1" }),
    /cached org\/sparsify-saes@main.*folder "layers\.1" holds no SAE.*SAEs are in: layers\.0/,
  );
  await rejectsWith(
    loadSae("org/absent", { subfolder: "x" }),
    /org\/absent@main is not in the hub cache .*HF_HUB_OFFLINE is set/,
  );

  // a pickle-only folder in the cache is refused too
  fakeCache("models--org--old", { "sae/cfg.json": Buffer.from("{}"), "sae/sae_weights.pt": Buffer.from("x") });
  await rejectsWith(loadSae("org/old", { subfolder: "sae" }), /only as pickle files/);

  // the CLI: molab sae encode --sae ORG/REPO --sae-id ID
  const acts = path.join(tmp, "acts.npy");
  const out = path.join(tmp, "z.npy");
  await writeNpy(acts, { dtype: "float32", shape: [5, D_IN], data: X });
  const lines: string[] = [];
  const orig = console.log;
  console.log = (l: string) => lines.push(l);
  try {
    const rc = await saeCommand([
      "encode",
      "--sae",
      "org/sparsify-saes",
      "--sae-id",
      "layers.0",
      "--acts",
      acts,
      "--out",
      out,
    ]);
    assert.equal(rc, 0);
  } finally {
    console.log = orig;
  }
  const summary = JSON.parse(lines.at(-1)!);
  assert.equal(summary.format, "sparsify");
  assert.equal(summary.hook, "blocks.0.hook_resid_post");
  const z = await readNpy(out);
  const ref = await loadSae(path.join(tmp, "src", "sparsify", "layers.0"));
  assert.deepEqual(Array.from(z.data as Float32Array), Array.from(encoded(ref)));
  disposeSae(ref);
});

test("saeFolders lists the folders that hold an SAE in any of the three formats", () => {
  assert.deepEqual(
    saeFolders([
      "README.md",
      "a/cfg.json",
      "a/sae_weights.safetensors",
      "layers.3/cfg.json",
      "layers.3/sae.safetensors",
      "layer_1/width_16k/average_l0_5/params.npz",
      "b/cfg.json",
      "c/sae_weights.pt",
    ]),
    ["a", "layer_1/width_16k/average_l0_5", "layers.3"],
  );
});
