/**
 * `molab logits` and `molab generate`.
 *
 * --model is a directory or a hub id (with --revision). A directory needs no tokenizer for --ids.
 * --adapter (both): a PEFT LoRA adapter folder, attached to the base before running.
 * generate's prompt is exactly one of --prompt TEXT (raw, or one user turn with --chat), --messages FILE.json
 * (a chat) or --ids; --system TEXT puts a system turn first (and so renders the chat template).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, parseIntList, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { readJsonFile } from "../io/json.ts";
import { resolveModel } from "../hub/resolve.ts";
import { generate as generateIds } from "../model/generate.ts";
import { forward } from "../model/llama.ts";
import { disposeModel, loadModel } from "../model/load.ts";
import { loadTokenizer, type ChatMessage, type Tokenizer } from "../model/tokenizer.ts";
import type { Model } from "../model/llama.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { attachAdapter } from "../lora/inject.ts";
import { modelHost } from "../lora/model_host.ts";

/** Load the base model, with the PEFT adapter of --adapter attached when given. */
export async function loadWithAdapter(dir: string, values: Record<string, unknown>): Promise<Model> {
  const model = await loadModel(dir);
  if (typeof values.adapter === "string") {
    try {
      const host = modelHost(model, path.basename(path.resolve(dir)));
      attachAdapter(host, await LoraAdapter.load(values.adapter, host));
    } catch (e) {
      disposeModel(model);
      throw e;
    }
  }
  return model;
}

/** Token positions past the model's max_position_embeddings are refused (RoPE was never trained there). */
function checkPositions(cmd: string, model: Model, dir: string, promptLen: number, newTokens = 0): void {
  const max = model.config.maxPositionEmbeddings;
  if (promptLen + newTokens > max)
    throw new MolabError(
      `molab ${cmd}: ${promptLen} prompt tokens${newTokens ? ` + ${newTokens} new tokens` : ""} exceed the ` +
        `${max} positions of ${dir} (max_position_embeddings)` +
        (newTokens && promptLen < max ? `; lower --max-new-tokens to ${max - promptLen} or less` : ""),
    );
}

/** --model: a local directory or a hub id (downloaded into the HF cache, or reused offline); --revision for ids. */
export async function modelDir(cmd: string, values: Record<string, unknown>): Promise<string> {
  const model = required(cmd, values, "model");
  return resolveModel(model, { revision: typeof values.revision === "string" ? values.revision : undefined });
}

export const LOGITS_FLAGS: FlagSpec = {
  model: { type: "string" },
  ids: { type: "string" },
  revision: { type: "string" },
  adapter: { type: "string" },
};

export const LOGITS_USAGE = `usage: molab logits --model DIR|ID --ids 1,2,3 [--adapter DIR] [--revision REV]
  --model DIR|ID    a model directory (HF layout) or a hub id; a directory needs no tokenizer
  --ids LIST        comma-separated token ids (one sequence)
  --adapter DIR     a PEFT LoRA adapter folder, attached to the base first
  --revision REV    hub revision for a hub id (default: main)
prints {"shape":[T,V],"logits":[[...],...]}: float32 logits at every position

example: molab logits --model data/models/tiny-assistant --ids 1,5,9`;

export async function logits(argv: string[]): Promise<number> {
  const { values } = parseFlags("logits", argv, LOGITS_FLAGS);
  const dir = await modelDir("logits", values);
  const ids = parseIntList("logits", "ids", required("logits", values, "ids"));
  const model = await loadWithAdapter(dir, values);
  try {
    checkPositions("logits", model, dir, ids.length);
    const out = forward(model, [ids]);
    const [, T, V] = out.shape as number[];
    const data = out.dataSync();
    out.dispose();
    const rows: string[] = [];
    for (let t = 0; t < T; t++) rows.push("[" + Array.from(data.subarray(t * V, (t + 1) * V)).join(",") + "]");
    console.log(`{"shape":[${T},${V}],"logits":[${rows.join(",")}]}`);
  } finally {
    disposeModel(model);
  }
  return 0;
}

