/**
 * Every patch molab makes to the tfjs wasm backend (4.22), in one place; `installWasmKernels()` installs them, and
 * lib/backend.ts's `initBackend()` calls it once when the wasm backend becomes active (nothing else needs to).
 *  - Faster `Slice`, `SplitV`, `Unpack` and `GatherV2` (below).
 *  - `BatchMatMul` without the naive transposed paths, and the missing `UnsortedSegmentSum` (gather's
 *    gradient), which make LoRA and full-parameter training practical (end of the file).
 *
 * The stock wasm Slice (tfjs 4.22) copies the WHOLE input tensor out of the wasm heap (`readSync`) for every
 * slice, so splitting a fused q/k/v projection or unstacking heads costs O(input) per piece. These versions move
 * only the requested rows, inside the heap. Semantics are unchanged (same outputs,
 * same dtypes); gradients are unaffected (they are defined on the ops, not the kernels).
 *
 * `installWasmKernels()` is idempotent and does nothing off the wasm backend.
 *
 * This file sits on the ground floor beside lib/backend.ts, which imports it; it takes tfjs-core directly rather than
 * through lib/backend.ts so the two do not import each other.
 */
import * as tf from "@tensorflow/tfjs-core";

type Info = { dataId: object; shape: number[]; dtype: tf.DataType };
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  dataIdMap: { get(id: object): { memoryOffset: number } };
  wasm: { HEAPU8: Uint8Array };
}

let installed = false;

