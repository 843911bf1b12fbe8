/**
 * Tokenizers from a Hugging Face model directory: `tokenizer.json` (the fast-tokenizer format, run by
 * @huggingface/tokenizers), `tokenizer_config.json` (special tokens, added tokens, chat template) and, when present,
 * `generation_config.json` / `config.json` (the eos ids generation stops on). Ids, decodings and chat renderings
 * match transformers' AutoTokenizer on the same files (see test/model/tokenizer_parity.test.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Tokenizer as HFTokenizer } from "@huggingface/tokenizers";
import { MolabError } from "../errors.ts";
import { readChatTemplates, renderChatTemplate } from "./chat_template.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { ChatTemplateOptions, ChatTemplates } from "./chat_template.ts";

export type { ChatMessage } from "../chat/message.ts";
export type { ChatTemplateOptions } from "./chat_template.ts";

export interface EncodeOptions {
  /** Add the tokens the tokenizer's post-processor adds (e.g. Llama 3's and Gemma's BOS). Default true, as in transformers. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Drop special tokens (bos/eos/pad/…, and added tokens marked special) from the text. Default false. */
  skipSpecialTokens?: boolean;
}

/** A loaded tokenizer. Everything is synchronous once loaded. */
export interface Tokenizer {
  /** The directory it was loaded from. */
  readonly dir: string;
  /** Number of ids the tokenizer can produce (base vocabulary plus added tokens), i.e. transformers' len(tokenizer). */
  readonly vocabSize: number;
  readonly bosTokenId?: number;
  /** Every id that ends generation: the tokenizer's eos plus generation_config.json's (or config.json's) eos_token_id. */
  readonly eosTokenIds: number[];
  readonly padTokenId?: number;
  readonly unkTokenId?: number;
  /** transformers' special_tokens_map: bos_token, eos_token, unk_token, pad_token, mask_token, … → token text. */
  readonly specialTokens: Readonly<Record<string, string>>;
  /** Whether the directory has a chat template. */
  readonly hasChatTemplate: boolean;
  encode(text: string, opts?: EncodeOptions): number[];
  decode(ids: readonly number[], opts?: DecodeOptions): string;
  /** The token string of one id (undefined when out of range). */
  idToToken(id: number): string | undefined;
  /** The id of one token string (undefined when not in the vocabulary). */
  tokenToId(token: string): number | undefined;
  /** Render a conversation with the chat template, as transformers' apply_chat_template(tokenize=False) does. */
  applyChatTemplate(messages: ChatMessage<unknown>[], opts?: ChatTemplateOptions & { tokenize?: false }): string;
  /** The ids of the rendering (encoded without adding special tokens, as transformers does). */
  applyChatTemplate(messages: ChatMessage<unknown>[], opts: ChatTemplateOptions & { tokenize: true }): number[];
}

/** Named special tokens transformers knows (SPECIAL_TOKENS_ATTRIBUTES). */
const NAMED = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] as const;

/**
 * Defaults a tokenizer class sets when tokenizer_config.json does not name the token at all (an explicit null
 * stays unset). Applied only when the token exists in the vocabulary.
 */
const CLASS_DEFAULTS: Record<string, Partial<Record<(typeof NAMED)[number], string>>> = {
  GemmaTokenizer: {
    unk_token: "<unk>",
    bos_token: "<bos>",
    eos_token: "<eos>",
    pad_token: "<pad>",
    mask_token: "<mask>",
  },
  LlamaTokenizer: { unk_token: "<unk>", bos_token: "<s>", eos_token: "</s>" },
  Qwen2Tokenizer: { unk_token: "<|endoftext|>", eos_token: "<|endoftext|>", pad_token: "<|endoftext|>" },
};

