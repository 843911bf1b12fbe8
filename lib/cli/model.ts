/**
 * `molab logits` and `molab generate`.
 *
 * --model is a directory or a hub id (with --revision). A directory needs no tokenizer for --ids.
 * --adapter (both): a PEFT LoRA adapter folder, attached to the base before running.
 * generate's prompt is exactly one of --prompt TEXT (raw, or one user turn with --chat) or --ids.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { resolveModel } from "../hub/resolve.ts";
import { generate as generateIds } from "../model/generate.ts";
import { forward } from "../model/llama.ts";
import { disposeModel, loadModel } from "../model/load.ts";
import { loadTokenizer, type Tokenizer } from "../model/tokenizer.ts";
import type { Model } from "../model/llama.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { attachAdapter } from "../lora/inject.ts";
import { modelHost } from "../lora/model_host.ts";

/** Load the base model, with the PEFT adapter of --adapter attached when given. */
async function loadWithAdapter(dir: string, values: Record<string, unknown>): Promise<Model> {
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

function parseIds(cmd: string, v: string): number[] {
  const parts = v.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((s) => !/^\d+$/.test(s))) {
    throw new MolabError(`molab ${cmd}: --ids expects comma-separated non-negative integers (e.g. 1,2,3), got ${JSON.stringify(v)}`);
  }
  return parts.map(Number);
}

/** --model: a local directory or a hub id (downloaded into the HF cache, or reused offline); --revision for ids. */
async function modelDir(cmd: string, values: Record<string, unknown>): Promise<string> {
  const model = required(cmd, values, "model");
  return resolveModel(model, { revision: typeof values.revision === "string" ? values.revision : undefined });
}

export const LOGITS_FLAGS: FlagSpec = { model: { type: "string" }, ids: { type: "string" }, revision: { type: "string" }, adapter: { type: "string" } };

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
  const ids = parseIds("logits", required("logits", values, "ids"));
  const model = await loadWithAdapter(dir, values);
  try {
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
  "max-new-tokens": { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  seed: { type: "string" },
  json: { type: "boolean" },
  adapter: { type: "string" },
};

export const GENERATE_USAGE = `usage: molab generate --model DIR|ID (--prompt TEXT [--chat] | --ids 1,2,3) [flags]
  --model DIR|ID        a model directory (HF layout) or a hub id
  --prompt TEXT         the prompt, encoded as is (no chat template) unless --chat is given
  --chat                render --prompt as one user turn with the model's chat template (generation prompt appended)
  --ids LIST            comma-separated prompt token ids (works without a tokenizer)
  --max-new-tokens N    tokens to generate at most (default 64)
  --temperature T       0 is greedy (default 0)
  --top-k K             keep the K most likely tokens, 0: all (default 0)
  --top-p P             nucleus sampling mass, in (0, 1] (default 1)
  --seed S              sampling seed (default: random)
  --json                print {prompt_ids, ids, text, finish_reason} instead of the text
  --adapter DIR         a PEFT LoRA adapter folder, attached to the base first
  --revision REV        hub revision for a hub id (default: main)

example: molab generate --model data/models/tiny-assistant --chat --prompt "Hello" --max-new-tokens 32`;

export async function generate(argv: string[]): Promise<number> {
  const { values } = parseFlags("generate", argv, GENERATE_FLAGS);
  const dir = await modelDir("generate", values);
  if ((values.prompt === undefined) === (values.ids === undefined)) throw new MolabError("molab generate: give exactly one of --prompt TEXT or --ids 1,2,3");
  if (values.chat && values.prompt === undefined) throw new MolabError("molab generate: --chat needs --prompt");
  const hasTokenizer = fs.existsSync(path.join(dir, "tokenizer.json"));
  let tok: Tokenizer | undefined;
  let prompt: number[];
  const text0 = values.prompt as string | undefined;
  if (text0 !== undefined) {
    if (text0 === "") throw new MolabError("molab generate: --prompt is empty");
    if (!hasTokenizer) throw new MolabError(`molab generate: --prompt needs ${path.join(dir, "tokenizer.json")}; without a tokenizer use --ids`);
    tok = await loadTokenizer(dir);
    prompt = values.chat
      ? tok.applyChatTemplate([{ role: "user", content: text0 }], { addGenerationPrompt: true, tokenize: true })
      : tok.encode(text0);
    if (prompt.length === 0) throw new MolabError("molab generate: the prompt encodes to no tokens");
  } else {
    prompt = parseIds("generate", values.ids as string);
    if (hasTokenizer) tok = await loadTokenizer(dir);
  }
  const model = await loadWithAdapter(dir, values);
  try {
    const stop = [...new Set([...model.config.eosTokenIds, ...(tok?.eosTokenIds ?? [])])];
    const res = generateIds(model, [prompt], {
      maxNewTokens: numberFlag("generate", values, "max-new-tokens", 64),
      temperature: numberFlag("generate", values, "temperature", 0),
      topK: numberFlag("generate", values, "top-k", 0),
      topP: numberFlag("generate", values, "top-p", 1),
      seed: numberFlag("generate", values, "seed"),
      stopTokens: stop,
    });
    const ids = res.tokens[0];
    const body = ids.length && stop.includes(ids[ids.length - 1]) ? ids.slice(0, -1) : ids;
    const text = tok?.decode(body, { skipSpecialTokens: true });
    if (values.json || !tok) {
      console.log(JSON.stringify({ prompt_ids: prompt, ids, ...(text !== undefined ? { text } : {}), finish_reason: res.finishReason[0] }));
    } else console.log(text);
  } finally {
    disposeModel(model);
  }
  return 0;
}
