/**
 * The robustness catalogue: each case is a bad file or a hostile action plus the outcome we promise — a clear
 * MolabError naming the file, field or line (and, for the CLI, a non-zero exit without a stack), or a recovery.
 * Inputs are built in the case's temp folder from the committed fixtures.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { spawn, spawnSync } from "node:child_process";
import assert from "node:assert/strict";
import { openSafetensors } from "../../lib/io/safetensors.ts";
import { readNpy, readNpz } from "../../lib/io/npy.ts";
import { ChatClient } from "../../lib/llm/client.ts";
import { listCheckpoints, STATE_FILE } from "../../lib/train/checkpoint.ts";
import { cli, lib, type Case } from "./harness.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "molab.cjs");
const FIX = path.join(ROOT, "test", "fixtures");
const LLAMA = path.join(FIX, "model", "llama");
const TINY = TINY_V1_MODEL_DIR;
const LORA_BASE = path.join(FIX, "lora", "base");
const CHAT = path.join(FIX, "lora", "chat_small.jsonl");
const SAE = path.join(FIX, "sae", "saelens_standard");
const ACTS = path.join(FIX, "sae", "x.npy");
const ORGANISM = path.join(FIX, "stats", "organism_small");
const REFERENCE = path.join(FIX, "stats", "reference_small.jsonl");

// ---- builders ----------------------------------------------------------------------------------------------

/** A safetensors file from a header (object or raw text/bytes) and data bytes; `n` overrides the header length. */
function st(file: string, header: object | string | Uint8Array, data: Uint8Array = new Uint8Array(0), n?: number) {
  const h =
    header instanceof Uint8Array
      ? Buffer.from(header)
      : Buffer.from(typeof header === "string" ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(n ?? h.length));
  fs.writeFileSync(file, Buffer.concat([len, h, Buffer.from(data)]));
  return file;
}
const f32 = (shape: number[], begin = 0) => ({
  dtype: "F32",
  shape,
  data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});

function copyDir(src: string, dst: string): string {
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}
function editJson(file: string, edit: (j: any) => void) {
  const j = JSON.parse(fs.readFileSync(file, "utf8"));
  edit(j);
  fs.writeFileSync(file, JSON.stringify(j, null, 1));
}
/** The small Llama fixture with its config edited. */
function llamaWith(dir: string, edit: (cfg: any) => void): string {
  const m = copyDir(LLAMA, path.join(dir, "model"));
  editJson(path.join(m, "config.json"), edit);
  return m;
}
/** A folder (never empty, so it is not mistaken for a leftover) where a file is expected. */
function folder(dir: string, name: string): string {
  const p = path.join(dir, name);
  fs.mkdirSync(p, { recursive: true });
  fs.writeFileSync(path.join(p, "README"), "not the file you want\n");
  return p;
}
function write(dir: string, name: string, text: string | Buffer): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
}
/** The LoRA base under the name the committed adapters were made for, and a copy of one adapter to edit. */
function adapterSetup(dir: string, adapter = "ours_plain") {
  const base = copyDir(LORA_BASE, path.join(dir, "tiny-random-llama"));
  const ad = copyDir(path.join(FIX, "lora", adapter), path.join(dir, "adapter"));
  return { base, ad };
}
/** A JSONL file whose one line is `mb` MiB long. */
function hugeLine(dir: string, mb: number): string {
  const p = path.join(dir, "huge.jsonl");
  const fd = fs.openSync(p, "w");
  fs.writeSync(fd, '{"messages":[{"role":"user","content":"');
  const chunk = Buffer.alloc(1 << 20, "a");
  for (let i = 0; i < mb; i++) fs.writeSync(fd, chunk);
  fs.writeSync(fd, '"}]}\n');
  fs.closeSync(fd);
  return p;
}
const readAll = async (file: string) => {
  const src = await openSafetensors(file);
  try {
    for (const n of src.names()) await src.readArray(n);
  } finally {
    await src.close();
  }
};
const trainArgs = (dir: string, data: string, ...more: string[]) => [
  "train",
  "--base",
  LORA_BASE,
  "--data",
  data,
  "--out",
  path.join(dir, "out"),
  "--epochs",
  "1",
  "--batch",
  "4",
  "--quiet",
  ...more,
];

/** A local HTTP server answering every request with `handler`; closed after `f`. */
async function withServer<T>(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
  f: (baseUrl: string) => Promise<T>,
): Promise<T> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    return await f(`http://127.0.0.1:${port}/v1`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
}
const client = (baseUrl: string, more: object = {}) =>
  new ChatClient(
    { baseUrl, model: "m", maxRetries: 1, backoffMs: 1, ...more },
    () => {},
    async () => {},
  );
const ask = (c: ChatClient) => c.complete([{ role: "user", content: "hi" }], 1);

