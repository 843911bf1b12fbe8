/**
 * No model file can run code: lib/ holds no pickle loader, no eval / new Function / vm, no require or import of a
 * computed path (a model repo's .js or .py), and never reads .bin/.pt/.pth/.ckpt/.pkl files; folders and hub repos
 * whose weights exist only as pickles are refused with a MolabError that says so.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../../lib/errors.ts";
import { loadModel } from "../../lib/model/load.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { loadSae } from "../../lib/sae/formats.ts";
import { parseNpy } from "../../lib/io/npy.ts";
import { checkSafetensorsOnly } from "../../lib/hub/cache.ts";

const LIB = path.join(__dirname, "..", "..", "lib");
const FIX = path.join(__dirname, "..", "fixtures");

function libFiles(dir = LIB): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "types" || e.name === "node_modules" ? [] : libFiles(p);
    return /\.(ts|cts|mts|js|cjs|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Source without comments (strings kept: a module specifier is a string). */
function code(file: string): string {
  return fs
    .readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

/** Patterns that load pickles or evaluate code. */
const FORBIDDEN: [string, RegExp][] = [
  ["eval", /(^|[^\w.])eval\s*\(/],
  ["new Function", /\bnew\s+Function\s*\(|(^|[^\w.])Function\s*\(\s*["'`]/],
  ["node:vm", /["'](node:)?vm["']/],
  [
    "pickle loader",
    /torch\.load|pickle\.loads?|unpickl|from\s+["'][^"']*pickle[^"']*["']|require\(\s*["'][^"']*pickle/i,
  ],
  ["python subprocess", /\b(spawn|exec|execFile|spawnSync|execSync|execFileSync)\s*\(\s*["'`][^"'`]*python/],
  ["reads a pickle file", /\b(readFile\w*|open\w*|createReadStream)\s*\([^)]*\.(bin|pt|pth|ckpt|pkl)\b/],
];

test("lib/ has no pickle loader, eval, new Function, vm, or python subprocess", () => {
  const hits: string[] = [];
  const files = libFiles();
  assert.ok(files.length > 50, `scanned ${files.length} files`);
  for (const f of files) {
    const src = code(f);
    for (const [what, re] of FORBIDDEN) if (re.test(src)) hits.push(`${path.relative(LIB, f)}: ${what}`);
  }
  assert.deepEqual(hits, []);
});

/** Computed requires that resolve installed packages only (reviewed); anything new must be reviewed and listed. */
const REVIEWED = new Set([
  "backend.ts: requireHere(`${name}/package.json`)", // the version of an installed package, for `molab info`
  "backend.ts: requireHere(pkg)", // pkg from the literal list of optional tfjs-node packages
  "backend.ts: import(spec)", // spec is the literal "webgpu" (the optional Dawn package), kept in a variable
  "native/addon.ts: requireHere(ADDON_PATH)", // our addon, native/build/Release/molab_native.node (or MOLAB_NATIVE_ADDON, set by the user)
]);

test("lib/ requires and imports only literal module names (a native addon's .node file excepted)", () => {
  const hits: string[] = [];
  for (const f of libFiles()) {
    const src = code(f);
    const requirers = ["require", "import", ...[...src.matchAll(/(\w+)\s*=\s*createRequire\(/g)].map((m) => m[1])];
    const call = new RegExp(`(?<![\\w.])(${requirers.join("|")})\\s*\\(([^)]*)\\)`, "g");
    for (const m of src.matchAll(call)) {
      const arg = m[2].trim();
      const where = `${path.relative(LIB, f)}: ${m[0]}`;
      if (/^(["'])[^"'`]+\1$/.test(arg)) continue; // a literal specifier
      if (/\.node["'`]/.test(arg)) continue; // the native BLAS addon built in this project
      if (REVIEWED.has(where)) continue;
      hits.push(where);
    }
  }
  assert.deepEqual(hits, []);
});

test("a model folder with only pytorch_model.bin is refused, not loaded", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-pickle-"));
  try {
    fs.copyFileSync(path.join(FIX, "model", "llama", "config.json"), path.join(dir, "config.json"));
    fs.writeFileSync(path.join(dir, "pytorch_model.bin"), "\x80\x02cos\nsystem\n(S'echo pwned'\ntR.");
    await assert.rejects(
      loadModel(dir),
      (e: Error) =>
        e instanceof MolabError && /pytorch_model\.bin: pickle-based weights are never loaded/.test(e.message),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an adapter with only adapter_model.bin, and an SAE with only a .pt, are refused", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-pickle-"));
  try {
    const ad = path.join(dir, "adapter");
    fs.cpSync(path.join(FIX, "lora", "ours_plain"), ad, { recursive: true });
    fs.renameSync(path.join(ad, "adapter_model.safetensors"), path.join(ad, "adapter_model.bin"));
    await assert.rejects(LoraAdapter.load(ad), /adapter_model\.bin is a pickle; molab reads safetensors only/);
    const sae = path.join(dir, "sae");
    fs.mkdirSync(sae);
    fs.copyFileSync(path.join(FIX, "sae", "saelens_standard", "cfg.json"), path.join(sae, "cfg.json"));
    fs.writeFileSync(path.join(sae, "sae_weights.pt"), "pickle");
    await assert.rejects(loadSae(sae), (e: Error) => e instanceof MolabError && /not an SAE folder/.test(e.message));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("hub repos with only .bin/.pth weights are refused; npy object arrays (pickles) are refused", () => {
  assert.throws(
    () => checkSafetensorsOnly(["config.json", "pytorch_model.bin"], "org/old"),
    /org\/old has weights only as pickle files \(pytorch_model\.bin\)/,
  );
  assert.throws(() => checkSafetensorsOnly(["config.json", "original/consolidated.pth"], "org/x"), /pickle/);
  assert.doesNotThrow(() => checkSafetensorsOnly(["model.safetensors", "pytorch_model.bin"], "org/new"));
  const h = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }".padEnd(117, " ") + "\n";
  const npy = new Uint8Array(
    Buffer.concat([Buffer.from([0x93]), Buffer.from("NUMPY"), Buffer.from([1, 0, 118, 0]), Buffer.from(h)]),
  );
  assert.throws(() => parseNpy(npy, "obj.npy"), /obj\.npy.*pickle/);
});
