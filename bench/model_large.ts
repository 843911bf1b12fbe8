/**
 * Real-size models on the native path: a random-init checkpoint with Qwen2.5-0.5B-Instruct's config (494M parameters,
 * bf16 safetensors, 0.99 GB) — or Qwen2.5-1.5B's with --config 1.5b — loaded with frozen weights in native memory
 * (lib/model/frozen.ts), in a fresh process that reports:
 *   load time, peak RSS (and RSS ÷ bf16 weight bytes), generation tokens/s (b=1, 16-token prompt, 32 new, greedy,
 *   KV cache), LoRA step tokens/s (batch 1×128, r=16 on all 7 projections, forward + backward + AdamW).
 * With the wasm path alone these models do not load at all (wasm32 heap: about 1.8 GiB of f32 weights at most).
 *
 *   node --import tsx bench/model_large.ts [--config 0.5b|1.5b] [--threads T] [--store bf16|f32] [--seq N]
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { torchEnv } from "./timing.ts";

const CONFIGS: Record<string, Record<string, unknown>> = {
  // Qwen/Qwen2.5-0.5B-Instruct config.json (the fields the decoder reads)
  "0.5b": {
    architectures: ["Qwen2ForCausalLM"],
    model_type: "qwen2",
    vocab_size: 151936,
    hidden_size: 896,
    intermediate_size: 4864,
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 32768,
    tie_word_embeddings: true,
    hidden_act: "silu",
    bos_token_id: 151643,
    eos_token_id: 151645,
    sliding_window: 32768,
    use_sliding_window: false,
    torch_dtype: "bfloat16",
  },
  // Qwen/Qwen2.5-1.5B-Instruct
  "1.5b": {
    architectures: ["Qwen2ForCausalLM"],
    model_type: "qwen2",
    vocab_size: 151936,
    hidden_size: 1536,
    intermediate_size: 8960,
    num_hidden_layers: 28,
    num_attention_heads: 12,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1000000,
    max_position_embeddings: 32768,
    tie_word_embeddings: true,
    hidden_act: "silu",
    bos_token_id: 151643,
    eos_token_id: 151645,
    sliding_window: 32768,
    use_sliding_window: false,
    torch_dtype: "bfloat16",
  },
};

function tensorsOf(c: Record<string, number>): [string, number[]][] {
  const { hidden_size: h, intermediate_size: I, num_attention_heads: H, num_key_value_heads: KV, vocab_size: V } = c;
  const D = h / H;
  const out: [string, number[]][] = [["model.embed_tokens.weight", [V, h]]];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`;
    out.push(
      [p + "input_layernorm.weight", [h]],
      [p + "post_attention_layernorm.weight", [h]],
      [p + "self_attn.q_proj.weight", [H * D, h]],
      [p + "self_attn.q_proj.bias", [H * D]],
      [p + "self_attn.k_proj.weight", [KV * D, h]],
      [p + "self_attn.k_proj.bias", [KV * D]],
      [p + "self_attn.v_proj.weight", [KV * D, h]],
      [p + "self_attn.v_proj.bias", [KV * D]],
      [p + "self_attn.o_proj.weight", [h, H * D]],
      [p + "mlp.gate_proj.weight", [I, h]],
      [p + "mlp.up_proj.weight", [I, h]],
      [p + "mlp.down_proj.weight", [h, I]],
    );
  }
  out.push(["model.norm.weight", [h]]);
  return out;
}

/** A random bf16 checkpoint, written tensor by tensor in 4 MB chunks (never whole in memory). */
function writeRandomBf16(dir: string, config: Record<string, unknown>): number {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2));
  const list = tensorsOf(config as Record<string, number>);
  const header: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let off = 0;
  for (const [k, shape] of list) {
    const n = shape.reduce((a, b) => a * b, 1);
    header[k] = { dtype: "BF16", shape, data_offsets: [off, off + 2 * n] };
    off += 2 * n;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += " ";
  const fd = fs.openSync(path.join(dir, "model.safetensors"), "w");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
  let s = 12345 >>> 0;
  const f = new Float32Array(1 << 21);
  const u = new Uint32Array(f.buffer);
  const out = new Uint16Array(1 << 21);
  for (const [k, shape] of list) {
    let n = shape.reduce((a, b) => a * b, 1);
    const norm = k.endsWith("layernorm.weight") || k.endsWith("norm.weight");
    const std = norm ? 0 : k.endsWith(".bias") ? 0.02 : 0.02 * Math.sqrt(3);
    while (n > 0) {
      const m = Math.min(n, f.length);
      for (let i = 0; i < m; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        s >>>= 0;
        f[i] = norm ? 1 : (s / 2147483648 - 1) * std;
      }
      for (let i = 0; i < m; i++) out[i] = u[i] >>> 16;
      fs.writeSync(fd, new Uint8Array(out.buffer, 0, 2 * m));
      n -= m;
    }
  }
  fs.closeSync(fd);
  return off;
}

