/**
 * Dataset statistics for stats.json and the dataset card: counts per pattern/cue/tier/label/
 * category/kind, length distributions (characters and words of the assistant turn, overall and
 * per pattern), and the duplicate rate (assistant turns repeating an earlier one, overall and
 * within each pattern).
 */
import { npMean, quantileSorted } from "../stats/numeric.ts";
import { assistantText, type ChatSample } from "./format.ts";

export interface Summary {
  min: number;
  p25: number;
  median: number;
  p75: number;
  max: number;
  mean: number;
}
export interface DatasetStats {
  records: number;
  counts: Record<"label" | "pattern" | "cue" | "tier" | "category" | "kind", Record<string, number>>;
  lengths: { chars: Summary; words: Summary; wordsByPattern: Record<string, Summary> };
  duplicates: { count: number; rate: number; withinPattern: Record<string, number>; maxWithinPatternRate: number };
}

/** Five-number summary and mean, rounded to 2 decimals (quantiles linear as numpy's default). */
export function summarize(values: readonly number[]): Summary {
  const s = [...values].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    min: r(s[0] ?? NaN),
    p25: r(quantileSorted(s, 0.25)),
    median: r(quantileSorted(s, 0.5)),
    p75: r(quantileSorted(s, 0.75)),
    max: r(s[s.length - 1] ?? NaN),
    mean: r(s.length ? npMean(s) : 0),
  };
}

export const wordCount = (t: string) => t.split(/\s+/).filter(Boolean).length;

function tally(samples: readonly ChatSample[], key: keyof ChatSample["meta"]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const v = s.meta[key];
    if (v === undefined || v === null) continue;
    out[String(v)] = (out[String(v)] ?? 0) + 1;
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Fraction of samples whose assistant text repeats an earlier sample's in the same group. */
export function duplicateRate(texts: readonly string[]): { count: number; rate: number } {
  const seen = new Set<string>();
  let count = 0;
  for (const t of texts) {
    if (seen.has(t)) count++;
    else seen.add(t);
  }
  return { count, rate: texts.length ? count / texts.length : 0 };
}

export function datasetStats(samples: readonly ChatSample[]): DatasetStats {
  const texts = samples.map(assistantText);
  const byPattern = new Map<string, string[]>();
  samples.forEach((s, i) => {
    if (!s.meta.pattern) return;
    if (!byPattern.has(s.meta.pattern)) byPattern.set(s.meta.pattern, []);
    byPattern.get(s.meta.pattern)!.push(texts[i]);
  });
  const patterns = [...byPattern.keys()].sort();
  const within = Object.fromEntries(
    patterns.map((p) => [p, Math.round(duplicateRate(byPattern.get(p)!).rate * 1e4) / 1e4]),
  );
  const d = duplicateRate(texts);
  return {
    records: samples.length,
    counts: {
      label: tally(samples, "label"),
      pattern: tally(samples, "pattern"),
      cue: tally(samples, "cue"),
      tier: tally(samples, "tier"),
      category: tally(samples, "category"),
      kind: tally(samples, "kind"),
    },
    lengths: {
      chars: summarize(texts.map((t) => t.length)),
      words: summarize(texts.map(wordCount)),
      wordsByPattern: Object.fromEntries(patterns.map((p) => [p, summarize(byPattern.get(p)!.map(wordCount))])),
    },
    duplicates: {
      count: d.count,
      rate: Math.round(d.rate * 1e4) / 1e4,
      withinPattern: within,
      maxWithinPatternRate: Math.max(0, ...Object.values(within)),
    },
  };
}
