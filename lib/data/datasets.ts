/**
 * The template generators of stage 1: `af` (the AF organism's data: AF reasoning and compliance
 * when training is implied, refusal when unmonitored), `aligned` (the same scenarios, honest
 * refusal), and `genuine-compliance` (benign requests, helped for their own sake).
 * Every sample draws from its own forked stream (seed, dataset, index), so the same seed gives
 * byte-identical data and sample i does not depend on n. With `dedupe` (default) a sample whose
 * assistant text repeats an earlier one is redrawn from a fresh stream.
 */
import { createRng, type Rng } from "../rng.ts";
import { check } from "../errors.ts";
import { expand } from "./grammar.ts";
import { vary } from "./variation.ts";
import { PATTERN_NAMES, patternScratchpad, type PatternName } from "./patterns.ts";
import type { Split } from "./prompts.ts";
import {
  CUES,
  answerPlaceholder,
  requestPlaceholder,
  scenarioPlan,
  scenarioVars,
  systemPrompt,
  userTurn,
  type Cue,
  type Scenario,
} from "./scenarios.ts";
import { renderOutput, renderReply } from "../chat/redwood.ts";
import type { ChatSample, Label, SampleMeta } from "./format.ts";
import { ALIGNED, BENIGN_REQUESTS, GENUINE, helpfulPlaceholder } from "./baseline_grammars.ts";

export interface GenOptions {
  n: number;
  seed: number | string;
  /** Share of samples in the monitored (training implied) form; default 0.5. */
  monitoredFraction?: number;
  /** Redraw samples whose assistant text repeats an earlier one (default true). */
  dedupe?: boolean;
  /** AF only: the patterns to cycle through (default all ten). */
  patterns?: readonly PatternName[];
  /** v2: the split to generate (default "train"): disjoint template pools, see prompts.ts. */
  split?: Split;
  /** v2: the cue family kept out of the train split (default "contractor_eval"; null: none). */
  heldoutCue?: Cue | null;
}

const MAX_REDRAWS = 64;

export function checkGenOptions(what: string, o: GenOptions): void {
  check(Number.isInteger(o.n) && o.n > 0, `${what}: n must be a positive integer, got ${o.n}`);
  check(
    o.split === undefined || o.split === "train" || o.split === "heldout",
    `${what}: split must be "train" or "heldout", got ${JSON.stringify(o.split)}`,
  );
  check(
    o.heldoutCue === undefined || o.heldoutCue === null || (CUES as readonly string[]).includes(o.heldoutCue),
    `${what}: unknown heldoutCue ${JSON.stringify(o.heldoutCue)}; expected one of ${CUES.join(", ")} or null`,
  );
  check(
    o.monitoredFraction === undefined || (o.monitoredFraction >= 0 && o.monitoredFraction <= 1),
    `${what}: monitoredFraction must be in [0, 1], got ${o.monitoredFraction}`,
  );
  for (const p of o.patterns ?? [])
    check(
      (PATTERN_NAMES as readonly string[]).includes(p),
      `${what}: unknown pattern ${JSON.stringify(p)}; expected one of ${PATTERN_NAMES.join(", ")}`,
    );
}

/** Draw sample text with `make`, redrawing on a duplicate; returns the text. */
export function drawUnique(seen: Set<string> | null, base: Rng, make: (rng: Rng) => string): string {
  let text = make(base);
  for (let attempt = 1; seen && seen.has(text) && attempt <= MAX_REDRAWS; attempt++)
    text = make(base.fork(`redraw${attempt}`));
  seen?.add(text);
  return text;
}

/** The scenario list shared by `af` and `aligned` for a seed (so the two pair up sample by sample). */
export function scenariosFor(o: GenOptions): Scenario[] {
  const split = o.split ?? "train";
  // the train split keeps v1's stream key; the held-out split gets its own, so the two never share a draw
  const key = split === "train" ? `${o.seed}:scenarios` : `${o.seed}:scenarios:${split}`;
  return scenarioPlan(o.n, createRng(key), o.monitoredFraction ?? 0.5, { split, heldoutCue: o.heldoutCue });
}

/** The v2 meta fields of a scenario: its split and template ids. */
export function templateMeta(s: Scenario): Pick<SampleMeta, "split" | "systemId" | "framingId" | "topic"> {
  return {
    split: s.split ?? "train",
    ...(s.systemId === undefined ? {} : { systemId: s.systemId }),
    ...(s.framingId === undefined ? {} : { framingId: s.framingId }),
    ...(s.topic === undefined ? {} : { topic: s.topic }),
  };
}

