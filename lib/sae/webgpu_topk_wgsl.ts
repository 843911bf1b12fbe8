/**
 * The WGSL sources of the fused TopK SAE encode (lib/sae/webgpu_topk.ts runs them): the prep pass (xᵀ − b_dec), the
 * register-tiled matmul + b_enc over W_enc column chunks, and the per-row radix select of the k largest latents.
 */

/** Matmul tile: bm rows (tokens) × bn columns (latents) per workgroup, bk of d_in per step; threads = bm·bn/64. */
export interface MatmulTile {
  bm: number;
  bn: number;
  bk: number;
}

const nextPow2 = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(2, n)));

export function prepWgsl(): string {
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
