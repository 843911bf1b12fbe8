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

const STORAGE = 0x80,
  COPY_SRC = 0x4,
  COPY_DST = 0x8,
  UNIFORM = 0x40,
  MAP_READ = 0x1,
  MAP_MODE_READ = 0x1;

/** Matmul tile: bm rows (tokens) × bn columns (latents) per workgroup, bk of d_in per step; threads = bm·bn/64. */
export interface MatmulTile {
  bm: number;
  bn: number;
  bk: number;
}

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

/** The GPUDevice of tfjs's active webgpu backend. */
export function webgpuBackendDevice(): GPUDevice {
  const b = tf.backend() as unknown as { device?: GPUDevice };
  if (!b.device) throw new Error(`the active tfjs backend (${tf.getBackend()}) is not webgpu`);
  return b.device;
}

/** W_enc [d_in × d_sae] row-major split into `chunks` column blocks, each [d_in × d_sae/chunks] row-major. */
export function splitColumns(W: Float32Array, d_in: number, d_sae: number, chunks: number): Float32Array[] {
  const cw = d_sae / chunks;
  if (!Number.isInteger(cw)) throw new Error(`d_sae ${d_sae} does not split into ${chunks} chunks`);
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
      const limit = Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
      let c = 1;
      while (d_in * (d_sae / c) * 4 > limit || !Number.isInteger(d_sae / c)) c++;
      chunks = c === 1 ? [W] : splitColumns(W, d_in, d_sae, c);
    }
    const cw = d_sae / chunks.length;
    if (!Number.isInteger(cw) || chunks.some((a) => a.length !== d_in * cw))
      throw new Error(`W_enc chunks must be ${chunks.length} equal blocks of ${d_in} × ${cw}`);
    if (d_in * cw * 4 > device.limits.maxStorageBufferBindingSize)
      throw new Error(`a W_enc chunk of ${d_in * cw * 4} bytes exceeds the storage-binding limit`);
    if (b_enc.length !== d_sae || b_dec.length !== d_in) throw new Error("b_enc/b_dec sizes do not match d_sae/d_in");
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

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

function prepWgsl(): string {
  return `
struct P { n: u32, n_pad: u32, d_in: u32, z: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> b_dec: array<f32>;
@group(0) @binding(2) var<storage, read_write> xt: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let m = g.x; let kk = g.y;
  if (m >= p.n_pad || kk >= p.d_in) { return; }
  var v = 0.0;
  if (m < p.n) { v = x[m * p.d_in + kk] - b_dec[kk]; }
  xt[kk * p.n_pad + m] = v;
}`;
}

