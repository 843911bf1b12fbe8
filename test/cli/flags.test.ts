/** Flag parsing shared by every command (lib/args.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseFlags } from "../../lib/args.ts";
import { inProcess } from "./run_cli.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL = TINY_V1_MODEL_DIR;

test("a negative number after a string flag is its value (long, short, =, after --)", () => {
  const spec = {
    t: { type: "string" as const, short: "t" },
    n: { type: "string" as const },
    q: { type: "boolean" as const },
  };
  for (const v of ["-1", "-0.5", "-.5", "-1e-3", "-Infinity"]) {
    assert.equal(parseFlags("x", ["--t", v], spec).values.t, v);
    assert.equal(parseFlags("x", ["-t", v], spec).values.t, v);
  }
  assert.equal(parseFlags("x", ["--n=-2"], spec).values.n, "-2");
  assert.deepEqual(parseFlags("x", ["--", "--n", "-2"], spec).positionals, ["--n", "-2"]);
  // Not a number, or after a boolean flag: parseArgs decides as before.
  assert.throws(() => parseFlags("x", ["--n", "-q"], spec), /molab x: Option '--n' argument is ambiguous/);
  assert.throws(() => parseFlags("x", ["--q", "-1"], spec), /molab x: Unknown option '-1'/);
});

test("negative values reach the commands' own range checks", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "molab-flags-"));
  const nums = path.join(out, "a.json");
  fs.writeFileSync(nums, "[0.1, 0.5, 0.9]");
  const cases: [string[], RegExp][] = [
    [
      ["generate", "--model", MODEL, "--prompt", "hi", "--temperature", "-1"],
      /^molab generate: .*temperature .*≥ 0.*, got -1$/m,
    ],
    [["data", "af", "--out", out, "--n", "-5"], /^molab data: --n expects a positive integer, got -5$/m],
    [
      ["stats", "perm", "--a", nums, "--b", nums, "--n-resamples", "-3"],
      /^molab stats: nResamples must be a positive integer; got -3$/m,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await inProcess(...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /ambiguous/);
  }
  fs.rmSync(out, { recursive: true });
});
