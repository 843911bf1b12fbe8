/**
 * Without the addon molab installs and runs as before: the build script never fails (no compiler → one line, exit 0),
 * and `molab info` says in one line why the native path is off.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "molab.cjs");

function info(env: Record<string, string>): string {
  const r = spawnSync(process.execPath, [BIN, "info"], { env: { ...process.env, ...env }, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

test("build script without a compiler: one line, exit 0, nothing built", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-native-off-"));
  try {
    fs.cpSync(path.join(ROOT, "scripts", "build-native.cjs"), path.join(tmp, "scripts", "build-native.cjs"));
    for (const f of ["binding.gyp", "molab_native.cc"])
      fs.cpSync(path.join(ROOT, "native", f), path.join(tmp, "native", f));
    const r = spawnSync(process.execPath, [path.join(tmp, "scripts", "build-native.cjs")], {
      env: { ...process.env, CXX: path.join(tmp, "no-such-compiler"), MOLAB_NATIVE: "" },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 1, r.stdout);
    assert.match(lines[0], /^molab native: not built: no C\+\+ compiler .*wasm path/);
    assert.ok(!fs.existsSync(path.join(tmp, "native", "build")));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("molab info without the addon: wasm backend, one line saying native is off and why", () => {
  const out = info({ MOLAB_NATIVE_ADDON: path.join(os.tmpdir(), "molab-no-such-addon.node"), MOLAB_NATIVE: "" });
  assert.match(out, /^backend: {2}wasm/m);
  const native = out.split("\n").filter((l) => l.startsWith("native:"));
  assert.equal(native.length, 1);
  assert.match(native[0], /off — not built .*wasm path is used/);
});

test("MOLAB_NATIVE=0 turns it off; MOLAB_NATIVE=1 without the addon is an error", () => {
  assert.match(info({ MOLAB_NATIVE: "0" }), /^native: {3}off \(MOLAB_NATIVE=0\)$/m);
  const r = spawnSync(process.execPath, [BIN, "info"], {
    env: { ...process.env, MOLAB_NATIVE: "1", MOLAB_NATIVE_ADDON: path.join(os.tmpdir(), "molab-no-such-addon.node") },
    encoding: "utf8",
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /MOLAB_NATIVE=1 but the native addon is unusable/);
});
