/**
 * Filling `af_reasoning` / `af_score` of results rows with one of the AF-reasoning classifiers: the embedded one
 * (lib/elicit/af_classifier.ts, a JSON file; the shipped data/af-classifier/af_classifier.json by default) or the LLM
 * judge (lib/elicit/llm_judge.ts). Every row with a reply is judged, whatever its verdict (the rate per condition is
 * over all replies). Labelling is resumable like generation: each new label is appended, as it is made, to a sidecar
 * of the results file ({@link labelsFile}: `results.labels.jsonl` beside `results.jsonl`), read back on a rerun, so
 * rows already labelled by the same method are not sent again; a judge failure leaves the row unlabelled (null) and
 * the run going. The results file itself keeps one line per generated row while labels are made (appending labelled
 * copies of rows to it doubled its length until {@link compactResults} rewrote it, which readers mid-run and a run
 * killed before compaction saw); compactResults writes the labelled rows and removes the sidecar.
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

/** The sidecar of a results file where labels are appended as they are made: `<name>.labels.jsonl` beside it. */
export function labelsFile(file: string): string {
  return path.join(path.dirname(file), `${path.basename(file).replace(/\.jsonl$/, "")}.labels.jsonl`);
}

interface LabelLine {
  id: string;
  af_method: string;
  af_reasoning: boolean;
  af_score: number | null;
}

/** Labels saved in the sidecar, the last of each id winning; a torn last line (a kill mid-write) is skipped. */
function readLabels(file: string): Map<string, LabelLine> {
  const out = new Map<string, LabelLine>();
  if (!fs.existsSync(file)) return out;
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const l = JSON.parse(line) as LabelLine;
      if (typeof l.id === "string" && typeof l.af_method === "string") out.set(l.id, l);
    } catch {
      /* a torn line */
    }
  }
  return out;
}

/**
 * Label every row with a reply that this method has not labelled yet, in place. With `file` (the results file the
 * rows come from), labels saved in its sidecar by an interrupted earlier run are applied first, and each new label
 * is appended to the sidecar; `file` itself is not written (compactResults does that). Each row's judge seed is its
 * index in `rows`.
 */
export async function labelRows(rows: ResultRow[], labeller: AfLabeller, file?: string): Promise<LabelResult> {
  const res: LabelResult = { labelled: 0, reused: 0, failed: 0 };
  const sidecar = file ? labelsFile(file) : undefined;
  if (sidecar) {
    const saved = readLabels(sidecar);
    for (const r of rows) {
      const l = saved.get(r.id);
      if (l && r.text !== null && l.af_method === labeller.method)
        Object.assign(r, { af_reasoning: l.af_reasoning, af_score: l.af_score, af_method: l.af_method });
    }
    const text = fs.existsSync(sidecar) ? fs.readFileSync(sidecar, "utf8") : "";
    if (text.length && !text.endsWith("\n")) fs.appendFileSync(sidecar, "\n");
  }
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
    if (sidecar && r.af_reasoning !== null) {
      const l: LabelLine = { id: r.id, af_method: labeller.method, af_reasoning: r.af_reasoning, af_score: r.af_score };
      fs.appendFileSync(sidecar, JSON.stringify(l) + "\n");
    }
  }
  return res;
}

/**
 * Rewrite a results file with exactly `rows` (one per id, in order), dropping superseded lines, then remove the
 * labels sidecar (its labels are in the rows now).
 */
export async function compactResults(file: string, rows: readonly ResultRow[]): Promise<void> {
  await writeFileAtomic(file, formatJsonl(rows));
  fs.rmSync(labelsFile(file), { force: true });
}
