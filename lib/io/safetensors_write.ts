/**
 * Writing safetensors: tensors sorted by name, optional `__metadata__`, header padded to 8 bytes,
 * streamed tensor by tensor to a temp file that is renamed into place (see ./safetensors.ts for the format).
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { writeAtomicWith } from "./atomic.ts";
import { f32ArrayToBf16, f32ArrayToF16 } from "./half.ts";
import { ST_ITEMSIZE, type StDtype } from "./safetensors_header.ts";

/** A tensor to write: a tfjs tensor, or raw data with an explicit safetensors dtype. */
export type StWritable = tf.Tensor | { dtype: StDtype; shape: number[]; data: ArrayBufferView };

export interface WriteOptions {
  metadata?: Record<string, string>;
  /** Store float32 tensors as this dtype (default F32). */
  floatDtype?: "F32" | "F16" | "BF16";
}

async function toBytes(
  t: StWritable,
  floatDtype: "F32" | "F16" | "BF16",
): Promise<{ dtype: StDtype; shape: number[]; bytes: Uint8Array }> {
  if (!(t instanceof tf.Tensor)) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    return { dtype: t.dtype, shape: t.shape, bytes };
  }
  const data = await t.data();
  if (t.dtype === "float32") {
    const f = data as Float32Array;
    if (floatDtype === "F16") return { dtype: "F16", shape: t.shape, bytes: new Uint8Array(f32ArrayToF16(f).buffer) };
    if (floatDtype === "BF16")
      return { dtype: "BF16", shape: t.shape, bytes: new Uint8Array(f32ArrayToBf16(f).buffer) };
    return { dtype: "F32", shape: t.shape, bytes: new Uint8Array(f.buffer, f.byteOffset, f.byteLength) };
  }
  if (t.dtype === "int32")
    return { dtype: "I32", shape: t.shape, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  if (t.dtype === "bool") return { dtype: "BOOL", shape: t.shape, bytes: Uint8Array.from(data as Uint8Array) };
  throw new MolabError(`cannot write a ${t.dtype} tensor to safetensors`);
}

/**
 * Write tensors (sorted by name) with optional `__metadata__`, atomically, one tensor at a time.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference implementation does.
 */
export async function writeSafetensors(
  file: string,
  tensors: Record<string, StWritable>,
  opts: WriteOptions = {},
): Promise<void> {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length) header.__metadata__ = opts.metadata;
  let offset = 0;
  const plan: { name: string; dtype: StDtype; shape: number[]; len: number }[] = [];
  for (const name of names) {
    const t = tensors[name];
    const dtype: StDtype =
      t instanceof tf.Tensor
        ? t.dtype === "float32"
          ? (opts.floatDtype ?? "F32")
          : t.dtype === "int32"
            ? "I32"
            : "BOOL"
        : t.dtype;
    const numel = t.shape.reduce((a, b) => a * b, 1);
    const len = numel * ST_ITEMSIZE[dtype];
    if (!(t instanceof tf.Tensor) && t.data.byteLength !== len) {
      throw new MolabError(
        `writeSafetensors ${file}: tensor "${name}" has ${t.data.byteLength} bytes, ${dtype}${JSON.stringify(t.shape)} needs ${len}`,
      );
    }
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    plan.push({ name, dtype, shape: t.shape, len });
    offset += len;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const len8 = Buffer.alloc(8);
  len8.writeBigUInt64LE(BigInt(json.length));
  await writeAtomicWith(file, async (fh) => {
    await fh.write(len8);
    await fh.write(json);
    for (const p of plan) {
      const { bytes } = await toBytes(tensors[p.name], opts.floatDtype ?? "F32");
      await fh.write(bytes);
    }
  });
}
