#!/usr/bin/env node
/**
 * Builds molab's native CPU addon (native/: BLAS matmuls on the wasm heap, frozen weights in native memory) with
 * node-gyp against the system BLAS — OpenBLAS on Linux (`apt-get install -y libopenblas-dev`), Accelerate on macOS.
 * Run by `npm install` / `npm ci` (the package's own "install" script) and by `npm run build:native`.
 *
 * It never fails the install and never downloads anything: it uses the node-gyp that npm bundles and Node's headers
 * already on this machine. When something is missing it prints ONE line saying what, and molab runs on the wasm path
 * (as it does everywhere). `MOLAB_NATIVE=0` skips the build. The full build log is native/build.log.
 */
"use strict";
const { spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.join(__dirname, "..");
const dir = path.join(root, "native");
const log = path.join(dir, "build.log");
const addon = path.join(dir, "build", "Release", "molab_native.node");

function say(msg) {
  console.log(`molab native: ${msg}`);
}

function off(reason) {
  say(`${reason}; molab uses the wasm path (correct everywhere, slower)`);
  process.exit(0);
}

/** The node-gyp npm ships with (npm sets npm_config_node_gyp for lifecycle scripts), else next to this node. */
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(
      path.dirname(process.execPath),
      "..",
      "lib",
      "node_modules",
      "npm",
      "node_modules",
      "node-gyp",
      "bin",
      "node-gyp.js",
    ),
    path.join(path.dirname(process.execPath), "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return c;
  try {
    return require.resolve("node-gyp/bin/node-gyp.js");
  } catch {
    return undefined;
  }
}

/** A directory with Node's headers (include/node/node_api.h) on this machine: never a download. */
function findNodeDir() {
  const has = (d) => d && fs.existsSync(path.join(d, "include", "node", "node_api.h"));
  if (has(process.env.npm_config_nodedir)) return process.env.npm_config_nodedir;
  const prefix = path.join(path.dirname(process.execPath), "..");
  if (has(prefix)) return path.resolve(prefix);
  const cache = path.join(os.homedir(), ".cache", "node-gyp", process.versions.node);
  if (has(cache)) return cache;
  return undefined;
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: "utf8", timeout: 300_000, ...opts });
}

/** Compiler and BLAS present? Linking a two-line program says which one is missing. */
function preflight() {
  if (process.platform === "darwin") return undefined;
  if (process.platform !== "linux") return `no native build recipe for ${process.platform}`;
  const cxx = process.env.CXX || "c++";
  const v = run(cxx, ["--version"]);
  if (v.error || v.status !== 0) return `no C++ compiler (${cxx}; apt-get install -y g++)`;
  const src =
    "#include <cblas.h>\nint main(){float a=1,b=2,c=0;cblas_sgemm(CblasRowMajor,CblasNoTrans,CblasNoTrans,1,1,1,1.f,&a,1,&b,1,0.f,&c,1);return c==2.f?0:1;}\n";
  const out = path.join(os.tmpdir(), `molab-blas-check-${process.pid}`);
  const r = run(cxx, ["-x", "c++", "-", "-o", out, "-lopenblas"], { input: src });
  fs.rmSync(out, { force: true });
  if (r.error || r.status !== 0) return "no OpenBLAS to build against (apt-get install -y libopenblas-dev)";
  return undefined;
}

function main() {
  if (process.env.MOLAB_NATIVE === "0") off("not built (MOLAB_NATIVE=0)");
  fs.rmSync(path.join(dir, "build"), { recursive: true, force: true });
  const missing = preflight();
  if (missing) off(`not built: ${missing}`);
  const gyp = findNodeGyp();
  if (!gyp) off("not built: node-gyp not found (it ships with npm)");
  const nodedir = findNodeDir();
  if (!nodedir) off("not built: Node's headers are not on this machine (they are never downloaded at install)");
  const t0 = Date.now();
  const b = run(process.execPath, [gyp, "rebuild", `--nodedir=${nodedir}`, `--jobs=${Math.max(1, os.cpus().length)}`], {
    cwd: dir,
    env: { ...process.env, npm_config_nodedir: nodedir },
  });
  fs.writeFileSync(log, `${b.stdout ?? ""}\n${b.stderr ?? ""}\n${b.error ? String(b.error) : ""}`);
  if (b.error || b.status !== 0) off(`build failed (see native/build.log)`);
  // Load it in a child process and check one product: a broken BLAS must not replace a correct path.
  const check = run(process.execPath, [
    "-e",
    `
    const m = require(${JSON.stringify(addon)});
    const h = new ArrayBuffer(64), f = new Float32Array(h);
    f.set([1, 2, 3, 4, 5, 6, 7, 8]);
    m.matmul(h, 0, 16, 32, 1, 1, 2, 2, 2, false, false, -1, 0, 0, 0);
    if ([19, 22, 43, 50].some((v, i) => f[8 + i] !== v)) throw new Error("wrong product " + f.slice(8, 12));
    console.log(m.info().blas);`,
  ]);
  if (check.status !== 0) {
    fs.rmSync(addon, { force: true });
    off(`built but does not load (${(check.stderr || "").trim().split("\n").pop()})`);
  }
  say(`built in ${((Date.now() - t0) / 1000).toFixed(0)} s against ${check.stdout.trim()}`);
}

try {
  main();
} catch (e) {
  off(`not built (${e && e.message ? e.message : e})`);
}
