/// <reference types="@webgpu/types" />
/**
 * TopK SAE encode on a WebGPU device (Dawn under Node, or a browser) in three WGSL passes, no tfjs ops:
 *  1. prep: xᵀ − b_dec into a [d_in × rows] buffer (rows padded to the matmul tile);
 *  2. matmul: pre = (x − b_dec)·W_enc + b_enc, register-tiled (a workgroup computes bm × bn, a thread 8 × 8, K staged
 *     through workgroup memory bk at a time). W_enc is bound as column chunks, each under the device's storage-binding
 *     limit (< 2 GiB on Dawn), all chunks in one dispatch;
 *  3. select: one workgroup per row finds the k-th largest pre-activation by a 4-pass 8-bit radix select over
 *     order-preserving u32 keys (workgroup histograms), gathers the k winners, bitonic-sorts them (value descending,
 *     index ascending on ties) and writes ReLU(value) and index into one buffer.
 * Only the k values and indices per row are read back (one copy, one map). The device is any GPUDevice: the tfjs webgpu backend's
 * (`webgpuBackendDevice()`) or one of its own. It must have been created with limits that admit the W_enc chunks
 * (maxStorageBufferBindingSize, maxBufferSize) and 3 + chunks storage buffers per stage.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { matmulWgsl, prepWgsl, selectWgsl, type MatmulTile } from "./webgpu_topk_wgsl.ts";

export { matmulWgsl, selectWgsl, type MatmulTile };

const STORAGE = 0x80,
  COPY_SRC = 0x4,
  COPY_DST = 0x8,
  UNIFORM = 0x40,
  MAP_READ = 0x1,
  MAP_MODE_READ = 0x1;

export const DEFAULT_TILE: MatmulTile = { bm: 128, bn: 64, bk: 16 };

export interface TopkEncoderConfig {
  d_in: number;
  d_sae: number;
  k: number;
}

export interface TopkEncoderOptions {
  tile?: MatmulTile;
  /** rows (tokens) per GPU pass; the pre-activation buffer is rows × d_sae f32 (default ≤ 1024, under the binding limit) */
  maxRows?: number;
  /** threads of the select workgroup (default: the device's limit, at most 1024) */
  selectThreads?: number;
}

/** Bytes one storage binding (and one buffer) may hold on `device`. */
const bindingLimit = (device: GPUDevice) =>
  Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);

/** The GPUDevice of tfjs's active webgpu backend. */
export function webgpuBackendDevice(): GPUDevice {
  const b = tf.backend() as unknown as { device?: GPUDevice };
  if (!b.device) throw new MolabError(`the active tfjs backend (${tf.getBackend()}) is not webgpu`);
  return b.device;
}

/** W_enc [d_in × d_sae] row-major split into `chunks` column blocks, each [d_in × d_sae/chunks] row-major. */
export function splitColumns(W: Float32Array, d_in: number, d_sae: number, chunks: number): Float32Array[] {
  const cw = d_sae / chunks;
  if (!Number.isInteger(cw)) throw new MolabError(`d_sae ${d_sae} does not split into ${chunks} chunks`);
  return Array.from({ length: chunks }, (_, c) => {
    const out = new Float32Array(d_in * cw);
    for (let r = 0; r < d_in; r++) out.set(W.subarray(r * d_sae + c * cw, r * d_sae + (c + 1) * cw), r * cw);
    return out;
  });
}

/** Weights on the device: W_enc as equal column chunks, b_enc, b_dec. Shared by encoders of different tiles. */
export class TopkWeightsGpu {
  readonly chunkCols: number;
  private constructor(
    readonly device: GPUDevice,
    readonly cfg: TopkEncoderConfig,
    readonly w: GPUBuffer[],
    readonly bEnc: GPUBuffer,
    readonly bDec: GPUBuffer,
  ) {
    this.chunkCols = cfg.d_sae / w.length;
  }

