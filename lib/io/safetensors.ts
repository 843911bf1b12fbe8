/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON header
 * (`{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {str: str}}`), then raw
 * little-endian tensor bytes. We read the header, validate it fully, and then read tensors one
 * at a time from the file handle (never the whole file), converting straight to float32/int32.
 * Sharded checkpoints (`model.safetensors.index.json`: `{metadata, weight_map: {name: file}}`)
 * present the same `TensorSource` interface.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { bf16ArrayToF32, f16ArrayToF32 } from "./half.ts";
import { bad, MAX_HEADER, parseHeader, ST_ITEMSIZE, type Entry, type StTensorInfo } from "./safetensors_header.ts";

/** A safetensors file or a sharded index: tensors by name, read one at a time. */
export interface TensorSource {
  readonly path: string;
  readonly metadata: Record<string, string>;
  names(): string[];
  has(name: string): boolean;
  /** Dtype, shape and size of a tensor; a MolabError naming the file and tensor if absent. */
  info(name: string): StTensorInfo;
  /** Floats → float32, integers → int32 (I64 range-checked), BOOL → bool. */
  readTensor(name: string): Promise<tf.Tensor>;
  /** The same values as a typed array, without creating a tensor. */
  readArray(name: string): Promise<{ data: Float32Array | Int32Array | Uint8Array; shape: number[] }>;
  close(): Promise<void>;
}

/** Bytes converted per read for F16/BF16/F64/I64 tensors: peak memory is the output plus one chunk. */
const CHUNK = 16 * 1024 * 1024;

/** One `.safetensors` file, opened for tensor-by-tensor reads. */
export class SafetensorsFile implements TensorSource {
  private constructor(
    readonly path: string,
    private fh: fsp.FileHandle,
    private entries: Map<string, Entry>,
    readonly metadata: Record<string, string>,
  ) {}