async function measure(dir: string, threads: number, store: "bf16" | "f32", T: number): Promise<void> {
  const { initBackend, tf } = await import("../lib/backend.ts");
  const { setNativeThreads, nativeStatus } = await import("../lib/native/addon.ts");
  const { loadFrozenModel, frozenBytes } = await import("../lib/model/frozen.ts");
  const { generate } = await import("../lib/model/generate.ts");
  const { modelHost } = await import("../lib/lora/model_host.ts");
  const { LoraAdapter } = await import("../lib/lora/adapter.ts");
  const { LLAMA_PROJECTIONS, loraConfig } = await import("../lib/lora/config.ts");
  const { attachAdapter } = await import("../lib/lora/inject.ts");
  const { accumulateGradients } = await import("../lib/lora/train.ts");
  const { AdamW, clipGradNorm } = await import("../lib/train/optim.ts");
  await initBackend();
  setNativeThreads(threads);
  const rss = () => process.memoryUsage().rss;
  const peak = () => process.resourceUsage().maxRSS * 1024;
  const rss0 = rss();
  let t = performance.now();
  const model = await loadFrozenModel(dir, { store });
  const loadS = (performance.now() - t) / 1000;
  const afterLoad = { rss: rss(), peak: peak() };
  const V = model.config.vocabSize;
  let seed = 7;
  const rand = () => ((seed = (seed * 48271) % 2147483647) % (V - 10)) + 5;
  const prompt = [Array.from({ length: 16 }, rand)];
  generate(model, prompt, { maxNewTokens: 2, stopTokens: [] });
  const NEW = 32;
  t = performance.now();
  generate(model, prompt, { maxNewTokens: NEW, stopTokens: [] });
  const genTps = NEW / ((performance.now() - t) / 1000);
  const afterGen = peak();

  const host = modelHost(model, dir);
  const adapter = LoraAdapter.create(
    host,
    loraConfig({ r: 16, lora_alpha: 32, target_modules: [...LLAMA_PROJECTIONS] }),
    0,
  );
  attachAdapter(host, adapter);
  const opt = new AdamW(adapter.variables(), { lr: 2e-5, weightDecay: 0 });
  const ids = Array.from({ length: T }, rand);
  const micro = [[{ ids, mask: ids.map((_, i) => (i >= T / 4 ? 1 : 0)) }]];
  let loss = NaN;
  const step = () => {
    const { loss: l, grads } = accumulateGradients(host, adapter, micro);
    const { grads: clipped } = clipGradNorm(grads, 1.0);
    opt.step(clipped);
    tf.dispose([...grads, ...clipped]);
    loss = l;
  };
  step();
  const STEPS = 2;
  t = performance.now();
  for (let i = 0; i < STEPS; i++) step();
  const loraTps = (T * STEPS) / ((performance.now() - t) / 1000);
  const params =
    model.config.vocabSize * model.config.hiddenSize +
    [...model.linears.values()].reduce((a, l) => a + l.inFeatures * l.outFeatures, 0);
  console.log(
    JSON.stringify({
      native: nativeStatus().detail,
      threads,
      store,
      lora_seq: T,
      params,
      weight_bytes_native: frozenBytes(model),
      bf16_bytes: 2 * params,
      load_s: loadS,
      rss_before_load: rss0,
      rss_after_load: afterLoad.rss,
      peak_rss_after_load: afterLoad.peak,
      peak_rss_after_generate: afterGen,
      peak_rss: peak(),
      wasm_heap_bytes: (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.length,
      generate_b1_tokens_per_s: genTps,
      lora_step_tokens_per_s: loraTps,
      lora_loss: loss,
      heap_bytes: tf.memory().numBytes,
    }),
  );
}

async function main() {
  const arg = (k: string, d: string) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : d);
  const which = arg("--config", "0.5b");
  const threads = Number(arg("--threads", String(os.cpus().length)));
  const store = arg("--store", "bf16") as "bf16" | "f32";
  // LoRA sequence length: the 1.5B model's activations for 128 tokens (with logits over 151,936 tokens) do not fit
  // the wasm heap beside tfjs's allocator slack; 64 do.
  const seq = Number(arg("--seq", which === "0.5b" ? "128" : "64"));
  const dir = path.join(os.tmpdir(), `molab-bench-qwen2.5-${which}-random`);
  if (process.argv.includes("--measure")) return measure(dir, threads, store, seq);
  const config = CONFIGS[which];
  if (!config) throw new Error(`--config ${which}: expected one of ${Object.keys(CONFIGS).join(", ")}`);
  if (!fs.existsSync(path.join(dir, "model.safetensors"))) {
    const t = performance.now();
    const bytes = writeRandomBf16(dir, config);
    console.log(
      `wrote ${dir} (${(bytes / 2 ** 30).toFixed(2)} GiB bf16) in ${((performance.now() - t) / 1000).toFixed(0)} s`,
    );
  }
  // A fresh process, so that peak RSS is the model's alone.
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      __filename,
      "--measure",
      "--config",
      which,
      "--threads",
      String(threads),
      "--store",
      store,
      "--seq",
      String(seq),
    ],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (r.status !== 0) throw new Error(`measuring failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const gib = (b: number) => (b / 2 ** 30).toFixed(2) + " GiB";
  console.log(
    `Qwen2.5-${which} config, random weights (${(j.params / 1e6).toFixed(0)}M parameters, bf16 file ${gib(j.bf16_bytes)}), ${os.cpus().length} cores, ${threads} thread(s), load ${os.loadavg()[0].toFixed(1)}`,
  );
  console.log(
    `  native ${j.native}; weights stored as ${j.store}: ${gib(j.weight_bytes_native)} outside the wasm heap`,
  );
  console.log(
    `  load ${j.load_s.toFixed(1)} s; RSS before ${gib(j.rss_before_load)}, after load ${gib(j.rss_after_load)}; peak RSS ${gib(j.peak_rss)} = ${(j.peak_rss / j.bf16_bytes).toFixed(2)}× the bf16 weight bytes (after load ${(j.peak_rss_after_load / j.bf16_bytes).toFixed(2)}×, after generation ${(j.peak_rss_after_generate / j.bf16_bytes).toFixed(2)}×)`,
  );
  console.log(
    `  wasm heap (activations, logits over the 151,936-token vocabulary, LoRA state; it never shrinks): ${gib(j.wasm_heap_bytes)}; peak RSS − heap = ${((j.peak_rss - j.wasm_heap_bytes) / j.bf16_bytes).toFixed(2)}× the bf16 weight bytes`,
  );
  console.log(
    `  generate b=1: ${j.generate_b1_tokens_per_s.toFixed(1)} tokens/s; LoRA step (1×${j.lora_seq}, r=16, 7 projections): ${j.lora_step_tokens_per_s.toFixed(0)} tokens/s (loss ${j.lora_loss.toFixed(3)})`,
  );
  // PyTorch CPU on the same file and workloads (weights widened to float32, its usual CPU dtype), same threads.
  const py = process.env.MOLAB_PYTHON ?? "/usr/bin/python3";
  const t = spawnSync(py, [path.join(__dirname, "model_large_torch.py"), dir, String(threads), String(seq)], {
    encoding: "utf8",
    env: torchEnv(threads),
    maxBuffer: 1 << 24,
  });
  let torch: Record<string, number> | undefined;
  if (t.status === 0) {
    torch = JSON.parse(t.stdout.trim().split("\n").pop()!);
    const row = (label: string, ours: number, theirs: number, unit: string, higherIsBetter: boolean) =>
      console.log(
        `  ${label.padEnd(28)} ${ours.toFixed(2).padStart(9)} ${theirs.toFixed(2).padStart(12)} ${unit.padEnd(9)} ${(higherIsBetter ? ours / theirs : theirs / ours).toFixed(2).padStart(6)}×`,
      );
    console.log(
      `vs PyTorch ${torch!.torch} (${torch!.threads} thread(s), float32 weights)         ours      PyTorch            ours/PyTorch (speed; for RSS and load: theirs/ours)`,
    );
    row("load s", j.load_s, torch!.load_s, "s", false);
    row("peak RSS GiB", j.peak_rss / 2 ** 30, torch!.peak_rss / 2 ** 30, "GiB", false);
    row("generate b=1 tokens/s", j.generate_b1_tokens_per_s, torch!.generate_b1_tokens_per_s, "tok/s", true);
    row("LoRA step tokens/s", j.lora_step_tokens_per_s, torch!.lora_step_tokens_per_s, "tok/s", true);
  } else console.log(`  PyTorch side failed or missing (${py}): ${(t.stderr || "").trim().split("\n").pop()}`);
  console.log(JSON.stringify({ ours: j, pytorch: torch }));
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
