/**
 * SAE encode throughput: tokens/s of TopK encode (dense [n, d_sae] out, as SAELens' encode returns) for molab (tfjs,
 * lib/sae's chunked encode) and for PyTorch on CPU (bench/sae_torch.py, same weights and batch from one safetensors
 * file), in the same run, and the ratio. Two sizes: d_in 2048 × d_sae 65,536 TopK-64 (a real residual SAE's encoder,
 * 512 MiB) and the tiny assistant's, d_in 128 × d_sae 1024 TopK-32; batch 256.
 *
 *   node --import tsx bench/sae.ts [--repeats 2] [--only tiny|large] [--threads T]   (MOLAB_NATIVE=0: the wasm path)
 *
 * The machine is shared: runs are short (fastest of --repeats after one warm-up) and the load average is printed.
 * Also printed: where our encode spends its time (the encoder matmul and its GFLOP/s, the top-k, the dense scatter)
 * and whether the matmul runs on the native BLAS path (lib/native; tf.matMul's BatchMatMul kernel when it is built).
 * Threads: T (default every core) for the native path's BLAS and for PyTorch; 1 for both on the wasm path (wasm has
 * one). Encode reads W_enc, b_enc and b_dec only, so the benchmark SAE holds no decoder. MOLAB_PYTHON picks the Python with
 * torch (default /usr/bin/python3, Debian's python3-torch).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, backendInfo, tf } from "../lib/backend.ts";
import { numberFlag, parseFlags } from "../lib/args.ts";
import { writeSafetensors } from "../lib/io/safetensors_write.ts";
import { createRng } from "../lib/rng.ts";
import { nativeStatus, setNativeThreads } from "../lib/native/addon.ts";
import { encode, encodeSparse, type Sae } from "../lib/sae/index.ts";
import { bestTime, torchEnv } from "./timing.ts";

const SIZES = {
  tiny: { d_in: 128, d_sae: 1024, k: 32 },
  large: { d_in: 2048, d_sae: 65536, k: 64 },
};
const BATCH = 256;

function randn(n: number, seed: number, scale: number): Float32Array {
  const rng = createRng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * rng.normal();
  return out;
}

async function run(name: keyof typeof SIZES, manyRepeats: number, py: string) {
  const { d_in, d_sae, k } = SIZES[name];
  // a tiny-size encode takes milliseconds: ten times the repeats, so a collection or a preempted slice is not the best
  const repeats = name === "tiny" ? 10 * manyRepeats : manyRepeats;
  const W = randn(d_in * d_sae, 1, 1 / Math.sqrt(d_in));
  const b_enc = randn(d_sae, 2, 0.01);
  const b_dec = randn(d_in, 3, 0.01);
  const x = randn(BATCH * d_in, 4, 1);
  const file = path.join(os.tmpdir(), `molab-bench-sae-${name}.safetensors`);
  await writeSafetensors(file, {
    W_enc: { dtype: "F32", shape: [d_in, d_sae], data: W },
    b_enc: { dtype: "F32", shape: [d_sae], data: b_enc },
    b_dec: { dtype: "F32", shape: [d_in], data: b_dec },
    x: { dtype: "F32", shape: [BATCH, d_in], data: x },
  });
  // encode reads no decoder: the benchmark SAE has none (saves 512 MiB at the large size)
  const sae: Sae = {
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
  };
  const xt = tf.tensor2d(x, [BATCH, d_in]);
  const dense = bestTime(repeats, () => encode(sae, xt).dispose());
  const sp = encodeSparse(sae, xt);
  const ours0 = Array.from(sp.indices.dataSync().subarray(0, k)).sort((a, b) => a - b);
  tf.dispose([sp.indices, sp.values]);
  const sparse = bestTime(repeats, () => {
    const s = encodeSparse(sae, xt);
    tf.dispose([s.indices, s.values]);
  });
  // where the time goes: the encoder matmul (with the b_dec shift and bias), the top-k over [n, d_sae], the rest
  // (the ReLU and the dense scatter of k values per row)
  const pre = tf.tidy(() => tf.add(tf.matMul(tf.sub(xt, sae.b_dec), sae.W_enc), sae.b_enc));
  const matmul = bestTime(repeats, () =>
    tf.tidy(() => tf.add(tf.matMul(tf.sub(xt, sae.b_dec), sae.W_enc), sae.b_enc)).dispose(),
  );
  const topk = bestTime(repeats, () => {
    const t = tf.topk(pre, k, true);
    tf.dispose([t.values, t.indices]);
  });
  pre.dispose();
  tf.dispose([xt, sae.W_enc, sae.b_enc, sae.b_dec]);
  const r = spawnSync(py, [path.join(__dirname, "sae_torch.py"), file, String(k), String(repeats)], {
    encoding: "utf8",
    env: torchEnv(Number(process.env.MOLAB_BENCH_THREADS) || 1),
  });
  fs.rmSync(file, { force: true });
  if (r.status !== 0) throw new Error(`sae_torch.py failed: ${r.stderr}`);
  const t = JSON.parse(r.stdout);
  const same = JSON.stringify(t.row0) === JSON.stringify(ours0);
  const gflops = (2 * BATCH * d_in * d_sae) / matmul / 1e9;
  const split = { matmul, topk, rest: Math.max(0, dense - matmul - topk), gflops };
  return {
    name,
    d_in,
    d_sae,
    k,
    ours: BATCH / dense,
    oursSparse: BATCH / sparse,
    torch: t.tokens_per_s,
    t,
    same,
    split,
  };
}

async function main() {
  const { values } = parseFlags("bench sae", process.argv.slice(2), {
    repeats: { type: "string" },
    only: { type: "string" },
    threads: { type: "string" },
  });
  const repeats = numberFlag("bench sae", values, "repeats", 2)!;
  const only = values.only as keyof typeof SIZES | undefined;
  // Both sides get the same threads: ours (the native path's BLAS; wasm itself has one) and PyTorch's.
  const threads = numberFlag("bench sae", values, "threads", os.cpus().length)!;
  process.env.MOLAB_BENCH_THREADS = String(nativeStatus().enabled ? threads : 1);
  await initBackend();
  setNativeThreads(threads);
  const info = await backendInfo();
  const py = process.env.MOLAB_PYTHON ?? "/usr/bin/python3";
  const rows = [];
  for (const name of Object.keys(SIZES) as (keyof typeof SIZES)[])
    if (!only || only === name) rows.push(await run(name, repeats, py));
  console.log(
    `(${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)}; batch ${BATCH}; fastest of ${repeats}, tiny size ${10 * repeats})`,
  );
  console.log(
    `ours: ${info?.description}, ${info?.threads} thread(s); theirs: PyTorch ${rows[0]?.t.torch}, ${rows[0]?.t.threads} thread(s)`,
  );
  console.log("SAE encode (TopK, dense out)        ours tok/s  (sparse)  PyTorch tok/s   ratio  same top-k row 0");
  for (const r of rows)
    console.log(
      `${`d_in ${r.d_in} × d_sae ${r.d_sae}, k ${r.k}`.padEnd(34)} ${r.ours.toFixed(0).padStart(11)} ${r.oursSparse
        .toFixed(0)
        .padStart(9)} ${r.torch.toFixed(0).padStart(14)} ${(r.ours / r.torch).toFixed(2).padStart(6)}×  ${r.same}`,
    );
  for (const r of rows) {
    const { matmul, topk, rest, gflops } = r.split;
    const ms = (v: number) => `${(v * 1e3).toFixed(1)} ms`;
    const total = matmul + topk + rest;
    const share = (v: number) => `${((100 * v) / total).toFixed(0)}%`;
    const worst =
      matmul >= topk && matmul >= rest ? "the encoder matmul" : topk >= rest ? "the top-k" : "the dense scatter";
    console.log(
      `d_in ${r.d_in} × d_sae ${r.d_sae}: matmul ${ms(matmul)} (${share(matmul)}, ${gflops.toFixed(1)} GFLOP/s), ` +
        `top-k ${ms(topk)} (${share(topk)}), scatter and the rest ${ms(rest)} (${share(rest)}): limited by ${worst}`,
    );
  }
  console.log(`native matmul path (lib/native, BLAS sgemm for BatchMatMul on wasm): ${nativeStatus().detail}`);
  console.log(
    JSON.stringify(
      rows.map(({ t, ...r }) => ({ ...r, ratio: r.ours / r.torch })),
      null,
      0,
    ),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
