import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import * as fs from "node:fs";
import { tf } from "../../lib/backend.ts";
import { inProcess } from "../cli/run_cli.ts";
import { generate } from "../../lib/model/generate.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { copyModel, FIXTURES, maxAbsDiff, readReference, rows } from "./helpers.ts";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
const run = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, MOLAB_BACKEND: "" } });

test("molab logits prints every position's logits as JSON, matching transformers", async () => {
  const ref = await readReference("qwen3");
  const ids = Array.from(ref.input_ids.data);
  const r = run("logits", "--model", path.join(FIXTURES, "qwen3"), "--ids", ids.join(","));
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { shape: number[]; logits: number[][] };
  assert.deepEqual(j.shape, [ids.length, 256]);
  assert.ok(maxAbsDiff(j.logits.flat(), ref.logits.data) < 1e-4);
});

test("molab generate --ids without a tokenizer prints the greedy ids as JSON", async () => {
  const ref = await readReference("mistral");
  const prompt = rows(ref.gen_input_ids)[0];
  const want = rows(ref.gen_output_ids)[0].slice(prompt.length, prompt.length + 10);
  const r = await inProcess(
    "generate",
    "--model",
    path.join(FIXTURES, "mistral"),
    "--ids",
    prompt.join(","),
    "--max-new-tokens",
    "10",
  );
  assert.equal(r.status, 0, r.stderr);
  const j = JSON.parse(r.stdout);
  assert.deepEqual(j.ids, want);
  assert.equal(j.finish_reason, "length");
});

test("molab generate --prompt / --chat encode with the model's tokenizer and decode the continuation", async () => {
  // The fixture llama cut to the tiny test tokenizer's 35 ids, with that tokenizer beside it.
  const dir = await copyModel("llama", {
    config: (c) => (c.vocab_size = 35),
    tensors: (t) => {
      for (const k of ["model.embed_tokens.weight", "lm_head.weight"]) {
        const w = t[k];
        t[k] = tf.slice(w, [0, 0], [35, -1]);
        w.dispose();
      }
    },
  });
  for (const f of ["tokenizer.json", "tokenizer_config.json"])
    fs.copyFileSync(path.join(FIXTURES, "..", "tokenizers", "tiny", f), path.join(dir, f));
  const tok = await loadTokenizer(dir);
  const model = await loadModel(dir);
  try {
    for (const chat of [false, true]) {
      const r = await inProcess(
        "generate",
        "--model",
        dir,
        "--prompt",
        "hello world",
        "--max-new-tokens",
        "6",
        "--json",
        ...(chat ? ["--chat"] : []),
      );
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      const prompt = chat
        ? tok.applyChatTemplate([{ role: "user", content: "hello world" }], {
            addGenerationPrompt: true,
            tokenize: true,
          })
        : tok.encode("hello world");
      assert.deepEqual(j.prompt_ids, prompt);
      const stop = [...new Set([...model.config.eosTokenIds, ...tok.eosTokenIds])];
      const want = generate(model, [prompt], { maxNewTokens: 6, stopTokens: stop }).tokens[0];
      assert.deepEqual(j.ids, want);
      const body = stop.includes(want[want.length - 1]) ? want.slice(0, -1) : want;
      assert.equal(j.text, tok.decode(body, { skipSpecialTokens: true }));
    }
    const plain = await inProcess("generate", "--model", dir, "--prompt", "hello", "--max-new-tokens", "3");
    assert.equal(plain.status, 0, plain.stderr);
    assert.ok(!plain.stdout.startsWith("{"), "plain text without --json");
  } finally {
    disposeModel(model);
  }
});

test("CLI errors are one line without a stack", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["logits", "--model", path.join(FIXTURES, "llama"), "--ids", "1,2,x"],
      /--ids expects comma-separated non-negative integers/,
    ],
    [
      ["logits", "--model", path.join(FIXTURES, "llama"), "--ids", "1,999"],
      /token id 999 at row 0, position 1 is outside the vocabulary \(0\.\.255\)/,
    ],
    [["logits", "--model", "/nonexistent", "--ids", "1"], /model directory \/nonexistent does not exist/],
    [
      ["generate", "--model", path.join(FIXTURES, "llama"), "--prompt", "hi"],
      /--prompt needs .*tokenizer\.json; without a tokenizer use --ids/,
    ],
    [["generate", "--model", path.join(FIXTURES, "llama"), "--prompt", ""], /--prompt is empty/],
    [["generate", "--model", path.join(FIXTURES, "llama")], /give exactly one of --prompt TEXT or --ids/],
    [
      ["generate", "--model", path.join(FIXTURES, "llama"), "--ids", "1", "--temperature", "hot"],
      /--temperature expects a number/,
    ],
  ];
  for (const [args, re] of cases) {
    const r = await inProcess(...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
});
