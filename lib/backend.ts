/**
 * The tfjs backend, chosen once per process: tfjs-node-gpu > tfjs-node > webgpu > wasm.
 * `cpu` (pure JS, ~30x slower than wasm) is used only when asked for, never as a silent fallback.
 * `MOLAB_BACKEND=tensorflow|webgpu|wasm|cpu` forces one; a forced backend that cannot start is an error.
 *
 * Everything in molab imports `tf` from here (the functional API: `tf.add(a, b)`, not `a.add(b)`,
 * because tfjs-core alone under Node has no chained ops). Starting the wasm backend also installs molab's
 * wasm kernel patches (lib/wasm_kernels.ts), so no model or training code has to.
 */
import * as tf from "@tensorflow/tfjs-core";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as os from "node:os";
import { MolabError } from "./errors.ts";
import { installNativeKernels } from "./native/kernels.ts";
import { installWasmKernels } from "./wasm_kernels.ts";

export { tf };

export type BackendName = "tensorflow" | "webgpu" | "wasm" | "cpu";

/** What `initBackend` chose and why the faster ones were not used. */
export interface BackendInfo {
  backend: BackendName;
  /** e.g. "tfjs-node-gpu (CUDA)", "tfjs-backend-wasm (XNNPACK, SIMD)". */
  description: string;
  threads: number;
  forced: boolean;
  /** Backends tried before the chosen one, each with the reason it was not used. */
  skipped: { backend: string; reason: string }[];
  versions: Record<string, string>;
}

const requireHere = createRequire(__filename);
const ORDER: BackendName[] = ["tensorflow", "webgpu", "wasm", "cpu"];
let current: Promise<BackendInfo> | undefined;

function packageVersion(name: string): string | undefined {
  try {
    return requireHere(`${name}/package.json`).version as string;
  } catch {
    return undefined;
  }
}

/** Versions of the packages that matter for numerics, for `molab info` and manifests. */
export function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.versions.node };
  for (const p of [
    "@tensorflow/tfjs-core",
    "@tensorflow/tfjs-backend-wasm",
    "@tensorflow/tfjs-backend-cpu",
    "@tensorflow/tfjs-node-gpu",
    "@tensorflow/tfjs-backend-webgpu",
    "webgpu",
    "@huggingface/tokenizers",
    "@huggingface/jinja",
  ]) {
    const v = packageVersion(p);
    if (v) out[p] = v;
  }
  out.molab = packageVersion(path.join(__dirname, "..")) ?? "unknown";
  return out;
}

type Attempt = { ok: true; description: string; threads: number } | { ok: false; reason: string };

async function tryTensorflow(): Promise<Attempt> {
  // tfjs-node-gpu first, then tfjs-node. In this project `@tensorflow/tfjs-node` may be an alias of
  // plain @tensorflow/tfjs (danfojs-node's override); that one registers no "tensorflow" backend.
  const reasons: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      requireHere(pkg);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      const missing = err.code === "MODULE_NOT_FOUND" && String(err.message).includes(`'${pkg}'`);
      reasons.push(
        missing
          ? `${pkg} not installed (optional; needs its native binary${pkg.endsWith("gpu") ? " and CUDA" : ""})`
          : `${pkg} is installed but does not load: ${String(err.message).split("\n")[0]}`,
      );
      continue;
    }
    if (!tf.findBackendFactory("tensorflow")) {
      reasons.push(`${pkg} resolves to plain @tensorflow/tfjs (no native binding)`);
      continue;
    }
    if (await tf.setBackend("tensorflow")) {
      return {
        ok: true,
        description: `${pkg} (native TensorFlow${pkg.endsWith("gpu") ? ", CUDA" : ""})`,
        threads: os.cpus().length,
      };
    }
    reasons.push(`${pkg} is installed but its backend failed to start`);
  }
  return { ok: false, reason: reasons.join("; ") };
}

type GpuAdapter = {
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  limits?: { maxBufferSize?: number; maxStorageBufferBindingSize?: number };
};
type GpuNav = { gpu?: { requestAdapter(o?: unknown): Promise<GpuAdapter | null> } };

