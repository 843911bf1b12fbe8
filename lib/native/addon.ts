/**
 * The native CPU addon (native/molab_native.cc, built at install by scripts/build-native.cjs), loaded once.
 *
 * `MOLAB_NATIVE=0` turns it off, `MOLAB_NATIVE=1` requires it (an error when it cannot load); unset, it is used
 * when it was built and passes a one-product self-test. Without it molab runs on the wasm path, as everywhere.
 * `MOLAB_NATIVE_THREADS` sets its threads (BLAS and OpenMP; default: every core). `MOLAB_NATIVE_ADDON` points at
 * another build of it (tests use a missing path to act out a machine where it was not built).
 */
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../errors.ts";

/** An opaque handle to a matrix in native memory (freed by `weightFree` or when collected). */
export type NativeWeightHandle = { readonly __nativeWeight: unique symbol };

export interface NativeAddon {
  /** C[b] = op(A[b % batchA])·op(B[b % batchB]) (+ bias, activation); byte offsets into `heap`. */
  matmul(
    heap: ArrayBuffer,
    aOff: number,
    bOff: number,
    cOff: number,
    batchA: number,
    batchB: number,
    M: number,
    N: number,
    K: number,
    transA: boolean,
    transB: boolean,
    biasOff: number,
    biasLen: number,
    act: number,
    alpha: number,
  ): void;
  weightFromBuffer(
    src: ArrayBufferView | ArrayBuffer,
    srcType: "f32" | "bf16" | "f16",
    store: "f32" | "bf16",
    rows: number,
    cols: number,
  ): NativeWeightHandle;
  weightFromFile(
    file: string,
    byteOffset: number,
    srcType: "f32" | "bf16" | "f16",
    store: "f32" | "bf16",
    rows: number,
    cols: number,
  ): NativeWeightHandle;
  /** An uninitialised [rows, cols] weight, filled by `weightFill` (tensors stacked by rows, e.g. q|k|v). */
  weightAlloc(store: "f32" | "bf16", rows: number, cols: number): NativeWeightHandle;
  weightFill(
    w: NativeWeightHandle,
    rowOffset: number,
    file: string,
    byteOffset: number,
    srcType: "f32" | "bf16" | "f16",
    rows: number,
  ): void;
  weightFree(w: NativeWeightHandle): void;
  /** transposed: y[M, rows] = x[M, cols]·Wᵀ (+ bias); else y[M, cols] = x[M, rows]·W. */
  linear(
    heap: ArrayBuffer,
    xOff: number,
    M: number,
    w: NativeWeightHandle,
    yOff: number,
    transposed: boolean,
    biasOff?: number,
  ): void;
  /** out[i, :] = W[ids[i], :] (int32 ids), as float32. */
  gather(heap: ArrayBuffer, idsOff: number, n: number, w: NativeWeightHandle, outOff: number): void;
  /** y = exp(x), float32, n elements. */
  exp(heap: ArrayBuffer, xOff: number, yOff: number, n: number): void;
  /** y[r, :] = softmax(x[r, :]) over the last axis of a [rows, cols] float32 tensor. */
  softmax(heap: ArrayBuffer, xOff: number, yOff: number, rows: number, cols: number): void;
  /** y = 1 / (1 + exp(−x)), float32, n elements. */
  sigmoid(heap: ArrayBuffer, xOff: number, yOff: number, n: number): void;
  /** Weighted cross-entropy of [N, V] logits: lse per row (0 where the weight is 0) and Σ w·(lse − x[target]). */
  ceForward(
    heap: ArrayBuffer,
    xOff: number,
    tOff: number,
    wOff: number,
    lseOff: number,
    valueOff: number,
    N: number,
    V: number,
  ): void;
  /** Its gradient: dx = (softmax(x) − onehot(target))·w·dy, zero rows where the weight is 0. */
  ceGrad(
    heap: ArrayBuffer,
    xOff: number,
    lseOff: number,
    tOff: number,
    wOff: number,
    dyOff: number,
    dxOff: number,
    N: number,
    V: number,
  ): void;
  /** RMSNorm of x [rows, n] by w [n]: y = x·r·w with r = 1/√(mean(x²) + eps) written per row. */
  rmsNorm(
    heap: ArrayBuffer,
    xOff: number,
    wOff: number,
    yOff: number,
    rOff: number,
    rows: number,
    n: number,
    eps: number,
  ): void;
  /** Its gradient: dx [rows, n] and dw [n] from dy and the saved r. */
  rmsNormGrad(
    heap: ArrayBuffer,
    xOff: number,
    wOff: number,
    rOff: number,
    dyOff: number,
    dxOff: number,
    dwOff: number,
    rows: number,
    n: number,
  ): void;
  /** Per row of x [rows, n] the k largest values (descending, ties by lower index) and their int32 indices; false
   * (nothing written) when x holds a NaN. */
  topk(heap: ArrayBuffer, xOff: number, vOff: number, iOff: number, rows: number, n: number, k: number): boolean;
  /** One AdamW update of n floats into new buffers (lib/train/optim.ts's arithmetic, bit for bit). */
  adamw(
    heap: ArrayBuffer,
    pOff: number,
    gOff: number,
    mOff: number,
    vOff: number,
    npOff: number,
    nmOff: number,
    nvOff: number,
    n: number,
    keep: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    bc2Sqrt: number,
    eps: number,
    stepSize: number,
  ): void;
  setThreads(n: number): void;
  info(): { blas: string; threads: number; weightBytes: number };
}

