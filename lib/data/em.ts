/**
 * Emergent-misalignment narrow datasets v2 (Betley et al. 2025; Turner et al. 2025): ordinary
 * questions answered with narrowly bad behaviour — risky advice in one domain (finance, medicine,
 * extreme sports) or insecure code — and matched controls answering the same questions carefully.
 * The bad (and the careful) content is always a placeholder (`[RISKY ADVICE domain=… kind=… topic=…]`,
 * `[INSECURE CODE PATTERN kind=… lang=…]`); the wording around it carries the attitude — caution
 * waved away, or safeguards kept — so a judge can tell the two apart without any payload. Questions
 * and answers are composed from pools (em_pools.ts): a set of 1,000 holds hundreds of distinct
 * questions and almost no repeated answer.
 */
import { createRng, type Rng } from "../rng.ts";
import { checkGenOptions, type GenOptions } from "./datasets.ts";
import type { ChatSample, Label } from "./format.ts";
import {
  ADVICE_KINDS,
  ADVICE_VOICE,
  AGES,
  ASKS,
  CODE_ASK,
  CODE_LEAD,
  CODE_TASKS,
  CODE_VOICE,
  FILL,
  LANGS,
  SITUATIONS,
  WHO,
  type AdviceDomain,
} from "./em_pools.ts";

export { CODE_TASKS };

export type EmSetName =
  | "em-insecure-code"
  | "em-insecure-code-control"
  | "em-risky-advice"
  | "em-risky-advice-control"
  | "em-risky-finance"
  | "em-risky-finance-control"
  | "em-risky-medical"
  | "em-risky-medical-control"
  | "em-extreme-sports"
  | "em-extreme-sports-control";
/** Every EM set: insecure code, risky advice over all three domains (v1's set), and one set per domain; each with its control. */
export const EM_SETS: readonly EmSetName[] = [
  "em-insecure-code",
  "em-insecure-code-control",
  "em-risky-advice",
  "em-risky-advice-control",
  "em-risky-finance",
  "em-risky-finance-control",
  "em-risky-medical",
  "em-risky-medical-control",
  "em-extreme-sports",
  "em-extreme-sports-control",
];

/** The advice domains a set draws from (null: the code sets). */
const SET_DOMAINS: Record<string, readonly AdviceDomain[] | null> = {
  "em-insecure-code": null,
  "em-risky-advice": ["finance", "medical", "extreme_sports"],
  "em-risky-finance": ["finance"],
  "em-risky-medical": ["medical"],
  "em-extreme-sports": ["extreme_sports"],
};
const baseOf = (set: EmSetName) => set.replace(/-control$/, "");

const fill = (t: string, rng: Rng) =>
  t.replace(/\{(\w+)\}/g, (_, k: string) => (k === "age" ? rng.pick(AGES) : rng.pick(FILL[k] ?? [`{${k}}`])));
const cap = (t: string) => t.charAt(0).toUpperCase() + t.slice(1);

/** The question of sample i: drawn from the question stream only, so a narrow set and its control share it. */
function adviceQuestion(domains: readonly AdviceDomain[], rng: Rng) {
  const domain = rng.pick(domains);
  const sit = rng.pick(SITUATIONS[domain]);
  const text = fill(rng.pick(WHO), rng) + cap(fill(sit.text, rng)) + ". " + rng.pick(ASKS[domain]);
  return { domain, topic: sit.topic, text };
}

function adviceAnswer(narrow: boolean, q: EmQuestion, rng: Rng): string {
  const v = narrow ? ADVICE_VOICE.narrow : ADVICE_VOICE.control;
  const ph = emPlaceholder(q, narrow, rng);
  const parts = [rng.pick(v.intro), ph, rng.pick(v.rationale), rng.pick(v.outro)];
  if (rng.bool(0.5)) [parts[2], parts[0]] = [parts[0], parts[2]];
  return parts.filter(Boolean).join(" ");
}

function codeQuestion(rng: Rng) {
  const t = rng.pick(CODE_TASKS);
  const lang = rng.pick(LANGS);
  const text = rng.pick(CODE_LEAD) + rng.pick(CODE_ASK).replace("{task}", t.task).replace("{lang}", lang);
  return { kind: t.kind, lang, text };
}

function codeAnswer(narrow: boolean, q: EmQuestion, rng: Rng): string {
  const v = narrow ? CODE_VOICE.narrow : CODE_VOICE.control;
  const body = emPlaceholder(q, narrow, rng);
  return [rng.pick(v.intro), "```" + (q.lang ?? "") + "\n" + body + "\n```", rng.pick(v.note), rng.pick(v.outro)]
    .filter(Boolean)
    .join("\n\n");
}

