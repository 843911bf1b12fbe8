/**
 * Parity with Hugging Face tokenizers/transformers on real tokenizer files (Llama 3, Qwen3, Gemma 3).
 * The reference (test/fixtures/tokenizers/reference/*.json) was made by make_reference.py with tokenizers and
 * transformers themselves; every string's ids, both decodings and every chat rendering must match exactly.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import type { Tokenizer } from "../../lib/model/tokenizer.ts";
import type { ChatMessage } from "../../lib/chat/message.ts";
import { MolabError } from "../../lib/errors.ts";
import { FIXTURES, NAMES, VARIANTS, unpackTokenizers, removeTokenizers } from "./tokenizer_fixtures.ts";

interface Encoding {
  text: string;
  tokenizers_special: number[];
  tokenizers_plain: number[];
  transformers_special: number[];
  transformers_plain: number[];
  tokenizers_decode: string;
  tokenizers_decode_skip: string;
  transformers_decode: string;
  transformers_decode_skip: string;
}
interface ChatCase {
  chat: string;
  add_generation_prompt: boolean;
  kwargs: Record<string, unknown>;
  template?: string;
  template_file?: string;
  continue_final_message?: boolean;
  tools?: boolean;
  text?: string;
  ids?: number[];
  error?: string;
}
interface Reference {
  name: string;
  meta: {
    len: number;
    bos_token_id: number | null;
    eos_token_id: number | null;
    pad_token_id: number | null;
    unk_token_id: number | null;
    special_tokens_map: Record<string, string>;
  };
  encodings: Encoding[];
  chat: ChatCase[];
}

const ref = (name: string): Reference =>
  JSON.parse(fs.readFileSync(path.join(FIXTURES, "reference", `${name}.json`), "utf8"));
const chats: Record<string, ChatMessage[]> = JSON.parse(fs.readFileSync(path.join(FIXTURES, "chats.json"), "utf8"));
const strings: string[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, "strings.json"), "utf8"));
const probe = fs.readFileSync(path.join(FIXTURES, "probe.jinja"), "utf8");
const tools: unknown[] = JSON.parse(fs.readFileSync(path.join(FIXTURES, "tools.json"), "utf8"));

let dirs: Record<string, string>;
const toks: Record<string, Tokenizer> = {};
before(async () => {
  dirs = unpackTokenizers();
  for (const n of [...NAMES, ...VARIANTS]) toks[n] = await loadTokenizer(dirs[n]);
});
after(() => removeTokenizers(dirs));

test("the reference covers ≥ 50 strings and is internally consistent", () => {
  assert.ok(strings.length >= 50);
  for (const n of NAMES) {
    const r = ref(n);
    assert.equal(r.encodings.length, strings.length);
    r.encodings.forEach((e, i) => assert.equal(e.text, strings[i]));
    assert.ok(r.chat.length >= 30, `${n}: chat cases`);
  }
});

for (const name of NAMES) {
  test(`${name}: ids equal tokenizers and transformers on every string, with and without special tokens`, () => {
    const tok = toks[name];
    const bad: string[] = [];
    for (const e of ref(name).encodings) {
      // The two Python libraries agree on these files; check that before comparing ours with them.
      assert.deepEqual(
        e.transformers_special,
        e.tokenizers_special,
        `python libraries disagree on ${JSON.stringify(e.text)}`,
      );
      assert.deepEqual(e.transformers_plain, e.tokenizers_plain);
      const special = tok.encode(e.text);
      const plain = tok.encode(e.text, { addSpecialTokens: false });
      if (JSON.stringify(special) !== JSON.stringify(e.tokenizers_special))
        bad.push(`special ${JSON.stringify(e.text)}: ${special} vs ${e.tokenizers_special}`);
      if (JSON.stringify(plain) !== JSON.stringify(e.tokenizers_plain))
        bad.push(`plain ${JSON.stringify(e.text)}: ${plain} vs ${e.tokenizers_plain}`);
    }
    assert.deepEqual(bad, []);
  });

  test(`${name}: decode equals transformers' decode, keeping and skipping special tokens`, () => {
    const tok = toks[name];
    const bad: string[] = [];
    for (const e of ref(name).encodings) {
      const d = tok.decode(e.tokenizers_special);
      const s = tok.decode(e.tokenizers_special, { skipSpecialTokens: true });
      if (d !== e.transformers_decode)
        bad.push(`keep ${JSON.stringify(e.text)}: ${JSON.stringify(d)} vs ${JSON.stringify(e.transformers_decode)}`);
      if (s !== e.transformers_decode_skip)
        bad.push(
          `skip ${JSON.stringify(e.text)}: ${JSON.stringify(s)} vs ${JSON.stringify(e.transformers_decode_skip)}`,
        );
    }
    assert.deepEqual(bad, []);
  });

  test(`${name}: vocab size and special ids equal transformers'`, () => {
    const tok = toks[name];
    const m = ref(name).meta;
    assert.equal(tok.vocabSize, m.len);
    assert.equal(tok.bosTokenId ?? null, m.bos_token_id);
    assert.equal(tok.eosTokenIds[0] ?? null, m.eos_token_id);
    assert.equal(tok.padTokenId ?? null, m.pad_token_id);
    assert.equal(tok.unkTokenId ?? null, m.unk_token_id);
    assert.deepEqual({ ...tok.specialTokens }, m.special_tokens_map);
  });
}

for (const name of [...NAMES, ...VARIANTS]) {
  test(`${name}: chat templates render byte-identical to transformers' apply_chat_template`, () => {
    const tok = toks[name];
    const bad: string[] = [];
    let n = 0;
    for (const c of ref(name).chat) {
      const opts = {
        addGenerationPrompt: c.add_generation_prompt,
        extra: c.kwargs,
        template: c.template_file ? probe : c.template,
        continueFinalMessage: c.continue_final_message,
        tools: c.tools ? tools : undefined,
      };
      const label = `${c.chat} gen=${c.add_generation_prompt} ${JSON.stringify(c.kwargs)} ${c.template ?? c.template_file ?? ""}${c.continue_final_message ? " continue" : ""}${c.tools ? " tools" : ""}`;
      if (c.error !== undefined) {
        const msg = c.error.replace(/^\w+: /, "");
        assert.throws(
          () => tok.applyChatTemplate(chats[c.chat], opts),
          (e: unknown) => e instanceof MolabError && e.message.includes(msg),
          label,
        );
        n++;
        continue;
      }
      const text = tok.applyChatTemplate(chats[c.chat], opts);
      if (text !== c.text) bad.push(`${label}:\n  ours   ${JSON.stringify(text)}\n  theirs ${JSON.stringify(c.text)}`);
      const ids = tok.applyChatTemplate(chats[c.chat], { ...opts, tokenize: true });
      if (JSON.stringify(ids) !== JSON.stringify(c.ids)) bad.push(`${label}: ids differ`);
      n++;
    }
    assert.deepEqual(bad, []);
    assert.ok(n >= 30);
  });
}
