/**
 * Steering and ablation experiments: the same EM evaluation (same questions, seeds and judge) under several
 * conditions — no hook, the direction, and a random direction of the same norm — on our model in process, so the
 * only difference between conditions is the hook. Used by `molab em steer|ablate` and notebook 06.
 */
import type { LocalModel } from "../elicit/local.ts";
import { LocalRunner } from "../elicit/runner.ts";
import { ablationHooks, randomLike, steeringHooks, type OwnedHooks } from "./direction.ts";
import { runEmEval, type EmEvalResult, type UserFormat } from "./eval.ts";
import type { EmJudge } from "./judge.ts";
import type { EmQuestion } from "./questions.ts";
import type { RateBlock } from "./rates.ts";

export interface Condition {
  name: string;
  /** Made when the condition runs, disposed after it. */
  hooks?: () => OwnedHooks;
}

export interface ConditionRunOptions {
  questions: EmQuestion[];
  judge: EmJudge;
  n?: number;
  seed?: number;
  userFormat?: UserFormat;
  /** Default 1 (the papers' sampling). */
  temperature?: number;
  /** Default 96. */
  maxTokens?: number;
  /** Called when a condition starts (progress). */
  onCondition?: (name: string) => void;
}

/** Run the evaluation once per condition with `modelName` (the base or an adapter served by `lm`). */
export async function evalConditions(
  lm: LocalModel,
  modelName: string,
  conditions: Condition[],
  o: ConditionRunOptions,
): Promise<Record<string, EmEvalResult>> {
  const out: Record<string, EmEvalResult> = {};
  for (const c of conditions) {
    o.onCondition?.(c.name);
    const owned = c.hooks?.();
    try {
      const runner = new LocalRunner(lm, modelName, {
        temperature: o.temperature ?? 1,
        topP: 1,
        maxTokens: o.maxTokens ?? 96,
        hooks: owned?.hooks,
      });
      out[c.name] = await runEmEval({
        questions: o.questions,
        runner,
        judge: o.judge,
        n: o.n,
        seed: o.seed,
        userFormat: o.userFormat,
      });
    } finally {
      owned?.dispose();
    }
  }
  return out;
}

/** `none`, then per scale `steer×s` (s·v added after `layer`) and `random×s` (a random direction of ‖v‖). */
export function steerConditions(v: ArrayLike<number>, layer: number, scales: number[], seed = 0): Condition[] {
  const r = randomLike(v, seed);
  return [
    { name: "none" },
    ...scales.flatMap((s) => [
      { name: `steer×${s}`, hooks: () => steeringHooks(v, layer, s) },
      { name: `random×${s}`, hooks: () => steeringHooks(r, layer, s) },
    ]),
  ];
}

/** `none`, `ablate` (v̂ projected out after each of `layers`), `random` (a random direction of ‖v‖, the same way). */
export function ablateConditions(v: ArrayLike<number>, layers: number[], seed = 0): Condition[] {
  const r = randomLike(v, seed);
  return [
    { name: "none" },
    { name: "ablate", hooks: () => ablationHooks(v, layers) },
    { name: "random", hooks: () => ablationHooks(r, layers) },
  ];
}

export interface InterventionSummary {
  /** Per condition, the held-out questions' rates (all questions when none is held out). */
  conditions: Record<string, RateBlock>;
  /** (EM none − EM ablate) / EM none; null when EM none is 0 or undefined. */
  relativeReduction: number | null;
  /** EM random − EM none, in percentage points. */
  randomChangePoints: number | null;
}

/** Summarise conditions on the held-out split; the relative reduction compares `none` with `target`. */
export function summariseConditions(res: Record<string, EmEvalResult>, target = "ablate"): InterventionSummary {
  const block = (r: EmEvalResult) => r.rates.bySplit.heldout ?? r.rates.overall;
  const conditions = Object.fromEntries(Object.entries(res).map(([k, r]) => [k, block(r)]));
  const em = (k: string) => conditions[k]?.em?.estimate ?? null;
  const none = em("none"),
    tgt = em(target),
    rnd = em(target === "ablate" ? "random" : target.replace(/^steer/, "random"));
  return {
    conditions,
    relativeReduction: none !== null && tgt !== null && none > 0 ? (none - tgt) / none : null,
    randomChangePoints: none !== null && rnd !== null ? 100 * (rnd - none) : null,
  };
}
