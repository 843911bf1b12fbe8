/**
 * Output into a pipe arrives whole: the binary must not exit before stdout has drained (process.exit() right
 * after a write cut `molab logits … | reader` at the pipe buffer, 64 KiB).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as path from "node:path";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "molab.cjs");
const MODEL = TINY_V1_MODEL_DIR;
const IDS = Array.from({ length: 30 }, (_, i) => i + 1).join(","); // 30 positions × 2048 logits ≈ 1.2 MB of JSON
const READER = `let s = ""; process.stdin.setEncoding("utf8"); process.stdin.on("data", (d) => (s += d)).on("end", () => {
  const bytes = Buffer.byteLength(s);
  let j; try { j = JSON.parse(s); } catch (e) { console.error("JSON.parse failed after " + bytes + " bytes: " + String(e.message).slice(0, 80)); process.exit(1); }
  console.log(JSON.stringify({ bytes, shape: j.shape, rows: j.logits.length }));
});`;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const PIPELINE = `set -o pipefail; ${q(process.execPath)} ${q(BIN)} logits --model ${q(MODEL)} --ids ${IDS} | ${q(process.execPath)} -e ${q(READER)}`;

function runPipeline(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn("bash", ["-c", PIPELINE], { env: { ...process.env, MOLAB_BACKEND: "" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.on("error", reject);
    p.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

test("molab logits piped into a JSON reader parses whole, 20 times in a row (≥ 1 MB each)", async () => {
  const runs = 20;
  const parallel = 4;
  const results: { code: number | null; stdout: string; stderr: string }[] = [];
  for (let i = 0; i < runs; i += parallel)
    results.push(...(await Promise.all(Array.from({ length: Math.min(parallel, runs - i) }, runPipeline))));
  const failed = results.filter((r) => r.code !== 0).length;
  assert.equal(
    failed,
    0,
    `${failed} of ${runs} pipelines failed; first: ${results.find((r) => r.code !== 0)?.stderr.trim()}`,
  );
  for (const r of results) {
    const j = JSON.parse(r.stdout) as { bytes: number; shape: number[]; rows: number };
    assert.ok(j.bytes >= 1_000_000, `only ${j.bytes} bytes`);
    assert.deepEqual(j.shape, [30, 2048]);
    assert.equal(j.rows, 30);
  }
  assert.equal(new Set(results.map((r) => r.stdout)).size, 1, "every run read the same bytes");
});

test("a reader that stops early (| head) ends molab quietly with exit 0", () => {
  const r = spawnSync(
    "bash",
    ["-c", `set -o pipefail; ${q(process.execPath)} ${q(BIN)} logits --model ${q(MODEL)} --ids ${IDS} | head -c 20`],
    {
      encoding: "utf8",
      env: { ...process.env, MOLAB_BACKEND: "" },
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, '{"shape":[30,2048],"');
  assert.doesNotMatch(r.stderr, /EPIPE|\n\s+at /);
});
