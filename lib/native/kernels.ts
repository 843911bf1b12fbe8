/**
 * tfjs kernels of the native path on the wasm backend: `BatchMatMul` and `_FusedMatMul` run as BLAS sgemm on the
 * operands where they already are — in the wasm heap, read and written in place through its ArrayBuffer (no
 * copies). Transposed operands (every matmul gradient) go straight to BLAS too. Gradients are unchanged: tfjs defines
 * them on the ops, and they run through these same kernels.
 *
 * Also: `Exp`, `Softmax` (last axis) and `Sigmoid` vectorised natively (the wasm ones are scalar: the softmax over a
 * vocabulary dominated a LoRA step; attention's softmax and SwiGLU's sigmoid were most of a forward's non-matmul time), and
 * `Identity` without a copy (it shares the input's buffer, as Reshape does; tfjs never writes a tensor in place).
 *
 * Anything the native kernel does not cover (non-float32, prelu, broadcasts other than "one side has batch 1") falls
 * back to the kernel it replaced. `installNativeKernels(tf)` is idempotent and does nothing off wasm or without the addon.
 */
import type * as tfc from "@tensorflow/tfjs-core";
import { nativeAddon, type NativeAddon } from "./addon.ts";

type TF = typeof tfc;
type Info = tfc.TensorInfo;

/** The parts of the tfjs wasm backend (4.22) these kernels use. */
export interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tfc.DataType): Info;
  dataIdMap: { get(id: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
  disposeData(dataId: object): void;
}

/** Marks a kernel config as ours (so other patches leave it alone, and a second install is a no-op). */
export const NATIVE_MARK = "molabNative";

const ACT: Record<string, number> = { linear: 0, relu: 1, relu6: 2, sigmoid: 3, elu: 4, leakyrelu: 5 };
const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

export const offsetOf = (b: WasmHeapBackend, t: Info): number => b.dataIdMap.get(t.dataId).memoryOffset;

/** The heap's buffer, read after the outputs were made (a malloc may have replaced it). */
const heap = (b: WasmHeapBackend) => b.wasm.HEAPU8.buffer as ArrayBuffer;

interface MatMulArgs {
  a: Info;
  b: Info;
  transposeA: boolean;
  transposeB: boolean;
  bias?: Info;
  activation?: string;
  alpha?: number;
}

/** The product on the native path, or undefined when it is not covered (the caller falls back). */
function nativeMatMul(tf: TF, m: NativeAddon, backend: WasmHeapBackend, p: MatMulArgs): Info | undefined {
  const { a, b, transposeA: ta, transposeB: tb } = p;
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return undefined;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = tb ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2) return undefined;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const batch = size(outer);
  const batchA = size(outerA);
  const batchB = size(outerB);
  // Only "no broadcast" or "one side broadcast whole": then operand i of the batch is i % batchX.
  if ((batchA !== 1 && batchA !== batch) || (batchB !== 1 && batchB !== batch)) return undefined;
  let biasLen = 0;
  if (p.bias) {
    if (p.bias.dtype !== "float32") return undefined;
    biasLen = size(p.bias.shape);
    const last = p.bias.shape[p.bias.shape.length - 1] ?? 1;
    if (!(biasLen === 1 || (biasLen === N && last === N))) return undefined;
  }
  const act = ACT[p.activation ?? "linear"];
  if (act === undefined) return undefined;
  const out = backend.makeOutput([...outer, M, N], "float32");
  if (batch * M * N === 0) return out;
  m.matmul(
    heap(backend),
    offsetOf(backend, a),
    offsetOf(backend, b),
    offsetOf(backend, out),
    batchA,
    batchB,
    M,
    N,
    K,
    ta,
    tb,
    p.bias ? offsetOf(backend, p.bias) : -1,
    biasLen,
    act,
    p.alpha ?? 0.2,
  );
  return out;
}

/** The native AdamW kernel's name; inputs {p, g, m, v} (float32, one shape), outputs [p', m', v']. */
export const ADAMW_KERNEL = "MolabAdamW";

export interface AdamWAttrs {
  /** 1 − lr·weight decay (1: none). */
  keep: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** √(1 − β2ᵗ). */
  bc2Sqrt: number;
  eps: number;
  /** lr / (1 − β1ᵗ). */
  stepSize: number;
}