  /** Open and validate a file; every problem is a MolabError naming the file. */
  static async open(file: string): Promise<SafetensorsFile> {
    let fh: fsp.FileHandle;
    try {
      fh = await fsp.open(file, "r");
    } catch (e) {
      throw new MolabError(`${file}: cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      const size = (await fh.stat()).size;
      if (size < 8) throw bad(file, `file is ${size} bytes, shorter than the 8-byte header length`);
      const lenBuf = Buffer.alloc(8);
      await fh.read(lenBuf, 0, 8, 0);
      const n = lenBuf.readBigUInt64LE(0);
      if (n > BigInt(size - 8)) throw bad(file, `header length ${n} runs past the end of the file (${size} bytes)`);
      if (n > BigInt(MAX_HEADER)) throw bad(file, `header length ${n} exceeds ${MAX_HEADER} bytes`);
      const hdr = Buffer.alloc(Number(n));
      await fh.read(hdr, 0, hdr.length, 8);
      const { entries, metadata } = parseHeader(file, hdr, Number(n), size);
      return new SafetensorsFile(file, fh, entries, metadata);
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  names(): string[] {
    return [...this.entries.keys()];
  }
  has(name: string): boolean {
    return this.entries.has(name);
  }
  info(name: string): StTensorInfo {
    const e = this.entries.get(name);
    if (!e) throw new MolabError(`${this.path}: no tensor named "${name}"`);
    const { begin: _b, end: _e, ...info } = e;
    return info;
  }

  /** Raw little-endian bytes of a tensor (a fresh, aligned buffer). */
  async readBytes(name: string): Promise<Uint8Array> {
    const e = this.entries.get(name);
    if (!e) throw new MolabError(`${this.path}: no tensor named "${name}"`);
    const out = new Uint8Array(new ArrayBuffer(e.byteLength));
    await this.readInto(e, out, 0, e.byteLength);
    return out;
  }

  private async readInto(e: Entry, out: Uint8Array, from: number, len: number): Promise<void> {
    let done = 0;
    while (done < len) {
      const { bytesRead } = await this.fh.read(out, done, len - done, e.begin + from + done);
      if (bytesRead === 0) throw bad(this.path, `tensor "${e.name}": file ended while reading (truncated?)`);
      done += bytesRead;
    }
  }

  async readArray(name: string): Promise<{ data: Float32Array | Int32Array | Uint8Array; shape: number[] }> {
    const e = this.entries.get(name);
    if (!e) throw new MolabError(`${this.path}: no tensor named "${name}"`);
    const numel = e.byteLength / ST_ITEMSIZE[e.dtype];
    switch (e.dtype) {
      case "F32": {
        const out = new Float32Array(numel);
        await this.readInto(e, new Uint8Array(out.buffer), 0, e.byteLength);
        return { data: out, shape: e.shape };
      }
      case "I32": {
        const out = new Int32Array(numel);
        await this.readInto(e, new Uint8Array(out.buffer), 0, e.byteLength);
        return { data: out, shape: e.shape };
      }
      case "U8":
      case "BOOL": {
        const out = new Uint8Array(numel);
        await this.readInto(e, out, 0, e.byteLength);
        return { data: out, shape: e.shape };
      }
      default: {
        const isFloat = e.dtype[0] === "F" || e.dtype === "BF16";
        const out = isFloat ? new Float32Array(numel) : new Int32Array(numel);
        const item = ST_ITEMSIZE[e.dtype];
        const perChunk = Math.max(1, Math.floor(CHUNK / item));
        const buf = new Uint8Array(new ArrayBuffer(Math.min(numel, perChunk) * item));
        for (let i = 0; i < numel; i += perChunk) {
          const k = Math.min(perChunk, numel - i);
          await this.readInto(e, buf, i * item, k * item);
          this.convert(e, buf.buffer, k, out, i);
        }
        return { data: out, shape: e.shape };
      }
    }
  }

  private convert(e: Entry, raw: ArrayBufferLike, k: number, out: Float32Array | Int32Array, at: number): void {
    switch (e.dtype) {
      case "F16":
        f16ArrayToF32(new Uint16Array(raw, 0, k), (out as Float32Array).subarray(at, at + k));
        return;
      case "BF16":
        bf16ArrayToF32(new Uint16Array(raw, 0, k), (out as Float32Array).subarray(at, at + k));
        return;
      case "F64":
        out.set(new Float64Array(raw, 0, k), at);
        return;
      case "I16":
        out.set(new Int16Array(raw, 0, k), at);
        return;
      case "I8":
        out.set(new Int8Array(raw, 0, k), at);
        return;
      case "I64": {
        const src = new BigInt64Array(raw, 0, k);
        for (let j = 0; j < k; j++) {
          const v = src[j];
          if (v > 2147483647n || v < -2147483648n) {
            throw new MolabError(
              `${this.path}: tensor "${e.name}" (I64) holds ${v} at index ${at + j}, outside the int32 range tfjs supports`,
            );
          }
          out[at + j] = Number(v);
        }
        return;
      }
      default:
        throw new Error(`unreachable dtype ${e.dtype}`);
    }
  }

  async readTensor(name: string): Promise<tf.Tensor> {
    const e = this.entries.get(name);
    const { data, shape } = await this.readArray(name);
    const dtype = e!.dtype === "BOOL" ? "bool" : data instanceof Float32Array ? "float32" : "int32";
    return tf.tensor(dtype === "int32" && data instanceof Uint8Array ? Int32Array.from(data) : data, shape, dtype);
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

/** A sharded checkpoint: `*.safetensors.index.json` with `weight_map: {tensor: shard file}`. */
export class SafetensorsIndex implements TensorSource {
  private shards = new Map<string, Promise<SafetensorsFile>>();
  private constructor(
    readonly path: string,
    private weightMap: Record<string, string>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(indexFile: string): Promise<SafetensorsIndex> {
    let j: { weight_map?: unknown; metadata?: unknown };
    try {
      j = JSON.parse(await fsp.readFile(indexFile, "utf8"));
    } catch (e) {
      throw new MolabError(`${indexFile}: cannot read the shard index (${(e as Error).message})`);
    }
    const wm = j.weight_map;
    if (
      typeof wm !== "object" ||
      wm === null ||
      Array.isArray(wm) ||
      !Object.values(wm).every((v) => typeof v === "string")
    ) {
      throw new MolabError(`${indexFile}: "weight_map" must be an object mapping tensor names to shard file names`);
    }
    const dir = path.dirname(indexFile);
    for (const f of new Set(Object.values(wm as Record<string, string>))) {
      if (f.includes("/") || f.includes("\\") || !fs.existsSync(path.join(dir, f))) {
        throw new MolabError(`${indexFile}: weight_map names shard "${f}", which is not a file in ${dir}`);
      }
    }
    const md: Record<string, string> = {};
    if (j.metadata && typeof j.metadata === "object")
      for (const [k, v] of Object.entries(j.metadata)) md[k] = String(v);
    return new SafetensorsIndex(indexFile, wm as Record<string, string>, md);
  }

  private shard(name: string): Promise<SafetensorsFile> {
    const f = this.weightMap[name];
    if (f === undefined) throw new MolabError(`${this.path}: no tensor named "${name}" in weight_map`);
    let s = this.shards.get(f);
    if (!s) {
      s = SafetensorsFile.open(path.join(path.dirname(this.path), f));
      this.shards.set(f, s);
    }
    return s;
  }

  names(): string[] {
    return Object.keys(this.weightMap);
  }
  has(name: string): boolean {
    return name in this.weightMap;
  }
  /** Needs the shard's header: call `prepare()` first (openSafetensors does). */
  info(name: string): StTensorInfo {
    const f = this.weightMap[name];
    if (f === undefined) throw new MolabError(`${this.path}: no tensor named "${name}" in weight_map`);
    const s = this.opened.get(f);
    if (!s) throw new Error("SafetensorsIndex.info before prepare()");
    if (!s.has(name))
      throw new MolabError(`${this.path}: weight_map puts "${name}" in ${f}, but that shard has no such tensor`);
    return s.info(name);
  }
  private opened = new Map<string, SafetensorsFile>();
  /** Open every shard's header (cheap), so `info` answers synchronously. */
  async prepare(): Promise<void> {
    for (const f of new Set(Object.values(this.weightMap))) {
      const name = Object.keys(this.weightMap).find((k) => this.weightMap[k] === f)!;
      this.opened.set(f, await this.shard(name));
    }
  }
  async readTensor(name: string): Promise<tf.Tensor> {
    this.info(name);
    return (await this.shard(name)).readTensor(name);
  }
  async readArray(name: string) {
    this.info(name);
    return (await this.shard(name)).readArray(name);
  }
  async close(): Promise<void> {
    for (const s of this.shards.values()) await (await s.catch(() => undefined))?.close();
    this.shards.clear();
    this.opened.clear();
  }
}

/**
 * Open a `.safetensors` file, a `*.safetensors.index.json`, or a directory holding
 * `model.safetensors` / `model.safetensors.index.json`. Refuses pickle checkpoints.
 */
export async function openSafetensors(pathOrDir: string): Promise<TensorSource> {
  let p = pathOrDir;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) {
    const single = path.join(p, "model.safetensors");
    const index = path.join(p, "model.safetensors.index.json");
    if (fs.existsSync(single)) p = single;
    else if (fs.existsSync(index)) p = index;
    else {
      const pickles = fs.readdirSync(p).filter((f) => /\.(bin|pt|pth|ckpt|pkl)$/.test(f));
      throw new MolabError(
        `${pathOrDir}: no model.safetensors or model.safetensors.index.json` +
          (pickles.length
            ? ` (found ${pickles.join(", ")}: pickle-based weights are never loaded; convert them to safetensors)`
            : ""),
      );
    }
  }
  if (p.endsWith(".json")) {
    const idx = await SafetensorsIndex.open(p);
    await idx.prepare();
    return idx;
  }
  return SafetensorsFile.open(p);
}
