/**
 * Forward and KV-cache generation throughput of our decoder vs PyTorch (CPU) on the same tiny Llama model.
 *
 *   node --import tsx bench/model.ts [--repeats N] [--rounds R] [--threads T]   (MOLAB_NATIVE=0 measures the wasm path)
 *
 * Writes a random-init 4-layer d=256 Llama (GQA 8/4 heads, vocab 4096) to a temp dir, times
 *   forward:  batch 8 × 128 tokens, all logits
 *   generate: batch 1 and batch 8, 16-token prompt, 64 new tokens greedy with the KV cache
 * (fastest of --repeats runs, default 3) for us (tfjs, the backend initBackend picks) and for PyTorch (Debian's python3-torch, installed with apt when
 * missing), reading the same safetensors file; checks both compute the same logits; prints tokens/s and ratios.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { backendInfo, initBackend, tf } from "../lib/backend.ts";
import { writeSafetensors } from "../lib/io/safetensors_write.ts";
import { generate } from "../lib/model/generate.ts";
import { forward } from "../lib/model/llama.ts";
import { disposeModel, loadModel } from "../lib/model/load.ts";
import { expectedTensors } from "../lib/model/weights.ts";
import { parseConfig } from "../lib/model/config.ts";
import { nativeStatus, setNativeThreads } from "../lib/native/addon.ts";
import { bestTime, torchEnv } from "./timing.ts";

const CONFIG = {
  model_type: "llama",
  vocab_size: 4096,
  hidden_size: 256,
  intermediate_size: 768,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 4,
  head_dim: 32,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 2048,
  rope_theta: 10000,
  tie_word_embeddings: false,
  eos_token_id: 2,
  bos_token_id: 1,
};
const FWD = { batch: 8, seq: 128 };
const GEN = { prompt: 16, newTokens: 64 };

function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 1) / 4294967297;
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

async function writeModel(dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(CONFIG));
  const g = gaussian(1);
  const tensors: Record<string, { dtype: "F32"; shape: number[]; data: Float32Array }> = {};
  for (const [k, shape] of expectedTensors(parseConfig(CONFIG))) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const norm = shape.length === 1;
    for (let i = 0; i < n; i++) data[i] = norm ? 1 + 0.1 * g() : 0.05 * g();
    tensors[k.startsWith("lm_head") ? k : "model." + k] = { dtype: "F32", shape, data };
  }
  await writeSafetensors(path.join(dir, "model.safetensors"), tensors);
}

function randomIds(rows: number, cols: number, seed: number): number[][] {
  let s = seed;
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => (s = (s * 48271) % 2147483647) % CONFIG.vocab_size),
  );
}

/** The BLAS Debian's torch calls (it is built with BLAS_INFO=generic and uses whatever libblas.so.3 is). */
function systemBlas(): string {
  try {
    return fs.realpathSync("/usr/lib/x86_64-linux-gnu/libblas.so.3");
  } catch {
    return "unknown";
  }
}

/**
 * A python3 with torch. Installs Debian's python3-torch when missing, and OpenBLAS when libblas.so.3 is the
 * reference BLAS (about 2.5 GFLOP/s here: comparing against that would flatter us 10×).
 */
function torchPython(): string | undefined {
  const ok = (py: string) => spawnSync(py, ["-c", "import torch"], { encoding: "utf8" }).status === 0;
  const apt = (pkg: string) => {
    if (process.getuid?.() !== 0 || !fs.existsSync("/usr/bin/apt-get")) return;
    console.log(`installing ${pkg} with apt-get …`);
    spawnSync("apt-get", ["install", "-y", pkg], { stdio: "ignore" });
  };
  let py = ["/usr/bin/python3", "python3"].find(ok);
  if (!py) {
    apt("python3-torch");
    py = ok("/usr/bin/python3") ? "/usr/bin/python3" : undefined;
  }
  if (py === "/usr/bin/python3" && !/openblas|blis|mkl/.test(systemBlas())) apt("libopenblas0-pthread");
  return py;
}

