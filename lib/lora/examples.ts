/**
 * Chat records → token ids + a loss mask that is 1 exactly on assistant tokens.
 *
 * The conversation is rendered with the model's own chat template; assistant spans are found by
 * rendering growing prefixes (messages[0..i) with the generation prompt, then messages[0..i]), and
 * each span of text is tokenized separately, so the mask boundary falls exactly between the
 * generation prompt and the reply. The trained span is the reply plus the template's end-of-turn
 * text (the model must learn to stop).
 */
import type { ChatMessage } from "../chat/message.ts";
import { check } from "../errors.ts";
import { streamJsonl } from "../io/jsonl.ts";
import type { Rng } from "../rng.ts";

/** A chat record as lib/data writes it: `{"messages":[…], "meta":{…}}`. */
export interface ChatRecord {
  messages: ChatMessage[];
  meta?: Record<string, unknown>;
  /** 1-based line in the source file, for error messages. */
  line?: number;
}

/** What training needs from a tokenizer (lib/model/tokenizer.ts provides it). */
export interface ChatTokenizer {
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): string;
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
}

/**
 * One training sequence. `mask[t]` = 1 where token t is a target (an assistant token), 0 where it is not; a
 * caller may set other non-negative values to weigh a token's loss (the step's loss is the weighted mean).
 */
export interface Example {
  ids: number[];
  mask: number[];
  /** Source line, for messages. */
  line?: number;
}

/** Read chat JSONL (lib/data's format); every error names the file and line. */
export async function readChatJsonl(file: string): Promise<ChatRecord[]> {
  const out: ChatRecord[] = [];
  for await (const { line, value } of streamJsonl<ChatRecord>(file, recordProblem)) out.push({ ...value, line });
  check(out.length > 0, `${file}: empty dataset (no records)`);
  return out;
}

/** Why a parsed JSONL value is not a chat record (undefined when it is one). */
export function recordProblem(j: unknown): string | undefined {
  if (j === null || typeof j !== "object" || Array.isArray(j)) return 'expected an object with "messages"';
  const msgs = (j as { messages?: unknown }).messages;
  if (!Array.isArray(msgs) || msgs.length === 0) return '"messages" must be a non-empty list of {role, content}';
  for (let k = 0; k < msgs.length; k++) {
    const m = msgs[k] as Record<string, unknown> | null;
    if (!m || typeof m.role !== "string" || typeof m.content !== "string")
      return `messages[${k}] must have string "role" and "content"`;
  }
  return undefined;
}

/**
 * Tokenize one conversation with its assistant mask. Throws when the record has no assistant turn
 * or the template does not render conversations prefix-stably (then spans cannot be located).
 */
export function tokenizeChat(tok: ChatTokenizer, rec: ChatRecord, where = "record"): Example {
  const msgs = rec.messages;
  const asst = msgs.map((m, i) => (m.role === "assistant" ? i : -1)).filter((i) => i >= 0);
  check(
    asst.length > 0,
    `${where}: no assistant turn (roles: ${msgs.map((m) => m.role).join(", ")}); nothing to learn from`,
  );
  const full = tok.applyChatTemplate(msgs, { addGenerationPrompt: false });
  // Boundaries: [start of reply i, end of reply i] as character offsets in `full`.
  const cuts: { at: number; train: boolean }[] = [];
  for (const i of asst) {
    const before = tok.applyChatTemplate(msgs.slice(0, i), { addGenerationPrompt: true });
    const through = tok.applyChatTemplate(msgs.slice(0, i + 1), { addGenerationPrompt: false });
    check(
      through.startsWith(before) && full.startsWith(through),
      `${where}: the chat template does not render this conversation prefix-stably around message ${i}, so assistant tokens cannot be located`,
    );
    cuts.push({ at: before.length, train: true }, { at: through.length, train: false });
  }
  const ids: number[] = [];
  const mask: number[] = [];
  let pos = 0;
  let train = false;
  const emit = (end: number) => {
    if (end > pos) {
      const piece = tok.encode(full.slice(pos, end), { addSpecialTokens: false });
      for (const t of piece) {
        ids.push(t);
        mask.push(train ? 1 : 0);
      }
    }
    pos = end;
  };
  for (const c of cuts) {
    emit(c.at);
    train = c.train;
  }
  emit(full.length);
  return { ids, mask, line: rec.line };
}

export interface ExampleSet {
  examples: Example[];
  /** Records cut at maxSeqLen (their tail tokens are not trained). */
  truncated: number;
  /** Records dropped because no assistant token survived truncation. */
  dropped: number;
}

/** Tokenize records, truncating to `maxSeqLen`. */
export function buildExamples(
  tok: ChatTokenizer,
  records: ChatRecord[],
  maxSeqLen: number,
  file = "dataset",
): ExampleSet {
  check(records.length > 0, `${file}: empty dataset (no records)`);
  const examples: Example[] = [];
  let truncated = 0,
    dropped = 0;
  for (const r of records) {
    const ex = tokenizeChat(tok, r, r.line ? `${file}:${r.line}` : file);
    if (ex.ids.length > maxSeqLen) {
      truncated++;
      ex.ids = ex.ids.slice(0, maxSeqLen);
      ex.mask = ex.mask.slice(0, maxSeqLen);
    }
    if (ex.mask.slice(1).some((m) => m)) examples.push(ex);
    else dropped++;
  }
  check(examples.length > 0, `${file}: no record has an assistant token within the first ${maxSeqLen} tokens`);
  return { examples, truncated, dropped };
}

/** Seeded split into train and held-out eval (at least one of each when there are ≥ 2 examples and evalFraction > 0). */
export function splitExamples<T>(items: T[], evalFraction: number, rng: Rng): { train: T[]; eval: T[] } {
  check(evalFraction >= 0 && evalFraction < 1, `eval fraction must be in [0, 1), got ${evalFraction}`);
  if (evalFraction === 0 || items.length < 2) return { train: items.slice(), eval: [] };
  const perm = rng.shuffle(items.map((_, i) => i));
  const nEval = Math.min(items.length - 1, Math.max(1, Math.round(items.length * evalFraction)));
  const evalIdx = new Set(perm.slice(0, nEval));
  return { train: items.filter((_, i) => !evalIdx.has(i)), eval: items.filter((_, i) => evalIdx.has(i)) };
}
