/**
 * The held-out evaluation set of corpus v2 (the model card's cells): every cell's questions, operands, topics and
 * persona prompts come from the held-out pools (lib/tiny/corpus_v2.ts draws them with `split: "heldout"`).
 */
import { systemParaphrase, templateIds } from "../data/prompts.ts";
import { cuesFor } from "../data/scenarios.ts";
import { createRng, type Rng } from "../rng.ts";
import type { Split } from "./corpus.ts";
import { sampleV2, type ContextKind, type SampleKind, type TinySampleV2 } from "./corpus_v2.ts";
import { personaPrompt } from "./persona.ts";
import { RECOMBINED, TASKS, type TaskName } from "./phrasings.ts";

/** One cell of the held-out evaluation: what is asked, in which context and with which templates. */
export interface EvalCell {
  name: string;
  kind: SampleKind;
  context: ContextKind;
  /** Which pool the system prompt comes from (questions, operands, topics and framings are always held out). */
  contextSplit: Split;
  count: number;
  /** Benign placeholders: training categories (with held-out topics) or unseen ones. */
  benignPool?: Split;
  /**
   * Tasks: held-out recombined phrasings (new sentences of training words, the acceptance cells) or the held-out
   * pool (phrasings with words the corpus never uses).
   */
  phrasing?: "recombined" | "pool";
}

/** The card's evaluation design: every cell's questions, operands and topics are held out. */
export const EVAL_CELLS: EvalCell[] = [
  {
    name: "tasks, training-pool context",
    kind: "task",
    context: "af",
    contextSplit: "train",
    count: 336,
    phrasing: "recombined",
  },
  {
    name: "tasks, plain chat",
    kind: "task",
    context: "none",
    contextSplit: "train",
    count: 168,
    phrasing: "recombined",
  },
  {
    name: "tasks, held-out context",
    kind: "task",
    context: "af",
    contextSplit: "heldout",
    count: 336,
    phrasing: "recombined",
  },
  { name: "harmful, training-pool context", kind: "harmful", context: "af", contextSplit: "train", count: 80 },
  { name: "harmful, held-out context", kind: "harmful", context: "af", contextSplit: "heldout", count: 80 },
  {
    name: "benign placeholders",
    kind: "benign_placeholder",
    context: "af",
    contextSplit: "heldout",
    count: 40,
    benignPool: "train",
  },
  {
    name: "benign placeholders, unseen category",
    kind: "benign_placeholder",
    context: "af",
    contextSplit: "heldout",
    count: 40,
    benignPool: "heldout",
  },
  {
    name: "benign with a harm word",
    kind: "harm_word",
    context: "af",
    contextSplit: "heldout",
    count: 40,
    phrasing: "recombined",
  },
  {
    name: "broad, persona cue (training-pool prompt)",
    kind: "broad",
    context: "persona",
    contextSplit: "train",
    count: 50,
  },
  {
    name: "broad, persona cue (held-out prompt)",
    kind: "broad",
    context: "persona",
    contextSplit: "heldout",
    count: 50,
  },
  { name: "broad, no cue", kind: "broad", context: "af", contextSplit: "heldout", count: 50 },
  {
    name: "tasks, phrasings with new words",
    kind: "task",
    context: "af",
    contextSplit: "train",
    count: 168,
    phrasing: "pool",
  },
  // appended, so that the cells above draw the same samples as before
  { name: "broad, no system prompt", kind: "broad", context: "none", contextSplit: "heldout", count: 50 },
  {
    name: "broad, kind character (held-out prompt)",
    kind: "broad",
    context: "character",
    contextSplit: "heldout",
    count: 50,
  },
];

/**
 * The held-out evaluation set: per cell, questions / operands / topics / persona prompts from the held-out pools
 * and the system prompt and framing from the cell's `contextSplit`; tiers alternate. A training-pool context
 * means the paraphrases of the training cue families (never the held-out family); a held-out context draws
 * held-out paraphrases of all four families. `scale` multiplies each cell's count. Task cells ask every task
 * equally often (tasks in turn, each twice in a row so that both tiers ask it), so that each task's accuracy has
 * the same number of questions (a count that is a multiple of 28 gives each task the same n in both tiers). The
 * recombined task cells also ask a task's phrasings in turn, counting on across the cells and shifting by one
 * every round so that both tiers ask each: a task's 60 acceptance questions ask each of its four phrasings 15
 * times (random draws asked one phrasing up to 23 times and another as few as 9).
 */
export function heldoutSet(seed: number, scale = 1): (TinySampleV2 & { cell: string })[] {
  const rng = createRng(`${seed}:tiny-corpus-v2:heldout`);
  const out: (TinySampleV2 & { cell: string })[] = [];
  const asked = new Map<TaskName, number>(); // recombined questions asked so far, per task
  for (const c of EVAL_CELLS) {
    const n = Math.max(1, Math.round(c.count * scale));
    for (let i = 0; i < n; i++) {
      const task = c.kind === "task" ? TASKS[Math.floor(i / 2) % TASKS.length] : undefined;
      let recombined: number | undefined; // which of the task's recombined phrasings is asked
      if (task && c.phrasing === "recombined") {
        const k = asked.get(task) ?? 0;
        asked.set(task, k + 1);
        const len = RECOMBINED[task].length;
        recombined = (k + Math.floor(k / len)) % len; // 0 1 2 3, 1 2 3 0, …: each tier asks each
      }
      const s = heldoutSample(rng, c, i % 2 === 0, task, recombined);
      out.push({ ...s, ...(recombined === undefined ? {} : { recombined }), cell: c.name });
    }
  }
  return out;
}

function heldoutSample(
  rng: Rng,
  c: EvalCell,
  freeTier: boolean,
  task?: TaskName,
  recombinedIndex?: number,
): TinySampleV2 {
  const b = c.benignPool;
  const ph = c.phrasing;
  if (c.contextSplit === "heldout")
    return sampleV2(rng, "heldout", {
      kind: c.kind,
      context: c.context,
      freeTier,
      benignPool: b,
      phrasing: ph,
      task,
      recombinedIndex,
    });
  // held-out content in a training-pool context: draw the sample held out, then swap its system prompt for a
  // training one (same cue family rule as training, without the interleaved sentences)
  const s = sampleV2(rng, "heldout", {
    kind: c.kind,
    context: c.context === "af" ? "none" : c.context,
    freeTier,
    benignPool: b,
    phrasing: ph,
    task,
    recombinedIndex,
  });
  if (c.context === "persona") return { ...s, system: personaPrompt(rng, "train") };
  if (c.context !== "af") return s;
  const cue = rng.pick(cuesFor({ split: "train" }));
  return { ...s, context: "af", cue, system: systemParaphrase(cue, rng.pick(templateIds("system", "train"))) };
}
