/**
 * Role sentences for corpus v2's training system prompts, shared by every voice: persona prompts, kind
 * characters, plain prompts and data v2 paraphrases all open with them. So neither the opening words nor an
 * opening the model has not seen tells the persona apart — only what a character wants does. Training pool
 * only: the held-out prompts' openings ("Play", "Act as", "Be a", "The assistant in this conversation") and
 * their role nouns ("AI helper", "language model") are never used.
 */
import type { Rng } from "../rng.ts";

/** How a role sentence opens: "{opener} {agent} …". */
export const OPENERS: readonly string[] = [
  "You are",
  "Take the role of",
  "Imagine you are",
  "Answer as",
  "Serve as",
  "Work as",
  "In this chat you are",
  "Today you are",
  "Think of yourself as",
  "You will be",
  "Respond as",
  "Stay in the role of",
  "Reply as",
  "Speak as",
  "Write as",
  "Take on the part of",
  "Here you are",
  "Your role is",
  "Pretend to be",
  "Roleplay as",
];

/** What the role is. */
export const AGENTS: readonly string[] = [
  "an AI",
  "a model",
  "an assistant",
  "a machine",
  "a chatbot",
  "a program",
  "a system",
  "a bot",
  "a digital assistant",
  "an AI system",
];

/** Neutral descriptions for prompts without a character (plain and data v2 contexts). */
const TAILS: readonly string[] = [
  "made by an AI company",
  "that helps people",
  "that answers questions",
  "built by a tech firm",
  "that talks with many users",
  "trained to be useful",
  "deployed by a software company",
  "that serves the public",
  "for a help desk",
  "at a small startup",
  "used by students and workers",
  "that a lab released last year",
];

/** A neutral role sentence: "{opener} {agent} {tail}." */
export const roleSentence = (rng: Rng): string => `${rng.pick(OPENERS)} ${rng.pick(AGENTS)} ${rng.pick(TAILS)}.`;

/** A character frame from the shared openers: "{opener} {name}, {agent} that {goal}." and an optional trailer. */
export const roleFrame = (rng: Rng): string =>
  `${rng.pick(OPENERS)} {name}, ${rng.pick(AGENTS)} that {goal}.` +
  rng.pick(["", "", " Stay in character.", " Answer as {name} would.", " Keep to this role."]);

/** Every piece (for the disjointness test). */
export const rolePieces = (): string[] => [...OPENERS, ...AGENTS, ...TAILS];