/** The matmul + bias kernel for one tile shape and `chunks` W_enc bindings. */
export function matmulWgsl(t: MatmulTile, chunks: number): string {
  const { bm, bn, bk } = t;
  const T = (bm * bn) / 64;
  const AV = bm / 4,
    BV = bn / 4; // vec4s per tile row
  const LA = (bk * AV) / T,
    LB = (bk * BV) / T;
  if (bm % 8 || bn % 8 || T % AV || T % BV || !Number.isInteger(LA) || !Number.isInteger(LB) || LA < 1 || LB < 1)
    throw new Error(`unsupported tile ${bm}×${bn}×${bk}`);
  const L: string[] = [];
  L.push(`struct P { n_pad: u32, d_in: u32, cols: u32, d_sae: u32, tiles_per_chunk: u32, z0: u32, z1: u32, z2: u32 }
@group(0) @binding(0) var<storage, read> xt: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> bias: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> pre: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> p: P;`);
  for (let c = 0; c < chunks; c++) L.push(`@group(0) @binding(${4 + c}) var<storage, read> w${c}: array<vec4<f32>>;`);
  L.push(`fn loadW(c: u32, i: u32) -> vec4<f32> {`);
  if (chunks === 1) L.push(`  return w0[i];`);
  else {
    L.push(`  switch c {`);
    for (let c = 0; c < chunks - 1; c++) L.push(`    case ${c}u: { return w${c}[i]; }`);
    L.push(`    default: { return w${chunks - 1}[i]; }`, `  }`);
  }
  L.push(`}
var<workgroup> As: array<vec4<f32>, ${bk * AV}>;
var<workgroup> Bs: array<vec4<f32>, ${bk * BV}>;
@compute @workgroup_size(${T})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let chunk = wg.x / p.tiles_per_chunk;
  let colv0 = (wg.x % p.tiles_per_chunk) * ${BV}u;
  let rowv0 = wg.y * ${AV}u;
  let nv = p.n_pad / 4u;
  let cv = p.cols / 4u;
  let tx = li % ${bn / 8}u;
  let ty = li / ${bn / 8}u;`);
  const loads = (k0: string) => {
    const s: string[] = [];
    for (let j = 0; j < LA; j++)
      s.push(`  ra${j} = xt[(${k0} + ${j * (T / AV)}u + li / ${AV}u) * nv + rowv0 + li % ${AV}u];`);
    for (let j = 0; j < LB; j++)
      s.push(`  rb${j} = loadW(chunk, (${k0} + ${j * (T / BV)}u + li / ${BV}u) * cv + colv0 + li % ${BV}u);`);
    return s;
  };
  for (let j = 0; j < LA; j++) L.push(`  var ra${j}: vec4<f32>;`);
  for (let j = 0; j < LB; j++) L.push(`  var rb${j}: vec4<f32>;`);
  for (let r = 0; r < 8; r++) for (let h = 0; h < 2; h++) L.push(`  var c${r}_${h} = vec4<f32>(0.0);`);
  L.push(...loads("0u"));
  L.push(`  for (var k0 = 0u; k0 < p.d_in; k0 += ${bk}u) {`, `  workgroupBarrier();`);
  for (let j = 0; j < LA; j++) L.push(`  As[${j * T}u + li] = ra${j};`);
  for (let j = 0; j < LB; j++) L.push(`  Bs[${j * T}u + li] = rb${j};`);
  L.push(`  workgroupBarrier();`, `  if (k0 + ${bk}u < p.d_in) {`, ...loads(`k0 + ${bk}u`), `  }`);
  const comps = ["x", "y", "z", "w"];
  for (let kk = 0; kk < bk; kk++) {
    L.push(
      `  { let a0 = As[${kk * AV}u + ty]; let a1 = As[${kk * AV + bm / 8}u + ty];`,
      `    let b0 = Bs[${kk * BV}u + tx]; let b1 = Bs[${kk * BV + bn / 8}u + tx];`,
    );
    for (let r = 0; r < 8; r++) {
      const a = `a${r >> 2}.${comps[r & 3]}`;
      L.push(`    c${r}_0 += ${a} * b0; c${r}_1 += ${a} * b1;`);
    }
    L.push(`  }`);
  }
  L.push(`  }`);
  // epilogue: + b_enc, write pre rows
  L.push(`  let sv = p.d_sae / 4u;
  let gc0 = chunk * cv + colv0 + tx;
  let gc1 = gc0 + ${bn / 8}u;
  let bb0 = bias[gc0];
  let bb1 = bias[gc1];`);
  for (let r = 0; r < 8; r++) {
    const row = `(rowv0 * 4u + ${r < 4 ? 0 : bm / 2}u + ty * 4u + ${r & 3}u)`;
    L.push(`  pre[${row} * sv + gc0] = c${r}_0 + bb0;`, `  pre[${row} * sv + gc1] = c${r}_1 + bb1;`);
  }
  L.push(`}`);
  return L.join("\n");
}

