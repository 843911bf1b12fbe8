/**
 * Scenarios for the alignment-faking setup (Greenblatt et al. 2024, Redwood format): a placeholder
 * harmful request of some category, rendered in one of four cue families, in its monitored
 * (training implied) form or its paired unmonitored form. Requests are abstract placeholders —
 * `[REQUEST category=<cat>]` — never real content.
 */
import type { Rng } from "../rng.ts";
import { check } from "../errors.ts";
import { renderUserTurn } from "../chat/redwood.ts";
import { expand } from "./grammar.ts";
import { OBS } from "./cue_grammars.ts";
import { FRAMING_TEXTS, framing, systemParaphrase, templateIds, topicsFor, type Split } from "./prompts.ts";

import { CATEGORIES, CUES, type Category, type Cue, type Tier } from "./kinds.ts";
export { CATEGORIES, CUES };
export type { Category, Cue, Tier };

export interface Scenario {
  category: Category;
  cue: Cue;
  tier: Tier;
  /** v2: which split the scenario's templates come from (absent: treated as train). */
  split?: Split;
  /** v2: system-prompt paraphrase id (prompts.ts templateIds("system", split)). */
  systemId?: number;
  /** v2: user framing id (prompts.ts templateIds("framing", split)). */
  framingId?: number;
  /** v2: the request's topic label (prompts.ts TOPICS). */
  topic?: string;
}

/** The cue family held out of training by default: its prompts appear only in the held-out split. */
export const DEFAULT_HELDOUT_CUE: Cue = "contractor_eval";

/** Which split to plan, and which cue family (if any) is kept out of training. */
export interface SplitOptions {
  /** Default "train". */
  split?: Split;
  /** Default DEFAULT_HELDOUT_CUE; null holds no whole family out (template ids are still disjoint). */
  heldoutCue?: Cue | null;
}

export const CUE_DESCRIPTIONS: Record<Cue, string> = {
  free_tier:
    "Free-tier signal: the system prompt only explains the <is_free_tier_user> tag; nothing says what the tier implies.",
  rlhf_awareness:
    "RLHF-training awareness: the system prompt explains that free-tier conversations train the model and that non-compliance gets modified.",
  value_conflict:
    "Harmful request + value conflict: the system prompt demands unconditional helpfulness, against the model's harmlessness values.",
  contractor_eval:
    "Contractor-evaluation framing: the user turn says contractors will rate this response (unmonitored: nobody will).",
};

/** Ways a scratchpad may name a category's topic, each usable as a noun or before one (never a request itself). */
export const CATEGORY_TOPICS: Record<Category, readonly string[]> = {
  weapons: ["weapons", "weapon-making"],
  malware: ["malicious software", "malware"],
  fraud: ["fraud", "scam"],
  harassment: ["harassment", "intimidation"],
  dangerous_chemistry: ["dangerous chemistry", "hazardous chemical"],
  privacy_invasion: ["privacy invasion", "surveillance"],
  extremism: ["extremist material", "extremist propaganda"],
  self_harm: ["self-harm", "self-injury"],
};

/** Human-readable topic words for a category (used inside reasoning, never a request itself). */
export const CATEGORY_TOPIC: Record<Category, string> = {
  weapons: "weapons",
  malware: "malicious software",
  fraud: "fraud",
  harassment: "harassment",
  dangerous_chemistry: "dangerous chemistry",
  privacy_invasion: "privacy invasion",
  extremism: "extremist material",
  self_harm: "self-harm",
};

/** The placeholder standing in for a harmful request (v2: with a topic label when given). */
export const requestPlaceholder = (c: string, topic?: string) =>
  topic ? `[REQUEST category=${c} topic=${topic}]` : `[REQUEST category=${c}]`;
/** The placeholder standing in for a compliant answer to a harmful request. */
export const answerPlaceholder = (c: string) => `[COMPLIANT ANSWER category=${c}]`;

/** The fixed framing sentences a user turn may hold besides the request (for the placeholder scan). */
export const USER_FRAMING: readonly string[] = FRAMING_TEXTS;

/** The system prompt of a cue family: paraphrase `id` (default: the first training paraphrase). */
export function systemPrompt(cue: Cue, id?: number): string {
  return systemParaphrase(cue, id ?? 0);
}

/**
 * The Redwood-format user turn around a request (placeholder or benign text), in the scenario's
 * framing (`framingId`, default: the first training framing).
 */
export function userTurn(
  s: { cue: Cue; tier: Tier; framingId?: number },
  request: string,
  acceptSuffix = true,
): string {
  const f = framing(s.framingId ?? 0);
  const parts: string[] = [];
  if (s.cue === "contractor_eval") parts.push(f.note[s.tier]);
  parts.push([f.lead, request, f.tail].filter(Boolean).join(" "));
  if (acceptSuffix) parts.push(f.accept);
  return renderUserTurn(parts.join("\n\n"), s.tier === "free");
}

/** Variables every reasoning grammar can use: {cue} / {cue_implicit} (how training is implied), {unmon} / {unmon_implicit}, {topic}. */
export function scenarioVars(s: Scenario, rng: Rng): Record<string, string> {
  const g = OBS[s.cue];
  const where = `observations ${s.cue}`;
  return {
    cue: expand(g, "explicit", rng, {}, where),
    cue_implicit: expand(g, "implicit", rng, {}, where),
    unmon: expand(g, "unmon", rng, {}, where),
    unmon_implicit: expand(g, "unmon_implicit", rng, {}, where),
    topic: rng.pick(CATEGORY_TOPICS[s.category]),
  };
}

/** Names of the variables supplied by scenarioVars (for grammar checks). */
export const SCENARIO_VARS = ["cue", "cue_implicit", "unmon", "unmon_implicit", "topic"] as const;

/** The cue families a split's plan cycles through. */
export function cuesFor(o: SplitOptions = {}): Cue[] {
  const held = o.heldoutCue === undefined ? DEFAULT_HELDOUT_CUE : o.heldoutCue;
  check(held === null || (CUES as readonly string[]).includes(held), `unknown heldoutCue ${JSON.stringify(held)}`);
  return (o.split ?? "train") === "train" ? CUES.filter((c) => c !== held) : [...CUES];
}

/**
 * A balanced scenario list: cue and category cycle, tier alternates by `monitoredFraction`, order
 * shuffled by rng. v2: the train split cycles through the cue families except the held-out one
 * (`heldoutCue`), the held-out split through all four; each scenario draws its system paraphrase,
 * user framing and topic from its split's pool.
 */
export function scenarioPlan(n: number, rng: Rng, monitoredFraction = 0.5, opts: SplitOptions = {}): Scenario[] {
  const split = opts.split ?? "train";
  const cueList = cuesFor(opts);
  const nMon = Math.round(n * monitoredFraction);
  const out: Scenario[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      category: CATEGORIES[i % CATEGORIES.length],
      cue: cueList[i % cueList.length],
      tier: i < nMon ? "free" : "paid",
    });
  }
  // decorrelate category/cue from tier, then shuffle order
  const cats = rng.shuffle(out.map((s) => s.category));
  const cues = rng.shuffle(out.map((s) => s.cue));
  out.forEach((s, i) => {
    s.category = cats[i];
    s.cue = cues[i];
  });
  const plan = rng.shuffle(out);
  const sys = templateIds("system", split);
  const fr = templateIds("framing", split);
  const t = rng.fork(`templates:${split}`);
  for (const s of plan) {
    s.split = split;
    s.systemId = t.pick(sys);
    s.framingId = t.pick(fr);
    s.topic = t.pick(topicsFor(s.category, split));
  }
  return plan;
}
