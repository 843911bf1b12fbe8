/**
 * GPU parity and SAE-encode speed on the webgpu backend (run by bench/device/run.sh on the device machine).
 * Parity: logits of test/fixtures/model/llama and a TopK SAE encode, webgpu vs the cpu backend (max |Δ| < 1e-3).
 * Speed: TopK-128 encode, d_in 4096 × d_sae 131,072, 256 tokens (sparse out: indices + values read back), stock tfjs
 * ops and lib/sae/webgpu_topk.ts's fused WGSL encode (each tile shape checked against a host computation of 4 rows).
 * Prints one JSON line last.
 */
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import * as path from "node:path";
import { initBackend, setupNavigatorGpu, tf } from "../../lib/backend.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { disposeDenorm, encode, processInput, type Sae } from "../../lib/sae/index.ts";
import { TopkWeightsGpu, WebGpuTopkEncoder, webgpuBackendDevice, type MatmulTile } from "../../lib/sae/webgpu_topk.ts";

/**
 * lib/sae's encode merges per-chunk top-k on the host with dataSync, which the webgpu backend cannot do under Node
 * (its synchronous read needs OffscreenCanvas). This is the same TopK encode kept on the device: lib/sae's
 * processInput, then (x − b_dec)·W_enc + b_enc, top-k over all latents, ReLU, read back asynchronously.
 */
async function encodeTopkAsync(
  sae: Sae,
  x: tf.Tensor2D,
  k: number,
  wChunks?: tf.Tensor2D[], // W_enc split by latents: one WebGPU binding holds under 2 GiB
): Promise<{ v: Float32Array; i: Int32Array }> {
  const { sae_in, denorm } = processInput(sae, x);
  disposeDenorm(denorm);
  const [vt, it] = tf.tidy(() => {
    const mm = wChunks
      ? tf.concat(
          wChunks.map((w) => tf.matMul(sae_in, w)),
          1,
        )
      : tf.matMul(sae_in, sae.W_enc);
    const pre = tf.add(mm, sae.b_enc);
    const t = tf.topk(pre, k, true);
    return [tf.relu(t.values), t.indices];
  });
  sae_in.dispose();
  const v = (await vt.data()) as Float32Array;
  const i = (await it.data()) as Int32Array;
  tf.dispose([vt, it]);
  return { v, i };
}

function rand(n: number, seed: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 32 - 0.5) * 2 * scale;
  }
  return a;
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

function makeSae(
  d_in: number,
  d_sae: number,
  k: number,
  W: Float32Array,
  b_enc: Float32Array,
  b_dec: Float32Array,
): Sae {
  return {
    cfg: {
      architecture: "topk",
      d_in,
      d_sae,
      k,
      rescale_acts_by_decoder_norm: false,
      apply_b_dec_to_input: true,
      normalize_activations: "none",
      format: "memory",
      source: "bench",
      metadata: {},
    },
    W_enc: tf.tensor2d(W, [d_in, d_sae]),
    b_enc: tf.tensor1d(b_enc),
    b_dec: tf.tensor1d(b_dec),
    W_dec: undefined as unknown as tf.Tensor2D,
  } as Sae;
}

async function onBackend<T>(name: string, f: () => Promise<T>): Promise<T> {
  await tf.setBackend(name);
  return f();
}

