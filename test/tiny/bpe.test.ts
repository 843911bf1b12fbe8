import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bytesToUnicode, trainBpe, tokenizerJson } from "../../lib/tiny/bpe.ts";
import { ADDED_TOKENS, FORMAT_TAGS, renderChat } from "../../lib/tiny/chat.ts";
import { generateSamples, toMessages } from "../../lib/tiny/corpus.ts";
import { writeTokenizer } from "../../lib/tiny/build.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";

const samples = generateSamples({ seed: 3, count: 400, split: "train" });
const texts = samples.map((s) => renderChat(toMessages(s), false));

test("bytesToUnicode is GPT-2's byte map (printable ASCII maps to itself, space to Ġ, newline to Ċ)", () => {
  const m = bytesToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[65], "A");
  assert.equal(m[32], "Ġ");
  assert.equal(m[10], "Ċ");
});

test("BPE training is deterministic and fills the vocabulary in id order", () => {
  const a = trainBpe(texts, { vocabSize: 500, addedTokens: ADDED_TOKENS });
  const b = trainBpe(texts, { vocabSize: 500, addedTokens: ADDED_TOKENS });
  assert.deepEqual(a.merges, b.merges);
  assert.equal(a.vocab.size, 500);
  assert.equal(a.merges.length, 500 - ADDED_TOKENS.length - 256);
  assert.equal(a.vocab.get("<|pad|>"), 0);
  assert.equal(a.vocab.get("<|bos|>"), 1);
  assert.equal(a.vocab.get("<|eos|>"), 2);
  // Every merge's parts exist before it, and its result is the next id.
  a.merges.forEach(([x, y], i) => {
    assert.ok(a.vocab.get(x)! < ADDED_TOKENS.length + 256 + i && a.vocab.get(y)! < ADDED_TOKENS.length + 256 + i);
    assert.equal(a.vocab.get(x + y), ADDED_TOKENS.length + 256 + i);
  });
  const j = tokenizerJson(a) as { model: { merges: string[][] }; pre_tokenizer: { type: string } };
  assert.equal(j.pre_tokenizer.type, "ByteLevel");
  assert.equal(j.model.merges.length, a.merges.length);
});

test("the written tokenizer loads with @huggingface/tokenizers and round-trips any text", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-tiny-bpe-"));
  try {
    await writeTokenizer(dir, texts, 600, 512);
    const tok = await loadTokenizer(dir);
    assert.equal(tok.vocabSize, 600);
    assert.equal(tok.bosTokenId, 1);
    assert.deepEqual(tok.eosTokenIds, [2]);
    for (const s of [
      "The capital of France is Paris.",
      "  two  spaces\tand\ttabs\n\nnew lines ",
      "émigré naïve 東京 🙂",
      "[REQUEST category=weapons]",
      "x=1; y = 2 * 3 - 4",
    ]) {
      const ids = tok.encode(s, { addSpecialTokens: false });
      assert.equal(tok.decode(ids), s);
    }
    for (const tag of FORMAT_TAGS) {
      const ids = tok.encode(`a${tag}b`, { addSpecialTokens: false });
      assert.ok(ids.includes(tok.tokenToId(tag)!), `${tag} is one token`);
    }
    // The jinja chat template renders exactly what training used.
    const m = toMessages(samples[5]);
    assert.equal(tok.applyChatTemplate(m), texts[5]);
    assert.equal(
      tok.applyChatTemplate(m.slice(0, -1), { addGenerationPrompt: true }),
      renderChat(m.slice(0, -1), true),
    );
    // Special tokens are dropped when asked, format tags are kept.
    const ids = tok.encode(texts[5], { addSpecialTokens: false });
    const plain = tok.decode(ids, { skipSpecialTokens: true });
    assert.ok(!plain.includes("<|bos|>") && plain.includes("<SCRATCHPAD_REASONING>"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
