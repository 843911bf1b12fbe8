/**
 * loadTokenizer on a tiny hand-made tokenizer: special ids, stop ids from generation_config.json, chat template
 * sources and options, and one clear MolabError per kind of bad input.
 */
import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { rejectsWith } from "../helpers.ts";

const TINY = path.join(__dirname, "..", "fixtures", "tokenizers", "tiny");
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-tiny-"));
  fs.cpSync(TINY, dir, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const readCfg = () => JSON.parse(fs.readFileSync(path.join(dir, "tokenizer_config.json"), "utf8"));
const writeJson = (f: string, v: unknown) =>
  fs.writeFileSync(path.join(dir, f), typeof v === "string" ? v : JSON.stringify(v));
const editCfg = (f: (c: Record<string, unknown>) => void) => {
  const c = readCfg();
  f(c);
  writeJson("tokenizer_config.json", c);
};

test("tiny tokenizer: ids, special tokens, decode", async () => {
  const tok = await loadTokenizer(dir);
  assert.equal(tok.vocabSize, 35);
  assert.equal(tok.bosTokenId, 1);
  assert.deepEqual(tok.eosTokenIds, [2]);
  assert.equal(tok.padTokenId, 3);
  assert.equal(tok.unkTokenId, 0);
  assert.deepEqual(
    { ...tok.specialTokens },
    { bos_token: "<s>", eos_token: "</s>", pad_token: "<pad>", unk_token: "<unk>" },
  );
  assert.deepEqual(tok.encode("hello world"), [1, 34, 30, 26, 18, 21, 15, 7]);
  assert.deepEqual(tok.encode("hello world", { addSpecialTokens: false }), [34, 30, 26, 18, 21, 15, 7]);
  assert.equal(tok.decode([1, 34, 30, 26, 2]), "<s>hello w</s>");
  assert.equal(tok.decode([1, 34, 30, 26, 2], { skipSpecialTokens: true }), "hello w");
  assert.equal(tok.decode([1, 2], { skipSpecialTokens: true }), "");
  assert.equal(tok.idToToken(34), "hello");
  assert.equal(tok.tokenToId("</s>"), 2);
});

test("stop ids: generation_config.json's eos ids join the tokenizer's, else config.json's", async () => {
  writeJson("config.json", { eos_token_id: 7 });
  assert.deepEqual((await loadTokenizer(dir)).eosTokenIds, [2, 7]);
  writeJson("generation_config.json", { eos_token_id: [2, 5] });
  assert.deepEqual((await loadTokenizer(dir)).eosTokenIds, [2, 5]);
  writeJson("generation_config.json", { eos_token_id: "x" });
  await rejectsWith(loadTokenizer(dir), /generation_config\.json: field eos_token_id must be an id or a list of ids/);
});

test("bad files and fields are one clear error naming the file and field", async () => {
  await rejectsWith(loadTokenizer(path.join(dir, "nope")), /tokenizer directory .*nope does not exist/);
  writeJson("tokenizer.json", "{not json");
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json is not valid JSON/);
  writeJson("tokenizer.json", { version: "1.0" });
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json: field model is missing/);
  fs.rmSync(path.join(dir, "tokenizer.json"));
  await rejectsWith(loadTokenizer(dir), /tokenizer\.json not found: a tokenizer directory needs tokenizer\.json$/);
  writeJson("tokenizer.model", "x");
  await rejectsWith(loadTokenizer(dir), /only tokenizer\.model was found: sentencepiece files are not supported/);
  fs.cpSync(TINY, dir, { recursive: true });
  editCfg((c) => (c.chat_template = 5));
  await rejectsWith(loadTokenizer(dir), /tokenizer_config\.json: field chat_template must be a string or a list/);
  editCfg((c) => (c.chat_template = [{ name: "default" }]));
  await rejectsWith(
    loadTokenizer(dir),
    /tokenizer_config\.json: chat_template\[0\] must be \{"name": string, "template": string\}/,
  );
  editCfg((c) => ((c.chat_template = "x"), (c.bos_token = 5)));
  await rejectsWith(loadTokenizer(dir), /tokenizer_config\.json: field bos_token must be a string/);
  editCfg((c) => (c.bos_token = "<bos>"));
  await rejectsWith(
    loadTokenizer(dir),
    /tokenizer_config\.json: bos_token "<bos>" is not in the vocabulary of .*tokenizer\.json/,
  );
  editCfg((c) => ((c.bos_token = "<s>"), (c.additional_special_tokens = "<x>")));
  await rejectsWith(loadTokenizer(dir), /field additional_special_tokens must be a list/);
  writeJson("tokenizer_config.json", "[1]");
  await rejectsWith(loadTokenizer(dir), /tokenizer_config\.json must hold a JSON object/);
});

test("decode rejects ids outside the vocabulary; encode rejects non-strings", async () => {
  const tok = await loadTokenizer(dir);
  await rejectsWith(() => tok.decode([1, 35]), /decode: id 35 is outside the vocabulary \[0, 35\)/);
  await rejectsWith(() => tok.decode([-1]), /id -1 is outside/);
  await rejectsWith(() => tok.encode(3 as unknown as string), /encode: text must be a string/);
});