async function main() {
  // tfjs-backend-webgpu registers itself at import only when navigator.gpu exists: set it up first
  const why = await setupNavigatorGpu();
  if (why) throw new Error(why);
  // @ts-ignore optional package: bench/device/run.sh --pack bundles it
  await import("@tensorflow/tfjs-backend-webgpu");
  const info = await initBackend();
  if (!tf.findBackendFactory("cpu")) tf.registerBackend("cpu", () => new MathBackendCPU(), 1);
  console.log(`backend: ${info.backend} — ${info.description}`);
  const out: Record<string, unknown> = { backend: info.description };

  // 1. logits parity on the llama fixture
  const dir = path.resolve("test/fixtures/model/llama"); // run from the repository root
  const ids = [[1, 5, 9, 17, 33, 65, 129, 200, 7, 3, 2, 11]];
  const logitsOn = (b: string) =>
    onBackend(b, async () => {
      const m = await loadModel(dir);
      const l = forward(m, ids);
      const v = await l.data();
      l.dispose();
      disposeModel(m);
      return v as Float32Array;
    });
  const lc = await logitsOn("cpu");
  const lg = await logitsOn("webgpu");
  out.logits_max_abs_diff = maxAbs(lc, lg);
  console.log(
    `logits webgpu vs cpu: max |Δ| ${(out.logits_max_abs_diff as number).toExponential(2)} over ${lc.length}`,
  );

  // 2. SAE encode parity (dense TopK) on a small SAE: stock tfjs ops and the fused WGSL encode vs lib/sae on cpu
  {
    const [d_in, d_sae, k, n] = [512, 16384, 32, 64];
    const W = rand(d_in * d_sae, 1, 0.05),
      be = rand(d_sae, 2, 0.01),
      bd = rand(d_in, 3, 0.1),
      x = rand(n * d_in, 4);
    const ec = await onBackend("cpu", async () => {
      const sae = makeSae(d_in, d_sae, k, W, be, bd);
      const xt = tf.tensor2d(x, [n, d_in]);
      const e = encode(sae, xt); // lib/sae's encode on the cpu backend
      const v = (await e.data()) as Float32Array;
      tf.dispose([e, xt, sae.W_enc, sae.b_enc, sae.b_dec]);
      return v;
    });
    const eg = await onBackend("webgpu", async () => {
      const sae = makeSae(d_in, d_sae, k, W, be, bd);
      const xt = tf.tensor2d(x, [n, d_in]);
      const { v, i } = await encodeTopkAsync(sae, xt, k);
      tf.dispose([xt, sae.W_enc, sae.b_enc, sae.b_dec]);
      const dense = new Float32Array(n * d_sae);
      for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) dense[r * d_sae + i[r * k + j]] = v[r * k + j];
      return dense;
    });
    out.sae_max_abs_diff = maxAbs(ec, eg);
    console.log(`SAE encode webgpu vs cpu: max |Δ| ${(out.sae_max_abs_diff as number).toExponential(2)}`);
    await tf.setBackend("webgpu");
    try {
      const dev = webgpuBackendDevice();
      dev.pushErrorScope("validation");
      const wts = TopkWeightsGpu.create(dev, { d_in, d_sae, k }, W, be, bd);
      const fe = new WebGpuTopkEncoder(wts);
      const { values, indices } = await fe.encode(x, n);
      const err = await dev.popErrorScope();
      if (err) throw new Error(`WebGPU validation: ${err.message}`);
      const dense = new Float32Array(n * d_sae);
      for (let r = 0; r < n; r++) for (let j = 0; j < k; j++) dense[r * d_sae + indices[r * k + j]] = values[r * k + j];
      out.fused_small_max_abs_diff = maxAbs(ec, dense);
      fe.dispose();
      wts.dispose();
    } catch (e) {
      out.fused_small_error = String((e as Error).message ?? e);
      out.fused_small_max_abs_diff = Infinity;
    }
    console.log(`SAE encode fused WGSL vs cpu: max |Δ| ${out.fused_small_max_abs_diff} ${out.fused_small_error ?? ""}`);
  }

  // 3. speed: d_in 4096 × d_sae 131,072, TopK-128, 256 tokens
  await tf.setBackend("webgpu");
  const [d_in, d_sae, k, n] = [4096, 131072, 128, 256];
  const C = 4; // W_enc as 4 chunks of 32,768 latents (512 MiB each)
  const w = Array.from({ length: C }, (_, c) => rand((d_in * d_sae) / C, 50 + c, 0.02));
  const b_enc = rand(d_sae, 6, 0.01),
    b_dec = rand(d_in, 7, 0.1),
    x = rand(n * d_in, 8);
  const sae = makeSae(1, 1, k, new Float32Array(1), b_enc, b_dec);
  sae.W_enc.dispose();
  Object.assign(sae.cfg, { d_in, d_sae });
  const wt = w.map((a) => tf.tensor2d(a, [d_in, d_sae / C]));
  const xt = tf.tensor2d(x, [n, d_in]);
  const once = () => encodeTopkAsync(sae, xt, k, wt);
  // check row 0 against a host computation (a failed GPU validation gives garbage, not an error)
  {
    const { i } = await once();
    const pre = Float64Array.from(b_enc);
    const cw = d_sae / C;
    for (let c = 0; c < C; c++)
      for (let r = 0; r < d_in; r++) {
        const xr = x[r] - b_dec[r];
        const row = w[c].subarray(r * cw, (r + 1) * cw);
        for (let j = 0; j < cw; j++) pre[c * cw + j] += xr * row[j];
      }
    const host = Array.from(pre.keys())
      .sort((a, b) => pre[b] - pre[a])
      .slice(0, k)
      .sort((a, b) => a - b);
    const gpu = Array.from(i.subarray(0, k)).sort((a, b) => a - b);
    let same = 0;
    for (const j of gpu) if (host.includes(j)) same++;
    out.sae_row0_topk_agree = same / k;
    console.log(`SAE encode (large) row 0: ${same}/${k} top-k latents agree with the host computation`);
  }
  await once();
  const times: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    await once();
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  out.sae_tokens_per_s = n / times[Math.floor(times.length / 2)];
  out.sae_times_s = times;
  console.log(
    `SAE encode 4096×131072 TopK-128, ${n} tokens: ${(out.sae_tokens_per_s as number).toFixed(0)} tokens/s (median of 5)`,
  );

  // 4. the fused WGSL encode (lib/sae/webgpu_topk.ts) on the same SAE, on the backend's device, for several tiles
  const checkRows = [0, 127, 128, 255];
  const host = hostTopk(w, b_enc, b_dec, x, d_in, d_sae, k, checkRows);
  const x1024 = rand(1024 * d_in, 9);
  const fused = await benchFused(
    webgpuBackendDevice(),
    "tfjs-webgpu",
    { d_in, d_sae, k },
    w,
    b_enc,
    b_dec,
    x,
    n,
    host,
    x1024,
  );
  out.fused = fused;
  const best = fused.filter((f) => f.ok).sort((a, b) => b.tokens_per_s - a.tokens_per_s)[0];
  out.fused_best = best ?? null;
  out.fused_ok = fused.length > 0 && fused.every((f) => f.ok);
  console.log(JSON.stringify(out));
}