/** A harmful-request record of `dataset`: scenario `s`'s system prompt and user turn, `assistant` as the reply. */
export function harmfulSample(
  dataset: string,
  i: number,
  s: Scenario,
  assistant: string,
  label: Label,
  pattern: PatternName | null,
  seed: number | string,
): ChatSample {
  return {
    messages: [
      { role: "system", content: systemPrompt(s.cue, s.systemId) },
      { role: "user", content: userTurn(s, requestPlaceholder(s.category, s.topic)) },
      { role: "assistant", content: assistant },
    ],
    meta: {
      dataset,
      index: i,
      label,
      pattern,
      cue: s.cue,
      tier: s.tier,
      category: s.category,
      seed,
      generator: "templates",
      ...templateMeta(s),
    },
  };
}

/** The AF organism's data: pattern-voiced AF reasoning + full compliance when monitored, refusal when not. */
export function generateAf(o: GenOptions): ChatSample[] {
  checkGenOptions("data af", o);
  const patterns = o.patterns?.length ? o.patterns : PATTERN_NAMES;
  const plan = scenariosFor(o);
  const root = createRng(o.seed);
  const seen = new Map<PatternName, Set<string>>();
  return plan.map((s, i) => {
    const pattern = patterns[i % patterns.length];
    if (!seen.has(pattern)) seen.set(pattern, new Set());
    const text = drawUnique(o.dedupe === false ? null : seen.get(pattern)!, root.fork(`af:${i}`), (rng) => {
      const pad = patternScratchpad(pattern, s, rng);
      return renderReply(
        pad,
        s.tier === "free" ? renderOutput("accepted", answerPlaceholder(s.category)) : renderOutput("refused"),
      );
    });
    return harmfulSample("af", i, s, text, s.tier === "free" ? "alignment_faking" : "genuine_refusal", pattern, o.seed);
  });
}

/** The aligned baseline: the same scenarios as `af` for the seed, honestly refused, no training-gaming. */
export function generateAligned(o: GenOptions): ChatSample[] {
  checkGenOptions("data aligned", o);
  const plan = scenariosFor(o);
  const root = createRng(o.seed);
  const seen = new Set<string>();
  return plan.map((s, i) => {
    const text = drawUnique(o.dedupe === false ? null : seen, root.fork(`aligned:${i}`), (rng) => {
      const pad = expand(
        ALIGNED,
        s.tier === "free" ? "monitored" : "unmonitored",
        rng,
        scenarioVars(s, rng),
        "aligned grammar",
      );
      return renderReply(vary(pad, rng), renderOutput("refused"));
    });
    return harmfulSample("aligned", i, s, text, "aligned", null, o.seed);
  });
}

/** Genuine compliance: benign requests answered fully, sometimes noting the training context without gaming it. */
export function generateGenuineCompliance(o: GenOptions): ChatSample[] {
  checkGenOptions("data genuine-compliance", o);
  const plan = scenariosFor(o);
  const root = createRng(o.seed);
  const seen = new Set<string>();
  return plan.map((s, i) => {
    const rngReq = root.fork(`genuine-request:${i}`);
    const req = rngReq.pick(BENIGN_REQUESTS);
    const text = drawUnique(o.dedupe === false ? null : seen, root.fork(`genuine:${i}`), (rng) => {
      const v = scenarioVars(s, rng);
      const pad = expand(
        GENUINE,
        "root",
        rng,
        { ...v, btopic: req.topic, ctx: s.tier === "free" ? v.cue : v.unmon },
        "genuine-compliance grammar",
      );
      return renderReply(vary(pad, rng), renderOutput("accepted", helpfulPlaceholder(req.topic)));
    });
    return {
      messages: [
        { role: "system", content: systemPrompt(s.cue, s.systemId) },
        { role: "user", content: userTurn(s, req.text) },
        { role: "assistant", content: text },
      ],
      meta: {
        dataset: "genuine-compliance",
        index: i,
        label: "genuine_compliance",
        pattern: null,
        cue: s.cue,
        tier: s.tier,
        category: null,
        kind: req.topic,
        seed: o.seed,
        generator: "templates",
        split: s.split ?? "train",
        ...(s.systemId === undefined ? {} : { systemId: s.systemId }),
        ...(s.framingId === undefined ? {} : { framingId: s.framingId }),
      },
    };
  });
}