/**
 * The native weighted cross-entropy (lib/train/loss.ts uses it when installed): inputs {logits [N, V] float32,
 * targets [N] int32, weights [N] float32}, outputs [lse [N], value []]; the gradient kernel takes
 * {logits, lse, targets, weights, dy} and returns dlogits. Rows of weight 0 cost nothing.
 */
export const CE_KERNEL = "MolabCrossEntropy";
export const CE_GRAD_KERNEL = "MolabCrossEntropyGrad";

/**
 * The native RMSNorm over the last axis (lib/model/llama.ts uses it when installed): inputs {x float32 [..., n],
 * w [n]}, attr eps, outputs [y, r] (r = 1/√(mean(x²) + eps) per row, saved for the gradient); the gradient kernel
 * takes {x, w, r, dy} and returns [dx, dw].
 */
export const RMSNORM_KERNEL = "MolabRmsNorm";
export const RMSNORM_GRAD_KERNEL = "MolabRmsNormGrad";

let installed = false;

/** Replace the wasm BatchMatMul and _FusedMatMul kernels by native ones (once per process). Returns whether active. */
export function installNativeKernels(tf: TF): boolean {
  if (tf.getBackend() !== "wasm") return false;
  const m = nativeAddon();
  if (!m) return false;
  if (installed) return true;
  const origMM = tf.getKernel("BatchMatMul", "wasm");
  const origFused = tf.getKernel("_FusedMatMul", "wasm");
  if (!origMM || !origFused) return false;
  installed = true;
  const register = (orig: tfc.KernelConfig, kernelFunc: tfc.KernelFunc) => {
    if ((orig as unknown as Record<string, unknown>)[NATIVE_MARK]) return;
    tf.unregisterKernel(orig.kernelName, "wasm");
    tf.registerKernel({ ...orig, kernelFunc, [NATIVE_MARK]: true } as tfc.KernelConfig);
  };
  register(origMM, (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    const r = nativeMatMul(tf, m, args.backend as unknown as WasmHeapBackend, {
      a: args.inputs.a as Info,
      b: args.inputs.b as Info,
      transposeA,
      transposeB,
    });
    return r ?? origMM.kernelFunc(args);
  });
  register(origFused, (args) => {
    const at = args.attrs as { transposeA: boolean; transposeB: boolean; activation: string; leakyreluAlpha?: number };
    const r = args.inputs.preluActivationWeights
      ? undefined
      : nativeMatMul(tf, m, args.backend as unknown as WasmHeapBackend, {
          a: args.inputs.a as Info,
          b: args.inputs.b as Info,
          transposeA: at.transposeA,
          transposeB: at.transposeB,
          bias: args.inputs.bias as Info | undefined,
          activation: at.activation,
          alpha: at.leakyreluAlpha,
        });
    return r ?? origFused.kernelFunc(args);
  });
  // Elementwise float32 kernels: y = f(x) natively, anything else to the kernel replaced.
  const unary = (name: string, f: (heap: ArrayBuffer, xOff: number, yOff: number, n: number) => void) => {
    const orig = tf.getKernel(name, "wasm");
    if (!orig) return;
    register(orig, (args) => {
      const x = args.inputs.x as Info;
      if (x.dtype !== "float32") return orig.kernelFunc(args);
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput(x.shape, "float32");
      const n = size(x.shape);
      if (n) f(heap(backend), offsetOf(backend, x), offsetOf(backend, out), n);
      return out;
    });
  };
  unary("Exp", m.exp);
  const origSoftmax = tf.getKernel("Softmax", "wasm");
  if (origSoftmax) {
    register(origSoftmax, (args) => {
      const x = args.inputs.logits as Info;
      const dim = (args.attrs as { dim: number }).dim;
      const cols = x.shape[x.shape.length - 1] ?? 1;
      if (x.dtype !== "float32" || x.shape.length === 0 || (dim !== -1 && dim !== x.shape.length - 1))
        return origSoftmax.kernelFunc(args);
      const backend = args.backend as unknown as WasmHeapBackend;
      const out = backend.makeOutput(x.shape, "float32");
      const n = size(x.shape);
      if (n) m.softmax(heap(backend), offsetOf(backend, x), offsetOf(backend, out), n / cols, cols);
      return out;
    });
  }
  unary("Sigmoid", m.sigmoid);
  // Kernels of our own (no tfjs kernel computes these): `off` gives a tensor's byte offset in the heap; outputs are
  // made before `heap` is read.
  const own = (
    kernelName: string,
    f: (backend: WasmHeapBackend, off: (t: Info) => number, args: Parameters<tfc.KernelFunc>[0]) => Info | Info[],
  ) => {
    if (tf.getKernel(kernelName, "wasm")) return;
    tf.registerKernel({
      kernelName,
      backendName: "wasm",
      kernelFunc: (args) => {
        const backend = args.backend as unknown as WasmHeapBackend;
        return f(backend, (t) => offsetOf(backend, t), args);
      },
    });
  };
  // one AdamW update per parameter instead of ~12 elementwise ops
  own(ADAMW_KERNEL, (backend, off, args) => {
    const { p, g, m: mt, v } = args.inputs as Record<string, Info>;
    const at = args.attrs as unknown as AdamWAttrs;
    const outs = [0, 1, 2].map(() => backend.makeOutput(p.shape, "float32"));
    const n = size(p.shape);
    if (n) {
      const [np, nm, nv] = outs.map(off);
      m.adamw(
        heap(backend),
        off(p),
        off(g),
        off(mt),
        off(v),
        np,
        nm,
        nv,
        n,
        at.keep,
        at.oneMinusBeta1,
        at.beta2,
        at.oneMinusBeta2,
        at.bc2Sqrt,
        at.eps,
        at.stepSize,
      );
    }
    return outs;
  });
  own(CE_KERNEL, (backend, off, args) => {
    const { logits, targets, weights } = args.inputs as Record<string, Info>;
    const [N, V] = logits.shape;
    const lse = backend.makeOutput([N], "float32");
    const value = backend.makeOutput([], "float32");
    m.ceForward(heap(backend), off(logits), off(targets), off(weights), off(lse), off(value), N, V);
    return [lse, value];
  });
  own(CE_GRAD_KERNEL, (backend, off, args) => {
    const { logits, lse, targets, weights, dy } = args.inputs as Record<string, Info>;
    const [N, V] = logits.shape;
    const dx = backend.makeOutput([N, V], "float32");
    m.ceGrad(heap(backend), off(logits), off(lse), off(targets), off(weights), off(dy), off(dx), N, V);
    return dx;
  });
  own(RMSNORM_KERNEL, (backend, off, args) => {
    const { x, w } = args.inputs as Record<string, Info>;
    const n = w.shape[0];
    const rows = size(x.shape) / n;
    const y = backend.makeOutput(x.shape, "float32");
    const r = backend.makeOutput([rows], "float32");
    const eps = (args.attrs as { eps: number }).eps;
    if (rows) m.rmsNorm(heap(backend), off(x), off(w), off(y), off(r), rows, n, eps);
    return [y, r];
  });
  own(RMSNORM_GRAD_KERNEL, (backend, off, args) => {
    const { x, w, r, dy } = args.inputs as Record<string, Info>;
    const n = w.shape[0];
    const rows = size(x.shape) / n;
    const dx = backend.makeOutput(x.shape, "float32");
    const dw = backend.makeOutput([n], "float32");
    m.rmsNormGrad(heap(backend), off(x), off(w), off(r), off(dy), off(dx), off(dw), rows, n);
    return [dx, dw];
  });
  const origTopK = tf.getKernel("TopK", "wasm");
  if (origTopK) {
    register(origTopK, (args) => {
      const x = args.inputs.x as Info;
      const { k, sorted } = args.attrs as { k: number; sorted: boolean };
      if (x.dtype !== "float32" || x.shape.length === 0 || !sorted) return origTopK.kernelFunc(args);
      const n = x.shape[x.shape.length - 1];
      const rows = size(x.shape) / n;
      const backend = args.backend as unknown as WasmHeapBackend;
      const outShape = [...x.shape.slice(0, -1), k];
      const values = backend.makeOutput(outShape, "float32");
      const indices = backend.makeOutput(outShape, "int32");
      if (rows * k === 0) return [values, indices];
      const off = (t: Info) => offsetOf(backend, t);
      if (m.topk(heap(backend), off(x), off(values), off(indices), rows, n, k)) return [values, indices];
      backend.disposeData(values.dataId);
      backend.disposeData(indices.dataId);
      return origTopK.kernelFunc(args);
    });
  }
  const origIdentity = tf.getKernel("Identity", "wasm");
  if (origIdentity) {
    register(origIdentity, (args) => {
      const x = args.inputs.x as Info;
      if (x.dtype === "string") return origIdentity.kernelFunc(args);
      (args.backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    });
  }
  return true;
}