/**
 * Node has no navigator.gpu; the optional `webgpu` package (Dawn) provides one:
 * `Object.assign(globalThis, globals); navigator = { gpu: create([]) }`. Returns why not, or undefined when set up.
 */
export async function setupNavigatorGpu(): Promise<string | undefined> {
  if ((globalThis as { navigator?: GpuNav }).navigator?.gpu) return undefined;
  let mod: { create(o: string[]): unknown; globals: Record<string, unknown> };
  try {
    const spec = "webgpu"; // a variable, so bundlers and tsc leave the optional package alone
    mod = (await import(spec)) as typeof mod;
  } catch (e) {
    const msg = String((e as Error).message).split("\n")[0];
    return /Cannot find (package|module) 'webgpu'/.test(msg)
      ? "the optional `webgpu` package (Dawn) is not installed"
      : `the \`webgpu\` package does not load: ${msg}`;
  }
  try {
    Object.assign(globalThis, mod.globals);
    const gpu = mod.create([]);
    const nav = (globalThis as { navigator?: GpuNav }).navigator;
    if (nav && typeof nav === "object") {
      try {
        Object.defineProperty(nav, "gpu", { value: gpu, configurable: true });
      } catch {
        /* fall through to replacing navigator */
      }
    }
    if (!(globalThis as { navigator?: GpuNav }).navigator?.gpu)
      Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  } catch (e) {
    return `the \`webgpu\` package could not create a GPU instance: ${String((e as Error).message).split("\n")[0]}`;
  }
  return undefined;
}

function describeAdapter(a: GpuAdapter): string {
  const i = a.info ?? {};
  const name = [i.vendor, i.architecture, i.device, i.description].filter((x) => x).join(" ");
  const mib = (n?: number) => (n ? `${Math.round(n / 2 ** 20)} MiB` : "?");
  return `adapter ${name || "unnamed"}; max buffer ${mib(a.limits?.maxBufferSize)}, max storage binding ${mib(a.limits?.maxStorageBufferBindingSize)}`;
}

async function tryWebgpu(): Promise<Attempt> {
  try {
    // already registered (a bundle that imports it) or installed
    if (!tf.findBackendFactory("webgpu")) requireHere.resolve("@tensorflow/tfjs-backend-webgpu");
  } catch {
    return {
      ok: false,
      reason:
        "@tensorflow/tfjs-backend-webgpu not installed (optional: npm install webgpu @tensorflow/tfjs-backend-webgpu; needs a Vulkan GPU)",
    };
  }
  const why = await setupNavigatorGpu();
  if (why) return { ok: false, reason: why };
  const nav = (globalThis as { navigator?: GpuNav }).navigator!;
  const adapter = await nav.gpu!.requestAdapter({ powerPreference: "high-performance" }).catch(() => null);
  if (!adapter) return { ok: false, reason: "navigator.gpu (Dawn) found no GPU adapter (no usable Vulkan driver)" };
  if (!tf.findBackendFactory("webgpu")) requireHere("@tensorflow/tfjs-backend-webgpu");
  if (await tf.setBackend("webgpu"))
    return { ok: true, description: `tfjs-backend-webgpu (${describeAdapter(adapter)})`, threads: 1 };
  return { ok: false, reason: "webgpu backend failed to start" };
}

