/** Shared by the model tests: fixture paths, reading references, comparing tensors. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "model");
export const MODEL_NAMES = [
  "llama",
  "llama_linear",
  "llama_bf16",
  "mistral",
  "qwen2",
  "qwen3",
  "gemma3_text",
  "gemma2",
];

export interface Reference {
  [name: string]: { data: Float32Array | Int32Array; shape: number[] };
}

/** Every tensor of a fixture's reference.safetensors as typed arrays. */
export async function readReference(name: string): Promise<Reference> {
  const src = await openSafetensors(path.join(FIXTURES, name, "reference.safetensors"));
  try {
    const out: Reference = {};
    for (const n of src.names())
      out[n] = (await src.readArray(n)) as { data: Float32Array | Int32Array; shape: number[] };
    return out;
  } finally {
    await src.close();
  }
}

/** Rows of a [R, C] typed array as number[][]. */
export function rows(r: { data: Float32Array | Int32Array; shape: number[] }): number[][] {
  const [R, C] = r.shape;
  return Array.from({ length: R }, (_, i) => Array.from(r.data.subarray(i * C, (i + 1) * C)));
}

/** max |a − b| over all elements (same length required). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A fresh temp dir removed at process exit. */
export function tempDir(prefix = "molab-model-"): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on("exit", () => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Copy a fixture model (config + weights) to a temp dir, optionally rewriting config and tensors. */
export async function copyModel(
  name: string,
  edit: { config?: (c: Record<string, unknown>) => void; tensors?: (t: Record<string, tf.Tensor>) => void } = {},
): Promise<string> {
  await initBackend();
  const dir = tempDir();
  const config = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, "config.json"), "utf8"));
  edit.config?.(config);
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const src = await openSafetensors(path.join(FIXTURES, name));
  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const n of src.names()) tensors[n] = await src.readTensor(n);
  } finally {
    await src.close();
  }
  edit.tensors?.(tensors);
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors);
  tf.dispose(Object.values(tensors));
  return dir;
}
