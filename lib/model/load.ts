/**
 * Load a Hugging Face model directory (config.json + model.safetensors or a sharded index) into a `Model`,
 * and the reverse: export a model's weights under their Hugging Face names (for saving a trained model).
 */
import { initBackend, tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { readConfig, type ModelConfig } from "./config.ts";
import type { Model } from "./llama.ts";
import { buildModel, checkTensors } from "./weights.ts";

/** The wasm backend is wasm32: all its tensors live in one heap of at most 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;
/** Room kept for activations, the KV cache and XNNPACK's workspace. */
const WASM_MARGIN_BYTES = 256 * 2 ** 20;

export interface LoadModelOptions {
  /**
   * Refuse checkpoints whose float32 weights exceed this many bytes. Default: on wasm, whatever keeps the weights,
   * XNNPACK's packed copy of every matmul weight (made at its first use) and a margin within the 4 GiB heap —
   * about 1.8 GiB of weights; elsewhere no limit.
   */
  maxWeightBytes?: number;
}

/** Heap bytes a model needs on wasm: weights + a packed copy of the matmul weights (all but an untied embedding). */
export function wasmHeapNeed(config: ModelConfig, weightBytes: number): number {
  const gathered = config.tieWordEmbeddings ? 0 : config.vocabSize * config.hiddenSize * 4;
  return 2 * weightBytes - gathered + WASM_MARGIN_BYTES;
}

const gib = (b: number) => (b / 2 ** 30).toFixed(2);

/** Load `dir` (config.json, generation_config.json if any, safetensors weights). Checks everything before reading. */
export async function loadModel(dir: string, opts: LoadModelOptions = {}): Promise<Model> {
  await initBackend();
  const backend = tf.getBackend();
  const config = readConfig(dir);
  const src = await openSafetensors(dir);
  try {
    const { prefix, bytes } = checkTensors(config, src);
    if (opts.maxWeightBytes !== undefined && bytes > opts.maxWeightBytes) {
      throw new MolabError(
        `${dir}: the weights need ${gib(bytes)} GiB as float32, more than the ${gib(opts.maxWeightBytes)} GiB allowed (maxWeightBytes)`,
      );
    }
    if (opts.maxWeightBytes === undefined && backend === "wasm" && wasmHeapNeed(config, bytes) > WASM_HEAP_BYTES) {
      throw new MolabError(
        `${dir}: the weights need ${gib(bytes)} GiB as float32 and about ${gib(wasmHeapNeed(config, bytes))} GiB of wasm heap once XNNPACK ` +
          `packs its copy of the matmul weights; wasm32 holds at most 4 GiB (about 1.8 GiB of weights). ` +
          `Use a GPU backend (tfjs-node-gpu or webgpu) or a smaller model`,
      );
    }
    return await buildModel(config, src, prefix);
  } finally {
    await src.close();
  }
}

function tensors(model: Model): tf.Tensor[] {
  const out = new Set<tf.Tensor>([model.embed, model.lmHead, model.finalNorm, model.rotate]);
  for (const b of model.blocks) {
    for (const t of [b.inputNorm, b.postAttnNorm, b.preMlpNorm, b.postMlpNorm, b.qNorm, b.kNorm]) if (t) out.add(t);
    for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) {
      out.add(d.weight);
      if (d.bias) out.add(d.bias);
    }
  }
  return [...out];
}

/** Free every weight tensor (attached LoRA tensors belong to their owner and are left alone). */
export function disposeModel(model: Model): void {
  tf.dispose(tensors(model));
}
