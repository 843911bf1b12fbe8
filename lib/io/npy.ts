/**
 * NumPy `.npy` (format 1.0–3.0, C order) and `.npz` (a zip of `.npy` members, stored or deflated,
 * zip64 tolerated) — the formats GemmaScope SAEs and numpy-made fixtures use. Never pickle:
 * object arrays are refused.
 */
import * as fsp from "node:fs/promises";
import * as zlib from "node:zlib";
import { MolabError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";

export type NpDtype = "float32" | "float64" | "int64" | "int32" | "uint8" | "bool";

/** An n-dimensional array in C order. int64 data is a BigInt64Array. */
export interface NdArray {
  dtype: NpDtype;
  shape: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;
}

const DESCR: Record<string, NpDtype> = {
  "<f4": "float32",
  "<f8": "float64",
  "<i8": "int64",
  "<i4": "int32",
  "|u1": "uint8",
  "|b1": "bool",
};
const DESCR_OF: Record<NpDtype, string> = {
  float32: "<f4",
  float64: "<f8",
  int64: "<i8",
  int32: "<i4",
  uint8: "|u1",
  bool: "|b1",
};
const ITEM: Record<NpDtype, number> = { float32: 4, float64: 8, int64: 8, int32: 4, uint8: 1, bool: 1 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parse `.npy` bytes; `name` is used in errors (a file, or `file.npz:member`). */
export function parseNpy(bytes: Uint8Array, name: string): NdArray {
  const fail = (why: string) => new MolabError(`${name}: not a valid .npy array: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw fail("missing the \\x93NUMPY magic");
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number;
  let start: number;
  if (major === 1) {
    hlen = dv.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw fail("truncated header");
    hlen = dv.getUint32(8, true);
    start = 12;
  } else throw fail(`unsupported format version ${major}.${bytes[7]}`);
  if (start + hlen > bytes.length) throw fail(`header length ${hlen} runs past the end (${bytes.length} bytes)`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(start, start + hlen));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeStr === undefined)
    throw fail(`header is not a numpy dict: ${header.trim()}`);
  if (descr === "|O") throw fail("object arrays need pickle, which molab never loads");
  const dtype = DESCR[descr];
  if (!dtype) throw fail(`unsupported dtype '${descr}' (expected one of ${Object.keys(DESCR).join(", ")})`);
  if (fortran === "True")
    throw fail("Fortran-order arrays are not supported; save with C order (np.ascontiguousarray)");
  const shape = shapeStr
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((s) => {
      const n = Number(s.replace(/L$/, ""));
      if (!Number.isInteger(n) || n < 0) throw fail(`bad shape (${shapeStr})`);
      return n;
    });
  const numel = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + hlen;
  const need = numel * ITEM[dtype];
  if (bytes.length - dataStart < need)
    throw fail(`data has ${bytes.length - dataStart} bytes, ${descr}(${shape.join(", ")}) needs ${need} (truncated?)`);
  const raw = bytes.slice(dataStart, dataStart + need).buffer; // fresh, aligned copy
  const data =
    dtype === "float32"
      ? new Float32Array(raw)
      : dtype === "float64"
        ? new Float64Array(raw)
        : dtype === "int64"
          ? new BigInt64Array(raw)
          : dtype === "int32"
            ? new Int32Array(raw)
            : new Uint8Array(raw);
  return { dtype, shape, data };
}

/** Serialize an array as `.npy` format 1.0 (header padded to a multiple of 64 bytes, as numpy does). */
export function formatNpy(a: NdArray): Uint8Array {
  const numel = a.shape.reduce((x, y) => x * y, 1);
  if (a.data.length !== numel)
    throw new MolabError(`formatNpy: data has ${a.data.length} elements, shape [${a.shape}] needs ${numel}`);
  const shape = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(", ")})`;
  let h = `{'descr': '${DESCR_OF[a.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + h.length + 1;
  h += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + h.length + a.data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, h.length, true);
  out.set(new TextEncoder().encode(h), 10);
  out.set(new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength), 10 + h.length);
  return out;
}

export async function readNpy(file: string): Promise<NdArray> {
  return parseNpy(await readOrFail(file), file);
}

export async function writeNpy(file: string, a: NdArray): Promise<void> {
  await writeFileAtomic(file, formatNpy(a));
}

async function readOrFail(file: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await fsp.readFile(file));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EISDIR") throw new MolabError(`${file}: is a folder; expected a .npy/.npz file`);
    if (code === "ENOENT") throw new MolabError(`${file}: no such file`);
    throw new MolabError(`${file}: cannot read (${code ?? (e as Error).message})`);
  }
}

/** Read every array of an `.npz`, keyed by member name without `.npy`. */
export async function readNpz(file: string): Promise<Record<string, NdArray>> {
  const buf = await readOrFail(file);
  const fail = (why: string) => new MolabError(`${file}: not a valid .npz (zip) file: ${why}`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 65535); i--) {
    if (dv.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw fail("no end-of-central-directory record (truncated?)");
  let count = dv.getUint16(eocd + 10, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) throw fail("zip64 end record missing");
    const z = Number(dv.getBigUint64(loc + 8, true));
    count = Number(dv.getBigUint64(z + 32, true));
    cdOffset = Number(dv.getBigUint64(z + 48, true));
  }
  const out: Record<string, NdArray> = {};
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > buf.length || dv.getUint32(p, true) !== 0x02014b50)
      throw fail(`central directory entry ${k} is corrupt`);
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true);
    const xlen = dv.getUint16(p + 30, true);
    const clen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const name = new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nlen));
    // zip64 extra field: replaces whichever of usize, csize, local offset are 0xffffffff, in that order
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true);
      const sz = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) ((usize = Number(dv.getBigUint64(q, true))), (q += 8));
        if (csize === 0xffffffff) ((csize = Number(dv.getBigUint64(q, true))), (q += 8));
        if (local === 0xffffffff) local = Number(dv.getBigUint64(q, true));
      }
      x += 4 + sz;
    }
    p = xend + clen;
    if (local + 30 > buf.length || dv.getUint32(local, true) !== 0x04034b50)
      throw fail(`local header of "${name}" is corrupt`);
    const dataAt = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (dataAt + csize > buf.length) throw fail(`member "${name}" runs past the end of the file (truncated?)`);
    const comp = buf.subarray(dataAt, dataAt + csize);
    let raw: Uint8Array;
    if (method === 0) raw = comp;
    else if (method === 8) {
      try {
        raw = new Uint8Array(zlib.inflateRawSync(comp));
      } catch (e) {
        throw fail(`member "${name}" does not inflate (${(e as Error).message})`);
      }
    } else
      throw fail(`member "${name}" uses compression method ${method}; only stored (0) and deflate (8) are supported`);
    if (raw.length !== usize) throw fail(`member "${name}" is ${raw.length} bytes, the directory says ${usize}`);
    if (!name.endsWith(".npy")) continue;
    out[name.slice(0, -4)] = parseNpy(raw, `${file}:${name}`);
  }
  return out;
}

/** Write arrays as an `.npz` (like `np.savez`; `compress: true` is `np.savez_compressed`). Atomic. */
export async function writeNpz(
  file: string,
  arrays: Record<string, NdArray>,
  opts: { compress?: boolean } = {},
): Promise<void> {
  const locals: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const [key, arr] of Object.entries(arrays)) {
    const name = new TextEncoder().encode(`${key}.npy`);
    const raw = formatNpy(arr);
    const data = opts.compress ? new Uint8Array(zlib.deflateRawSync(raw)) : raw;
    const crc = zlib.crc32(raw) >>> 0;
    const method = opts.compress ? 8 : 0;
    const lh = new Uint8Array(30 + name.length);
    const l = new DataView(lh.buffer);
    l.setUint32(0, 0x04034b50, true);
    l.setUint16(4, 20, true);
    l.setUint16(8, method, true);
    l.setUint16(12, 0x21, true); // 1980-01-01, fixed for reproducible bytes
    l.setUint32(14, crc, true);
    l.setUint32(18, data.length, true);
    l.setUint32(22, raw.length, true);
    l.setUint16(26, name.length, true);
    lh.set(name, 30);
    const ch = new Uint8Array(46 + name.length);
    const c = new DataView(ch.buffer);
    c.setUint32(0, 0x02014b50, true);
    c.setUint16(4, 20, true);
    c.setUint16(6, 20, true);
    c.setUint16(10, method, true);
    c.setUint16(14, 0x21, true);
    c.setUint32(16, crc, true);
    c.setUint32(20, data.length, true);
    c.setUint32(24, raw.length, true);
    c.setUint16(28, name.length, true);
    c.setUint32(42, offset, true);
    ch.set(name, 46);
    locals.push(lh, data);
    central.push(ch);
    offset += lh.length + data.length;
  }
  const cdSize = central.reduce((a, b) => a + b.length, 0);
  const end = new Uint8Array(22);
  const e = new DataView(end.buffer);
  e.setUint32(0, 0x06054b50, true);
  e.setUint16(8, central.length, true);
  e.setUint16(10, central.length, true);
  e.setUint32(12, cdSize, true);
  e.setUint32(16, offset, true);
  await writeFileAtomic(file, Buffer.concat([...locals, ...central, end]));
}
