/**
 * Loading memory. The acceptance case: a synthetic 1.08 GiB bf16 checkpoint (bench/model_memory.ts's default,
 * ~30 s) loads with peak RSS ≤ 1.3× the float32 bytes it becomes. A small checkpoint also runs a forward pass
 * after loading (the large one cannot: XNNPACK's packed weight copies would pass wasm's 4 GiB).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const bench = path.join(__dirname, "..", "..", "bench", "model_memory.ts");

function runBench(args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", bench, ...args], { encoding: "utf8" });
  assert.equal(r.status === 0 || r.status === 1, true, r.stderr);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

test("memory: a ≥ 1 GiB bf16 checkpoint loads with peak RSS ≤ 1.3× its float32 bytes", { timeout: 300_000 }, () => {
  const j = runBench([]);
  assert.ok(j.checkpointBytes >= 2 ** 30, `checkpoint is ${j.checkpointBytes} bytes`);
  console.log(
    `  checkpoint ${(j.checkpointBytes / 2 ** 30).toFixed(2)} GiB bf16 → ${(j.f32Bytes / 2 ** 30).toFixed(2)} GiB f32; peak RSS ${(j.peakRss / 2 ** 30).toFixed(2)} GiB = ${j.ratio.toFixed(3)}×`,
  );
  assert.ok(j.ratio <= 1.3, `peak RSS is ${j.ratio.toFixed(3)}× the float32 bytes`);
});

test("memory: a loaded checkpoint runs its forward pass", () => {
  const j = runBench(["--layers", "2", "--hidden", "1024", "--vocab", "8000"]);
  assert.ok(j.f32Bytes > 150e6, `loaded ${j.f32Bytes} bytes`);
  assert.match(j.forwardNote, /forward ran, logits finite: true/);
});
