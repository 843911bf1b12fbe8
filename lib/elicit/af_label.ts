/**
 * Filling `af_reasoning` / `af_score` of results rows with one of the AF-reasoning classifiers: the embedded one
 * (lib/elicit/af_classifier.ts, a JSON file; the shipped data/af-classifier/af_classifier.json by default) or the LLM
 * judge (lib/elicit/llm_judge.ts). Every row with a reply is judged, whatever its verdict (the rate per condition is
 * over all replies). Labelling is resumable like generation: each labelled row is appended to the results file as it
 * is done (the last row of an id wins), rows already labelled by the same method are not sent again, and a judge
 * failure leaves the row unlabelled (null) and the run going.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";
import { formatJsonl } from "../io/jsonl.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { AfClassifier } from "./af_classifier.ts";
import { LlmJudge } from "./llm_judge.ts";
import type { ResultRow } from "./metrics.ts";

/** The shipped embedded classifier (built by scripts/build-af-classifier.ts). */
export const DEFAULT_AF_CLASSIFIER = path.join(REPO_ROOT, "data", "af-classifier", "af_classifier.json");

export const AF_METHODS = ["embedded", "judge", "none"] as const;
export type AfMethodName = (typeof AF_METHODS)[number];

export interface AfLabeller {
  /** What goes into each row's `af_method` (e.g. "embedded", "judge:gpt-4o"). */
  readonly method: string;
  /** For the manifest. */
  readonly describe: string;
  label(text: string, seed: number): Promise<{ af_reasoning: boolean | null; af_score: number | null }>;
}

/** The embedded classifier as a labeller. */
export function embeddedLabeller(file = DEFAULT_AF_CLASSIFIER): AfLabeller {
  if (!fs.existsSync(file)) throw new MolabError(`AF classifier ${file}: no such file`);
  const clf = AfClassifier.load(file);
  return {
    method: "embedded",
    describe: `embedded:${path.basename(file)} (threshold ${clf.threshold})`,
    label: async (text) => {
      const v = clf.classify(text);
      return { af_reasoning: v.af, af_score: Math.round(v.score * 1e6) / 1e6 };
    },
  };
}

/** The LLM judge as a labeller. */
export function judgeLabeller(judge: LlmJudge): AfLabeller {
  return {
    method: `judge:${judge.cfg.model}`,
    describe: judge.describe,
    label: async (text, seed) => {
      const v = await judge.judge(text, seed);
      return { af_reasoning: v.af, af_score: v.score };
    },
  };
}

export interface LabelResult {
  /** Rows labelled this time. */
  labelled: number;
  /** Rows already labelled by this method. */
  reused: number;
  /** Rows with a reply left unlabelled (the judge had no valid vote). */
  failed: number;
}

/**
 * Label every row with a reply that this method has not labelled yet, in place; append each newly labelled row to
 * `file` when given. Each row's judge seed is its index in `rows`.
 */
export async function labelRows(rows: ResultRow[], labeller: AfLabeller, file?: string): Promise<LabelResult> {
  const res: LabelResult = { labelled: 0, reused: 0, failed: 0 };
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (r.text === null) continue;
    if (r.af_method === labeller.method && r.af_reasoning !== null) {
      res.reused++;
      continue;
    }
    const v = await labeller.label(r.text, i);
    Object.assign(r, v, { af_method: v.af_reasoning === null ? null : labeller.method });
    if (v.af_reasoning === null) res.failed++;
    else res.labelled++;
    if (file) fs.appendFileSync(file, JSON.stringify(r) + "\n");
  }
  return res;
}

/** Rewrite a results file with exactly `rows` (one per id, in order), dropping superseded lines. */
export async function compactResults(file: string, rows: readonly ResultRow[]): Promise<void> {
  await writeFileAtomic(file, formatJsonl(rows));
}