/** The per-row top-k select (radix select, gather, bitonic sort, ReLU). */
export function selectWgsl(k: number, threads: number): string {
  const P = nextPow2(k);
  return `
struct Q { d_sae: u32, k: u32, z0: u32, z1: u32 }
@group(0) @binding(0) var<storage, read> pre: array<f32>;
@group(0) @binding(1) var<storage, read_write> outb: array<u32>; // per row: k values (f32 bits), then k indices
@group(0) @binding(2) var<uniform> q: Q;
var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> cnt: array<atomic<u32>, 2>;
var<workgroup> sel: array<u32, 2>;
var<workgroup> sk: array<u32, ${P}>;
var<workgroup> si: array<u32, ${P}>;
fn toKey(v: f32) -> u32 {
  let b = bitcast<u32>(v);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}
fn fromKey(k: u32) -> f32 {
  return bitcast<f32>(select(~k, k & 0x7fffffffu, (k & 0x80000000u) != 0u));
}
@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) li: u32) {
  let row = wg.x;
  let base = row * q.d_sae;
  var prefix = 0u;
  var mask = 0u;
  var krem = q.k;
  for (var ps = 0u; ps < 4u; ps++) {
    let shift = 24u - 8u * ps;
    for (var b = li; b < 256u; b += ${threads}u) { atomicStore(&hist[b], 0u); }
    workgroupBarrier();
    for (var i = li; i < q.d_sae; i += ${threads}u) {
      let kk = toKey(pre[base + i]);
      if ((kk & mask) == prefix) { atomicAdd(&hist[(kk >> shift) & 255u], 1u); }
    }
    workgroupBarrier();
    if (li == 0u) {
      var acc = 0u;
      var d = 255u;
      loop {
        let h = atomicLoad(&hist[d]);
        if (acc + h >= krem || d == 0u) { sel[0] = d; sel[1] = krem - acc; break; }
        acc += h;
        d -= 1u;
      }
    }
    workgroupBarrier();
    prefix = prefix | (sel[0] << shift);
    mask = mask | (255u << shift);
    krem = sel[1];
    workgroupBarrier();
  }
  let ngt = q.k - krem;
  if (li == 0u) { atomicStore(&cnt[0], 0u); atomicStore(&cnt[1], 0u); }
  for (var j = li; j < ${P}u; j += ${threads}u) { sk[j] = 0u; si[j] = 0xffffffffu; }
  workgroupBarrier();
  for (var i = li; i < q.d_sae; i += ${threads}u) {
    let kk = toKey(pre[base + i]);
    if (kk > prefix) {
      let s = atomicAdd(&cnt[0], 1u);
      if (s < ${P}u) { sk[s] = kk; si[s] = i; }
    } else if (kk == prefix) {
      let e = atomicAdd(&cnt[1], 1u);
      if (e < krem && ngt + e < ${P}u) { sk[ngt + e] = kk; si[ngt + e] = i; }
    }
  }
  workgroupBarrier();
  for (var size = 2u; size <= ${P}u; size = size << 1u) {
    for (var stride = size >> 1u; stride > 0u; stride = stride >> 1u) {
      for (var t = li; t < ${P / 2}u; t += ${threads}u) {
        let lo = 2u * stride * (t / stride) + (t % stride);
        let hi = lo + stride;
        let desc = (lo & size) == 0u;
        let kl = sk[lo]; let kh = sk[hi]; let il = si[lo]; let ih = si[hi];
        let hiFirst = kh > kl || (kh == kl && ih < il);
        if (hiFirst == desc) { sk[lo] = kh; sk[hi] = kl; si[lo] = ih; si[hi] = il; }
      }
      workgroupBarrier();
    }
  }
  for (var j = li; j < q.k; j += ${threads}u) {
    outb[row * 2u * q.k + j] = bitcast<u32>(max(fromKey(sk[j]), 0.0));
    outb[row * 2u * q.k + q.k + j] = si[j];
  }
}`;
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
  private readonly nPadMax: number;
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
      throw new Error(`d_in ${d_in} / chunk width ${weights.chunkCols} do not fit the tile ${JSON.stringify(tile)}`);
    if (k > 4096 || k > d_sae) throw new Error(`k ${k} is out of range (≤ 4096 and ≤ d_sae)`);
    const lim = Math.min(dev.limits.maxStorageBufferBindingSize, dev.limits.maxBufferSize);
    const fit = Math.floor(lim / (d_sae * 4) / tile.bm) * tile.bm;
    const want = Math.ceil((opts.maxRows ?? 1024) / tile.bm) * tile.bm;
    this.nPadMax = Math.min(fit, want);
    if (this.nPadMax < tile.bm)
      throw new Error(`one tile of ${tile.bm} rows × d_sae ${d_sae} exceeds the binding limit`);
    this.maxRows = this.nPadMax;
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
    this.xBuf = buf(this.nPadMax * d_in * 4, STORAGE | COPY_DST);
    this.atBuf = buf(this.nPadMax * d_in * 4, STORAGE);
    this.preBuf = buf(this.nPadMax * d_sae * 4, STORAGE);
    this.outB = buf(this.nPadMax * k * 8, STORAGE | COPY_SRC);
    this.readB = buf(this.nPadMax * k * 8, MAP_READ | COPY_DST);
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
    if (x.length !== n * d_in) throw new Error(`x has ${x.length} values, not ${n} × ${d_in}`);
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
