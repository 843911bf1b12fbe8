/**
 * Memory acceptance for weight loading: write a synthetic bf16 Llama checkpoint of about 1 GiB (streamed to disk,
 * never held whole), load it in a fresh process, and report that process's peak RSS against the float32 bytes of
 * the loaded tensors (goal ≤ 1.3×), measured right after loading. On wasm the first forward then needs XNNPACK's
 * packed copy of every matmul weight as well, which a 2 GiB float32 model cannot fit in the 4 GiB heap; the
 * forward runs only when it fits (e.g. --layers 2).
 *
 *   node --import tsx bench/model_memory.ts [--layers N] [--hidden H] [--vocab V] [--keep]
 *
 * The default (10 layers, hidden 2048) is 1.08 GiB of bf16 → 2.16 GiB of float32 in the wasm heap.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../lib/backend.ts";
import { parseConfig } from "../lib/model/config.ts";
import { forward } from "../lib/model/llama.ts";
import { loadModel, WASM_HEAP_BYTES, wasmHeapNeed } from "../lib/model/load.ts";
import { expectedTensors } from "../lib/model/weights.ts";

function configFor(layers: number, hidden: number, vocab: number) {
  return {
    model_type: "llama",
    vocab_size: vocab,
    hidden_size: hidden,
    intermediate_size: Math.round((hidden * 11) / 4),
    num_hidden_layers: layers,
    num_attention_heads: hidden / 128,
    num_key_value_heads: hidden / 512,
    rms_norm_eps: 1e-5,
    max_position_embeddings: 4096,
    rope_theta: 10000,
    tie_word_embeddings: false,
    eos_token_id: 2,
  };
}

/** Stream a bf16 safetensors file: header, then each tensor's bytes generated in 4 MiB chunks. */
function writeBf16Checkpoint(dir: string, config: Record<string, unknown>): number {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config));
  const shapes = [...expectedTensors(parseConfig(config))].map(
    ([k, s]) => [k.startsWith("lm_head") ? k : "model." + k, s] as const,
  );
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const [name, shape] of shapes) {
    const bytes = shape.reduce((a, b) => a * b, 1) * 2;
    header[name] = { dtype: "BF16", shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const fd = fs.openSync(path.join(dir, "model.safetensors"), "w");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  fs.writeSync(fd, len);
  fs.writeSync(fd, json);
  // bf16 values in ±0.06 (exponent 0x3d): finite, varied, cheap to make.
  const chunk = new Uint16Array(2 * 1024 * 1024);
  let s = 12345;
  for (let i = 0; i < chunk.length; i++) chunk[i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) & 0x807f) | 0x3d00;
  for (const [, shape] of shapes) {
    let left = shape.reduce((a, b) => a * b, 1);
    while (left > 0) {
      const k = Math.min(left, chunk.length);
      fs.writeSync(fd, chunk.subarray(0, k));
      left -= k;
    }
  }
  fs.closeSync(fd);
  return off;
}

async function child(dir: string) {
  await initBackend();
  const rssBefore = process.memoryUsage().rss;
  const t = performance.now();
  // Loading is what is measured: allow it even where the first forward would not fit the wasm heap (see below).
  const model = await loadModel(dir, { maxWeightBytes: Number.MAX_SAFE_INTEGER });
  const seconds = (performance.now() - t) / 1000;
  const f32Bytes = tf.memory().numBytes;
  const peak = process.resourceUsage().maxRSS * 1024;
  const need = wasmHeapNeed(model.config, f32Bytes);
  let forwardNote = `forward skipped: it needs about ${(need / 2 ** 30).toFixed(2)} GiB of wasm heap (XNNPACK packs a copy of each matmul weight at first use), more than 4 GiB`;
  if (tf.getBackend() !== "wasm" || need <= WASM_HEAP_BYTES) {
    const logits = forward(model, [[1, 2, 3]]);
    forwardNote = `forward ran, logits finite: ${logits.dataSync().every(Number.isFinite)}, RSS after it ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`;
    logits.dispose();
  }
  console.log(JSON.stringify({ f32Bytes, peakRss: peak, rssBeforeLoad: rssBefore, seconds, forwardNote }));
}

async function main() {
  const arg = (k: string) => process.argv[process.argv.indexOf(k) + 1];
  if (process.argv.includes("--child")) return child(arg("--child"));
  const layers = Number(process.argv.includes("--layers") ? arg("--layers") : 10);
  const hidden = Number(process.argv.includes("--hidden") ? arg("--hidden") : 2048);
  const vocab = Number(process.argv.includes("--vocab") ? arg("--vocab") : 32000);
  const dir = path.join(os.tmpdir(), `molab-memory-${layers}x${hidden}x${vocab}`);
  const file = path.join(dir, "model.safetensors");
  let bytes: number;
  if (fs.existsSync(file) && fs.existsSync(path.join(dir, "config.json"))) bytes = fs.statSync(file).size;
  else {
    const t = performance.now();
    bytes = writeBf16Checkpoint(dir, configFor(layers, hidden, vocab));
    console.log(`wrote ${dir} in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename, "--child", dir], {
    encoding: "utf8",
    maxBuffer: 1 << 24,
  });
  if (r.status !== 0) throw new Error(`loader process failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout.trim().split("\n").pop()!);
  const gib = (b: number) => (b / 2 ** 30).toFixed(2) + " GiB";
  const ratio = j.peakRss / j.f32Bytes;
  console.log(`checkpoint: ${gib(bytes)} bf16 (${layers} layers, hidden ${hidden}, vocab ${vocab})`);
  console.log(`loaded float32 tensors: ${gib(j.f32Bytes)} in ${j.seconds.toFixed(1)} s`);
  console.log(`peak RSS of the loading process: ${gib(j.peakRss)} (RSS before loading ${gib(j.rssBeforeLoad)})`);
  console.log(j.forwardNote);
  console.log(`peak RSS / float32 bytes = ${ratio.toFixed(3)} (goal ≤ 1.3) ${ratio <= 1.3 ? "OK" : "OVER"}`);
  console.log(JSON.stringify({ checkpointBytes: bytes, ...j, ratio }));
  if (!process.argv.includes("--keep")) fs.rmSync(dir, { recursive: true, force: true });
  if (ratio > 1.3) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
