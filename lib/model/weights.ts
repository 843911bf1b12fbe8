/**
 * Checkpoint tensors → `Model`: every expected tensor is checked (present, float dtype, shape) before any is read,
 * then read one at a time and written, laid out for the forward (transposed to [in, out], q/k/v fused, Gemma's
 * 1 + w folded), straight into their wasm tensors: besides the weights, only the tensor being read is in memory.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { TensorSource } from "../io/safetensors.ts";
import type { ModelConfig } from "./config.ts";
import type { Block, Dense, Linear, Model } from "./llama.ts";
import { fillTensor } from "../wasm_kernels.ts";

const FLOAT = new Set(["F32", "F16", "BF16", "F64"]);
/** Tensors some checkpoints carry that the forward recomputes. */
const IGNORABLE = [/\.rotary_emb\.inv_freq$/];

/** Expected tensor names (relative to the `model.` prefix unless they start with "lm_head") and shapes. */
export function expectedTensors(c: ModelConfig): Map<string, number[]> {
  const { hiddenSize: h, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V } = c;
  const m = new Map<string, number[]>();
  m.set("embed_tokens.weight", [V, h]);
  for (let i = 0; i < c.numLayers; i++) {
    const p = `layers.${i}.`;
    m.set(p + "input_layernorm.weight", [h]);
    m.set(p + "post_attention_layernorm.weight", [h]);
    if (c.gemmaNorms) {
      m.set(p + "pre_feedforward_layernorm.weight", [h]);
      m.set(p + "post_feedforward_layernorm.weight", [h]);
    }
    const outs: Record<string, number> = { q_proj: H * D, k_proj: KV * D, v_proj: KV * D };
    for (const [n, o] of Object.entries(outs)) {
      m.set(`${p}self_attn.${n}.weight`, [o, h]);
      if (c.qkvBias) m.set(`${p}self_attn.${n}.bias`, [o]);
    }
    m.set(p + "self_attn.o_proj.weight", [h, H * D]);
    if (c.oBias) m.set(p + "self_attn.o_proj.bias", [h]);
    if (c.qkNorm) {
      m.set(p + "self_attn.q_norm.weight", [D]);
      m.set(p + "self_attn.k_norm.weight", [D]);
    }
    for (const [n, shape] of [
      ["gate_proj", [I, h]],
      ["up_proj", [I, h]],
      ["down_proj", [h, I]],
    ] as const) {
      m.set(`${p}mlp.${n}.weight`, [...shape]);
      if (c.mlpBias) m.set(`${p}mlp.${n}.bias`, [shape[0]]);
    }
  }
  m.set("norm.weight", [h]);
  if (!c.tieWordEmbeddings) m.set("lm_head.weight", [V, h]);
  return m;
}

/** The prefix the checkpoint uses for decoder tensors ("model." or none). */
function detectPrefix(src: TensorSource): string {
  if (src.has("model.embed_tokens.weight")) return "model.";
  if (src.has("embed_tokens.weight")) return "";
  throw new MolabError(
    `${src.path}: missing tensor "model.embed_tokens.weight" (is this a decoder-only language model checkpoint?)`,
  );
}

const fileName = (k: string, prefix: string) => (k.startsWith("lm_head") ? k : prefix + k);

/** Validate names, dtypes and shapes against the config; returns float32 bytes the weights will take. */
export function checkTensors(c: ModelConfig, src: TensorSource): { prefix: string; bytes: number } {
  const prefix = detectPrefix(src);
  const expected = expectedTensors(c);
  const missing: string[] = [];
  let bytes = 0;
  for (const [k, shape] of expected) {
    const name = fileName(k, prefix);
    if (!src.has(name)) {
      missing.push(name);
      continue;
    }
    const info = src.info(name);
    if (!FLOAT.has(info.dtype))
      throw new MolabError(
        `${info.file}: tensor "${name}" has dtype ${info.dtype}; expected a float dtype (F32, F16, BF16)`,
      );
    if (info.shape.join() !== shape.join()) {
      throw new MolabError(`${info.file}: tensor "${name}" has shape [${info.shape}]; config.json implies [${shape}]`);
    }
    bytes += shape.reduce((a, b) => a * b, 1) * 4;
  }
  if (missing.length) {
    throw new MolabError(
      `${src.path}: missing tensor${missing.length > 1 ? "s" : ""} ${missing
        .slice(0, 5)
        .map((n) => `"${n}"`)
        .join(", ")}${missing.length > 5 ? ` and ${missing.length - 5} more` : ""} (model_type ${c.modelType})`,
    );
  }
  const known = new Set([...expected.keys()].map((k) => fileName(k, prefix)));
  const unknown = src
    .names()
    .filter(
      (n) => !known.has(n) && !IGNORABLE.some((r) => r.test(n)) && !(c.tieWordEmbeddings && n === "lm_head.weight"),
    );
  if (unknown.length) {
    throw new MolabError(
      `${src.path}: unexpected tensor${unknown.length > 1 ? "s" : ""} ${unknown
        .slice(0, 5)
        .map((n) => `"${n}"`)
        .join(
          ", ",
        )}${unknown.length > 5 ? ` and ${unknown.length - 5} more` : ""} for model_type ${c.modelType} (does config.json match the weights?)`,
    );
  }
  return { prefix, bytes };
}

/** dst[i, off + r] = w[r, i] for w [rows, cols] row-major, dst with `stride` columns; in 64×64 tiles (cache-friendly). */
export function transposeInto(
  w: Float32Array,
  rows: number,
  cols: number,
  dst: Float32Array,
  stride: number,
  off: number,
): void {
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let i0 = 0; i0 < cols; i0 += TILE) {
      const i1 = Math.min(cols, i0 + TILE);
      for (let i = i0; i < i1; i++) {
        const d = i * stride + off;
        for (let r = r0; r < r1; r++) dst[d + r] = w[r * cols + i];
      }
    }
  }
}

