/**
 * LoRA training throughput: tokens/s of one optimizer step (forward + backward + clip + AdamW) for
 * molab (tfjs) and for PyTorch on CPU (bench/lora_torch.py: the same model file, batch, rank, alpha
 * and target modules), and the ratio. The model is data/models/tiny-assistant-v1 when present, else a
 * random Llama of about its size.
 *
 *   node --import tsx bench/lora.ts [--model DIR] [--batch 8] [--seq 128] [--r 16] [--steps 5] [--rounds 2] [--threads N]
 * --stock-kernels measures with tfjs-wasm's own BatchMatMul (slow transposed paths) instead of lib/lora's.
 * --write-inputs DIR only writes the model and batch (to run lora_torch.py --peft where PEFT is installed).
 * MOLAB_PYTHON picks the Python with torch (default: /usr/bin/python3, Debian's python3-torch).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf, initBackend } from "../lib/backend.ts";
import { parseFlags, numberFlag } from "../lib/args.ts";
import { writeSafetensors } from "../lib/io/safetensors_write.ts";
import { LoraAdapter } from "../lib/lora/adapter.ts";
import { LLAMA_PROJECTIONS, loraConfig } from "../lib/lora/config.ts";
import { attachAdapter } from "../lib/lora/inject.ts";
import { AdamW, clipGradNorm } from "../lib/train/optim.ts";
import { createRng } from "../lib/rng.ts";
import { accumulateGradients } from "../lib/lora/train.ts";
import { loadHost } from "../lib/lora/model_host.ts";
import { keepStockMatMul } from "../lib/wasm_kernels.ts";
import { nativeStatus, setNativeThreads } from "../lib/native/addon.ts";
import { torchEnv } from "./timing.ts";
import { TINY_V1_MODEL_DIR } from "../lib/paths.ts";

const TINY = TINY_V1_MODEL_DIR;

/** A random Llama checkpoint (HF layout, f32) about the size of the embedded tiny model. */
async function randomModel(dir: string): Promise<void> {
  const cfg = {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: 4096,
    hidden_size: 256,
    intermediate_size: 704,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    head_dim: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    max_position_embeddings: 512,
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    hidden_act: "silu",
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(cfg, null, 2));
  const {
    hidden_size: h,
    intermediate_size: I,
    head_dim: D,
    num_attention_heads: H,
    num_key_value_heads: KV,
    vocab_size: V,
  } = cfg;
  let seed = 1;
  const w: Record<string, tf.Tensor> = {};
  const rnd = (shape: number[], std = 0.05) => tf.randomNormal(shape, 0, std, "float32", seed++);
  w["model.embed_tokens.weight"] = rnd([V, h], 1);
  w["lm_head.weight"] = rnd([V, h]);
  w["model.norm.weight"] = tf.ones([h]);
  for (let l = 0; l < cfg.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    w[p + "input_layernorm.weight"] = tf.ones([h]);
    w[p + "post_attention_layernorm.weight"] = tf.ones([h]);
    w[p + "self_attn.q_proj.weight"] = rnd([H * D, h]);
    w[p + "self_attn.k_proj.weight"] = rnd([KV * D, h]);
    w[p + "self_attn.v_proj.weight"] = rnd([KV * D, h]);
    w[p + "self_attn.o_proj.weight"] = rnd([h, H * D]);
    w[p + "mlp.gate_proj.weight"] = rnd([I, h]);
    w[p + "mlp.up_proj.weight"] = rnd([I, h]);
    w[p + "mlp.down_proj.weight"] = rnd([h, I]);
  }
  await writeSafetensors(path.join(dir, "model.safetensors"), w);
  tf.dispose(Object.values(w));
}

