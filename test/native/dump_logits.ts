/**
 * Child process of model_parity.test.ts: writes, for every model fixture, the logits of its reference input and of
 * its left-padded batch (float32, concatenated) to OUT/<name>.f32, on the path MOLAB_NATIVE selects.
 *   MOLAB_NATIVE=0|1 node --import tsx test/native/dump_logits.ts OUT
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { FIXTURES, MODEL_NAMES, readReference, rows } from "../model/helpers.ts";

export async function modelLogits(name: string): Promise<Float32Array> {
  const ref = await readReference(name);
  const model = await loadModel(path.join(FIXTURES, name));
  try {
    const a = forward(model, [Array.from(ref.input_ids.data)]);
    const b = forward(model, rows(ref.batch_input_ids), { attentionMask: rows(ref.batch_attention_mask) });
    const out = new Float32Array(a.size + b.size);
    out.set(a.dataSync());
    out.set(b.dataSync(), a.size);
    tf.dispose([a, b]);
    return out;
  } finally {
    disposeModel(model);
  }
}

async function main() {
  await initBackend();
  const out = process.argv[2];
  for (const name of MODEL_NAMES) {
    const l = await modelLogits(name);
    fs.writeFileSync(path.join(out, `${name}.f32`), new Uint8Array(l.buffer, l.byteOffset, l.byteLength));
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
