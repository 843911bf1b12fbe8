/** `molab sae encode` on the torch fixtures: dense .npy out equal to torch's, and its errors as one line. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../lib/backend.ts";
import { readNpy, writeNpy } from "../../lib/io/npy.ts";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { inProcess } from "../cli/run_cli.ts";

const FX = path.join(__dirname, "..", "fixtures", "sae");
const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
const X = path.join(FX, "x.npy");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-cli-"));

before(async () => {
  await initBackend();
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function expectedDense(name: string): Promise<Float32Array> {
  const src = await openSafetensors(path.join(FX, "expected.safetensors"));
  try {
    return (await src.readArray(`${name}.dense`)).data as Float32Array;
  } finally {
    await src.close();
  }
}

test("molab sae encode: sparsify, GemmaScope (params.npz itself) and SAELens SAEs → dense f32 [n, d_sae] = torch", async () => {
  const cases: [string, string, string[]][] = [
    ["sparsify", "sparsify/layers.1", ["--batch", "4", "--chunk", "7"]],
    ["gemmascope", "gemmascope/gemma-scope-tiny-res/layer_1/width_48/average_l0_10/params.npz", []],
    ["saelens_topk_rescale", "saelens_topk_rescale", ["--batch", "1"]],
  ];
  for (const [name, dir, extra] of cases) {
    const out = path.join(tmp, `${name}.npy`);
    const r = await inProcess("sae", "encode", "--sae", path.join(FX, dir), "--acts", X, "--out", out, ...extra);
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.n, 6);
    assert.equal(summary.d_sae, 48);
    assert.equal(summary.hook, "blocks.1.hook_resid_post");
    if (name !== "gemmascope") assert.equal(summary.mean_l0, 6);
    const got = await readNpy(out);
    assert.equal(got.dtype, "float32");
    assert.deepEqual(got.shape, [6, 48]);
    const want = await expectedDense(name);
    let max = 0;
    for (let i = 0; i < want.length; i++) max = Math.max(max, Math.abs((got.data as Float32Array)[i] - want[i]));
    assert.ok(max <= 1e-5, `${name}: max abs diff ${max}`);
  }
});

test("molab sae encode errors: one line naming the file and the field", async () => {
  const x = await readNpy(X);
  const narrow = path.join(tmp, "narrow.npy");
  await writeNpy(narrow, { dtype: "float32", shape: [6, 8], data: (x.data as Float32Array).slice(0, 48) });
  const nan = path.join(tmp, "nan.npy");
  const bad = (x.data as Float32Array).slice();
  bad[5 * 16 + 2] = NaN;
  await writeNpy(nan, { dtype: "float32", shape: [6, 16], data: bad });
  const sae = path.join(FX, "saelens_standard");
  const out = path.join(tmp, "o.npy");
  const cases: [string[], RegExp][] = [
    [["encode", "--acts", X, "--out", out], /^molab sae: --sae is required$/m],
    [["decode", "--sae", sae], /unknown subcommand "decode"; expected: encode/],
    [
      ["encode", "--sae", sae, "--acts", narrow, "--out", out],
      /narrow\.npy.*width 8 but the SAE's d_in is 16 \(field "d_in" of .*cfg\.json\)/,
    ],
    [
      ["encode", "--sae", sae, "--acts", nan, "--out", out, "--batch", "4"],
      /nan\.npy \(rows 4\.\.5\): activation row 1, column 2 is NaN/,
    ],
    [["encode", "--sae", path.join(tmp, "none"), "--acts", X, "--out", out], /none: no such SAE folder/],
    [["encode", "--sae", sae, "--acts", X, "--out", out, "--batch", "0"], /--batch must be a positive integer/],
  ];
  for (const [args, re] of cases) {
    const r = await inProcess("sae", ...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
  assert.ok(!fs.existsSync(out), "nothing written on error");
});

test("the binary: molab sae --help exits 0 with the usage", () => {
  const r = spawnSync(process.execPath, [BIN, "sae", "--help"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: molab sae encode --sae DIR\|ID --acts FILE\.npy --out FILE\.npy/m);
});