/** Reads tensors as float32 arrays and writes them, laid out for the forward, straight into their tensors. */
class Loader {
  constructor(
    private src: TensorSource,
    private prefix: string,
  ) {}

  async read(k: string): Promise<Float32Array> {
    return (await this.src.readArray(fileName(k, this.prefix))).data as Float32Array;
  }
  /** Row-major [out, in] matrices → one [in, Σ out] tensor (their transposes side by side). */
  async transposedConcat(keys: string[], outs: number[], inF: number): Promise<tf.Tensor> {
    const total = outs.reduce((a, b) => a + b, 0);
    const fill = fillTensor([inF, total]);
    try {
      let off = 0;
      for (let p = 0; p < keys.length; p++) {
        const w = await this.read(keys[p]);
        transposeInto(w, outs[p], inF, fill.view(), total, off);
        off += outs[p];
      }
    } catch (e) {
      fill.abort();
      throw e;
    }
    return fill.finish();
  }
  /** A tensor as stored. */
  async matrix(key: string, shape: number[]): Promise<tf.Tensor> {
    return tf.tensor(await this.read(key), shape, "float32");
  }
  async vector(keys: string[], add = 0): Promise<tf.Tensor> {
    const parts = await Promise.all(keys.map((k) => this.read(k)));
    const dst = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      for (let i = 0; i < p.length; i++) dst[o + i] = p[i] + add;
      o += p.length;
    }
    return tf.tensor1d(dst);
  }
}

/** rotate_half(x) = cat(−x₂, x₁) as x·R. */
export function rotateHalfMatrix(D: number): tf.Tensor {
  const r = new Float32Array(D * D);
  const half = D / 2;
  for (let j = 0; j < D; j++) {
    if (j < half) r[(j + half) * D + j] = -1;
    else r[(j - half) * D + j] = 1;
  }
  return tf.tensor2d(r, [D, D]);
}

function linear(name: string, inFeatures: number, outFeatures: number, all: Map<string, Linear>): Linear {
  const l: Linear = { name, inFeatures, outFeatures };
  all.set(name, l);
  return l;
}

/** Build the model from a checked source (see `checkTensors`). Tensors are created as read; on error, freed. */
export async function buildModel(c: ModelConfig, src: TensorSource, prefix: string): Promise<Model> {
  const { hiddenSize: h, numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I, vocabSize: V } = c;
  const ld = new Loader(src, prefix);
  const made: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => (made.push(t), t);
  const linears = new Map<string, Linear>();
  const g = c.gemmaNorms ? 1 : 0;
  try {
    // Tied: one [h, V] tensor serves as lm_head and (gathered by column) as the embedding. Untied: rows [V, h].
    const embed = keep(
      c.tieWordEmbeddings
        ? await ld.transposedConcat(["embed_tokens.weight"], [V], h)
        : await ld.matrix("embed_tokens.weight", [V, h]),
    );
    const lmHead = c.tieWordEmbeddings ? embed : keep(await ld.transposedConcat(["lm_head.weight"], [V], h));
    const blocks: Block[] = [];
    for (let i = 0; i < c.numLayers; i++) {
      const p = `layers.${i}.`;
      const n = `model.layers.${i}.`;
      const dense = async (
        keys: string[],
        outs: number[],
        inF: number,
        bias: boolean,
        names: string[],
      ): Promise<Dense> => ({
        weight: keep(
          await ld.transposedConcat(
            keys.map((k) => p + k + ".weight"),
            outs,
            inF,
          ),
        ),
        bias: bias ? keep(await ld.vector(keys.map((k) => p + k + ".bias"))) : undefined,
        parts: names.map((nm, j) => linear(n + nm, inF, outs[j], linears)),
      });
      blocks.push({
        index: i,
        type: c.layerTypes[i],
        inputNorm: keep(await ld.vector([p + "input_layernorm.weight"], g)),
        postAttnNorm: c.gemmaNorms ? keep(await ld.vector([p + "post_attention_layernorm.weight"], g)) : undefined,
        preMlpNorm: keep(
          await ld.vector(
            [p + (c.gemmaNorms ? "pre_feedforward_layernorm.weight" : "post_attention_layernorm.weight")],
            g,
          ),
        ),
        postMlpNorm: c.gemmaNorms ? keep(await ld.vector([p + "post_feedforward_layernorm.weight"], g)) : undefined,
        qNorm: c.qkNorm ? keep(await ld.vector([p + "self_attn.q_norm.weight"], g)) : undefined,
        kNorm: c.qkNorm ? keep(await ld.vector([p + "self_attn.k_norm.weight"], g)) : undefined,
        qkv: await dense(
          ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
          [H * D, KV * D, KV * D],
          h,
          c.qkvBias,
          ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"],
        ),
        o: await dense(["self_attn.o_proj"], [h], H * D, c.oBias, ["self_attn.o_proj"]),
        gate: await dense(["mlp.gate_proj"], [I], h, c.mlpBias, ["mlp.gate_proj"]),
        up: await dense(["mlp.up_proj"], [I], h, c.mlpBias, ["mlp.up_proj"]),
        down: await dense(["mlp.down_proj"], [h], I, c.mlpBias, ["mlp.down_proj"]),
      });
    }
    const finalNorm = keep(await ld.vector(["norm.weight"], g));
    return { config: c, embed, lmHead, finalNorm, blocks, linears, rotate: rotateHalfMatrix(D) };
  } catch (e) {
    tf.dispose(made);
    throw e;
  }
}