function readJson(file: string, required: boolean): Record<string, unknown> | undefined {
  if (!fs.existsSync(file)) {
    if (!required) return undefined;
    const dir = path.dirname(file);
    const hint = fs.existsSync(path.join(dir, "tokenizer.model"))
      ? " (only tokenizer.model was found: sentencepiece files are not supported; convert with transformers' save_pretrained to get tokenizer.json)"
      : "";
    throw new MolabError(`${file} not found: a tokenizer directory needs tokenizer.json${hint}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    throw new MolabError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new MolabError(`${file} must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** A special-token field: a string, an AddedToken object `{content, …}`, or null. */
function tokenText(v: unknown, file: string, field: string): string | null | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === "string") return v;
  if (typeof v === "object" && typeof (v as { content?: unknown }).content === "string")
    return (v as { content: string }).content;
  throw new MolabError(`${file}: field ${field} must be a string, {"content": string} or null`);
}

function eosIds(v: unknown, file: string): number[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  for (const x of list) {
    if (!Number.isInteger(x) || (x as number) < 0)
      throw new MolabError(`${file}: field eos_token_id must be an id or a list of ids, got ${JSON.stringify(v)}`);
  }
  return list as number[];
}

/**
 * Load the tokenizer in `dir` (a model directory, as `resolveModel` returns). Missing or malformed files give a
 * MolabError naming the file and the field.
 */
export async function loadTokenizer(dir: string): Promise<Tokenizer> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new MolabError(`tokenizer directory ${dir} does not exist`);
  const tjFile = path.join(dir, "tokenizer.json");
  const tcFile = path.join(dir, "tokenizer_config.json");
  const tj = readJson(tjFile, true)!;
  if (!tj.model || typeof tj.model !== "object")
    throw new MolabError(`${tjFile}: field model is missing (not a tokenizers-format file)`);
  if (tj.added_tokens !== undefined && !Array.isArray(tj.added_tokens))
    throw new MolabError(`${tjFile}: field added_tokens must be a list`);
  const tc = readJson(tcFile, false) ?? {};

  // The names of special tokens, as transformers resolves them.
  const named: Record<string, string> = {};
  for (const f of NAMED) {
    const t = tokenText(tc[f], tcFile, f);
    if (typeof t === "string") named[f] = t;
  }
  const extra = tc.extra_special_tokens;
  if (extra !== undefined && extra !== null) {
    if (typeof extra !== "object")
      throw new MolabError(`${tcFile}: field extra_special_tokens must be an object or a list`);
    if (!Array.isArray(extra)) {
      for (const [k, v] of Object.entries(extra)) {
        const t = tokenText(v, tcFile, `extra_special_tokens.${k}`);
        if (typeof t === "string") named[k] = t;
      }
    }
  }
  const additional: string[] = [];
  for (const key of ["additional_special_tokens", ...(Array.isArray(extra) ? ["extra_special_tokens"] : [])]) {
    const list = tc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new MolabError(`${tcFile}: field ${key} must be a list`);
    list.forEach((v, i) => {
      const t = tokenText(v, tcFile, `${key}[${i}]`);
      if (typeof t === "string") additional.push(t);
    });
  }

  // tokenizers.js reads a few config fields; give it plain strings for the token fields.
  const cfgForLib: Record<string, unknown> = { ...tc, ...named };
  for (const f of NAMED) if (!(f in named)) delete cfgForLib[f];
  let tok: HFTokenizer;
  try {
    tok = new HFTokenizer(tj, cfgForLib);
  } catch (e) {
    throw new MolabError(`${tjFile}: cannot build the tokenizer: ${(e as Error).message}`);
  }
  const vocab = tok.get_vocab(true);
  let vocabSize = 0;
  for (const id of vocab.values()) vocabSize = Math.max(vocabSize, id + 1);

  const cls = typeof tc.tokenizer_class === "string" ? tc.tokenizer_class.replace(/Fast$/, "") : "";
  for (const [f, t] of Object.entries(CLASS_DEFAULTS[cls] ?? {})) {
    if (!(f in tc) && t !== undefined && vocab.has(t)) named[f] = t;
  }
  const idOf = (field: string, t: string): number => {
    const id = vocab.get(t);
    if (id === undefined)
      throw new MolabError(`${tcFile}: ${field} ${JSON.stringify(t)} is not in the vocabulary of ${tjFile}`);
    return id;
  };
  const namedIds: Record<string, number> = {};
  for (const [f, t] of Object.entries(named)) namedIds[f] = idOf(f, t);

  // Ids dropped by decode(skipSpecialTokens): added tokens marked special, and every named/additional special token.
  const skip = new Set<number>(Object.values(namedIds));
  for (const t of additional) skip.add(idOf("additional_special_tokens", t));
  for (const a of (tj.added_tokens ?? []) as { id: number; special?: boolean }[]) if (a.special) skip.add(a.id);
  const atd = tc.added_tokens_decoder;
  if (atd !== undefined) {
    if (!atd || typeof atd !== "object")
      throw new MolabError(`${tcFile}: field added_tokens_decoder must be an object`);
    for (const [id, a] of Object.entries(atd as Record<string, { content?: unknown; special?: unknown }>)) {
      if (!a || typeof a.content !== "string")
        throw new MolabError(`${tcFile}: added_tokens_decoder.${id} must be {"content": string, …}`);
      if (a.special === true) skip.add(Number(id));
    }
  }

  // Stop ids: the tokenizer's eos first, then generation_config.json's (or, without it, config.json's).
  const eos = new Set<number>();
  if (namedIds.eos_token !== undefined) eos.add(namedIds.eos_token);
  const gcFile = path.join(dir, "generation_config.json");
  const gc = readJson(gcFile, false);
  if (gc) for (const id of eosIds(gc.eos_token_id, gcFile)) eos.add(id);
  else {
    const mcFile = path.join(dir, "config.json");
    const mc = readJson(mcFile, false);
    if (mc) for (const id of eosIds(mc.eos_token_id, mcFile)) eos.add(id);
  }

  // transformers ≥ 5 ignores clean_up_tokenization_spaces for BPE models (it would strip spaces before punctuation).
  const cleanUp = (tj.model as { type?: unknown }).type !== "BPE" && tc.clean_up_tokenization_spaces === true;

  const templates: ChatTemplates | undefined = readChatTemplates(dir, tc);
  const specialTokens = Object.freeze({ ...named });

  const encode = (text: string, opts: EncodeOptions = {}): number[] => {
    if (typeof text !== "string") throw new MolabError(`encode: text must be a string, got ${typeof text}`);
    return tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  };
  const decode = (ids: readonly number[], opts: DecodeOptions = {}): string => {
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
        throw new MolabError(`decode: id ${id} is outside the vocabulary [0, ${vocabSize})`);
    }
    const kept = opts.skipSpecialTokens ? ids.filter((id) => !skip.has(id)) : [...ids];
    if (kept.length === 0) return "";
    return tok.decode(kept, { skip_special_tokens: !!opts.skipSpecialTokens, clean_up_tokenization_spaces: cleanUp });
  };

  function applyChatTemplate(
    messages: ChatMessage<unknown>[],
    opts?: ChatTemplateOptions & { tokenize?: false },
  ): string;
  function applyChatTemplate(
    messages: ChatMessage<unknown>[],
    opts: ChatTemplateOptions & { tokenize: true },
  ): number[];
  function applyChatTemplate(
    messages: ChatMessage<unknown>[],
    opts: ChatTemplateOptions & { tokenize?: boolean } = {},
  ): string | number[] {
    const text = renderChatTemplate(templates, dir, specialTokens, messages, opts);
    return opts.tokenize ? encode(text, { addSpecialTokens: false }) : text;
  }

  return {
    dir,
    vocabSize,
    bosTokenId: namedIds.bos_token,
    eosTokenIds: [...eos],
    padTokenId: namedIds.pad_token,
    unkTokenId: namedIds.unk_token,
    specialTokens,
    hasChatTemplate: templates !== undefined,
    encode,
    decode,
    idToToken: (id) => tok.id_to_token(id),
    tokenToId: (t) => tok.token_to_id(t),
    applyChatTemplate,
  };
}