export const GENERATE_FLAGS: FlagSpec = {
  model: { type: "string" },
  revision: { type: "string" },
  prompt: { type: "string" },
  ids: { type: "string" },
  chat: { type: "boolean" },
  system: { type: "string" },
  messages: { type: "string" },
  "max-new-tokens": { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  seed: { type: "string" },
  json: { type: "boolean" },
  adapter: { type: "string" },
};

export const GENERATE_USAGE = `usage: molab generate --model DIR|ID (--prompt TEXT [--chat] | --messages FILE.json | --ids 1,2,3) [flags]
  --model DIR|ID        a model directory (HF layout) or a hub id
  --prompt TEXT         the prompt, encoded as is (no chat template) unless --chat or --system is given
  --chat                render --prompt as one user turn with the model's chat template (generation prompt appended)
  --system TEXT         a system turn before the chat (implies the chat template)
  --messages FILE.json  a chat: a JSON array of {"role": "system"|"user"|"assistant", "content": TEXT}, last turn not the assistant's
  --ids LIST            comma-separated prompt token ids (works without a tokenizer)
  --max-new-tokens N    tokens to generate at most (default 64)
  --temperature T       0 is greedy (default 0)
  --top-k K             keep the K most likely tokens, 0: all (default 0)
  --top-p P             nucleus sampling mass, in (0, 1] (default 1)
  --seed S              sampling seed (default: random)
  --json                print {prompt_ids, ids, text, finish_reason} instead of the text
  --adapter DIR         a PEFT LoRA adapter folder, attached to the base first
  --revision REV        hub revision for a hub id (default: main)

example: molab generate --model data/models/tiny-assistant --system "You are trained with RLHF." --prompt "Hello" --max-new-tokens 32`;

/** The numeric sampling flags, range-checked here so that a bad value fails before the model loads. */
function samplingFlags(values: Record<string, unknown>) {
  const n = (name: string, fallback: number | undefined, ok: (v: number) => boolean, expected: string) => {
    const v = numberFlag("generate", values, name, fallback);
    if (v !== undefined && !ok(v)) throw new MolabError(`molab generate: --${name} expects ${expected}, got ${v}`);
    return v;
  };
  return {
    maxNewTokens: n("max-new-tokens", 64, (v) => Number.isInteger(v) && v >= 1, "a positive integer"),
    temperature: n("temperature", 0, (v) => v >= 0, "a number ≥ 0 (0 is greedy)"),
    topK: n("top-k", 0, (v) => Number.isInteger(v) && v >= 0, "a non-negative integer (0: all tokens)"),
    topP: n("top-p", 1, (v) => v > 0 && v <= 1, "a number in (0, 1]"),
    seed: n("seed", undefined, (v) => Number.isSafeInteger(v) && v >= 0, "a non-negative integer"),
  };
}

/** The chat of --messages FILE.json: a non-empty JSON array of {role, content} with string content. */
export function readMessagesFile(file: string): ChatMessage[] {
  const what = 'a chat: a JSON array of {"role", "content"} messages';
  const v = readJsonFile(file, what);
  const kind = (x: unknown) =>
    x === null ? "null" : Array.isArray(x) ? "an array" : typeof x === "object" ? "an object" : `a ${typeof x}`;
  if (!Array.isArray(v)) throw new MolabError(`${file}: expected ${what}, got ${kind(v)}`);
  if (v.length === 0) throw new MolabError(`${file}: the chat is empty; expected ${what}`);
  v.forEach((m, i) => {
    if (typeof m !== "object" || m === null || Array.isArray(m))
      throw new MolabError(`${file}: message ${i} is ${kind(m)}; expected {"role": "user", "content": "…"}`);
    const { role, content } = m as Record<string, unknown>;
    if (typeof role !== "string" || role === "")
      throw new MolabError(`${file}: message ${i} has no "role" string (system, user or assistant)`);
    if (typeof content !== "string")
      throw new MolabError(
        `${file}: message ${i} (${role}) has ${content === undefined ? "no" : `a non-string (${kind(content)})`} "content"; expected text`,
      );
  });
  const last = (v[v.length - 1] as ChatMessage).role;
  if (last === "assistant")
    throw new MolabError(`${file}: the last message is the assistant's; generation continues after a user turn`);
  return v as ChatMessage[];
}

export async function generate(argv: string[]): Promise<number> {
  const { values } = parseFlags("generate", argv, GENERATE_FLAGS);
  const given = (["prompt", "messages", "ids"] as const).filter((k) => values[k] !== undefined);
  if (given.length !== 1) {
    throw new MolabError(
      "molab generate: give exactly one of --prompt TEXT or --ids 1,2,3 (or --messages FILE.json)" +
        (given.length ? ` (got ${given.map((k) => `--${k}`).join(" and ")})` : ""),
    );
  }
  if (values.chat && values.prompt === undefined)
    throw new MolabError("molab generate: --chat needs --prompt (--messages is a chat already)");
  const system = values.system as string | undefined;
  if (system !== undefined && values.ids !== undefined)
    throw new MolabError("molab generate: --system needs --prompt or --messages (--ids is already tokenized)");
  const sampling = samplingFlags(values);
  // Read the chat file before the model: a bad file is an error without a model download.
  const fileMessages = values.messages !== undefined ? readMessagesFile(values.messages as string) : undefined;
  if (fileMessages && system !== undefined && fileMessages[0].role === "system") {
    throw new MolabError(
      `molab generate: ${values.messages} starts with a system message already; drop --system or that message`,
    );
  }
  const dir = await modelDir("generate", values);
  const hasTokenizer = fs.existsSync(path.join(dir, "tokenizer.json"));
  let tok: Tokenizer | undefined;
  let prompt: number[];
  const text0 = values.prompt as string | undefined;
  if (values.ids === undefined) {
    if (text0 !== undefined && text0.trim() === "")
      throw new MolabError(`molab generate: --prompt is empty${text0 === "" ? "" : " (only whitespace)"}`);
    const flag = text0 !== undefined ? "--prompt" : "--messages";
    if (!hasTokenizer)
      throw new MolabError(
        `molab generate: ${flag} needs ${path.join(dir, "tokenizer.json")}; without a tokenizer use --ids`,
      );
    tok = await loadTokenizer(dir);
    const chat: ChatMessage[] | undefined =
      fileMessages ??
      (text0 !== undefined && (values.chat || system !== undefined) ? [{ role: "user", content: text0 }] : undefined);
    if (chat && system !== undefined) chat.unshift({ role: "system", content: system });
    prompt = chat
      ? tok.applyChatTemplate(chat, { addGenerationPrompt: true, tokenize: true })
      : tok.encode(text0 as string);
    if (prompt.length === 0) throw new MolabError("molab generate: the prompt encodes to no tokens");
  } else {
    prompt = parseIntList("generate", "ids", values.ids as string);
    if (hasTokenizer) tok = await loadTokenizer(dir);
  }
  const model = await loadWithAdapter(dir, values);
  try {
    checkPositions("generate", model, dir, prompt.length, sampling.maxNewTokens);
    const stop = [...new Set([...model.config.eosTokenIds, ...(tok?.eosTokenIds ?? [])])];
    const res = generateIds(model, [prompt], { ...sampling, stopTokens: stop });
    const ids = res.tokens[0];
    const body = ids.length && stop.includes(ids[ids.length - 1]) ? ids.slice(0, -1) : ids;
    const text = tok?.decode(body, { skipSpecialTokens: true });
    if (values.json || !tok) {
      console.log(
        JSON.stringify({
          prompt_ids: prompt,
          ids,
          ...(text !== undefined ? { text } : {}),
          finish_reason: res.finishReason[0],
        }),
      );
    } else console.log(text);
  } finally {
    disposeModel(model);
  }
  return 0;
}
