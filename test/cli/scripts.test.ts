/**
 * The scripts (build:model, the AF classifier build, the sweep export and judge) fail like `molab` does: one line
 * on stderr that names the script once, exit 1, no stack and no folder written.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { commandLabel } from "../../lib/args.ts";
import { failureLine } from "../../lib/cli/failure.ts";
import { MolabError } from "../../lib/errors.ts";

const ROOT = path.join(__dirname, "..", "..");

function script(file: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(ROOT, file), ...args], {
    cwd: ROOT,
    encoding: "utf8",
  });
  return { status: r.status, stderr: r.stderr.trim() };
}

test("a script's label is its own name; a subcommand's is molab's", () => {
  assert.equal(commandLabel("npm run build:model"), "npm run build:model");
  assert.equal(commandLabel("scripts/tiny-sweep/judge.ts"), "scripts/tiny-sweep/judge.ts");
  assert.equal(commandLabel("sae"), "molab sae");
  // a message that already carries the label keeps one copy of it; a bare one gets it
  assert.equal(
    failureLine("scripts/x.ts", new MolabError("scripts/x.ts: --a expects a number")),
    "scripts/x.ts: --a expects a number",
  );
  assert.equal(
    failureLine("scripts/x.ts", new MolabError("f.json: no such file")),
    "scripts/x.ts: f.json: no such file",
  );
  assert.equal(failureLine("scripts/x.ts", new TypeError("bug")), undefined);
});

test("each script prints one line naming itself once for a bad flag, and writes nothing", () => {
  const out = path.join(os.tmpdir(), `molab-scripts-${process.pid}`);
  const cases: [string, string[], string][] = [
    [
      "scripts/build-model.ts",
      ["--steps", "x", "--out", out],
      'npm run build:model: --steps expects a number, got "x"',
    ],
    [
      "scripts/build-af-classifier.ts",
      ["--seed", "x", "--out", out],
      'scripts/build-af-classifier.ts: --seed expects a number, got "x"',
    ],
    [
      "scripts/tiny-sweep/export.ts",
      ["--out", out, "--vocab", "q"],
      'scripts/tiny-sweep/export.ts: --vocab expects a number, got "q"',
    ],
    [
      "scripts/tiny-sweep/judge.ts",
      ["--dir", out, "--gen", "g.json"],
      `scripts/tiny-sweep/judge.ts: ${path.join(out, "eval.json")}: no such file; cannot read export.ts's eval.json`,
    ],
  ];
  for (const [file, args, line] of cases) {
    const r = script(file, ...args);
    assert.equal(r.status, 1, `${file}: ${r.stderr}`);
    assert.equal(r.stderr, line);
    assert.equal(fs.existsSync(out), false, `${file} wrote ${out}`);
  }
});
