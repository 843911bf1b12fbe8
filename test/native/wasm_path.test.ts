/**
 * Both paths in one `npm test`: this process runs every test on the default path (native when the addon is built);
 * here the parity tests run again in a child with the addon forced off (MOLAB_NATIVE=0), so the wasm path stays
 * checked against transformers and PEFT too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { explainWasmAbort } from "../../lib/backend.ts";
import { failureLine } from "../../lib/cli/failure.ts";
import { MolabError } from "../../lib/errors.ts";

const ROOT = path.join(__dirname, "..", "..");
const FILES = ["test/model/parity.test.ts", "test/lora/peft_parity.test.ts", "test/native/kernels.test.ts"];

test("with MOLAB_NATIVE=0 the parity tests pass on the wasm path", { timeout: 600_000 }, () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-reporter=tap", ...FILES], {
    cwd: ROOT,
    // NODE_TEST_CONTEXT would make the child report to this runner instead of printing TAP.
    env: { ...process.env, MOLAB_NATIVE: "0", NODE_TEST_CONTEXT: undefined },
    encoding: "utf8",
  });
  const count = (k: string) => Number(new RegExp(`^# ${k} (\\d+)$`, "m").exec(r.stdout)?.[1] ?? NaN);
  assert.equal(
    r.status,
    0,
    `failed on the wasm path:\n${r.stdout
      .split("\n")
      .filter((l) => /^not ok|error:/.test(l.trim()))
      .join("\n")}\n${r.stderr.slice(-2000)}`,
  );
  assert.ok(count("pass") > 20, `passed ${count("pass")}`);
  assert.equal(count("fail"), 0);
  assert.equal(count("skipped"), 0, "no parity test may skip on the wasm path");
});

test("a wasm abort inside an op becomes one MolabError naming the work and the fix; other errors pass through", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(__dirname, "wasm_abort_child.ts")], {
    cwd: ROOT,
    env: { ...process.env, MOLAB_NATIVE: "0", NODE_TEST_CONTEXT: undefined },
    encoding: "utf8",
  });
  const line = r.stdout.trim().split("\n").pop()!;
  const out = JSON.parse(line) as { backend: string; thrown: string | null; name?: string; message?: string };
  assert.equal(out.backend, "wasm");
  assert.equal(out.thrown, "RuntimeError");
  assert.equal(out.name, "MolabError");
  assert.match(
    out.message!,
    /^tile stopped the wasm backend \(.+\); its heap cannot grow past 4 GB and no later op can run\. Do less\.$/,
  );
  const other = new TypeError("x");
  assert.equal(explainWasmAbort(other, "tile", "Do less."), other);
});

test("molab prints one line for a wasm abort in any command, and lets other errors through with their stack", () => {
  const abort = new WebAssembly.RuntimeError("Aborted(). Build with -sASSERTIONS for more info.");
  assert.equal(
    failureLine("sae", abort),
    "molab sae: the command stopped the wasm backend (Aborted()); its heap cannot grow past 4 GB and no later op " +
      "can run. Run it on the native CPU path (bash environment/setup-native.sh: OpenBLAS and molab's addon), or " +
      "with less at once.",
  );
  assert.equal(failureLine("sae", new MolabError("molab sae: no such file x")), "molab sae: no such file x");
  assert.equal(failureLine("sae", new TypeError("x")), undefined);
});