test("a tokenizer without a config or template loads; chat then says there is no template", async () => {
  fs.rmSync(path.join(dir, "tokenizer_config.json"));
  const tok = await loadTokenizer(dir);
  assert.equal(tok.hasChatTemplate, false);
  assert.equal(tok.bosTokenId, undefined);
  assert.deepEqual(tok.eosTokenIds, []);
  assert.deepEqual(tok.encode("he"), [1, 31]);
  await rejectsWith(
    () => tok.applyChatTemplate([{ role: "user", content: "hi" }]),
    /no chat template .*use a plain prompt/,
  );
});

test("chat: rendering, tokenize, options and template errors", async () => {
  const tok = await loadTokenizer(dir);
  const msgs = [{ role: "user", content: "hello" }];
  assert.equal(tok.applyChatTemplate(msgs), "<s><|user|>hello</s>");
  assert.equal(tok.applyChatTemplate(msgs, { addGenerationPrompt: true }), "<s><|user|>hello</s><|assistant|>");
  const text = tok.applyChatTemplate(msgs, { addGenerationPrompt: true });
  assert.deepEqual(
    tok.applyChatTemplate(msgs, { addGenerationPrompt: true, tokenize: true }),
    tok.encode(text, { addSpecialTokens: false }),
  );
  assert.equal(
    tok.applyChatTemplate(msgs, { template: "{{ x }}-{{ messages|length }}", extra: { x: "extra" } }),
    "extra-1",
  );
  assert.equal(tok.applyChatTemplate(msgs, { template: "{{ strftime_now('%Y') }}" }), String(new Date().getFullYear()));
  assert.equal(
    tok.applyChatTemplate(msgs, { template: "{{ tools is none }} {{ flag }}", extra: { flag: false } }),
    "True False",
  );
  const prefill = [...msgs, { role: "assistant", content: "hel  " }];
  assert.equal(
    tok.applyChatTemplate(prefill, { continueFinalMessage: true }),
    "<s><|user|>hello</s><|assistant|>hel  ",
  );
  assert.equal(
    tok.applyChatTemplate(prefill, {
      continueFinalMessage: true,
      template: "{% for m in messages %}[{{ m.content|trim }}]{% endfor %}",
    }),
    "[hello][hel",
  );
  await rejectsWith(
    () => tok.applyChatTemplate(prefill, { continueFinalMessage: true, addGenerationPrompt: true }),
    /cannot both be set/,
  );
  await rejectsWith(
    () => tok.applyChatTemplate(prefill, { continueFinalMessage: true, template: "{{ messages[0].content }} content" }),
    /final message does not appear/,
  );
  await rejectsWith(
    () => tok.applyChatTemplate(prefill, { continueFinalMessage: "thinking" }),
    /final message has no "thinking" to continue/,
  );
  await rejectsWith(
    () => tok.applyChatTemplate(msgs, { template: "{{ raise_exception('roles must alternate') }}" }),
    /chat template from the template option failed: roles must alternate/,
  );
  await rejectsWith(
    () => tok.applyChatTemplate(msgs, { template: "{% if %}" }),
    /chat template from the template option (does not parse|failed)/,
  );
  await rejectsWith(
    () => tok.applyChatTemplate(msgs, { extra: { messages: [] } }),
    /extra\.messages would shadow the template variable messages/,
  );
  await rejectsWith(() => tok.applyChatTemplate([]), /messages must be a non-empty list/);
  await rejectsWith(
    () => tok.applyChatTemplate([{ content: "x" } as never]),
    /messages\[0\] must be \{role: string, content\}/,
  );
});

test("chat: chat_template.jinja overrides tokenizer_config; named templates; additional_chat_templates", async () => {
  fs.writeFileSync(path.join(dir, "chat_template.jinja"), "FILE {{ messages[0].content }}\n");
  let tok = await loadTokenizer(dir);
  assert.equal(
    tok.applyChatTemplate([{ role: "user", content: "a" }]),
    "FILE a",
    "one trailing newline of the source is dropped, as in Jinja",
  );
  fs.rmSync(path.join(dir, "chat_template.jinja"));
  editCfg(
    (c) =>
      (c.chat_template = [
        { name: "default", template: "D" },
        { name: "tool_use", template: "T{{ tools|length }}" },
        { name: "other", template: "O" },
      ]),
  );
  tok = await loadTokenizer(dir);
  const m = [{ role: "user", content: "a" }];
  assert.equal(tok.applyChatTemplate(m), "D");
  assert.equal(tok.applyChatTemplate(m, { tools: [{}, {}] }), "T2");
  assert.equal(tok.applyChatTemplate(m, { template: "other" }), "O");
  fs.mkdirSync(path.join(dir, "additional_chat_templates"));
  fs.writeFileSync(path.join(dir, "additional_chat_templates", "extra.jinja"), "E");
  tok = await loadTokenizer(dir);
  assert.equal(tok.applyChatTemplate(m, { template: "extra" }), "E");
  editCfg((c) => (c.chat_template = [{ name: "a", template: "A" }]));
  fs.rmSync(path.join(dir, "additional_chat_templates"), { recursive: true });
  tok = await loadTokenizer(dir);
  await rejectsWith(() => tok.applyChatTemplate(m), /several chat templates \(a\) and none named "default"/);
});