async function main() {
  const repeats = Number(process.argv[process.argv.indexOf("--repeats") + 1]) || 3;
  const rounds = process.argv.includes("--rounds") ? Number(process.argv[process.argv.indexOf("--rounds") + 1]) : 2;
  // Both sides get the same threads: ours (the native path's BLAS; wasm itself has one) and PyTorch's.
  const threads = process.argv.includes("--threads")
    ? Number(process.argv[process.argv.indexOf("--threads") + 1])
    : os.cpus().length;
  process.env.MOLAB_BENCH_THREADS = String(threads);
  await initBackend();
  setNativeThreads(threads);
  const info = await backendInfo();
  const dir = path.join(os.tmpdir(), "molab-bench-model");
  await writeModel(dir);
  const model = await loadModel(dir);
  const checkIds = randomIds(1, 24, 7)[0];
  const ours: Record<string, number> = {};
  const theirs: Record<string, number> = {};
  const x = randomIds(FWD.batch, FWD.seq, 11);
  const check = forward(model, [checkIds]);
  const ourCheck = check.dataSync();
  check.dispose();
  const py = torchPython();
  let note = py ? "" : "PyTorch not available (apt-get install -y python3-torch)";
  // Rounds alternate ours and PyTorch, and each side keeps its best: load from other processes on this shared
  // machine then falls on both sides alike.
  const best = (o: Record<string, number>, k: string, v: number) => (o[k] = Math.max(o[k] ?? 0, v));
  for (let round = 0; round < rounds; round++) {
    best(ours, "forward", (FWD.batch * FWD.seq) / bestTime(repeats, () => forward(model, x).dispose()));
    for (const b of [1, 8]) {
      const prompts = randomIds(b, GEN.prompt, 13 + b);
      best(
        ours,
        `generate_b${b}`,
        (b * GEN.newTokens) /
          bestTime(repeats, () => generate(model, prompts, { maxNewTokens: GEN.newTokens, stopTokens: [] })),
      );
    }
    if (!py) continue;
    for (const b of [1, 8]) {
      const args = [
        path.join(__dirname, "model_torch.py"),
        dir,
        String(FWD.batch),
        String(FWD.seq),
        String(repeats),
        String(b),
        String(GEN.prompt),
        String(GEN.newTokens),
        JSON.stringify(checkIds),
      ];
      const r = spawnSync(py, args, { encoding: "utf8", maxBuffer: 1 << 28, env: torchEnv(threads) });
      if (r.status !== 0) throw new Error(`model_torch.py failed: ${r.stderr}`);
      const j = JSON.parse(r.stdout);
      best(theirs, "forward", j.forward_tokens_per_s);
      best(theirs, `generate_b${b}`, j.generate_tokens_per_s);
      let d = 0;
      (j.check_logits as number[][]).flat().forEach((v, i) => (d = Math.max(d, Math.abs(v - ourCheck[i]))));
      note = `PyTorch ${j.torch}, ${j.threads} thread(s), BLAS ${path.basename(path.dirname(systemBlas()))}; max |Δlogits| between the two: ${d.toExponential(1)}`;
    }
  }
  disposeModel(model);

  console.log(
    `model: llama, 4 layers, hidden 256, heads 8/4, vocab 4096 (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(1)})`,
  );
  console.log(`ours: ${info?.description}, ${info?.threads} thread(s); native path ${nativeStatus().detail}`);
  console.log(`theirs: ${note}`);
  console.log("workload                          ours tok/s   PyTorch tok/s   ratio");
  const label: Record<string, string> = {
    forward: `forward ${FWD.batch}×${FWD.seq}`,
    generate_b1: `generate b=1, ${GEN.newTokens} new`,
    generate_b8: `generate b=8, ${GEN.newTokens} new`,
  };
  for (const k of Object.keys(ours)) {
    const t = theirs[k];
    console.log(
      `${label[k].padEnd(32)} ${ours[k].toFixed(0).padStart(11)} ${t ? t.toFixed(0).padStart(15) : "              -"} ${t ? (ours[k] / t).toFixed(2).padStart(6) + "×" : ""}`,
    );
  }
  console.log(
    JSON.stringify({
      ours,
      pytorch: theirs,
      threads,
      native: nativeStatus().enabled,
      tf_memory_tensors: tf.memory().numTensors,
    }),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