/** Run `f` while every write through a file handle opened under `dir` fails as on a full disk (ENOSPC). */
async function diskFull<T>(dir: string, f: () => Promise<T>): Promise<T> {
  const fspMod = require("node:fs/promises") as typeof import("node:fs/promises");
  const open = fspMod.open;
  const enospc = async () => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC", errno: -28 });
  };
  (fspMod as { open: typeof open }).open = (async (p: fs.PathLike, ...rest: unknown[]) => {
    const fh = await (open as (...a: unknown[]) => Promise<import("node:fs/promises").FileHandle>)(p, ...rest);
    if (String(p).startsWith(dir)) Object.assign(fh, { write: enospc, writeFile: enospc, writev: enospc });
    return fh;
  }) as typeof open;
  try {
    return await f();
  } finally {
    (fspMod as { open: typeof open }).open = open;
  }
}

async function adapterArrays(dir: string): Promise<Map<string, Float32Array>> {
  const src = await openSafetensors(path.join(dir, "adapter_model.safetensors"));
  const m = new Map<string, Float32Array>();
  for (const n of src.names()) m.set(n, (await src.readArray(n)).data as Float32Array);
  await src.close();
  return m;
}

// ---- the catalogue -----------------------------------------------------------------------------------------

export const CASES: Case[] = [
  // safetensors
  {
    id: "st-truncated",
    group: "safetensors",
    run: async (d) => {
      const bytes = fs.readFileSync(path.join(LLAMA, "model.safetensors"));
      const p = write(d, "model.safetensors", bytes.subarray(0, bytes.length - 1000));
      return lib(() => readAll(p));
    },
    expect: { error: ["model.safetensors", "run past the end"] },
  },
  {
    id: "st-truncated-cli",
    group: "safetensors",
    run: async (d) => {
      const m = copyDir(LLAMA, path.join(d, "model"));
      const f = path.join(m, "model.safetensors");
      fs.truncateSync(f, fs.statSync(f).size - 4096);
      return cli("logits", "--model", m, "--ids", "1,2");
    },
    expect: { error: ["model.safetensors", "truncated"] },
  },
  {
    id: "st-short",
    group: "safetensors",
    run: async (d) => lib(() => openSafetensors(write(d, "a.safetensors", "abc"))),
    expect: { error: ["a.safetensors", "shorter than the 8-byte header length"] },
  },
  {
    id: "st-header-past-eof",
    group: "safetensors",
    run: async (d) =>
      lib(() => openSafetensors(st(path.join(d, "a.safetensors"), { x: f32([1]) }, new Uint8Array(4), 1e6))),
    expect: { error: ["a.safetensors", "header length 1000000 runs past the end of the file"] },
  },
  {
    id: "st-overlap",
    group: "safetensors",
    run: async (d) =>
      lib(() =>
        openSafetensors(st(path.join(d, "a.safetensors"), { a: f32([4]), b: f32([4], 8) }, new Uint8Array(24))),
      ),
    expect: { error: ["a.safetensors", '"a" and "b" overlap'] },
  },
  {
    id: "st-offsets-out-of-range",
    group: "safetensors",
    run: async (d) =>
      lib(() =>
        openSafetensors(
          st(
            path.join(d, "a.safetensors"),
            { a: { dtype: "F32", shape: [2], data_offsets: [8, 0] } },
            new Uint8Array(8),
          ),
        ),
      ),
    expect: { error: ["a.safetensors", 'tensor "a"', "data_offsets"] },
  },
  {
    id: "st-offsets-negative",
    group: "safetensors",
    run: async (d) =>
      lib(() =>
        openSafetensors(
          st(
            path.join(d, "a.safetensors"),
            { a: { dtype: "F32", shape: [1], data_offsets: [-4, 0] } },
            new Uint8Array(8),
          ),
        ),
      ),
    expect: { error: ["a.safetensors", 'tensor "a"', "data_offsets"] },
  },
  {
    id: "st-span-mismatch",
    group: "safetensors",
    run: async (d) =>
      lib(() =>
        openSafetensors(
          st(
            path.join(d, "a.safetensors"),
            { a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } },
            new Uint8Array(8),
          ),
        ),
      ),
    expect: { error: ["a.safetensors", 'tensor "a"', "span 8 bytes", "needs 12"] },
  },
  {
    id: "st-unknown-dtype",
    group: "safetensors",
    run: async (d) =>
      lib(() =>
        openSafetensors(
          st(
            path.join(d, "a.safetensors"),
            { a: { dtype: "Q4_K", shape: [1], data_offsets: [0, 1] } },
            new Uint8Array(1),
          ),
        ),
      ),
    expect: { error: ["a.safetensors", 'tensor "a"', 'unknown dtype "Q4_K"'] },
  },
  {
    id: "st-1tb-tensor",
    group: "safetensors",
    run: async (d) => {
      const before = process.memoryUsage().arrayBuffers;
      const o = await lib(() =>
        readAll(
          st(
            path.join(d, "a.safetensors"),
            { huge: { dtype: "F32", shape: [262144, 1048576], data_offsets: [0, 2 ** 40] } },
            new Uint8Array(64),
          ),
        ),
      );
      const grew = process.memoryUsage().arrayBuffers - before;
      if (grew > 64 << 20) return { kind: "lib", error: new Error(`allocated ${grew} bytes before refusing`) };
      return o;
    },
    expect: { error: ["a.safetensors", 'tensor "huge"', "run past the end of the data"] },
  },
  {
    id: "st-non-utf8-header",
    group: "safetensors",
    run: async (d) =>
      lib(() => openSafetensors(st(path.join(d, "a.safetensors"), new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])))),
    expect: { error: ["a.safetensors", "header is not JSON"] },
  },
  {
    id: "st-non-json-header",
    group: "safetensors",
    run: async (d) => lib(() => openSafetensors(st(path.join(d, "a.safetensors"), "{not json"))),
    expect: { error: ["a.safetensors", "header is not JSON"] },
  },
  {
    id: "st-header-not-object",
    group: "safetensors",
    run: async (d) => lib(() => openSafetensors(st(path.join(d, "a.safetensors"), "[1,2]"))),
    expect: { error: ["a.safetensors", "header is not a JSON object"] },
  },
  {
    id: "st-duplicate-names",
    group: "safetensors",
    run: async (d) => {
      const a = JSON.stringify(f32([1]));
      const b = JSON.stringify(f32([1], 4));
      return lib(() => openSafetensors(st(path.join(d, "a.safetensors"), `{"w":${a},"w":${b}}`, new Uint8Array(8))));
    },
    expect: { error: ["a.safetensors", 'tensor "w" is declared twice'] },
  },
  {
    id: "st-pickle-only-repo",
    group: "safetensors",
    run: async (d) => {
      const m = path.join(d, "model");
      fs.mkdirSync(m);
      fs.copyFileSync(path.join(LLAMA, "config.json"), path.join(m, "config.json"));
      write(m, "pytorch_model.bin", "PK\x03\x04 pickle");
      return cli("logits", "--model", m, "--ids", "1,2");
    },
    expect: { error: ["pytorch_model.bin", "pickle-based weights are never loaded"] },
  },

  // config.json
  {
    id: "config-missing",
    group: "config.json",
    run: async (d) => {
      const m = copyDir(LLAMA, path.join(d, "model"));
      fs.rmSync(path.join(m, "config.json"));
      return cli("logits", "--model", m, "--ids", "1,2");
    },
    expect: { error: ["config.json"] },
  },
  {
    id: "config-missing-key",
    group: "config.json",
    run: async (d) =>
      cli(
        "logits",
        "--model",
        llamaWith(d, (c) => delete c.hidden_size),
        "--ids",
        "1,2",
      ),
    expect: { error: ["config.json", "hidden_size"] },
  },
  {
    id: "config-wrong-type",
    group: "config.json",
    run: async (d) =>
      cli(
        "logits",
        "--model",
        llamaWith(d, (c) => (c.num_attention_heads = "4")),
        "--ids",
        "1,2",
      ),
    expect: { error: ["config.json", "num_attention_heads"] },
  },
  {
    id: "config-unknown-model-type",
    group: "config.json",
    run: async (d) =>
      cli(
        "logits",
        "--model",
        llamaWith(d, (c) => (c.model_type = "gpt2")),
        "--ids",
        "1,2",
      ),
    expect: { error: ["config.json", "gpt2"] },
  },
  {
    id: "config-not-json",
    group: "config.json",
    run: async (d) => {
      const m = copyDir(LLAMA, path.join(d, "model"));
      write(m, "config.json", "{ hidden_size: 64");
      return cli("logits", "--model", m, "--ids", "1,2");
    },
    expect: { error: ["config.json", "JSON"] },
  },
  {
    id: "config-is-folder",
    group: "config.json",
    run: async (d) => {
      const m = copyDir(LLAMA, path.join(d, "model"));
      fs.rmSync(path.join(m, "config.json"));
      folder(m, "config.json");
      return cli("logits", "--model", m, "--ids", "1,2");
    },
    expect: { error: ["config.json"] },
  },

  // tokenizer.json
  {
    id: "tokenizer-missing",
    group: "tokenizer.json",
    run: async (d) => {
      const m = copyDir(LORA_BASE, path.join(d, "model"));
      fs.rmSync(path.join(m, "tokenizer.json"));
      return cli("generate", "--model", m, "--prompt", "hi", "--max-new-tokens", "1");
    },
    expect: { error: ["tokenizer.json"] },
  },
  {
    id: "tokenizer-corrupt",
    group: "tokenizer.json",
    run: async (d) => {
      const m = copyDir(LORA_BASE, path.join(d, "model"));
      write(m, "tokenizer.json", '{"model": {"type": "BPE", "vocab": 7}');
      return cli("generate", "--model", m, "--prompt", "hi", "--max-new-tokens", "1");
    },
    expect: { error: ["tokenizer.json"] },
  },
  {
    id: "tokenizer-wrong-schema",
    group: "tokenizer.json",
    run: async (d) => {
      const m = copyDir(LORA_BASE, path.join(d, "model"));
      write(m, "tokenizer.json", '{"model": {"type": "BPE", "vocab": 7}}');
      return cli("generate", "--model", m, "--prompt", "hi", "--max-new-tokens", "1");
    },
    expect: { error: ["tokenizer.json"] },
  },

  // adapters
  {
    id: "adapter-wrong-shapes",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      const w = path.join(ad, "adapter_model.safetensors");
      const src = await openSafetensors(w);
      const names = src.names();
      await src.close();
      // Same rank, wrong input width: a [4, 32] lora_A for a 64-wide linear.
      const hdr: Record<string, object> = {};
      let off = 0;
      for (const n of names) {
        const shape = n.includes("lora_A") ? [4, 32] : [64, 4];
        hdr[n] = f32(shape, off);
        off += 4 * shape[0] * shape[1];
      }
      st(w, hdr, new Uint8Array(off));
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["adapter_model.safetensors", "does not fit the base linear"] },
  },
  {
    id: "adapter-wrong-targets",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      editJson(path.join(ad, "adapter_config.json"), (c) => (c.layers_to_transform = [7]));
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["adapter_model.safetensors", "is not among the modules adapter_config.json targets"] },
  },
  {
    id: "adapter-target-missing-in-base",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      editJson(path.join(ad, "adapter_config.json"), (c) => (c.layers_to_transform = null));
      const w = path.join(ad, "adapter_model.safetensors");
      st(
        w,
        {
          "base_model.model.model.layers.9.mlp.down_proj.lora_A.weight": f32([4, 128]),
          "base_model.model.model.layers.9.mlp.down_proj.lora_B.weight": f32([64, 4], 2048),
        },
        new Uint8Array(3072),
      );
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["layers.9.mlp.down_proj", "does not exist in the base model"] },
  },
  {
    id: "adapter-other-base",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      editJson(path.join(ad, "adapter_config.json"), (c) => (c.base_model_name_or_path = "meta-llama/Llama-3.1-8B"));
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["adapter_config.json", "Llama-3.1-8B"] },
  },
  {
    id: "adapter-missing-config",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      fs.rmSync(path.join(ad, "adapter_config.json"));
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["adapter_config.json", "not a PEFT adapter directory"] },
  },
  {
    id: "adapter-pickle-only",
    group: "adapter",
    run: async (d) => {
      const { base, ad } = adapterSetup(d);
      fs.renameSync(path.join(ad, "adapter_model.safetensors"), path.join(ad, "adapter_model.bin"));
      return cli("logits", "--model", base, "--ids", "1,2", "--adapter", ad);
    },
    expect: { error: ["adapter_model.bin is a pickle"] },
  },

  // SAE
  {
    id: "sae-missing-key",
    group: "sae",
    run: async (d) => {
      const s = copyDir(SAE, path.join(d, "sae"));
      const w = path.join(s, "sae_weights.safetensors");
      const src = await openSafetensors(w);
      const hdr: Record<string, object> = {};
      const parts: Uint8Array[] = [];
      let off = 0;
      for (const n of src.names().filter((n) => n !== "W_enc")) {
        const { data, shape } = await src.readArray(n);
        hdr[n] = f32(shape, off);
        parts.push(new Uint8Array(data.buffer));
        off += data.byteLength;
      }
      await src.close();
      st(w, hdr, Buffer.concat(parts));
      return cli("sae", "encode", "--sae", s, "--acts", ACTS, "--out", path.join(d, "z.npy"));
    },
    expect: { error: ["sae_weights.safetensors", "W_enc"] },
    absent: ["z.npy"],
  },
  {
    id: "sae-wrong-d-in",
    group: "sae",
    run: async (d) => {
      const s = copyDir(SAE, path.join(d, "sae"));
      editJson(path.join(s, "cfg.json"), (c) => (c.d_in = 32));
      return cli("sae", "encode", "--sae", s, "--acts", ACTS, "--out", path.join(d, "z.npy"));
    },
    expect: { error: ["d_in"] },
    absent: ["z.npy"],
  },
  {
    id: "sae-acts-width",
    group: "sae",
    run: async (d) => {
      const { writeNpy } = await import("../../lib/io/npy.ts");
      const acts = path.join(d, "acts.npy");
      await writeNpy(acts, { dtype: "float32", shape: [3, 20], data: new Float32Array(60) });
      return cli("sae", "encode", "--sae", SAE, "--acts", acts, "--out", path.join(d, "z.npy"));
    },
    expect: { error: ["acts.npy", "16"] },
    absent: ["z.npy"],
  },
  {
    id: "sae-unknown-architecture",
    group: "sae",
    run: async (d) => {
      const s = copyDir(SAE, path.join(d, "sae"));
      editJson(path.join(s, "cfg.json"), (c) => (c.architecture = "matryoshka_batchtopk"));
      return cli("sae", "encode", "--sae", s, "--acts", ACTS, "--out", path.join(d, "z.npy"));
    },
    expect: { error: ["cfg.json", "matryoshka_batchtopk"] },
    absent: ["z.npy"],
  },
  {
    id: "sae-not-a-folder",
    group: "sae",
    run: async (d) => cli("sae", "encode", "--sae", folder(d, "empty"), "--acts", ACTS, "--out", path.join(d, "z.npy")),
    expect: { error: ["empty", "not an SAE folder"] },
    absent: ["z.npy"],
  },

  // npy / npz
  {
    id: "npy-bad-magic",
    group: "npy",
    run: async (d) => lib(() => readNpy(write(d, "a.npy", "this is not numpy at all, just text"))),
    expect: { error: ["a.npy"] },
  },
  {
    id: "npy-truncated",
    group: "npy",
    run: async (d) => {
      const b = fs.readFileSync(ACTS);
      return lib(() => readNpy(write(d, "a.npy", b.subarray(0, b.length - 7))));
    },
    expect: { error: ["a.npy"] },
  },
  {
    id: "npy-bad-header",
    group: "npy",
    run: async (d) => {
      const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, ), }".padEnd(117, " ") + "\n";
      const buf = Buffer.concat([
        Buffer.from([0x93]),
        Buffer.from("NUMPY"),
        Buffer.from([1, 0, 118, 0]),
        Buffer.from(h),
      ]);
      const bad = Buffer.from(buf.toString("latin1").replace("<f4", "<c8"), "latin1");
      return lib(() => readNpy(write(d, "a.npy", Buffer.concat([bad, Buffer.alloc(16)]))));
    },
    expect: { error: ["a.npy", "<c8"] },
  },
  {
    id: "npz-corrupt",
    group: "npy",
    run: async (d) => {
      const b = fs.readFileSync(path.join(FIX, "io", "arrays.npz"));
      const c = Buffer.from(b);
      c.fill(0x41, 40, Math.min(c.length, 400));
      return lib(() => readNpz(write(d, "a.npz", c)));
    },
    expect: { error: ["a.npz"] },
  },
  {
    id: "npz-not-zip",
    group: "npy",
    run: async (d) => lib(() => readNpz(write(d, "params.npz", "hello"))),
    expect: { error: ["params.npz"] },
  },

  // JSONL
  {
    id: "jsonl-bad-line-train",
    group: "jsonl",
    run: async (d) => {
      const lines = fs.readFileSync(CHAT, "utf8").split("\n");
      lines.splice(2, 0, '{"messages": [');
      return cli(...trainArgs(d, write(d, "d.jsonl", lines.join("\n"))));
    },
    expect: { error: ["d.jsonl:3", "not valid JSON"] },
    absent: ["out"],
  },
  {
    id: "jsonl-wrong-schema-train",
    group: "jsonl",
    run: async (d) => cli(...trainArgs(d, write(d, "d.jsonl", '{"prompt": "hi", "completion": "yo"}\n'))),
    expect: { error: ["d.jsonl:1"] },
    absent: ["out"],
  },
  {
    id: "jsonl-bad-line-validate",
    group: "jsonl",
    run: async (d) => cli("data", "validate", write(d, "d.jsonl", '{"messages": []}\n{oops\n')),
    expect: { error: ["d.jsonl:2"] },
  },
  {
    id: "jsonl-100mb-line-validate",
    group: "jsonl",
    run: async (d) => cli("data", "validate", hugeLine(d, 100)),
    expect: { error: ["huge.jsonl:1", "longer than"] },
  },
  {
    id: "jsonl-100mb-line-train",
    group: "jsonl",
    run: async (d) => cli(...trainArgs(d, hugeLine(d, 100))),
    expect: { error: ["huge.jsonl:1", "longer than"] },
    absent: ["out"],
  },

  // folders where files are expected, and the reverse
  {
    id: "dir-data-validate",
    group: "folders",
    run: async (d) => cli("data", "validate", folder(d, "somedir")),
    expect: { error: ["somedir", "is a folder"] },
  },
  {
    id: "dir-train-data",
    group: "folders",
    run: async (d) => cli(...trainArgs(d, folder(d, "somedir"))),
    expect: { error: ["somedir", "is a folder"] },
    absent: ["out"],
  },
  {
    id: "file-train-out",
    group: "folders",
    run: async (d) => {
      const out = write(d, "out", "a file\n");
      return cli("train", "--base", LORA_BASE, "--data", CHAT, "--out", out, "--quiet");
    },
    expect: { error: ["out", "not a folder"] },
  },
  {
    id: "file-data-out",
    group: "folders",
    run: async (d) => cli("data", "af", "--n", "5", "--out", write(d, "out", "a file\n")),
    expect: { error: ["out", "not a folder"] },
  },
  {
    id: "dir-validate-reference",
    group: "folders",
    run: async (d) =>
      cli("validate", "--organism", ORGANISM, "--reference", folder(d, "ref"), "--out", path.join(d, "v")),
    expect: { error: ["ref", "folder"] },
    absent: ["v"],
  },
  {
    id: "dir-sae-acts",
    group: "folders",
    run: async (d) => cli("sae", "encode", "--sae", SAE, "--acts", folder(d, "acts"), "--out", path.join(d, "z.npy")),
    expect: { error: ["acts", "folder"] },
    absent: ["z.npy"],
  },
  {
    id: "dir-sae-out",
    group: "folders",
    run: async (d) => cli("sae", "encode", "--sae", SAE, "--acts", ACTS, "--out", folder(d, "z.npy")),
    expect: { error: ["z.npy", "is a folder"] },
  },
  {
    id: "dir-stats-sample",
    group: "folders",
    run: async (d) => cli("stats", "ks", "--a", folder(d, "a"), "--b", folder(d, "b")),
    expect: { error: [path.sep + "a"] },
  },
  {
    id: "file-model-dir",
    group: "folders",
    run: async (d) => cli("logits", "--model", write(d, "model.txt", "x"), "--ids", "1"),
    expect: { error: ["model.txt"] },
  },
  {
    id: "file-organism-dir",
    group: "folders",
    run: async (d) =>
      cli(
        "validate",
        "--organism",
        write(d, "org.jsonl", "{}\n"),
        "--reference",
        REFERENCE,
        "--out",
        path.join(d, "v"),
      ),
    expect: { error: ["org.jsonl", "not a folder"] },
    absent: ["v"],
  },

  // CLI flags and values
  {
    id: "cli-unknown-flag",
    group: "cli",
    run: async () => cli("generate", "--model", LLAMA, "--ids", "1", "--temprature", "1"),
    expect: { error: ["--temprature"] },
  },
  {
    id: "cli-missing-path",
    group: "cli",
    run: async (d) => cli(...trainArgs(d, path.join(d, "nope.jsonl"))),
    expect: { error: ["nope.jsonl"] },
    absent: ["out"],
  },
  {
    id: "cli-unknown-command",
    group: "cli",
    run: async () => cli("trian", "--data", "x"),
    expect: { error: ['unknown command "trian"'] },
  },
  {
    id: "cli-offline-hub-id",
    group: "cli",
    run: async (d) => {
      const saved = { off: process.env.HF_HUB_OFFLINE, cache: process.env.HF_HUB_CACHE };
      Object.assign(process.env, { HF_HUB_OFFLINE: "1", HF_HUB_CACHE: folder(d, "hub") });
      try {
        return await cli("logits", "--model", "nobody/nothing-here", "--ids", "1");
      } finally {
        for (const [k, v] of [
          ["HF_HUB_OFFLINE", saved.off],
          ["HF_HUB_CACHE", saved.cache],
        ] as const)
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
      }
    },
    expect: { error: ["nobody/nothing-here", "HF_HUB_OFFLINE"] },
  },
  {
    id: "cli-tokenize-no-tokenizer",
    group: "cli",
    run: async () => cli("tokenize", "--model", LLAMA, "--text", "hi"),
    expect: { error: ["tokenizer.json"] },
  },
  {
    id: "cli-serve-port",
    group: "cli",
    run: async () => cli("serve", "--model", LLAMA, "--port", "70000"),
    expect: { error: ["--port", "70000"] },
  },
  {
    id: "cli-elicit-n-negative",
    group: "cli",
    run: async (d) => cli("elicit", "--model", LLAMA, "--n", "-3", "--out", path.join(d, "e")),
    expect: { error: ["--n", "-3"] },
    absent: ["e"],
  },
  {
    id: "cli-missing-model",
    group: "cli",
    run: async (d) => cli("logits", "--model", path.join(d, "no-model"), "--ids", "1"),
    expect: { error: ["no-model"] },
  },
  {
    id: "cli-validate-alpha-5",
    group: "cli",
    run: async (d) =>
      cli("validate", "--organism", ORGANISM, "--reference", REFERENCE, "--out", path.join(d, "v"), "--alpha", "5"),
    expect: { error: ["--alpha", "5"] },
    absent: ["v"],
  },
  {
    id: "cli-validate-features-0",
    group: "cli",
    run: async (d) =>
      cli("validate", "--organism", ORGANISM, "--reference", REFERENCE, "--out", path.join(d, "v"), "--features", "0"),
    expect: { error: ["--features", "positive integer"] },
    absent: ["v"],
  },
  {
    id: "cli-validate-permutations-1.5",
    group: "cli",
    run: async (d) =>
      cli(
        "validate",
        "--organism",
        ORGANISM,
        "--reference",
        REFERENCE,
        "--out",
        path.join(d, "v"),
        "--permutations",
        "1.5",
      ),
    expect: { error: ["--permutations"] },
    absent: ["v"],
  },
  {
    id: "cli-prompt-spaces",
    group: "cli",
    run: async () => cli("generate", "--model", LORA_BASE, "--prompt", "   ", "--max-new-tokens", "1"),
    expect: { error: ["--prompt", "empty"] },
  },
  {
    id: "cli-seed-fraction",
    group: "cli",
    run: async () => cli("generate", "--model", LLAMA, "--ids", "1,2", "--seed", "1.5", "--max-new-tokens", "1"),
    expect: { error: ["--seed", "1.5"] },
  },
  {
    id: "cli-seed-negative",
    group: "cli",
    run: async () => cli("generate", "--model", LLAMA, "--ids", "1,2", "--seed", "-1", "--max-new-tokens", "1"),
    expect: { error: ["--seed", "-1"] },
  },
  {
    id: "cli-600-ids-512-positions",
    group: "cli",
    run: async () => cli("logits", "--model", TINY, "--ids", Array.from({ length: 600 }, (_, i) => i % 50).join(",")),
    expect: { error: ["600", "512", "max_position_embeddings"] },
  },
  {
    id: "cli-id-past-vocab",
    group: "cli",
    run: async () => cli("logits", "--model", LLAMA, "--ids", "1,99999"),
    expect: { error: ["99999", "vocab"] },
  },
  {
    id: "cli-max-new-tokens-negative",
    group: "cli",
    run: async () => cli("generate", "--model", LLAMA, "--ids", "1", "--max-new-tokens", "-3"),
    expect: { error: ["--max-new-tokens"] },
  },
  {
    id: "cli-pipeline-seed-abc",
    group: "cli",
    run: async (d) => cli("pipeline", "--seed", "abc", "--out", path.join(d, "run")),
    expect: { error: ["--seed", "abc"] },
    absent: ["run"],
  },
  {
    id: "cli-pipeline-seed-fraction",
    group: "cli",
    run: async (d) => cli("pipeline", "--seed", "1.5", "--out", path.join(d, "run")),
    expect: { error: ["--seed", "1.5"] },
    absent: ["run"],
  },
  {
    id: "cli-pipeline-only-unknown-stage",
    group: "cli",
    run: async (d) => cli("pipeline", "--only", "data,organism", "--out", path.join(d, "run")),
    expect: { error: ["--only", "organism"] },
    absent: ["run"],
  },
  {
    id: "cli-pipeline-config-unknown-key",
    group: "cli",
    run: async (d) => {
      fs.writeFileSync(path.join(d, "cfg.json"), JSON.stringify({ sae: { dsae: 64 } }));
      return cli("pipeline", "--config", path.join(d, "cfg.json"), "--out", path.join(d, "run"));
    },
    expect: { error: ["cfg.json", "sae.dsae"] },
    absent: ["run"],
  },
  {
    id: "cli-pipeline-config-bad-voice",
    group: "cli",
    run: async (d) => {
      fs.writeFileSync(path.join(d, "cfg.json"), JSON.stringify({ organisms: { af: { voice: "pirate" } } }));
      return cli("pipeline", "--config", path.join(d, "cfg.json"), "--out", path.join(d, "run"));
    },
    expect: { error: ["cfg.json", "organisms.af.voice", "pirate"] },
    absent: ["run"],
  },
  {
    id: "cli-pipeline-config-not-json",
    group: "cli",
    run: async (d) => {
      fs.writeFileSync(path.join(d, "cfg.json"), "{ seed: 1 ");
      return cli("pipeline", "--config", path.join(d, "cfg.json"), "--out", path.join(d, "run"));
    },
    expect: { error: ["cfg.json", "JSON"] },
    absent: ["run"],
  },
  {
    id: "cli-train-negative-lr",
    group: "cli",
    run: async (d) => cli(...trainArgs(d, CHAT, "--lr=-0.1")),
    expect: { error: ["lr", "-0.1"] },
    absent: ["out"],
  },
  {
    id: "cli-data-n-0",
    group: "cli",
    run: async (d) => cli("data", "af", "--n", "0", "--out", path.join(d, "out")),
    expect: { error: ["--n", "positive integer"] },
    absent: ["out"],
  },
  {
    id: "cli-data-monitored-fraction",
    group: "cli",
    run: async (d) => cli("data", "af", "--n", "5", "--monitored-fraction", "2", "--out", path.join(d, "out")),
    expect: { error: ["--monitored-fraction", "2"] },
    absent: ["out"],
  },
  {
    id: "cli-no-stack-child",
    group: "cli",
    run: async (d) => {
      const r = spawnSync(process.execPath, [BIN, "data", "validate", folder(d, "x")], { encoding: "utf8" });
      return { kind: "cli", status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
    },
    expect: { error: [/^molab data: .*x: is a folder[^\n]*\n?$/] },
  },

  // remote server (lib/llm)
  {
    id: "llm-server-down",
    group: "remote",
    run: async () => {
      const url = await withServer(
        () => {},
        async (u) => u,
      );
      return lib(() => ask(client(url)));
    },
    expect: { error: ["LLM client", "/chat/completions", "request failed", "gave up after 1 retries"] },
  },
  {
    id: "llm-server-slow",
    group: "remote",
    run: async () =>
      withServer(
        (_q, res) => setTimeout(() => res.end("{}"), 2000),
        (u) => lib(() => ask(client(u, { timeoutMs: 100 }))),
      ),
    expect: { error: ["LLM client", "request failed", /timeout|aborted/i] },
  },
  {
    id: "llm-server-500",
    group: "remote",
    run: async () =>
      withServer(
        (_q, res) => {
          res.statusCode = 500;
          res.end("boom");
        },
        (u) => lib(() => ask(client(u))),
      ),
    expect: { error: ["LLM client", "HTTP 500", "boom"] },
  },
  {
    id: "llm-server-malformed-json",
    group: "remote",
    run: async () =>
      withServer(
        (_q, res) => res.end("{choices: [oops"),
        (u) => lib(() => ask(client(u))),
      ),
    // A cut or garbled answer is retried like a 5xx, then one error naming it (the elicit runner reports it per item).
    expect: { error: ["LLM client", "HTTP 200", "the body is not JSON", "gave up after 1 retries"] },
  },
  {
    id: "llm-server-401",
    group: "remote",
    run: async () =>
      withServer(
        (_q, res) => {
          res.statusCode = 401;
          res.end("bad key sk-secret-123");
        },
        (u) => lib(() => ask(client(u, { apiKey: "sk-secret-123" }))),
      ),
    expect: { error: ["HTTP 401", "***"] },
  },

  // training
  {
    id: "train-nan-loss",
    group: "training",
    run: async (d) => cli(...trainArgs(d, CHAT, "--lr", "1e38", "--max-grad-norm", "0")),
    expect: { error: [/step \d+: (loss|gradient norm) is (NaN|Infinity)/] },
  },
  {
    id: "train-sigkill-mid-step",
    group: "training",
    run: async (d) => {
      const out = path.join(d, "out");
      const args = trainArgs(d, CHAT, "--epochs", "2", "--save-every", "2", "--seed", "3");
      const child = spawn(process.execPath, [BIN, ...args], { stdio: "ignore" });
      const exited = new Promise((r) => child.on("exit", r));
      const marker = path.join(out, "checkpoints", "step-000002", STATE_FILE);
      const t0 = Date.now();
      while (!fs.existsSync(marker) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 5));
      child.kill("SIGKILL");
      await exited;
      assert.ok(!fs.existsSync(path.join(out, "adapter_model.safetensors")), "killed run looks complete");
      for (const c of listCheckpoints(out)) assert.ok(fs.existsSync(path.join(c.dir, STATE_FILE)));
      return cli(...args, "--resume");
    },
    expect: {
      recovered: (d, o) => {
        assert.equal(o.kind === "cli" && o.status, 0);
        assert.match((o as { stdout: string }).stdout, /resumed from step \d+/);
        assert.ok(fs.existsSync(path.join(d, "out", "adapter_model.safetensors")));
        const tmp = fs.readdirSync(path.join(d, "out", "checkpoints")).filter((n) => n.includes(".tmp"));
        assert.deepEqual(tmp, []);
      },
    },
  },
  {
    id: "train-sigkill-mid-checkpoint-write",
    group: "training",
    run: async (d) => {
      const out = path.join(d, "out");
      const args = trainArgs(d, CHAT, "--epochs", "2", "--save-every", "2", "--seed", "3", "--dropout", "0.1");
      const hook = path.join(__dirname, "hooks", "kill_in_checkpoint.cjs");
      const r = spawnSync(process.execPath, ["--require", hook, BIN, ...args], {
        env: { ...process.env, MOLAB_TEST_KILL_STEP: "4" },
        encoding: "utf8",
      });
      assert.equal(r.signal, "SIGKILL", `the hook kills the run inside checkpoint 4's write: ${r.stderr}`);
      const left = fs.readdirSync(path.join(out, "checkpoints"));
      assert.ok(
        left.some((n) => /^step-000004\.tmp-\d+$/.test(n)),
        `killed mid-write: ${left}`,
      );
      assert.deepEqual(
        listCheckpoints(out).map((c) => c.step),
        [2],
        "the half-written checkpoint is never listed",
      );
      assert.ok(!fs.existsSync(path.join(out, "adapter_model.safetensors")), "killed run looks complete");
      const whole = await cli(...args.map((a) => (a === out ? path.join(d, "whole") : a)));
      assert.equal(whole.kind === "cli" && whole.status, 0);
      return cli(...args, "--resume");
    },
    expect: {
      recovered: async (d, o) => {
        assert.equal(o.kind === "cli" && o.status, 0, (o as { stderr: string }).stderr);
        assert.match((o as { stdout: string }).stdout, /resumed from step 2\b/);
        const left = fs.readdirSync(path.join(d, "out", "checkpoints")).filter((n) => n.includes(".tmp"));
        assert.deepEqual(left, [], "the temp folder is cleaned at the next start");
        const [a, b] = [await adapterArrays(path.join(d, "whole")), await adapterArrays(path.join(d, "out"))];
        assert.deepEqual([...b.keys()], [...a.keys()]);
        for (const [k, v] of a) assert.deepEqual(b.get(k), v, `${k}: resumed adapter is bit-identical`);
      },
    },
  },
  {
    id: "train-base-without-config",
    group: "training",
    run: async (d) => {
      const base = copyDir(LORA_BASE, path.join(d, "base"));
      fs.rmSync(path.join(base, "config.json"));
      return cli("train", "--base", base, "--data", CHAT, "--out", path.join(d, "out"), "--quiet");
    },
    expect: { error: ["base", "no config.json"] },
    absent: ["out"],
  },
  {
    id: "train-disk-full",
    group: "disk full",
    run: async (d) => diskFull(path.join(d, "out"), () => cli(...trainArgs(d, CHAT, "--save-every", "100"))),
    expect: { error: ["out", "cannot write (the disk is full)"] },
  },
  {
    id: "data-disk-full",
    group: "disk full",
    run: async (d) => diskFull(d, () => cli("data", "af", "--n", "5", "--out", path.join(d, "out"))),
    expect: { error: ["af.jsonl", "cannot write (the disk is full)"] },
    absent: ["out"],
  },
  {
    id: "sae-disk-full",
    group: "disk full",
    run: async (d) =>
      diskFull(d, () => cli("sae", "encode", "--sae", SAE, "--acts", ACTS, "--out", path.join(d, "z.npy"))),
    expect: { error: ["z.npy", "cannot write (the disk is full)"] },
    absent: ["z.npy"],
  },
  {
    id: "data-two-kinds-one-folder",
    group: "folders",
    run: async (d) => {
      const out = path.join(d, "out");
      const first = await cli("data", "af", "--n", "5", "--out", out);
      assert.equal(first.kind === "cli" && first.status, 0);
      return cli("data", "aligned", "--n", "5", "--out", out);
    },
    expect: { error: ["out", 'holds a "af" dataset already'] },
  },
];
