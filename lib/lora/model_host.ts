/**
 * lib/model's decoder as a LoraHost: its linears are named by HF module name in `model.linears`,
 * an attached `linear.lora` delta is added in the forward (fused q/k/v included), and merging
 * writes scale·B·A into the projection's columns of the (pre-transposed, fused) weight.
 */
import * as path from "node:path";
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import { addToLinearWeight } from "../model/edit.ts";
import { forward, type Model } from "../model/llama.ts";
import { loadModel } from "../model/load.ts";
import type { LoraDelta, LoraHost } from "./host.ts";

/** Wrap a loaded model. `nameOrPath` is what adapters record as base_model_name_or_path. */
export function modelHost(model: Model, nameOrPath?: string): LoraHost & { model: Model } {
  const names = [...model.linears.keys()];
  const get = (name: string) => {
    const l = model.linears.get(name);
    check(l, () => `the model has no linear named ${name} (e.g. ${names.slice(0, 3).join(", ")})`);
    return l;
  };
  return {
    model,
    nameOrPath,
    linearNames: () => names,
    linearShape: (name) => {
      const l = get(name);
      return [l.outFeatures, l.inFeatures];
    },
    setLora: (name, d: LoraDelta | undefined) => {
      const l = get(name);
      if (d) l.lora = d;
      else delete l.lora;
    },
    addToWeight: (name, delta) => addToLinearWeight(model, name, delta),
    forward: (ids, opts) => forward(model, ids, { training: opts?.training, positions: opts?.positions }) as tf.Tensor,
  };
}

/** Load a model directory and wrap it (the directory's base name is recorded as the base model). */
export async function loadHost(dir: string): Promise<LoraHost & { model: Model }> {
  return modelHost(await loadModel(dir), path.basename(path.resolve(dir)));
}
