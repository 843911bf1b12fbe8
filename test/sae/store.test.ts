/**
 * The activation store: chat records tokenized with the chat template (special tokens left out), activations at the
 * hook equal to a direct extraction, every kept token served once per epoch, and the batch of a step a function of
 * (seed, step) alone — a fresh store started at a later step serves what a running one does (resume).
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend } from "../../lib/backend.ts";
import { disposeModel, loadModel, loadTokenizer, type Model, type Tokenizer } from "../../lib/model/index.ts";
import { ActivationStore, extractActivations, readChatSequences, type TokenSequence } from "../../lib/sae/index.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL_DIR = TINY_V1_MODEL_DIR;
const HOOK = "blocks.1.hook_resid_post";
let model: Model;
let tok: Tokenizer;
let seqs: TokenSequence[];

before(async () => {
  await initBackend();
  model = await loadModel(MODEL_DIR);
  tok = await loadTokenizer(MODEL_DIR);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sae-store-"));
  const file = path.join(dir, "chat.jsonl");
  const recs = Array.from({ length: 6 }, (_, i) => ({
    messages: [
      { role: "user", content: `What is ${i} plus ${i + 1}?` },
      { role: "assistant", content: `It is ${2 * i + 1}.` },
    ],
  }));
  fs.writeFileSync(file, recs.map((r) => JSON.stringify(r)).join("\n") + "\n");
  seqs = await readChatSequences([file], tok, { contextSize: 24 });
});
after(() => disposeModel(model));

test("chat records are rendered with the chat template and tokenized; BOS/EOS positions are left out", () => {
  assert.equal(seqs.length, 6);
  const full = tok.encode(
    tok.applyChatTemplate([
      { role: "user", content: "What is 0 plus 1?" },
      { role: "assistant", content: "It is 1." },
    ]),
    { addSpecialTokens: false },
  );
  assert.deepEqual(seqs[0].ids, full.slice(0, 24));
  const special = new Set([tok.bosTokenId, ...tok.eosTokenIds]);
  for (const s of seqs) {
    assert.ok(s.ids.length <= 24);
    for (const p of s.keep) assert.ok(!special.has(s.ids[p]), `position ${p} is a special token`);
    assert.equal(s.keep.length, s.ids.filter((t) => !special.has(t)).length);
  }
  assert.match(seqs[2].source, /chat\.jsonl:3$/);
});

test("an epoch serves every kept token's activation once, equal to a direct extraction", () => {
  const store = new ActivationStore(model, seqs, HOOK, { batchTokens: 8, bufferTokens: 16, seed: 1 });
  const d = store.d;
  const want: Float32Array[] = [];
  for (const s of seqs) {
    const a = extractActivations(model, [s.ids], HOOK);
    const v = a.dataSync() as Float32Array;
    a.dispose();
    for (const p of s.keep) want.push(v.slice(p * d, (p + 1) * d));
  }
  assert.equal(store.epochTokens, want.length);
  const used = new Array(want.length).fill(false);
  // whole buffer rounds inside the first epoch (a round that crosses into epoch 2 mixes both)
  const steps = Math.floor(store.epochTokens / 16) * 2;
  assert.ok(steps >= 8);
  for (let s = 0; s < steps; s++) {
    const b = store.batchData(s);
    for (let r = 0; r < 8; r++) {
      const row = b.subarray(r * d, (r + 1) * d);
      const i = want.findIndex((w, j) => !used[j] && w.every((x, q) => Math.abs(x - row[q]) < 1e-4));
      assert.ok(i >= 0, `step ${s} row ${r} is not an unserved kept token's activation`);
      used[i] = true;
    }
  }
});

test("the batch of a step depends only on (seed, step): a store started later serves the same batches", () => {
  const a = new ActivationStore(model, seqs, HOOK, { batchTokens: 8, bufferTokens: 16, seed: 3 });
  const seen = Array.from({ length: 7 }, (_, s) => a.batchData(s));
  const b = new ActivationStore(model, seqs, HOOK, { batchTokens: 8, bufferTokens: 16, seed: 3 });
  for (const s of [5, 6]) assert.deepEqual(b.batchData(s), seen[s], `step ${s}`);
  const c = new ActivationStore(model, seqs, HOOK, { batchTokens: 8, bufferTokens: 16, seed: 4 });
  assert.notDeepEqual(c.batchData(0), seen[0], "another seed shuffles differently");
});
