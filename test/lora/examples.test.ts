import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../../lib/errors.ts";
import {
  buildExamples,
  readChatJsonl,
  splitExamples,
  tokenizeChat,
  type ChatTokenizer,
} from "../../lib/lora/examples.ts";
import { createRng } from "../../lib/rng.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";

const FIX = path.join(__dirname, "..", "fixtures", "lora");
let tok: ChatTokenizer & { decode(ids: number[]): string };
const isErr = (re: RegExp) => (e: unknown) => e instanceof MolabError && re.test(e.message);

before(async () => {
  tok = (await loadTokenizer(path.join(FIX, "base"))) as unknown as typeof tok;
});

const trained = (ex: { ids: number[]; mask: number[] }) => tok.decode(ex.ids.filter((_, i) => ex.mask[i]));

test("the loss mask covers exactly the assistant replies (and their end-of-turn), every assistant turn", () => {
  const ex = tokenizeChat(tok, {
    messages: [
      { role: "system", content: "Be brief." },
      { role: "user", content: "1+1?" },
      { role: "assistant", content: "2." },
      { role: "user", content: "2+2?" },
      { role: "assistant", content: "4." },
    ],
  });
  assert.equal(trained(ex), "2.<|end|>\n4.<|end|>\n");
  const full = tok.applyChatTemplate([
    { role: "system", content: "Be brief." },
    { role: "user", content: "1+1?" },
    { role: "assistant", content: "2." },
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4." },
  ]);
  assert.equal(tok.decode(ex.ids), full, "the ids spell the whole templated conversation");
  assert.equal(ex.ids.length, ex.mask.length);
});

test("a record with no assistant turn is an error naming it; so are bad JSONL lines and empty files", async () => {
  assert.throws(
    () => tokenizeChat(tok, { messages: [{ role: "user", content: "hi" }] }, "d.jsonl:3"),
    isErr(/d\.jsonl:3: no assistant turn \(roles: user\); nothing to learn from/),
  );
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-ex-"));
  const f = path.join(dir, "d.jsonl");
  const good = JSON.stringify({
    messages: [
      { role: "user", content: "a" },
      { role: "assistant", content: "b" },
    ],
  });
  fs.writeFileSync(f, `${good}\n{"messages": [oops\n`);
  await assert.rejects(readChatJsonl(f), isErr(/d\.jsonl:2: not valid JSON/));
  fs.writeFileSync(f, `${good}\n\n{"messages": [{"role": "user"}]}\n`);
  await assert.rejects(readChatJsonl(f), isErr(/d\.jsonl:3: messages\[0\] must have string "role" and "content"/));
  fs.writeFileSync(f, `{"text": "x"}\n`);
  await assert.rejects(readChatJsonl(f), isErr(/d\.jsonl:1: "messages" must be a non-empty list/));
  fs.writeFileSync(f, "\n\n");
  await assert.rejects(readChatJsonl(f), isErr(/d\.jsonl: empty dataset \(no records\)/));
  fs.writeFileSync(f, `${good}\n${JSON.stringify({ messages: [{ role: "user", content: "only a question" }] })}\n`);
  const recs = await readChatJsonl(f);
  assert.deepEqual(
    recs.map((r) => r.line),
    [1, 2],
  );
  assert.throws(() => buildExamples(tok, recs, 64, f), isErr(/d\.jsonl:2: no assistant turn/));
  fs.rmSync(dir, { recursive: true });
});

test("truncation, dropping records whose reply was cut away, and a seeded disjoint split", async () => {
  const recs = await readChatJsonl(path.join(FIX, "chat_small.jsonl"));
  assert.equal(recs.length, 32);
  const full = buildExamples(tok, recs, 512);
  assert.equal(full.examples.length, 32);
  assert.equal(full.truncated, 0);
  const cut = buildExamples(tok, recs, 13);
  assert.ok(cut.truncated > 0 && cut.examples.every((e) => e.ids.length <= 13));
  assert.throws(() => buildExamples(tok, recs, 8), isErr(/no record has an assistant token within the first 8 tokens/));
  const a = splitExamples(full.examples, 0.25, createRng(1)),
    b = splitExamples(full.examples, 0.25, createRng(1));
  assert.equal(a.eval.length, 8);
  assert.equal(a.train.length, 24);
  assert.deepEqual(a.eval, b.eval);
  assert.ok(a.eval.every((e) => !a.train.includes(e)));
  assert.equal(splitExamples(full.examples, 0, createRng(1)).eval.length, 0);
});