function sliceInto(backend: WasmBackendLike, x: Info, begin: number[], size: number[]): Info {
  const out = backend.makeOutput(size, x.dtype);
  const n = size.reduce((a, b) => a * b, 1);
  if (n === 0) return out;
  // One view of the whole heap, taken after makeOutput (a malloc may grow, and so replace, the heap buffer);
  // rows move with copyWithin (a memmove, no per-row allocation).
  const item = x.dtype === "bool" ? 1 : 4;
  const heap = item === 1 ? backend.wasm.HEAPU8 : new Int32Array(backend.wasm.HEAPU8.buffer);
  const xBase = backend.dataIdMap.get(x.dataId).memoryOffset / item;
  let o = backend.dataIdMap.get(out.dataId).memoryOffset / item;
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  // Collapse the trailing dims that are taken whole into one contiguous run.
  let inner = rank - 1;
  while (inner > 0 && begin[inner] === 0 && size[inner] === x.shape[inner]) inner--;
  const run = size.slice(inner).reduce((a, b) => a * b, 1);
  const outer = size.slice(0, inner);
  const idx = new Array<number>(inner).fill(0);
  const count = outer.reduce((a, b) => a * b, 1);
  for (let c = 0; c < count; c++) {
    let off = xBase + begin[inner] * strides[inner];
    for (let d = 0; d < inner; d++) off += (begin[d] + idx[d]) * strides[d];
    heap.copyWithin(o, off, off + run);
    o += run;
    for (let d = inner - 1; d >= 0; d--) {
      if (++idx[d] < outer[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** Replace the wasm Slice/SplitV/Unpack/GatherV2 kernels by heap-view versions (once per process). */
function installFastSlice(): void {
  if (installed) return;
  installed = true;
  const orig = {
    Slice: tf.getKernel("Slice", "wasm"),
    SplitV: tf.getKernel("SplitV", "wasm"),
    Unpack: tf.getKernel("Unpack", "wasm"),
    GatherV2: tf.getKernel("GatherV2", "wasm"),
  };
  if (!orig.Slice || !orig.SplitV || !orig.Unpack) return;
  const replace = (name: "Slice" | "SplitV" | "Unpack" | "GatherV2", kernelFunc: tf.KernelFunc) => {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel({ ...orig[name]!, kernelFunc });
  };
  replace("Slice", (args) => {
    const x = args.inputs.x as unknown as Info;
    if (x.dtype === "string") return orig.Slice!.kernelFunc(args);
    const [b, s] = tf.slice_util.parseSliceParams(
      x as unknown as tf.TensorInfo,
      args.attrs!.begin as number[],
      args.attrs!.size as number[],
    );
    return sliceInto(args.backend as unknown as WasmBackendLike, x, b, s) as unknown as tf.TensorInfo;
  });
  replace("SplitV", (args) => {
    const x = args.inputs.x as unknown as Info;
    if (x.dtype === "string") return orig.SplitV!.kernelFunc(args);
    const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(
      x as unknown as tf.Tensor,
      args.attrs!.numOrSizeSplits as number[],
      axis,
    );
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((n) => {
      const size = x.shape.slice();
      size[axis] = n;
      const r = sliceInto(args.backend as unknown as WasmBackendLike, x, begin.slice(), size);
      begin[axis] += n;
      return r as unknown as tf.TensorInfo;
    });
  });
  replace("Unpack", (args) => {
    const x = args.inputs.value as unknown as Info;
    if (x.dtype === "string") return orig.Unpack!.kernelFunc(args);
    let axis = args.attrs!.axis as number;
    if (axis < 0) axis += x.shape.length;
    const outShape = x.shape.filter((_, i) => i !== axis);
    const size = x.shape.slice();
    size[axis] = 1;
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < x.shape[axis]; i++) {
      const begin = new Array<number>(x.shape.length).fill(0);
      begin[axis] = i;
      const r = sliceInto(args.backend as unknown as WasmBackendLike, x, begin, size);
      outs.push({ dataId: r.dataId as tf.DataId, dtype: r.dtype, shape: outShape } as tf.TensorInfo);
    }
    return outs;
  });
  // Gather copies whole rows with copyWithin (the stock kernel moves one element at a time: 7 ms for an 8×128-token
  // embedding lookup of width 256). Only batchDims 0; indices out of range go to the stock kernel.
  const gather = orig.GatherV2;
  if (gather)
    replace("GatherV2", (args) => {
      const x = args.inputs.x as unknown as Info;
      const ids = args.inputs.indices as unknown as Info;
      const batchDims = (args.attrs!.batchDims as number) ?? 0;
      if (x.dtype === "string" || x.dtype === "bool" || ids.dtype !== "int32" || batchDims !== 0)
        return gather.kernelFunc(args);
      const backend = args.backend as unknown as WasmBackendLike;
      const axis = tf.util.parseAxisParam(args.attrs!.axis as number, x.shape)[0];
      const outer = x.shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const rows = x.shape[axis];
      const inner = x.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const n = ids.shape.reduce((a, b) => a * b, 1);
      const idView = new Int32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(ids.dataId).memoryOffset, n);
      for (let j = 0; j < n; j++) if (idView[j] < 0 || idView[j] >= rows) return gather.kernelFunc(args);
      const out = backend.makeOutput([...x.shape.slice(0, axis), ...ids.shape, ...x.shape.slice(axis + 1)], x.dtype);
      if (outer * n * inner === 0) return out as unknown as tf.TensorInfo;
      // Views taken after makeOutput (its malloc may have replaced the heap buffer).
      const heap = new Int32Array(backend.wasm.HEAPU8.buffer);
      const idx = new Int32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(ids.dataId).memoryOffset, n);
      const xBase = backend.dataIdMap.get(x.dataId).memoryOffset / 4;
      let o = backend.dataIdMap.get(out.dataId).memoryOffset / 4;
      for (let b = 0; b < outer; b++) {
        const base = xBase + b * rows * inner;
        if (inner === 1) {
          // single elements (a gather along the last axis, e.g. a tied [hidden, vocab] embedding): a plain loop
          for (let j = 0; j < n; j++) heap[o++] = heap[base + idx[j]];
          continue;
        }
        for (let j = 0; j < n; j++, o += inner) {
          const from = base + idx[j] * inner;
          heap.copyWithin(o, from, from + inner);
        }
      }
      return out as unknown as tf.TensorInfo;
    });
}

/**
 * A float32 tensor written in place: on wasm the tensor is allocated in the heap first and filled through a view
 * (no JavaScript-side copy of it ever exists); elsewhere through a JavaScript array. Call `view()` again after any
 * `await` (an allocation may have replaced the heap buffer), then `finish()`; `abort()` frees it on error.
 */
export interface TensorFill {
  view(): Float32Array;
  finish(): tf.Tensor;
  abort(): void;
}

export function fillTensor(shape: number[]): TensorFill {
  const n = shape.reduce((a, b) => a * b, 1);
  if (tf.getBackend() !== "wasm") {
    const data = new Float32Array(n);
    return { view: () => data, finish: () => tf.tensor(data, shape, "float32"), abort: () => undefined };
  }
  const backend = tf.backend() as unknown as WasmBackendLike & { disposeData(id: object): void };
  const info = backend.makeOutput(shape, "float32");
  return {
    view: () => new Float32Array(backend.wasm.HEAPU8.buffer, backend.dataIdMap.get(info.dataId).memoryOffset, n),
    finish: () => tf.engine().makeTensorFromTensorInfo(info as unknown as tf.TensorInfo),
    abort: () => backend.disposeData(info.dataId),
  };
}

type KInfo = tf.TensorInfo;
interface WasmTrainBackend {
  disposeData(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): KInfo;
  typedArrayFromHeap(t: KInfo): tf.TypedArray;
}

/**
 * `BatchMatMul` without the slow paths: the stock kernel reaches XNNPACK only for un-transposed operands; with
 * `transposeA`/`transposeB` (every matmul gradient: dA = dC·Bᵀ, dB = Aᵀ·dC) it runs a naive loop 8–30× slower.
 * This transposes the operand explicitly (a cheap copy) and calls the stock kernel without flags: the same product.
 */
function fastMatMul(orig: tf.KernelConfig, transpose: tf.KernelConfig): tf.KernelFunc {
  const swapLast = (rank: number) => {
    const p = [...Array(rank).keys()];
    [p[rank - 1], p[rank - 2]] = [p[rank - 2], p[rank - 1]];
    return p;
  };
  return (args) => {
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return orig.kernelFunc(args);
    const backend = args.backend as unknown as WasmTrainBackend;
    const temps: KInfo[] = [];
    const t = (x: KInfo): KInfo => {
      const y = transpose.kernelFunc({
        inputs: { x },
        backend: args.backend,
        attrs: { perm: swapLast(x.shape.length) },
      }) as KInfo;
      temps.push(y);
      return y;
    };
    const a = args.inputs.a as KInfo;
    const b = args.inputs.b as KInfo;
    try {
      return orig.kernelFunc({
        inputs: { a: transposeA ? t(a) : a, b: transposeB ? t(b) : b },
        backend: args.backend,
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      });
    } finally {
      for (const x of temps) backend.disposeData(x.dataId);
    }
  };
}

/**
 * `UnsortedSegmentSum`, which wasm lacks: the gradient of `gather`, so embedding lookups train on wasm.
 * out[s] = Σ_{i: ids[i] = s} x[i] over the leading dimensions (ids outside [0, numSegments) are dropped, as in TF).
 */
const segmentSum: tf.KernelFunc = (args) => {
  const backend = args.backend as unknown as WasmTrainBackend;
  const x = args.inputs.x as KInfo;
  const ids = args.inputs.segmentIds as KInfo;
  const numSegments = (args.attrs as { numSegments: number }).numSegments;
  const n = ids.shape.reduce((a, b) => a * b, 1);
  const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
  const out = backend.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
  // Views after makeOutput: a malloc may grow (and so detach) the heap.
  const xv = backend.typedArrayFromHeap(x);
  const iv = backend.typedArrayFromHeap(ids);
  const ov = backend.typedArrayFromHeap(out);
  ov.fill(0);
  for (let i = 0; i < n; i++) {
    const s = iv[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * inner;
    const xi = i * inner;
    for (let j = 0; j < inner; j++) ov[o + j] += xv[xi + j];
  }
  return out;
};

let stockMatMul = false;
let trainInstalled = false;
/** The stock BatchMatMul while the transpose-free one is registered in its place. */
let replacedMatMul: tf.KernelConfig | undefined;

/**
 * For measurements only: use the stock BatchMatMul (slow transposed paths) from now on. Callable before or after
 * `initBackend()`: if the transpose-free kernel is already registered, the stock one is put back.
 */
export function keepStockMatMul(): void {
  stockMatMul = true;
  if (replacedMatMul) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel(replacedMatMul);
    replacedMatMul = undefined;
  }
}

/**
 * Install every wasm kernel patch (once per process; a no-op on other backends): heap-view Slice/SplitV/Unpack,
 * the transpose-free BatchMatMul and UnsortedSegmentSum. Called by `initBackend()` when it starts the wasm backend.
 */
export function installWasmKernels(): void {
  if (tf.getBackend() !== "wasm") return;
  installFastSlice();
  if (trainInstalled) return;
  const mm = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!mm || !transpose) return;
  trainInstalled = true;
  if (!stockMatMul) {
    tf.unregisterKernel("BatchMatMul", "wasm");
    tf.registerKernel({ ...mm, kernelFunc: fastMatMul(mm, transpose) });
    replacedMatMul = mm;
  }
  if (!tf.getKernel("UnsortedSegmentSum", "wasm")) {
    tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc: segmentSum });
  }
}
