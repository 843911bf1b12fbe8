/**
 * SIGKILL the trainer (the real `molab train` process) mid-run, resume it, and compare with an
 * uninterrupted run: the final adapters must be bit-identical, no partial checkpoint may ever be
 * listed or loaded, and loading the checkpoints leaves no tensor behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../../lib/backend.ts";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { STATE_FILE, listCheckpoints } from "../../lib/train/checkpoint.ts";
import { readTelemetry } from "../../lib/train/telemetry.ts";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
const FIX = path.join(__dirname, "..", "fixtures", "lora");
const args = (out: string) => [
  BIN,
  "train",
  "--base",
  path.join(FIX, "base"),
  "--data",
  path.join(FIX, "chat_small.jsonl"),
  "--out",
  out,
  "--epochs",
  "2",
  "--batch",
  "4",
  "--lr",
  "1e-2",
  "--save-every",
  "2",
  "--dropout",
  "0.1",
  "--seed",
  "5",
  "--quiet",
];

async function adapterTensors(dir: string): Promise<Map<string, Float32Array>> {
  const src = await openSafetensors(path.join(dir, "adapter_model.safetensors"));
  const m = new Map<string, Float32Array>();
  for (const n of src.names()) m.set(n, (await src.readArray(n)).data as Float32Array);
  await src.close();
  return m;
}

test("kill -9 mid-run, resume: the final adapter equals an uninterrupted run's; checkpoints are never partial", async () => {
  await initBackend();
  const tensorsBefore = tf.memory().numTensors;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-kill-"));
  const whole = path.join(root, "whole"),
    killed = path.join(root, "killed");
  const r0 = spawnSync(process.execPath, args(whole), { encoding: "utf8" });
  assert.equal(r0.status, 0, r0.stderr);

  const child = spawn(process.execPath, args(killed), { stdio: "ignore" });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on("exit", (_code, sig) => res(sig)));
  const marker = path.join(killed, "checkpoints", "step-000004", STATE_FILE);
  const t0 = Date.now();
  while (!fs.existsSync(marker) && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGKILL");
  assert.equal(await exited, "SIGKILL");
  assert.ok(!fs.existsSync(path.join(killed, "adapter_model.safetensors")), "killed before the end of the run");
  const steps = listCheckpoints(killed);
  assert.ok(steps.length >= 1 && steps.at(-1)!.step < 16, `checkpoints at kill: ${steps.map((s) => s.step)}`);
  for (const c of steps) {
    const ad = await LoraAdapter.load(c.dir); // every listed checkpoint is complete and loads
    ad.dispose();
  }

  const r1 = spawnSync(process.execPath, args(killed).concat("--resume"), { encoding: "utf8" });
  assert.equal(r1.status, 0, r1.stderr);
  assert.match(r1.stdout, new RegExp(`steps: 16/16 \\(resumed from step ${steps.at(-1)!.step}\\)`));
  const a = await adapterTensors(whole),
    b = await adapterTensors(killed);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  let maxDiff = 0;
  for (const [k, va] of a)
    for (let i = 0; i < va.length; i++) maxDiff = Math.max(maxDiff, Math.abs(va[i] - b.get(k)![i]));
  assert.equal(
    maxDiff,
    0,
    `max |Δ| between resumed and uninterrupted adapters: ${maxDiff} (resume must be bit-identical)`,
  );
  assert.deepEqual(
    readTelemetry(path.join(killed, "telemetry.jsonl")).map((l) => l.step),
    Array.from({ length: 16 }, (_, i) => i + 1),
  );
  assert.ok(!fs.readdirSync(path.join(killed, "checkpoints")).some((d) => d.includes(".tmp-")));
  fs.rmSync(root, { recursive: true });
  // Every adapter loaded above was disposed: loading a checkpoint leaks no tensor.
  assert.equal(tf.memory().numTensors, tensorsBefore, "tensors left behind by loading the checkpoints");
});