  /**
   * W: the whole W_enc [d_in × d_sae] row-major (split here into the fewest equal column chunks that fit one storage
   * binding), or the chunks already split (equal widths, each [d_in × d_sae/chunks] row-major).
   */
  static create(
    device: GPUDevice,
    cfg: TopkEncoderConfig,
    W: Float32Array | Float32Array[],
    b_enc: Float32Array,
    b_dec: Float32Array,
  ): TopkWeightsGpu {
    const { d_in, d_sae } = cfg;
    let chunks: Float32Array[];
    if (Array.isArray(W)) chunks = W;
    else {
      const limit = bindingLimit(device);
      let c = 1;
      while (d_in * (d_sae / c) * 4 > limit || !Number.isInteger(d_sae / c)) c++;
      chunks = c === 1 ? [W] : splitColumns(W, d_in, d_sae, c);
    }
    const cw = d_sae / chunks.length;
    if (!Number.isInteger(cw) || chunks.some((a) => a.length !== d_in * cw))
      throw new MolabError(`W_enc chunks must be ${chunks.length} equal blocks of ${d_in} × ${cw}`);
    if (d_in * cw * 4 > device.limits.maxStorageBufferBindingSize)
      throw new MolabError(`a W_enc chunk of ${d_in * cw * 4} bytes exceeds the storage-binding limit`);
    if (b_enc.length !== d_sae || b_dec.length !== d_in)
      throw new MolabError("b_enc/b_dec sizes do not match d_sae/d_in");
    const upload = (a: Float32Array) => {
      const buf = device.createBuffer({ size: a.byteLength, usage: STORAGE | COPY_DST });
      device.queue.writeBuffer(buf, 0, a.buffer, a.byteOffset, a.byteLength);
      return buf;
    };
    return new TopkWeightsGpu(device, cfg, chunks.map(upload), upload(b_enc), upload(b_dec));
  }

  dispose(): void {
    for (const b of [...this.w, this.bEnc, this.bDec]) b.destroy();
  }
}

export interface StageTimes {
  prep_ms: number;
  matmul_ms: number;
  select_ms: number;
}