async function tryWasm(): Promise<Attempt> {
  const wasm = requireHere("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  const dir = path.dirname(requireHere.resolve("@tensorflow/tfjs-backend-wasm/package.json"));
  wasm.setWasmPaths(path.join(dir, "dist") + path.sep);
  if (!(await tf.setBackend("wasm"))) return { ok: false, reason: "wasm backend failed to start" };
  installWasmKernels(); // molab's kernel patches (lib/wasm_kernels.ts), once, for every later op on wasm
  installNativeKernels(tf); // then BLAS matmuls on the wasm heap when the native addon is built (lib/native)
  let threads = 1;
  try {
    threads = wasm.getThreadsCount();
  } catch {
    /* older builds have no thread count */
  }
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  return {
    ok: true,
    description: `tfjs-backend-wasm (XNNPACK${simd ? ", SIMD" : ""}; wasm32: at most 4 GiB of tensors)`,
    threads,
  };
}

async function tryCpu(): Promise<Attempt> {
  requireHere("@tensorflow/tfjs-backend-cpu");
  if (await tf.setBackend("cpu"))
    return { ok: true, description: "tfjs-backend-cpu (pure JavaScript, slow)", threads: 1 };
  return { ok: false, reason: "cpu backend failed to start" };
}

const ATTEMPTS: Record<BackendName, () => Promise<Attempt>> = {
  tensorflow: tryTensorflow,
  webgpu: tryWebgpu,
  wasm: tryWasm,
  cpu: tryCpu,
};

async function choose(forcedRaw: string | undefined): Promise<BackendInfo> {
  const forced = forcedRaw?.trim().toLowerCase() || undefined;
  const alias: Record<string, BackendName> = {
    "tfjs-node": "tensorflow",
    "tfjs-node-gpu": "tensorflow",
    node: "tensorflow",
    gpu: "tensorflow",
  };
  const skipped: { backend: string; reason: string }[] = [];
  if (forced) {
    const name = (alias[forced] ?? forced) as BackendName;
    if (!ORDER.includes(name)) {
      throw new MolabError(`MOLAB_BACKEND=${forcedRaw}: unknown backend; expected one of ${ORDER.join(", ")}`);
    }
    const r = await ATTEMPTS[name]();
    if (!r.ok) throw new MolabError(`MOLAB_BACKEND=${forcedRaw}: the ${name} backend cannot start: ${r.reason}`);
    await tf.ready();
    return {
      backend: name,
      description: r.description,
      threads: r.threads,
      forced: true,
      skipped,
      versions: versions(),
    };
  }
  for (const name of ["tensorflow", "webgpu", "wasm"] as BackendName[]) {
    const r = await ATTEMPTS[name]();
    if (r.ok) {
      await tf.ready();
      return {
        backend: name,
        description: r.description,
        threads: r.threads,
        forced: false,
        skipped,
        versions: versions(),
      };
    }
    skipped.push({ backend: name, reason: r.reason });
  }
  throw new MolabError(
    `no fast tfjs backend could start (${skipped.map((s) => `${s.backend}: ${s.reason}`).join("; ")}). ` +
      `Set MOLAB_BACKEND=cpu to run on the slow pure-JavaScript backend anyway.`,
  );
}

/**
 * Choose and start the backend (once per process; later calls return the same answer).
 * Call it before the first tensor op.
 */
export function initBackend(): Promise<BackendInfo> {
  current ??= choose(process.env.MOLAB_BACKEND);
  current.catch(() => (current = undefined));
  return current;
}

/** The backend in use, or undefined before `initBackend`. */
export async function backendInfo(): Promise<BackendInfo | undefined> {
  return current;
}

/**
 * An error thrown inside a tfjs op, explained: tfjs-backend-wasm aborts its whole module (a WebAssembly.RuntimeError,
 * e.g. "Aborted()" when an allocation fails or "memory access out of bounds") — its heap cannot grow past 4 GB —
 * and every later op fails too. `what` names the work (e.g. "train: step 12"); `fix` says what to do instead. Any
 * other error is returned as it is.
 */
export function explainWasmAbort(e: unknown, what: string, fix: string): unknown {
  if (!(e instanceof WebAssembly.RuntimeError)) return e;
  return new MolabError(
    `${what} stopped the wasm backend (${e.message.split(/\.(\s|$)/)[0]}); its heap cannot grow past 4 GB and no ` +
      `later op can run. ${fix}`,
    { cause: e },
  );
}

/** What to do after a wasm abort anywhere (the CLI's and the build script's last word). */
export const WASM_ABORT_FIX =
  "Run it on the native CPU path (bash environment/setup-native.sh: OpenBLAS and molab's addon), or with less at once.";
