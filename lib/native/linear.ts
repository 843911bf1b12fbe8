/**
 * Frozen projections whose weights live in native memory (f32, or bf16 widened to f32 as they are used), outside the
 * 4 GiB wasm32 heap: `FrozenLinear.apply(x)` is y = x·Wᵀ (+ bias) with W in Hugging Face layout [out, in], a tfjs
 * op on wasm tensors (x and y stay in the heap, read and written in place) whose gradient reaches x — so LoRA deltas,
 * activations and optimizer state remain ordinary tfjs tensors while the base weights never enter the heap.
 * `gather(ids)` reads rows (an embedding lookup on the same weight: tied embeddings serve both ways).
 */
import type * as tfc from "@tensorflow/tfjs-core";
import { nativeAddon, type NativeAddon, type NativeWeightHandle } from "./addon.ts";
import { offsetOf, type WasmHeapBackend } from "./kernels.ts";

type TF = typeof tfc;
const LINEAR = "MolabNativeLinear";
const GATHER = "MolabNativeGather";

const handles = new Map<number, FrozenLinear>();
let nextId = 1;
let registered: TF | undefined;

function register(tf: TF, m: NativeAddon): void {
  if (registered) return;
  registered = tf;
  tf.registerKernel({
    kernelName: LINEAR,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmHeapBackend;
      const { id, transposed, bias } = attrs as unknown as { id: number; transposed: boolean; bias: boolean };
      const w = handles.get(id);
      if (!w || !w.handle) throw new Error(`${LINEAR}: weight ${id} was disposed`);
      const x = inputs.x as tfc.TensorInfo;
      const inF = transposed ? w.inFeatures : w.outFeatures;
      const outF = transposed ? w.outFeatures : w.inFeatures;
      const M = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
      if (x.shape[x.shape.length - 1] !== inF || x.dtype !== "float32")
        throw new Error(`${LINEAR}: input [${x.shape}] ${x.dtype}, expected [..., ${inF}] float32`);
      const out = b.makeOutput([...x.shape.slice(0, -1), outF], "float32");
      const biasInfo = bias ? (inputs.bias as tfc.TensorInfo) : undefined;
      m.linear(
        b.wasm.HEAPU8.buffer as ArrayBuffer,
        offsetOf(b, x),
        M,
        w.handle,
        offsetOf(b, out),
        transposed,
        biasInfo ? offsetOf(b, biasInfo) : -1,
      );
      return out;
    },
  });
  tf.registerGradient({
    kernelName: LINEAR,
    inputsToSave: [],
    gradFunc: (dy, _saved, attrs) => {
      const { id, transposed } = attrs as unknown as { id: number; transposed: boolean };
      return {
        x: () =>
          tf.engine().runKernel(LINEAR, { x: dy as tfc.Tensor }, {
            id,
            transposed: !transposed,
            bias: false,
          } as unknown as tfc.NamedAttrMap) as tfc.Tensor,
        bias: () => tf.sum(dy as tfc.Tensor, [...Array((dy as tfc.Tensor).rank - 1).keys()]),
      };
    },
  });
  tf.registerKernel({
    kernelName: GATHER,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmHeapBackend;
      const w = handles.get((attrs as unknown as { id: number }).id);
      if (!w || !w.handle) throw new Error(`${GATHER}: weight was disposed`);
      const ids = inputs.ids as tfc.TensorInfo;
      const n = ids.shape.reduce((p, q) => p * q, 1);
      const out = b.makeOutput([...ids.shape, w.inFeatures], "float32");
      if (n) m.gather(b.wasm.HEAPU8.buffer as ArrayBuffer, offsetOf(b, ids), n, w.handle, offsetOf(b, out));
      return out;
    },
  });
}

/** A frozen [out, in] weight in native memory. */
export class FrozenLinear {
  readonly id = nextId++;
  handle: NativeWeightHandle | undefined;
  constructor(
    private tf: TF,
    private m: NativeAddon,
    handle: NativeWeightHandle,
    readonly outFeatures: number,
    readonly inFeatures: number,
    readonly store: "f32" | "bf16",
  ) {
    this.handle = handle;
    handles.set(this.id, this);
    register(tf, m);
  }

  get bytes(): number {
    return this.outFeatures * this.inFeatures * (this.store === "bf16" ? 2 : 4);
  }

  /** y = x·Wᵀ (+ bias): x [..., in] → [..., out]. Differentiable in x (and bias). */
  apply(x: tfc.Tensor, bias?: tfc.Tensor): tfc.Tensor {
    const inputs: Record<string, tfc.Tensor> = bias ? { x, bias } : { x };
    return this.tf.engine().runKernel(LINEAR, inputs, {
      id: this.id,
      transposed: true,
      bias: !!bias,
    } as unknown as tfc.NamedAttrMap) as tfc.Tensor;
  }

  /** Rows of W as float32: int32 ids [...] → [..., in] (an embedding lookup; no gradient). */
  gather(ids: tfc.Tensor): tfc.Tensor {
    return this.tf.engine().runKernel(GATHER, { ids }, { id: this.id } as unknown as tfc.NamedAttrMap) as tfc.Tensor;
  }

  dispose(): void {
    if (this.handle) this.m.weightFree(this.handle);
    this.handle = undefined;
    handles.delete(this.id);
  }
}

/** Native storage for frozen weights: the addon, or an error saying why there is none. */
export function requireAddon(tf: TF): NativeAddon {
  const m = nativeAddon();
  if (!m || tf.getBackend() !== "wasm")
    throw new Error("frozen native weights need the native addon on the wasm backend (molab info says why it is off)");
  return m;
}