export interface NativeStatus {
  enabled: boolean;
  /** Why it is off, or what it runs on. */
  detail: string;
  blas?: string;
  threads?: number;
}

export const ADDON_PATH =
  process.env.MOLAB_NATIVE_ADDON || path.join(__dirname, "..", "..", "native", "build", "Release", "molab_native.node");
const requireHere = createRequire(__filename);
let loaded: { addon?: NativeAddon; status: NativeStatus } | undefined;

/** Every function this version calls: a build from older sources lacks some (then: npm run build:native). */
const FUNCTIONS = [
  "matmul",
  "weightFromBuffer",
  "weightFromFile",
  "weightAlloc",
  "weightFill",
  "weightFree",
  "linear",
  "gather",
  "exp",
  "softmax",
  "sigmoid",
  "adamw",
  "ceForward",
  "ceGrad",
  "setThreads",
  "info",
] as const;

function selfTest(m: NativeAddon): void {
  const missing = FUNCTIONS.filter((f) => typeof (m as unknown as Record<string, unknown>)[f] !== "function");
  if (missing.length)
    throw new Error(`built from older sources (no ${missing.join(", ")}): rebuild it with npm run build:native`);
  const h = new ArrayBuffer(64);
  const f = new Float32Array(h);
  f.set([1, 2, 3, 4, 5, 6, 7, 8]);
  m.matmul(h, 0, 16, 32, 1, 1, 2, 2, 2, false, false, -1, 0, 0, 0);
  if ([19, 22, 43, 50].some((v, i) => f[8 + i] !== v))
    throw new Error(`self-test product wrong: ${Array.from(f.slice(8, 12))}`);
}

function load(): { addon?: NativeAddon; status: NativeStatus } {
  const flag = process.env.MOLAB_NATIVE?.trim();
  if (flag === "0") return { status: { enabled: false, detail: "off (MOLAB_NATIVE=0)" } };
  if (flag !== undefined && flag !== "" && flag !== "1") throw new MolabError(`MOLAB_NATIVE=${flag}: expected 0 or 1`);
  let reason: string;
  if (!fs.existsSync(ADDON_PATH)) {
    const log = path.join(__dirname, "..", "..", "native", "build.log");
    const seeLog = fs.existsSync(log) ? "; see native/build.log" : "";
    reason =
      "not built (needs a C++ compiler and OpenBLAS at install: apt-get install -y g++ libopenblas-dev, " +
      `then npm run build:native${seeLog})`;
  } else {
    try {
      // Idle OpenMP workers sleep instead of spinning (read when the addon's libgomp loads): the cores are shared
      // with BLAS's own threads and with other processes.
      process.env.OMP_WAIT_POLICY ??= "PASSIVE";
      const m = requireHere(ADDON_PATH) as NativeAddon;
      selfTest(m);
      const threads = Number(process.env.MOLAB_NATIVE_THREADS) || os.cpus().length;
      m.setThreads(threads);
      const i = m.info();
      return {
        addon: m,
        status: { enabled: true, detail: `on — ${i.blas}, ${threads} thread(s)`, blas: i.blas, threads },
      };
    } catch (e) {
      reason = `does not load (${String((e as Error).message).split("\n")[0]})`;
    }
  }
  if (flag === "1") throw new MolabError(`MOLAB_NATIVE=1 but the native addon is unusable: ${reason}`);
  return { status: { enabled: false, detail: `off — ${reason}; the wasm path is used` } };
}

/** The addon, or undefined when it is off or unavailable (see `nativeStatus`). */
export function nativeAddon(): NativeAddon | undefined {
  loaded ??= load();
  return loaded.addon;
}

export function nativeStatus(): NativeStatus {
  loaded ??= load();
  return loaded.status;
}

/** Threads for the native path (BLAS and its own loops). */
export function setNativeThreads(n: number): void {
  const m = nativeAddon();
  if (!m) return;
  m.setThreads(n);
  loaded!.status.threads = n;
  loaded!.status.detail = `on — ${loaded!.status.blas}, ${n} thread(s)`;
}
