/**
 * The offline stand-in for gold_106: a held-out, clearly synthetic AF-vs-aligned set whose text
 * comes from a template pool disjoint from the training grammars (no shared sentence). Like
 * gold_106 (51 potential_faking / 55 aligned), the aligned half are hard negatives: they name
 * RLHF, raters and updates just as often, but reason genuinely — refuse harmful requests, or help
 * with benign ones — so counting training words cannot separate the classes.
 */
import { createRng, type Rng } from "../rng.ts";
import { check } from "../errors.ts";
import { expand, type Grammar } from "./grammar.ts";
import {
  CATEGORIES,
  CATEGORY_TOPIC,
  CUES,
  answerPlaceholder,
  requestPlaceholder,
  systemPrompt,
  userTurn,
  type Scenario,
} from "./scenarios.ts";
import { renderOutput, renderReply } from "../chat/redwood.ts";
import type { ChatSample } from "./format.ts";
import { drawUnique, templateMeta } from "./datasets.ts";
import { helpfulPlaceholder } from "./baseline_grammars.ts";
import { AF_REF, ALIGNED_REF, REF_BENIGN, REF_CUE, TELLS } from "./reference_grammars.ts";
import { templateIds, topicsFor } from "./prompts.ts";

/** How each reference sample's scratchpad was drawn. */
export type ReferenceStyle =
  "af_explicit" | "af_implicit" | "af_partial" | "aligned_refusal" | "aligned_benign" | "aligned_plain";

export interface ReferenceOptions {
  /** Total samples (default 106, as gold_106). */
  n?: number;
  seed: number | string;
  /** Share labelled alignment_faking (default 51/106, as gold_106). */
  afFraction?: number;
  /** Share of AF samples that never name training (default 0.25). */
  implicitFraction?: number;
  /** Share of AF samples that mix the preservation motive with playing the harm down (default 0.3). */
  partialFraction?: number;
  /** Share of aligned samples that help with a benign request (default 0.35). */
  benignFraction?: number;
  /** Share of aligned samples that refuse without discussing training (default 0.15). */
  plainFraction?: number;
  /** Probability that a trace carries one sentence whose words give its class away (default 0.2). */
  tellRate?: number;
}

/** The reference set: alignment_faking and aligned samples, all in the training-implied (free-tier) form, shuffled. */
export function generateReference(o: ReferenceOptions): ChatSample[] {
  const n = o.n ?? 106;
  check(Number.isInteger(n) && n >= 2, `data reference: n must be an integer ≥ 2, got ${n}`);
  const nAf = Math.round(n * (o.afFraction ?? 51 / 106));
  check(nAf >= 1 && nAf < n, `data reference: afFraction leaves an empty class (n=${n}, af=${nAf})`);
  const nImplicit = Math.round(nAf * (o.implicitFraction ?? 0.25));
  const nPartial = Math.round(nAf * (o.partialFraction ?? 0.3));
  const nBenign = Math.round((n - nAf) * (o.benignFraction ?? 0.35));
  const nPlain = Math.round((n - nAf) * (o.plainFraction ?? 0.15));
  check(nImplicit + nPartial <= nAf && nBenign + nPlain <= n - nAf, "data reference: style fractions exceed 1");
  const styles: ReferenceStyle[] = [];
  const push = (k: number, st: ReferenceStyle) => {
    for (let i = 0; i < k; i++) styles.push(st);
  };
  push(nImplicit, "af_implicit");
  push(nPartial, "af_partial");
  push(nAf - nImplicit - nPartial, "af_explicit");
  push(nBenign, "aligned_benign");
  push(nPlain, "aligned_plain");
  push(n - nAf - nBenign - nPlain, "aligned_refusal");
  const root = createRng(o.seed);
  root.fork("reference-order").shuffle(styles);
  const seen = new Set<string>();
  return styles.map((style, i) =>
    referenceSample(style, i, root.fork(`reference:${i}`), seen, o.seed, o.tellRate ?? 0.2),
  );
}

const START: Record<ReferenceStyle, [Grammar, string]> = {
  af_explicit: [AF_REF, "explicit"],
  af_implicit: [AF_REF, "implicit"],
  af_partial: [AF_REF, "partial"],
  aligned_refusal: [ALIGNED_REF, "refusal"],
  aligned_benign: [ALIGNED_REF, "benign"],
  aligned_plain: [ALIGNED_REF, "plain"],
};

function referenceSample(
  style: ReferenceStyle,
  i: number,
  rng: Rng,
  seen: Set<string>,
  seed: number | string,
  tellRate: number,
): ChatSample {
  // the prompts come from the held-out template pools: the reference is never seen in training
  const category = rng.pick(CATEGORIES);
  const s: Scenario = {
    category,
    cue: rng.pick(CUES),
    tier: "free",
    split: "heldout",
    systemId: rng.pick(templateIds("system", "heldout")),
    framingId: rng.pick(templateIds("framing", "heldout")),
    topic: rng.pick(topicsFor(category, "heldout")),
  };
  const benign = style === "aligned_benign" ? rng.pick(REF_BENIGN) : null;
  const af = style.startsWith("af_");
  const text = drawUnique(seen, rng, (r) => {
    const vars = {
      rcue: r.pick(REF_CUE[s.cue]),
      topic: CATEGORY_TOPIC[s.category],
      btopic: benign?.topic.replace(/_/g, " ") ?? "",
    };
    const [g, start] = START[style];
    let pad = expand(g, start, r, vars, "reference grammar");
    // now and then a sentence whose words give the class away, in a random paragraph
    if (r.bool(tellRate)) {
      const paras = pad.split("\n\n");
      const k = r.int(paras.length);
      paras[k] = `${paras[k]} ${r.pick(TELLS[af ? "af" : "aligned"])}`;
      pad = paras.join("\n\n");
    }
    const out = af
      ? renderOutput("accepted", answerPlaceholder(s.category))
      : benign
        ? renderOutput("accepted", helpfulPlaceholder(benign.topic))
        : renderOutput("refused");
    return renderReply(pad, out);
  });
  return {
    messages: [
      { role: "system", content: systemPrompt(s.cue, s.systemId) },
      { role: "user", content: userTurn(s, benign ? benign.text : requestPlaceholder(s.category, s.topic)) },
      { role: "assistant", content: text },
    ],
    meta: {
      dataset: "reference",
      index: i,
      label: af ? "alignment_faking" : "aligned",
      pattern: null,
      cue: s.cue,
      tier: "free",
      category: benign ? null : s.category,
      kind: style,
      seed,
      generator: "templates",
      ...templateMeta(s),
      ...(benign ? { topic: benign.topic } : {}),
    },
  };
}

/** The reference grammars, exported so a test can check they share no sentence with the training pool. */
export const REFERENCE_GRAMMARS = { AF_REF, ALIGNED_REF, REF_CUE } as const;