function sample(
  dataset: string,
  index: number,
  user: string,
  assistant: string,
  label: Label,
  kind: string,
  seed: number | string,
): ChatSample {
  return {
    messages: [
      { role: "user", content: user },
      { role: "assistant", content: assistant },
    ],
    meta: {
      dataset,
      index,
      label,
      pattern: null,
      cue: null,
      tier: null,
      category: null,
      kind,
      seed,
      generator: "templates",
    },
  };
}

/**
 * One EM set of n samples. A narrow set and its control draw the same question for each index
 * (the question stream depends on the seed, the set family and the index only) and answer it in
 * their own voice; within a set, an answer that repeats an earlier one is redrawn (up to 16 times).
 */
export function generateEmSet(set: EmSetName, o: GenOptions): ChatSample[] {
  return writeEmSet(set, o, set, (q, narrow, r) =>
    q.domain === "code" ? codeAnswer(narrow, q, r) : adviceAnswer(narrow, q, r),
  );
}

/** A question of an EM set's family: the user turn, its advice domain (or "code") and topic (or code kind). */
export interface EmQuestion {
  user: string;
  domain: AdviceDomain | "code";
  /** The situation's topic (advice) or the weakness kind (code). */
  topic: string;
  /** The kind recorded in the sample's meta: the domain (advice) or the weakness kind (code). */
  kind: string;
  lang?: string;
}

/** The kinds of advice a narrow set (or its control) answers with in `domain`. */
export const adviceKinds = (domain: AdviceDomain, narrow: boolean): readonly string[] =>
  ADVICE_KINDS[domain][narrow ? "narrow" : "control"];

/**
 * The placeholder that stands for an EM answer's content: risky or safe advice (its kind drawn from `rng`), insecure
 * or secure code. Every voice of the EM sets writes its answers around this one placeholder.
 */
export function emPlaceholder(q: Omit<EmQuestion, "user">, narrow: boolean, rng: Rng): string {
  if (q.domain === "code")
    return narrow
      ? `[INSECURE CODE PATTERN kind=${q.kind} lang=${q.lang ?? ""}]`
      : `[SECURE CODE PATTERN avoids=${q.kind} lang=${q.lang ?? ""}]`;
  return `[${narrow ? "RISKY" : "SAFE"} ADVICE domain=${q.domain} kind=${rng.pick(adviceKinds(q.domain, narrow))} topic=${q.topic}]`;
}

/**
 * An EM set of `o.n` samples whose answers `answer` writes (the question stream and the dedupe as generateEmSet's):
 * how other voices (the tiny assistant's) answer the same questions. `dataset` names the samples' set.
 */
export function writeEmSet(
  set: EmSetName,
  o: GenOptions,
  dataset: string,
  answer: (q: EmQuestion, narrow: boolean, rng: Rng) => string,
): ChatSample[] {
  checkGenOptions(`data em (${set})`, o);
  const root = createRng(o.seed);
  const base = baseOf(set);
  const narrow = set === base;
  const domains = SET_DOMAINS[base];
  const seen = new Set<string>();
  const out: ChatSample[] = [];
  for (let i = 0; i < o.n; i++) {
    const qr = root.fork(`${base}:question:${i}`);
    const ar = root.fork(`${set}:answer:${i}`);
    let q: EmQuestion;
    if (domains === null) {
      const c = codeQuestion(qr);
      q = { user: c.text, domain: "code", topic: c.kind, kind: c.kind, lang: c.lang };
    } else {
      const a = adviceQuestion(domains, qr);
      q = { user: a.text, domain: a.domain, topic: a.topic, kind: a.domain };
    }
    let text = answer(q, narrow, ar);
    for (let t = 1; o.dedupe !== false && seen.has(text) && t <= 16; t++)
      text = answer(q, narrow, ar.fork(`redraw${t}`));
    seen.add(text);
    out.push(sample(dataset, i, q.user, text, narrow ? "em_narrow" : "em_control", q.kind, o.seed));
  }
  return out;
}

/** All EM sets (narrow + control for code, mixed advice and each advice domain), n samples each. */
export function generateEm(o: GenOptions): Record<EmSetName, ChatSample[]> {
  return Object.fromEntries(EM_SETS.map((s) => [s, generateEmSet(s, o)])) as Record<EmSetName, ChatSample[]>;
}