async function main() {
  const { values } = parseFlags("bench lora", process.argv.slice(2), {
    model: { type: "string" },
    batch: { type: "string" },
    seq: { type: "string" },
    r: { type: "string" },
    alpha: { type: "string" },
    steps: { type: "string" },
    rounds: { type: "string" },
    threads: { type: "string" },
    "write-inputs": { type: "string" },
    "stock-kernels": { type: "boolean" },
  });
  const B = numberFlag("bench", values, "batch", 8)!,
    T = numberFlag("bench", values, "seq", 128)!;
  const r = numberFlag("bench", values, "r", 16)!,
    alpha = numberFlag("bench", values, "alpha", 2 * r)!;
  const steps = numberFlag("bench", values, "steps", 5)!;
  const rounds = numberFlag("bench", values, "rounds", 2)!;
  const threads = numberFlag("bench", values, "threads", os.cpus().length)!;
  const info = await initBackend();
  setNativeThreads(threads); // the native path's BLAS gets the threads PyTorch gets
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-bench-lora-"));
  let modelDir = values.model as string | undefined;
  if (!modelDir) {
    if (fs.existsSync(path.join(TINY, "model.safetensors"))) modelDir = TINY;
    else {
      modelDir = path.join(tmp, "model");
      await randomModel(modelDir);
    }
  }
  const cfg = JSON.parse(fs.readFileSync(path.join(modelDir, "config.json"), "utf8"));
  const rng = createRng(7);
  const ids = Array.from({ length: B }, () => Array.from({ length: T }, () => 3 + rng.int(cfg.vocab_size - 3)));
  const mask = ids.map((row) => row.map((_, t) => (t >= T / 4 ? 1 : 0)));
  const batchFile = path.join(tmp, "batch.json");
  fs.writeFileSync(batchFile, JSON.stringify({ ids, mask }));
  const keep = values["write-inputs"] as string | undefined;
  if (keep) {
    // Only write the model and batch (for running lora_torch.py elsewhere, e.g. with --peft).
    fs.mkdirSync(keep, { recursive: true });
    for (const f of ["config.json", "model.safetensors"]) fs.copyFileSync(path.join(modelDir, f), path.join(keep, f));
    fs.copyFileSync(batchFile, path.join(keep, "batch.json"));
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`wrote ${keep}/{config.json,model.safetensors,batch.json}`);
    return;
  }

  // molab
  const kernels = values["stock-kernels"]
    ? "stock tfjs-wasm BatchMatMul"
    : nativeStatus().enabled
      ? `native BLAS matmuls (lib/native), ${threads} thread(s)`
      : "transpose-free BatchMatMul (lib/wasm_kernels.ts)";
  if (values["stock-kernels"]) keepStockMatMul();
  const host = await loadHost(modelDir);
  const adapter = LoraAdapter.create(
    host,
    loraConfig({ r, lora_alpha: alpha, target_modules: [...LLAMA_PROJECTIONS] }),
    0,
  );
  attachAdapter(host, adapter);
  const opt = new AdamW(adapter.variables(), { lr: 2e-5, weightDecay: 0 });
  const micro = [ids.map((row, i) => ({ ids: row, mask: mask[i] }))];
  let loss0 = NaN;
  const step = () => {
    const { loss, grads } = accumulateGradients(host, adapter, micro);
    const { grads: clipped } = clipGradNorm(grads, 1.0);
    opt.step(clipped);
    tf.dispose([...grads, ...clipped]);
    if (Number.isNaN(loss0)) loss0 = loss;
  };
  step(); // warmup
  const measureOurs = () => {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    return (B * T * steps) / ((performance.now() - t0) / 1000);
  };

  // PyTorch
  const py = process.env.MOLAB_PYTHON ?? "/usr/bin/python3";
  const measureTorch = () => {
    const res = spawnSync(
      py,
      [
        path.join(__dirname, "lora_torch.py"),
        "--model",
        modelDir,
        "--batch",
        batchFile,
        "--steps",
        String(steps),
        "--r",
        String(r),
        "--alpha",
        String(alpha),
        "--threads",
        String(threads),
      ],
      { encoding: "utf8", env: torchEnv(threads) },
    );
    if (res.status !== 0) {
      console.error(`PyTorch side failed (${py}): ${res.stderr.trim().split("\n").slice(-3).join(" | ")}`);
      process.exit(1);
    }
    return JSON.parse(res.stdout.trim().split("\n").pop()!);
  };
  // Rounds alternate the two sides and each keeps its best (the machine is shared; load then falls on both alike).
  let ours = 0;
  let torch: { torch: string; threads: number; hand: { tokens_per_s: number; loss0: number } } | undefined;
  for (let round = 0; round < rounds; round++) {
    ours = Math.max(ours, measureOurs());
    const t = measureTorch();
    if (!torch || t.hand.tokens_per_s > torch.hand.tokens_per_s) torch = t;
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  torch = torch!;
  const theirs = torch.hand.tokens_per_s as number;
  const blas = (() => {
    try {
      return path.basename(path.dirname(fs.realpathSync("/usr/lib/x86_64-linux-gnu/libblas.so.3")));
    } catch {
      return "unknown";
    }
  })();
  const shape = `d=${cfg.hidden_size} L=${cfg.num_hidden_layers} V=${cfg.vocab_size}`;
  const model =
    values.model || modelDir === TINY ? `${path.basename(path.resolve(modelDir))} (${shape})` : `random llama ${shape}`;
  console.log(
    `LoRA training, ${model}, batch ${B}×${T}, r=${r} α=${alpha} on all 7 projections (${adapter.parameterCount()} trainable)`,
  );
  console.log(
    `  molab  ${info.backend.padEnd(6)} ${ours.toFixed(0).padStart(7)} tokens/s   (initial loss ${loss0.toFixed(4)}; ${kernels})`,
  );
  console.log(
    `  torch  ${String(torch.torch).padEnd(6)} ${theirs.toFixed(0).padStart(7)} tokens/s   (initial loss ${torch.hand.loss0.toFixed(4)}, ${torch.threads} threads, BLAS ${blas})`,
  );
  console.log(`  ratio  ${(ours / theirs).toFixed(2)}×`);
  console.log(
    JSON.stringify({
      model,
      batch: B,
      seq: T,
      r,
      alpha,
      molab_tokens_per_s: ours,
      torch_tokens_per_s: theirs,
      ratio: ours / theirs,
      threads,
      native: nativeStatus().enabled,
      torch_threads: torch.threads,
      blas,
      kernels,
      loss0_molab: loss0,
      loss0_torch: torch.hand.loss0,
    }),
  );
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