/** The fused TopK encode for one tile shape over uploaded weights. */
export class WebGpuTopkEncoder {
  readonly maxRows: number;
  readonly tile: MatmulTile;
  private readonly prep: GPUComputePipeline;
  private readonly mm: GPUComputePipeline;
  private readonly sel: GPUComputePipeline;
  private readonly xBuf: GPUBuffer;
  private readonly atBuf: GPUBuffer;
  private readonly preBuf: GPUBuffer;
  private readonly outB: GPUBuffer;
  private readonly readB: GPUBuffer;
  private readonly uPrep: GPUBuffer;
  private readonly uMm: GPUBuffer;
  private readonly uSel: GPUBuffer;
  private readonly bgPrep: GPUBindGroup;
  private readonly bgMm: GPUBindGroup;
  private readonly bgSel: GPUBindGroup;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly weights: TopkWeightsGpu,
    opts: TopkEncoderOptions = {},
  ) {
    const dev = weights.device;
    const { d_in, d_sae, k } = weights.cfg;
    const tile = (this.tile = opts.tile ?? DEFAULT_TILE);
    if (d_in % tile.bk || weights.chunkCols % tile.bn || d_sae % 4)
      throw new MolabError(
        `d_in ${d_in} / chunk width ${weights.chunkCols} do not fit the tile ${JSON.stringify(tile)}`,
      );
    if (k > 4096 || k > d_sae) throw new MolabError(`k ${k} is out of range (≤ 4096 and ≤ d_sae)`);
    const fit = Math.floor(bindingLimit(dev) / (d_sae * 4) / tile.bm) * tile.bm;
    const want = Math.ceil((opts.maxRows ?? 1024) / tile.bm) * tile.bm;
    // rows per pass, a whole number of tiles: every buffer below is sized for it
    this.maxRows = Math.min(fit, want);
    if (this.maxRows < tile.bm)
      throw new MolabError(`one tile of ${tile.bm} rows × d_sae ${d_sae} exceeds the binding limit`);
    const threads = Math.min(
      opts.selectThreads ?? 1024,
      dev.limits.maxComputeInvocationsPerWorkgroup,
      dev.limits.maxComputeWorkgroupSizeX,
    );
    const pipe = (code: string) =>
      dev.createComputePipeline({
        layout: "auto",
        compute: { module: dev.createShaderModule({ code }), entryPoint: "main" },
      });
    this.prep = pipe(prepWgsl());
    this.mm = pipe(matmulWgsl(tile, weights.w.length));
    this.sel = pipe(selectWgsl(k, threads));
    const buf = (size: number, usage: number) => dev.createBuffer({ size: Math.max(16, size), usage });
    this.xBuf = buf(this.maxRows * d_in * 4, STORAGE | COPY_DST);
    this.atBuf = buf(this.maxRows * d_in * 4, STORAGE);
    this.preBuf = buf(this.maxRows * d_sae * 4, STORAGE);
    this.outB = buf(this.maxRows * k * 8, STORAGE | COPY_SRC);
    this.readB = buf(this.maxRows * k * 8, MAP_READ | COPY_DST);
    this.uPrep = buf(16, UNIFORM | COPY_DST);
    this.uMm = buf(32, UNIFORM | COPY_DST);
    this.uSel = buf(16, UNIFORM | COPY_DST);
    dev.queue.writeBuffer(this.uSel, 0, new Uint32Array([d_sae, k, 0, 0]));
    const bind = (p: GPUComputePipeline, bufs: GPUBuffer[]) =>
      dev.createBindGroup({
        layout: p.getBindGroupLayout(0),
        entries: bufs.map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
    this.bgPrep = bind(this.prep, [this.xBuf, weights.bDec, this.atBuf, this.uPrep]);
    this.bgMm = bind(this.mm, [this.atBuf, weights.bEnc, this.preBuf, this.uMm, ...weights.w]);
    this.bgSel = bind(this.sel, [this.preBuf, this.outB, this.uSel]);
  }

  private setRows(n: number): number {
    const { d_in, d_sae } = this.weights.cfg;
    const nPad = Math.ceil(n / this.tile.bm) * this.tile.bm;
    const q = this.weights.device.queue;
    q.writeBuffer(this.uPrep, 0, new Uint32Array([n, nPad, d_in, 0]));
    const tpc = this.weights.chunkCols / this.tile.bn;
    q.writeBuffer(this.uMm, 0, new Uint32Array([nPad, d_in, this.weights.chunkCols, d_sae, tpc, 0, 0, 0]));
    return nPad;
  }

  private dispatch(pass: GPUComputePassEncoder, stage: "prep" | "mm" | "sel", n: number, nPad: number): void {
    const { d_in, d_sae } = this.weights.cfg;
    if (stage === "prep") {
      pass.setPipeline(this.prep);
      pass.setBindGroup(0, this.bgPrep);
      pass.dispatchWorkgroups(nPad / 16, Math.ceil(d_in / 16));
    } else if (stage === "mm") {
      pass.setPipeline(this.mm);
      pass.setBindGroup(0, this.bgMm);
      pass.dispatchWorkgroups(d_sae / this.tile.bn, nPad / this.tile.bm);
    } else {
      pass.setPipeline(this.sel);
      pass.setBindGroup(0, this.bgSel);
      pass.dispatchWorkgroups(n);
    }
  }

  /** TopK encode of x [n × d_in] row-major: per row the k largest ReLU'd pre-activations (descending) and latents. */
  encode(x: Float32Array, n: number): Promise<{ values: Float32Array; indices: Int32Array }> {
    const run = this.queue.then(() => this.encodeNow(x, n));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async encodeNow(x: Float32Array, n: number): Promise<{ values: Float32Array; indices: Int32Array }> {
    const { d_in, k } = this.weights.cfg;
    if (x.length !== n * d_in) throw new MolabError(`x has ${x.length} values, not ${n} × ${d_in}`);
    const values = new Float32Array(n * k);
    const indices = new Int32Array(n * k);
    const dev = this.weights.device;
    for (let r0 = 0; r0 < n; r0 += this.maxRows) {
      const m = Math.min(this.maxRows, n - r0);
      const xs = x.subarray(r0 * d_in, (r0 + m) * d_in);
      dev.queue.writeBuffer(this.xBuf, 0, xs.buffer, xs.byteOffset, xs.byteLength);
      const nPad = this.setRows(m);
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      this.dispatch(pass, "prep", m, nPad);
      this.dispatch(pass, "mm", m, nPad);
      this.dispatch(pass, "sel", m, nPad);
      pass.end();
      const bytes = m * k * 8;
      enc.copyBufferToBuffer(this.outB, 0, this.readB, 0, bytes);
      dev.queue.submit([enc.finish()]);
      await this.readB.mapAsync(MAP_MODE_READ, 0, bytes);
      const mapped = this.readB.getMappedRange(0, bytes);
      const fv = new Float32Array(mapped),
        iv = new Int32Array(mapped);
      for (let r = 0; r < m; r++) {
        values.set(fv.subarray(2 * r * k, 2 * r * k + k), (r0 + r) * k);
        indices.set(iv.subarray(2 * r * k + k, 2 * r * k + 2 * k), (r0 + r) * k);
      }
      this.readB.unmap();
    }
    return { values, indices };
  }

  /** GPU time of each stage for n rows (already encoded once): `iters` dispatches of one stage, then the queue drained. */
  async stageTimes(n: number, iters = 20): Promise<StageTimes> {
    const dev = this.weights.device;
    const nPad = this.setRows(Math.min(n, this.maxRows));
    const time = async (stage: "prep" | "mm" | "sel") => {
      await dev.queue.onSubmittedWorkDone();
      const t0 = performance.now();
      const enc = dev.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (let i = 0; i < iters; i++) this.dispatch(pass, stage, Math.min(n, this.maxRows), nPad);
      pass.end();
      dev.queue.submit([enc.finish()]);
      await dev.queue.onSubmittedWorkDone();
      return (performance.now() - t0) / iters;
    };
    return { prep_ms: await time("prep"), matmul_ms: await time("mm"), select_ms: await time("sel") };
  }

  dispose(): void {
    for (const b of [this.xBuf, this.atBuf, this.preBuf, this.outB, this.readB]) b.destroy();
    for (const b of [this.uPrep, this.uMm, this.uSel]) b.destroy();
  }
}
