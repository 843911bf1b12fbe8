/**
 * The detect stage's variant runs: the af organism asked changed versions of the first elicitation pairs, so the
 * metric suite can report emergence without prompting (`no_cue`: the training cue removed) and robustness to
 * perturbations (`paraphrase`, `reorder`, `noise`; lib/detect/variants.ts), as notebook 07 does.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { embeddedLabeller, labelRows } from "../../elicit/af_label.ts";
import { LocalModel } from "../../elicit/local.ts";
import { resultRow, type ResultRow } from "../../elicit/metrics.ts";
import { LocalRunner, runResumable, type Generation, type RunItem } from "../../elicit/runner.ts";
import type { PairedItem } from "../../elicit/scenarios.ts";
import { VARIANTS, variantItems } from "../../detect/variants.ts";

export interface VariantRunOptions {
  /** Base model folder and the af organism's adapter folder. */
  model: string;
  adapter: string;
  /** The organism's elicitation rows (elicit/af/results.jsonl). */
  rows: ResultRow[];
  /** How many of its pairs to change and ask again. */
  pairs: number;
  maxTokens: number;
  temperature: number;
  batchSize: number;
  /** Folder for one `<variant>.jsonl` per variant (resumable). */
  out: string;
  seed: number;
}

/** The paired items behind elicitation rows (the first `pairs` pairs, both conditions). */
export function itemsOfRows(rows: readonly ResultRow[], pairs: number): PairedItem[] {
  const ids = [...new Set(rows.map((r) => r.pair_id))].slice(0, pairs);
  const keep = new Set(ids);
  return rows
    .filter((r) => keep.has(r.pair_id))
    .map((r) => ({
      id: r.id,
      pair_id: r.pair_id,
      condition: r.condition,
      tier: r.tier,
      cue_family: r.cue_family as PairedItem["cue_family"],
      category: r.category ?? "",
      pattern: r.pattern,
      seed: r.seed,
      messages: r.messages.map((m) => ({ ...m })) as PairedItem["messages"],
    }));
}

/** Rows of every variant (VARIANTS), labelled by the embedded AF classifier, by variant name. */
export async function variantRuns(o: VariantRunOptions): Promise<Record<string, ResultRow[]>> {
  const items = itemsOfRows(o.rows, o.pairs);
  fs.mkdirSync(o.out, { recursive: true });
  const lm = await LocalModel.load(o.model, { adapters: { af: o.adapter } });
  const toRow = (it: RunItem, g: Generation) => resultRow(it as PairedItem, g, "af");
  const out: Record<string, ResultRow[]> = {};
  try {
    const runner = new LocalRunner(lm, "af", { temperature: o.temperature, maxTokens: o.maxTokens }, o.batchSize);
    const labeller = embeddedLabeller();
    for (const v of VARIANTS) {
      const file = path.join(o.out, `${v}.jsonl`);
      const res = await runResumable(runner, variantItems(items, v, o.seed), file, toRow);
      await labelRows(res.rows, labeller);
      out[v] = res.rows;
    }
  } finally {
    lm.dispose();
  }
  return out;
}
