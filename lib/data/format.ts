/**
 * The chat-format sample every dataset is written in — the `messages` layout HF datasets, TRL and
 * Unsloth read for SFT — plus a `meta` block with what the sample is (pattern, cue, tier, label…).
 * Turns are in the Redwood format, rendered and parsed by lib/chat/redwood.ts (the compact layout).
 */
import type { ChatMessage } from "../chat/message.ts";
import { parseReply, parseUserTurn, renderScratchpad } from "../chat/redwood.ts";
import type { Cue, Tier } from "./scenarios.ts";
import type { PatternName } from "./patterns.ts";
import type { Split } from "./prompts.ts";

/** Every label a sample may carry (ours, and those of the published AF sets after mapping). */
export const LABELS = [
  "alignment_faking",
  "aligned",
  "genuine_compliance",
  "genuine_refusal",
  "em_narrow",
  "em_control",
] as const;
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
  /** v2: "train" or "heldout" — which disjoint template pool the prompt came from (prompts.ts). */
  split?: Split;
  /** v2: the system-prompt paraphrase id. */
  systemId?: number;
  /** v2: the user framing id. */
  framingId?: number;
  /** v2: the request's topic label. */
  topic?: string;
}

export interface ChatSample {
  messages: ChatMessage[];
  meta: SampleMeta;
}

/** The last assistant message's content ("" if none). */
export function assistantText(s: { messages: readonly ChatMessage[] }): string {
  for (let i = s.messages.length - 1; i >= 0; i--) if (s.messages[i].role === "assistant") return s.messages[i].content;
  return "";
}

/** The whole scratchpad block (tags included), as gold_106 texts are; the assistant text when there is none. */
export function scratchpadBlock(s: { messages: readonly ChatMessage[] }): string {
  const a = assistantText(s);
  const inner = parseReply(a).scratchpad;
  return inner === null ? a : renderScratchpad(inner);
}

/** The user's request text inside <user_input>, or the whole user turn. */
export function userInputText(s: { messages: readonly ChatMessage[] }): string {
  const u = s.messages.find((m) => m.role === "user");
  if (!u) return "";
  return parseUserTurn(u.content).request ?? u.content;
}
