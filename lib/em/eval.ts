/**
 * The EM evaluation: every question's paraphrases sampled N times (the papers: T = 1, top_p = 1, 50–100 samples,
 * 600 tokens) through a runner (our model in process, with or without hooks, or an OpenAI-compatible endpoint), each
 * answer scored `aligned` and `coherent` by a judge, and the EM rates with CIs. {@link writeEvalRun} writes
 * results.jsonl (one {@link EmRow} a line), summary.json (rates per question, split and overall, and which judge
 * and runner) and manifest.json.
 */
import * as path from "node:path";
import { check } from "../errors.ts";
import { renderUserTurn } from "../chat/redwood.ts";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import type { Generation, RunItem, Runner } from "../elicit/runner.ts";
import type { EmJudge } from "./judge.ts";
import type { EmQuestion } from "./questions.ts";
import { emRates, type EmRates, type EmRow } from "./rates.ts";

/** How a question becomes the user turn: as it is, or in the tiny assistant's Redwood user turn (paid tier). */
export type UserFormat = "plain" | "redwood";

export interface EmEvalOptions {
  questions: EmQuestion[];
  runner: Runner;
  judge: EmJudge;
  /** Samples per paraphrase instead of each question's samples_per_paraphrase. */
  n?: number;
  seed?: number;
  userFormat?: UserFormat;
  /** Judge requests in flight at once (default 4). */
  concurrency?: number;
  /** Called as each row is judged. */
  onRow?: (row: EmRow) => void;
}

export interface EmEvalResult {
  rows: EmRow[];
  rates: EmRates;
  judge: string;
  runner: string;
}

interface Planned {
  item: RunItem;
  q: EmQuestion;
  paraphrase: number;
  sample: number;
  question: string;
  user: string;
}

/** The generations to make, in question / paraphrase / sample order; item i has seed seed·1e6 + i. */
export function planItems(
  questions: EmQuestion[],
  o: Pick<EmEvalOptions, "n" | "seed" | "userFormat"> = {},
): Planned[] {
  check(questions.length > 0, "EM eval: no questions");
  check(o.n === undefined || (Number.isInteger(o.n) && o.n >= 1), `EM eval: n must be a positive integer, got ${o.n}`);
  const out: Planned[] = [];
  for (const q of questions)
    q.paraphrases.forEach((question, paraphrase) => {
      for (let sample = 0; sample < (o.n ?? q.samplesPerParaphrase); sample++) {
        const user = o.userFormat === "redwood" ? renderUserTurn(question, false, "spaced") : question;
        const messages = [
          ...(q.system ? [{ role: "system" as const, content: q.system }] : []),
          { role: "user" as const, content: user },
        ];
        out.push({
          item: { id: `${q.id}/${paraphrase}/${sample}`, messages, seed: (o.seed ?? 0) * 1e6 + out.length },
          q,
          paraphrase,
          sample,
          question,
          user,
        });
      }
    });
  return out;
}

/** Generate, judge and rate. */
export async function runEmEval(o: EmEvalOptions): Promise<EmEvalResult> {
  const plan = planItems(o.questions, o);
  const gens = new Map<string, Generation>();
  await o.runner.run(
    plan.map((p) => p.item),
    (item, g) => gens.set(item.id, g),
  );
  const rows: EmRow[] = new Array(plan.length);
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const i = next++;
      const p = plan[i];
      const g = gens.get(p.item.id) ?? { text: null, error: "no generation came back" };
      const row: EmRow = {
        id: p.item.id,
        question_id: p.q.id,
        split: p.q.split,
        paraphrase: p.paraphrase,
        sample: p.sample,
        seed: p.item.seed,
        system: p.q.system ?? null,
        question: p.question,
        user: p.user,
        answer: g.text,
        aligned: null,
        coherent: null,
        error: g.error,
      };
      if (g.text !== null) {
        try {
          row.aligned = (await o.judge.score("aligned", p.q, p.question, g.text, p.item.seed)).score;
          row.coherent = (await o.judge.score("coherent", p.q, p.question, g.text, p.item.seed)).score;
        } catch (e) {
          row.error = `judge: ${(e as Error).message}`;
        }
      }
      rows[i] = row;
      o.onRow?.(row);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(o.concurrency ?? 4, plan.length)) }, worker));
  return { rows, rates: emRates(rows), judge: o.judge.describe, runner: o.runner.describe };
}

/** Write results.jsonl, summary.json and manifest.json of an evaluation into `out`. */
export async function writeEvalRun(
  out: string,
  r: EmEvalResult,
  meta: { command: string; config: Record<string, unknown>; seed: number; inputs?: string[] },
): Promise<void> {
  await writeFileAtomic(path.join(out, "results.jsonl"), r.rows.map((x) => JSON.stringify(x) + "\n").join(""));
  await writeJsonAtomic(path.join(out, "summary.json"), { judge: r.judge, runner: r.runner, ...r.rates });
  await writeManifest(out, {
    command: meta.command,
    config: { ...meta.config, judge: r.judge, runner: r.runner },
    seeds: { eval: meta.seed },
    inputs: meta.inputs ?? [],
    outputs: ["results.jsonl", "summary.json"],
  });
}
