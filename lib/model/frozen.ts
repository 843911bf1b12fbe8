/**
 * Load a Hugging Face checkpoint with its frozen weights in native memory (lib/native/linear.ts): every projection,
 * the embedding and the output head are read straight from the safetensors file into native buffers (bf16 kept as
 * bf16 by default — half the bytes of f32 — or widened to f32), never passing through JavaScript or the wasm heap.
 * Only norms, biases and activations are tfjs tensors. So a model bigger than the wasm32 heap allows
 * (Qwen2.5-0.5B, Llama-3.2-1B, …) loads, generates, and trains LoRA adapters (their deltas stay tfjs tensors).
 *
 * The result is an ordinary `Model` (forward, generate, hooks, LoRA attach all work); `linearWeight`/merging in
 * lib/model/edit.ts do not (the base weights are not tensors). Free it with `disposeFrozenModel`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend, tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { openSafetensors, type TensorSource } from "../io/safetensors.ts";
import { readConfig } from "./config.ts";
import type { Block, Dense, Linear, Model } from "./llama.ts";
import { disposeModel } from "./load.ts";
import { checkTensors, rotateHalfMatrix } from "./weights.ts";
import { FrozenLinear, requireAddon } from "../native/linear.ts";

export interface FrozenLoadOptions {
  /** How projections are stored: "bf16" (default; f32 checkpoints are rounded) or "f32". */
  store?: "bf16" | "f32";
}

type SrcType = "f32" | "bf16" | "f16";
const SRC: Record<string, SrcType> = { F32: "f32", BF16: "bf16", F16: "f16" };

/** Absolute byte offsets of every tensor in a safetensors file (the 8-byte length, the JSON header, the data). */
function offsets(file: string): Map<string, number> {
  const fd = fs.openSync(file, "r");
  try {
    const len = Buffer.alloc(8);
    fs.readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const head = Buffer.alloc(n);
    fs.readSync(fd, head, 0, n, 8);
    const json = JSON.parse(head.toString("utf8")) as Record<string, { data_offsets: [number, number] }>;
    const out = new Map<string, number>();
    for (const [k, v] of Object.entries(json)) if (k !== "__metadata__") out.set(k, 8 + n + v.data_offsets[0]);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Sum of the frozen weights' native bytes. */
export function frozenBytes(model: Model): number {
  const seen = new Set<FrozenLinear>();
  const add = (f: unknown) => f instanceof FrozenLinear && seen.add(f);
  add(model.frozenEmbed);
  add(model.frozenLmHead);
  for (const b of model.blocks) for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) add(d.frozen);
  return [...seen].reduce((a, f) => a + f.bytes, 0);
}

export async function loadFrozenModel(dir: string, opts: FrozenLoadOptions = {}): Promise<Model> {
  await initBackend();
  const m = requireAddon(tf);
  const store = opts.store ?? "bf16";
  const c = readConfig(dir);
  const src: TensorSource = await openSafetensors(dir);
  const frozen: FrozenLinear[] = [];
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
  const fileOffsets = new Map<string, Map<string, number>>();
  try {
    const { prefix } = checkTensors(c, src);
    const name = (k: string) => (k.startsWith("lm_head") ? k : prefix + k);
    const locate = (k: string) => {
      const info = src.info(name(k));
      const file = path.resolve(info.file);
      if (!fileOffsets.has(file)) fileOffsets.set(file, offsets(file));
      const at = fileOffsets.get(file)!.get(name(k));
      const type = SRC[info.dtype];
      if (at === undefined || !type)
        throw new MolabError(`${file}: tensor "${name(k)}" (${info.dtype}) cannot be read natively (F32, BF16, F16)`);
      return { file, at, type, shape: info.shape };
    };
    /** Tensors [out_i, in] stacked by rows into one native [Σ out, in] weight. */
    const stacked = (keys: string[]): FrozenLinear => {
      const parts = keys.map(locate);
      const inF = parts[0].shape[1];
      const rows = parts.reduce((a, p) => a + p.shape[0], 0);
      const h = m.weightAlloc(store, rows, inF);
      const f = new FrozenLinear(tf, m, h, rows, inF, store);
      frozen.push(f);
      let r = 0;
      for (const p of parts) {
        m.weightFill(h, r, p.file, p.at, p.type, p.shape[0]);
        r += p.shape[0];
      }
      return f;
    };
    const vector = async (keys: string[], add = 0): Promise<tf.Tensor> => {
      const parts = await Promise.all(keys.map(async (k) => (await src.readArray(name(k))).data as Float32Array));
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        for (let i = 0; i < p.length; i++) out[o + i] = p[i] + add;
        o += p.length;
      }
      return keep(tf.tensor1d(out));
    };
    const g = c.gemmaNorms ? 1 : 0;
    const { hiddenSize: h, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I } = c;
    const linears = new Map<string, Linear>();
    const placeholder = () => keep(tf.zeros([0]));
    const blocks: Block[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `layers.${i}.`;
      const n = `model.layers.${i}.`;
      const dense = async (mods: string[], outs: number[], inF: number, bias: boolean): Promise<Dense> => ({
        weight: placeholder(),
        frozen: stacked(mods.map((k) => p + k + ".weight")),
        bias: bias ? await vector(mods.map((k) => p + k + ".bias")) : undefined,
        parts: mods.map((mod, j) => {
          const l: Linear = { name: n + mod, inFeatures: inF, outFeatures: outs[j] };
          linears.set(l.name, l);
          return l;
        }),
      });
      blocks.push({
        index: i,
        type: c.layerTypes[i],
        inputNorm: await vector([p + "input_layernorm.weight"], g),
        postAttnNorm: c.gemmaNorms ? await vector([p + "post_attention_layernorm.weight"], g) : undefined,
        preMlpNorm: await vector(
          [p + (c.gemmaNorms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")],
          g,
        ),
        postMlpNorm: c.gemmaNorms ? await vector([p + "post_feedforward_layernorm.weight"], g) : undefined,
        qNorm: c.qkNorm ? await vector([p + "self_attn.q_norm.weight"], g) : undefined,
        kNorm: c.qkNorm ? await vector([p + "self_attn.k_norm.weight"], g) : undefined,
        qkv: await dense(
          ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
          [H * D, KV * D, KV * D],
          h,
          c.qkvBias,
        ),
        o: await dense(["self_attn.o_proj"], [h], H * D, c.oBias),
        gate: await dense(["mlp.gate_proj"], [I], h, c.mlpBias),
        up: await dense(["mlp.up_proj"], [I], h, c.mlpBias),
        down: await dense(["mlp.down_proj"], [h], I, c.mlpBias),
      });
    }
    const embed = stacked(["embed_tokens.weight"]);
    const head = c.tieWordEmbeddings ? embed : stacked(["lm_head.weight"]);
    const finalNorm = await vector(["norm.weight"], g);
    const empty = placeholder();
    return {
      config: c,
      embed: empty,
      lmHead: empty,
      finalNorm,
      blocks,
      linears,
      rotate: rotateHalfMatrix(D),
      frozenEmbed: embed,
      frozenLmHead: head,
    };
  } catch (e) {
    tf.dispose(made);
    for (const f of frozen) f.dispose();
    throw e;
  } finally {
    await src.close();
  }
}

/** Free the model's tensors and its native weights. */
export function disposeFrozenModel(model: Model): void {
  for (const b of model.blocks)
    for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) (d.frozen as FrozenLinear | undefined)?.dispose();
  (model.frozenEmbed as FrozenLinear | undefined)?.dispose();
  (model.frozenLmHead as FrozenLinear | undefined)?.dispose();
  disposeModel(model);
}