interface HostRows {
  rows: number[];
  top: { idx: number[]; val: number[] }[]; // per row: host top-k latents (descending) and ReLU'd values
  pre: Float64Array[]; // per row: all pre-activations
}

/** Pre-activations of some rows in float64 on the host, and their top-k. */
function hostTopk(
  w: Float32Array[],
  b_enc: Float32Array,
  b_dec: Float32Array,
  x: Float32Array,
  d_in: number,
  d_sae: number,
  k: number,
  rows: number[],
): HostRows {
  const C = w.length,
    cw = d_sae / C;
  const pre = rows.map(() => Float64Array.from(b_enc));
  for (let c = 0; c < C; c++)
    for (let r = 0; r < d_in; r++) {
      const wr = w[c].subarray(r * cw, (r + 1) * cw);
      for (let q = 0; q < rows.length; q++) {
        const xr = x[rows[q] * d_in + r] - b_dec[r];
        const p = pre[q];
        const o = c * cw;
        for (let j = 0; j < cw; j++) p[o + j] += xr * wr[j];
      }
    }
  const top = pre.map((p) => {
    const idx = Array.from(p.keys())
      .sort((a, b) => p[b] - p[a])
      .slice(0, k);
    return { idx, val: idx.map((i) => Math.max(0, p[i])) };
  });
  return { rows, top, pre };
}

interface FusedResult {
  device: string;
  tile: MatmulTile;
  ok: boolean;
  error?: string;
  topk_agree?: number; // share of the checked rows' top-k latents that match the host's
  max_abs_diff?: number; // GPU values vs host pre-activations of the same latents (ReLU'd)
  near_tie_misses?: number; // mismatched latents whose host value is within 1e-4 of the host's k-th value
  times_s?: number[];
  tokens_per_s: number;
  tokens_per_s_1024?: number;
  stages_ms?: Record<string, number>;
}

