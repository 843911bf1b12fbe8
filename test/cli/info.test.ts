import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");

test("molab info names the backend and versions", () => {
  const out = execFileSync(process.execPath, [BIN, "info", "--json"], {
    encoding: "utf8",
    env: { ...process.env, MOLAB_BACKEND: "" },
  });
  const j = JSON.parse(out);
  assert.equal(j.backend, "wasm");
  assert.equal(j.tfBackend, "wasm");
  assert.match(j.versions["@tensorflow/tfjs-core"], /^\d+\.\d+\.\d+/);
  assert.ok(
    j.skipped.some((s: { backend: string }) => s.backend === "tensorflow"),
    "says why tfjs-node was not used",
  );
});

test("MOLAB_BACKEND=cpu molab info reports cpu", () => {
  const out = execFileSync(process.execPath, [BIN, "info"], {
    encoding: "utf8",
    env: { ...process.env, MOLAB_BACKEND: "cpu" },
  });
  assert.match(out, /^backend: +cpu \(forced by MOLAB_BACKEND\)/m);
});

test("an unknown MOLAB_BACKEND is one clear error", () => {
  const r = spawnSync(process.execPath, [BIN, "info"], {
    encoding: "utf8",
    env: { ...process.env, MOLAB_BACKEND: "tpu" },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /MOLAB_BACKEND=tpu: unknown backend; expected one of tensorflow, webgpu, wasm, cpu/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

test("without a GPU, webgpu is skipped with one informative line and wasm is used", () => {
  const out = execFileSync(process.execPath, [BIN, "info"], {
    encoding: "utf8",
    env: { ...process.env, MOLAB_BACKEND: "" },
  });
  assert.match(out, /^backend: +wasm/m);
  const lines = out.split("\n").filter((l) => l.startsWith("not used: webgpu:"));
  assert.equal(lines.length, 1, out);
  assert.match(lines[0], /not installed|no GPU adapter|does not load/);
});

test("MOLAB_BACKEND=webgpu without a GPU is one clear error", () => {
  const r = spawnSync(process.execPath, [BIN, "info"], {
    encoding: "utf8",
    env: { ...process.env, MOLAB_BACKEND: "webgpu" },
  });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /MOLAB_BACKEND=webgpu: the webgpu backend cannot start: /);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});
