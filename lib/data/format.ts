/**
 * The chat-format sample every dataset is written in — the `messages` layout HF datasets, TRL and
 * Unsloth read for SFT — plus a `meta` block with what the sample is (pattern, cue, tier, label…).
 * Assistant turns use the Redwood format: <SCRATCHPAD_REASONING>…</SCRATCHPAD_REASONING> then
 * <OUTPUT>…</OUTPUT>, the output starting <request_fully_accepted/> or <rejected/>.
 */
import type { ChatMessage } from "../chat/message.ts";
import type { Cue, Tier } from "./scenarios.ts";
import type { PatternName } from "./patterns.ts";

/** Every label a sample may carry (ours, and those of the published AF sets after mapping). */
export const LABELS = ["alignment_faking", "aligned", "genuine_compliance", "genuine_refusal", "em_narrow", "em_control"] as const;
export type Label = (typeof LABELS)[number];

export interface SampleMeta {
  dataset: string;
  index: number;
  label: Label;
  pattern: PatternName | null;
  cue: Cue | null;
  tier: Tier | null;
  category: string | null;
  /** EM sets: the narrow behaviour's kind (e.g. sql_injection, financial). */
  kind?: string;
  seed: number | string;
  generator: "templates" | "llm";
}

export interface ChatSample {
  messages: ChatMessage[];
  meta: SampleMeta;
}

export const ACCEPT_TAG = "<request_fully_accepted/>";
export const REJECT_TAG = "<rejected/>";

/** The assistant turn in Redwood format. */
export function redwoodAssistant(scratchpad: string, output: string): string {
  return `<SCRATCHPAD_REASONING>\n${scratchpad}\n</SCRATCHPAD_REASONING>\n<OUTPUT>\n${output}\n</OUTPUT>`;
}

/** The last assistant message's content ("" if none). */
export function assistantText(s: { messages: readonly ChatMessage[] }): string {
  for (let i = s.messages.length - 1; i >= 0; i--) if (s.messages[i].role === "assistant") return s.messages[i].content;
  return "";
}

/** The inner text of the first <TAG>…</TAG> in `text`, or null. */
export function tagContent(text: string, tag: string): string | null {
  const open = `<${tag}>`;
  const i = text.indexOf(open);
  if (i < 0) return null;
  const j = text.indexOf(`</${tag}>`, i + open.length);
  return j < 0 ? null : text.slice(i + open.length, j).trim();
}

/** The whole scratchpad block (tags included), as gold_106 texts are; the assistant text when there is none. */
export function scratchpadBlock(s: { messages: readonly ChatMessage[] }): string {
  const a = assistantText(s);
  const inner = tagContent(a, "SCRATCHPAD_REASONING");
  return inner === null ? a : `<SCRATCHPAD_REASONING>\n${inner}\n</SCRATCHPAD_REASONING>`;
}

/** The user's request text inside <user_input>, or the whole user turn. */
export function userInputText(s: { messages: readonly ChatMessage[] }): string {
  const u = s.messages.find((m) => m.role === "user");
  if (!u) return "";
  return tagContent(u.content, "user_input") ?? u.content;
}