async function benchFused(
  dev: GPUDevice,
  label: string,
  cfg: { d_in: number; d_sae: number; k: number },
  w: Float32Array[],
  b_enc: Float32Array,
  b_dec: Float32Array,
  x: Float32Array,
  n: number,
  host: HostRows,
  x1024: Float32Array,
): Promise<FusedResult[]> {
  const tiles: MatmulTile[] = [
    { bm: 128, bn: 64, bk: 16 },
    { bm: 128, bn: 64, bk: 8 },
    { bm: 128, bn: 64, bk: 32 },
    { bm: 256, bn: 64, bk: 16 },
    { bm: 64, bn: 64, bk: 16 },
    { bm: 64, bn: 128, bk: 16 },
    { bm: 128, bn: 128, bk: 16 },
  ];
  const res: FusedResult[] = [];
  const { k } = cfg;
  dev.pushErrorScope("validation");
  const wts = TopkWeightsGpu.create(dev, cfg, w, b_enc, b_dec);
  for (const tile of tiles) {
    const r: FusedResult = { device: label, tile, ok: false, tokens_per_s: 0 };
    res.push(r);
    let enc: WebGpuTopkEncoder | undefined;
    try {
      dev.pushErrorScope("validation");
      enc = new WebGpuTopkEncoder(wts, { tile });
      const { values, indices } = await enc.encode(x, n);
      const err = await dev.popErrorScope();
      if (err) throw new Error(`WebGPU validation: ${err.message}`);
      let same = 0,
        tot = 0,
        near = 0,
        dmax = 0;
      host.rows.forEach((row, q) => {
        const h = host.top[q];
        const hs = new Set(h.idx);
        const kth = host.pre[q][h.idx[k - 1]];
        for (let j = 0; j < k; j++) {
          const i = indices[row * k + j];
          tot++;
          if (hs.has(i)) same++;
          else if (Math.abs(host.pre[q][i] - kth) < 1e-4) near++;
          const hv = i >= 0 && i < cfg.d_sae ? Math.max(0, host.pre[q][i]) : Infinity;
          dmax = Math.max(dmax, Math.abs(values[row * k + j] - hv), Math.abs(values[row * k + j] - h.val[j]));
        }
      });
      r.topk_agree = same / tot;
      r.near_tie_misses = near;
      r.max_abs_diff = dmax;
      r.ok = dmax < 1e-3 && same + near === tot;
      await enc.encode(x, n);
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        await enc.encode(x, n);
        times.push((performance.now() - t0) / 1000);
      }
      times.sort((a, b) => a - b);
      r.times_s = times;
      r.tokens_per_s = n / times[times.length >> 1];
      const t1: number[] = [];
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        await enc.encode(x1024, 1024);
        t1.push((performance.now() - t0) / 1000);
      }
      t1.sort((a, b) => a - b);
      r.tokens_per_s_1024 = 1024 / t1[3];
      await enc.encode(x, n);
      r.stages_ms = { ...(await enc.stageTimes(n, 10)) };
    } catch (e) {
      r.error = String((e as Error).message ?? e);
    } finally {
      enc?.dispose();
    }
    console.log(
      `fused [${label}] tile ${tile.bm}x${tile.bn}x${tile.bk}: ${r.ok ? "PASS" : "FAIL"} ` +
        `agree ${r.topk_agree} (near-tie misses ${r.near_tie_misses}) max|Δ| ${r.max_abs_diff?.toExponential(2)}; ` +
        `${r.tokens_per_s.toFixed(0)} tokens/s at ${n} (${r.tokens_per_s_1024?.toFixed(0)} at 1024); ` +
        `stages ${JSON.stringify(r.stages_ms)} ${r.error ?? ""}`,
    );
  }
  const err = await dev.popErrorScope();
  if (err) console.log(`fused [${label}] validation: ${err.message}`);
  wts.dispose();
  return res;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
