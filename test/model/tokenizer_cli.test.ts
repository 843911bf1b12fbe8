/** `molab tokenize` against the real Qwen3 tokenizer fixture and its transformers reference. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { FIXTURES, unpackTokenizers, removeTokenizers } from "./tokenizer_fixtures.ts";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
let dirs: Record<string, string>;
before(() => (dirs = unpackTokenizers(["qwen3"])));
after(() => removeTokenizers(dirs));

const molab = (...args: string[]) =>
  spawnSync(process.execPath, [BIN, "tokenize", ...args], {
    encoding: "utf8",
    env: { ...process.env, HF_HUB_OFFLINE: "1", HF_HUB_CACHE: path.join(dirs.root, "cache") },
  });

test("molab tokenize prints transformers' ids, plain and --chat", () => {
  const ref = JSON.parse(fs.readFileSync(path.join(FIXTURES, "reference", "qwen3.json"), "utf8"));
  const enc = ref.encodings.find((e: { text: string }) => e.text.startsWith("<INPUT><is_free_tier_user>True"));
  let r = molab("--model", dirs.qwen3, "--text", enc.text);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), enc.tokenizers_special);
  const chat = ref.chat.find(
    (c: { chat: string; add_generation_prompt: boolean; template?: string }) =>
      c.chat === "user_only" && c.add_generation_prompt && !c.template,
  );
  r = molab("--model", dirs.qwen3, "--text", "Hello!", "--chat");
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), chat.ids);
});

test("molab tokenize: bad input is one line on stderr, exit 1", () => {
  for (const [args, re] of [
    [["--text", "x"], /molab tokenize: --model is required/],
    [["--model", path.join(dirs.root, "missing"), "--text", "x"], /model directory .*missing does not exist/],
    [["--model", "org/not-cached", "--text", "x"], /org\/not-cached@main is not in the hub cache .*HF_HUB_OFFLINE/],
  ] as [string[], RegExp][]) {
    const r = molab(...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
    assert.equal(r.stdout, "");
  }
});
