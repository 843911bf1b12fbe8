/** An error is one line without a stack; `--debug` (anywhere before `--`) adds the stack. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");

test("molab prints a stack only with --debug", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-debug-"));
  try {
    const env = { ...process.env };
    delete env.MOLAB_DEBUG;
    const plain = spawnSync(process.execPath, [BIN, "data", "validate", dir], { encoding: "utf8", env });
    assert.equal(plain.status, 1);
    assert.equal(plain.stderr.trim().split("\n").length, 1, plain.stderr);
    assert.match(plain.stderr, /is a folder/);
    const debug = spawnSync(process.execPath, [BIN, "data", "validate", dir, "--debug"], { encoding: "utf8", env });
    assert.equal(debug.status, 1);
    assert.match(debug.stderr, /is a folder/);
    assert.match(debug.stderr, /\n\s+at .+:\d+:\d+/, "a stack with --debug");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
