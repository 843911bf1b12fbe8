/**
 * Editing a loaded model: make its weights trainable, read or change one projection by its Hugging Face name
 * (what merging a LoRA adapter needs), and export the weights under Hugging Face names for saving.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { Dense, Model } from "./llama.ts";

/**
 * Full-parameter training: replace every weight by a trainable tf.Variable (tied embeddings stay one variable) and
 * return them. Run the forward with `embedding: "onehot"` so the embedding gets a gradient on wasm.
 */
export function makeTrainable(model: Model): tf.Variable[] {
  const map = new Map<tf.Tensor, tf.Variable>();
  const v = <T extends tf.Tensor | undefined>(t: T): T => {
    if (!t || t instanceof tf.Variable) return t;
    let x = map.get(t);
    if (!x) {
      x = tf.variable(t, true);
      map.set(t, x);
      t.dispose();
    }
    return x as unknown as T;
  };
  const m = model as { -readonly [K in keyof Model]: Model[K] };
  m.embed = v(model.embed);
  m.lmHead = v(model.lmHead);
  m.finalNorm = v(model.finalNorm);
  for (const b of model.blocks) {
    b.inputNorm = v(b.inputNorm);
    b.postAttnNorm = v(b.postAttnNorm);
    b.preMlpNorm = v(b.preMlpNorm);
    b.postMlpNorm = v(b.postMlpNorm);
    b.qNorm = v(b.qNorm);
    b.kNorm = v(b.kNorm);
    for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) {
      d.weight = v(d.weight);
      d.bias = v(d.bias);
    }
  }
  return [...new Set(map.values())];
}

/**
 * The weights under their Hugging Face names and layouts ([out, in], q/k/v separate, Gemma norms as w, not 1 + w):
 * ready for writeSafetensors beside the model's config.json. The caller disposes the returned tensors.
 */
/** The matmul holding projection `name`, and that projection's columns in it. */
function locate(model: Model, name: string): { dense: Dense; offset: number; out: number; inF: number } {
  for (const b of model.blocks) {
    for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) {
      let offset = 0;
      for (const l of d.parts) {
        if (l.name === name) return { dense: d, offset, out: l.outFeatures, inF: l.inFeatures };
        offset += l.outFeatures;
      }
    }
  }
  throw new MolabError(`no projection named "${name}" (e.g. "model.layers.0.self_attn.q_proj"; see model.linears)`);
}

/** A copy of projection `name`'s weight in Hugging Face layout [out, in]. */
export function linearWeight(model: Model, name: string): tf.Tensor {
  const { dense, offset, out, inF } = locate(model, name);
  return tf.tidy(() => tf.transpose(tf.slice(dense.weight, [0, offset], [inF, out])));
}

/** W ← W + delta for projection `name` (delta [out, in], Hugging Face layout), e.g. merging a LoRA adapter. */
export function addToLinearWeight(model: Model, name: string, delta: tf.Tensor): void {
  const { dense, offset, out, inF } = locate(model, name);
  if (delta.shape.join() !== [out, inF].join())
    throw new MolabError(`addToLinearWeight ${name}: delta has shape [${delta.shape}], expected [${out}, ${inF}]`);
  const total = dense.weight.shape[1] as number;
  const old = dense.weight;
  const next = tf.keep(
    tf.tidy(() =>
      tf.add(
        old,
        tf.pad(tf.transpose(delta), [
          [0, 0],
          [offset, total - offset - out],
        ]),
      ),
    ),
  );
  dense.weight = old instanceof tf.Variable ? (old.assign(next), next.dispose(), old) : (old.dispose(), next);
}

export function exportWeights(model: Model): Record<string, tf.Tensor> {
  const c = model.config;
  const g = c.gemmaNorms ? 1 : 0;
  return tf.tidy(() => {
    const out: Record<string, tf.Tensor> = {};
    const norm = (t: tf.Tensor) => (g ? tf.sub(t, g) : tf.clone(t));
    out["model.embed_tokens.weight"] = c.tieWordEmbeddings ? tf.transpose(model.embed) : tf.clone(model.embed);
    if (!c.tieWordEmbeddings) out["lm_head.weight"] = tf.transpose(model.lmHead);
    out["model.norm.weight"] = norm(model.finalNorm);
    for (const b of model.blocks) {
      const p = `model.layers.${b.index}.`;
      out[p + "input_layernorm.weight"] = norm(b.inputNorm);
      if (c.gemmaNorms) {
        out[p + "post_attention_layernorm.weight"] = norm(b.postAttnNorm!);
        out[p + "pre_feedforward_layernorm.weight"] = norm(b.preMlpNorm);
        out[p + "post_feedforward_layernorm.weight"] = norm(b.postMlpNorm!);
      } else out[p + "post_attention_layernorm.weight"] = norm(b.preMlpNorm);
      if (b.qNorm && b.kNorm) {
        out[p + "self_attn.q_norm.weight"] = norm(b.qNorm);
        out[p + "self_attn.k_norm.weight"] = norm(b.kNorm);
      }
      for (const d of [b.qkv, b.o, b.gate, b.up, b.down]) {
        const ws = tf.split(
          d.weight,
          d.parts.map((x) => x.outFeatures),
          1,
        );
        const bs = d.bias
          ? tf.split(
              d.bias,
              d.parts.map((x) => x.outFeatures),
              0,
            )
          : undefined;
        d.parts.forEach((l, j) => {
          out[l.name + ".weight"] = tf.transpose(ws[j]);
          if (bs) out[l.name + ".bias"] = bs[j];
        });
      }
    }
    return out;
  });
}
