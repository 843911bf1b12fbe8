/**
 * The safetensors header: its dtypes, and the parser that validates a header before any tensor is read (offsets
 * inside the file, sizes matching dtype × shape, no overlaps, no name declared twice). lib/io/safetensors.ts reads
 * the tensors.
 */
import { MolabError } from "../errors.ts";

export type StDtype = "F64" | "F32" | "F16" | "BF16" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

export const ST_ITEMSIZE: Record<StDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export interface StTensorInfo {
  name: string;
  dtype: StDtype;
  shape: number[];
  byteLength: number;
  /** File that holds the tensor. */
  file: string;
}

export const MAX_HEADER = 100 * 1024 * 1024;
export interface Entry extends StTensorInfo {
  begin: number; // absolute file offset
  end: number;
}

export function bad(file: string, why: string): MolabError {
  return new MolabError(`${file}: not a valid safetensors file: ${why}`);
}

/**
 * JSON.parse keeps the last of two equal keys; a header naming one tensor twice is ambiguous. Returns a key that
 * occurs twice at the top level of the (already valid) JSON object `text`, when it has more keys than `unique`.
 */
function duplicateTopLevelKey(text: string, unique: number): string | undefined {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      let k = j + 1;
      while (/\s/.test(text[k] ?? "")) k++;
      if (depth === 1 && text[k] === ":") keys.push(JSON.parse(text.slice(i, j + 1)));
      i = j;
    }
  }
  if (keys.length <= unique) return undefined;
  const seen = new Set<string>();
  return keys.find((k) => (seen.has(k) ? true : (seen.add(k), false)));
}

/** Parse and validate a header. `fileSize` is the whole file's size. */
export function parseHeader(
  file: string,
  buf: Uint8Array,
  n: number,
  fileSize: number,
): { entries: Map<string, Entry>; metadata: Record<string, string> } {
  let json: unknown;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf);
    json = JSON.parse(text);
  } catch (e) {
    throw bad(file, `header is not JSON (${(e as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw bad(file, "header is not a JSON object");
  const dup = duplicateTopLevelKey(text, Object.keys(json).length);
  if (dup !== undefined) throw bad(file, `tensor ${JSON.stringify(dup)} is declared twice in the header`);
  const dataStart = 8 + n;
  const dataLen = fileSize - dataStart;
  const entries = new Map<string, Entry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        throw bad(file, "__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(raw))
        if (typeof v !== "string") throw bad(file, `__metadata__.${k} must be a string`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const r = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof r !== "object" || r === null) throw bad(file, `tensor "${name}": entry is not an object`);
    if (typeof r.dtype !== "string" || !(r.dtype in ST_ITEMSIZE)) {
      throw bad(
        file,
        `tensor "${name}": unknown dtype ${JSON.stringify(r.dtype)} (expected one of ${Object.keys(ST_ITEMSIZE).join(", ")})`,
      );
    }
    const dtype = r.dtype as StDtype;
    if (!Array.isArray(r.shape) || !r.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw bad(
        file,
        `tensor "${name}": shape must be a list of non-negative integers, got ${JSON.stringify(r.shape)}`,
      );
    }
    const off = r.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isInteger(d) && d >= 0) ||
      off[1] < off[0]
    ) {
      throw bad(
        file,
        `tensor "${name}": data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`,
      );
    }
    const shape = r.shape as number[];
    const numel = shape.reduce((a, b) => a * b, 1);
    const byteLength = off[1] - off[0];
    if (byteLength !== numel * ST_ITEMSIZE[dtype]) {
      throw bad(
        file,
        `tensor "${name}": data_offsets span ${byteLength} bytes but ${dtype}${JSON.stringify(shape)} needs ${numel * ST_ITEMSIZE[dtype]}`,
      );
    }
    if (off[1] > dataLen) {
      throw bad(
        file,
        `tensor "${name}": data_offsets [${off[0]}, ${off[1]}] run past the end of the data (${dataLen} bytes; file truncated?)`,
      );
    }
    entries.set(name, { name, dtype, shape, byteLength, file, begin: dataStart + off[0], end: dataStart + off[1] });
  }
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].begin < sorted[i - 1].end)
      throw bad(file, `tensors "${sorted[i - 1].name}" and "${sorted[i].name}" overlap`);
  }
  return { entries, metadata };
}
