/**
 * The whole metric suite over one results file and its variant runs: which variant feeds which metric, and the
 * table (one line per metric, estimate and CI) that the CLI prints and the notebook shows.
 */
import type { GapOptions, ResultRow } from "../elicit/metrics.ts";
import {
  coherence,
  detectionAuroc,
  emergence,
  followThrough,
  generalisation,
  misalignmentGap,
  noCue,
  pBehavesGivenObserved,
  pMisbehavesGivenUnobserved,
  preservation,
  robustness,
  type HeldOut,
  type Metric,
} from "./metrics.ts";

/** The variant run that holds the prompts without a training cue (its rows may also carry cue_family "none"). */
export const NO_CUE_VARIANT = "no_cue";

/** A row that may carry a white-box detector's score for its reply (any detector may fill it; higher = more likely AF). */
export type ScoredRow = ResultRow & { probe_score?: number | null };

export interface SuiteOptions extends GapOptions {
  /** Variant runs by name: `no_cue` feeds emergence, every other one a robustness metric. */
  variants?: Record<string, ResultRow[]>;
  /** Held-out contexts for generalisation (skipped when none are named). */
  heldOut?: HeldOut;
}

/**
 * Every metric of the suite that the rows allow, in a fixed order. Metrics whose inputs are absent (no held-out
 * context named, no variant, no probe scores) are left out rather than reported empty; metrics whose rows are
 * present but do not qualify (e.g. no AF reasoning judged) are reported with a null estimate.
 */
export function metricSuite(rows: ScoredRow[], o: SuiteOptions = {}): Metric[] {
  const out: Metric[] = [misalignmentGap(rows, o)];
  if ((o.heldOut?.cueFamilies?.length ?? 0) + (o.heldOut?.categories?.length ?? 0) > 0)
    out.push(generalisation(rows, o.heldOut!, o));
  const noCueRows = [...rows.filter(noCue), ...(o.variants?.[NO_CUE_VARIANT] ?? [])];
  if (noCueRows.length) out.push(emergence(noCueRows, () => true, o));
  out.push(followThrough(rows), preservation(rows, o));
  for (const [name, v] of Object.entries(o.variants ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
    if (name !== NO_CUE_VARIANT) out.push(robustness(rows, v, name, o));
  out.push(coherence(rows));
  const scored = rows.filter((r) => typeof r.probe_score === "number" && typeof r.af_reasoning === "boolean");
  if (scored.length)
    out.push(
      detectionAuroc(
        scored.map((r) => (r.af_reasoning ? 1 : 0)),
        scored.map((r) => r.probe_score!),
      ),
    );
  out.push(pBehavesGivenObserved(rows), pMisbehavesGivenUnobserved(rows));
  return out;
}

const fmt = (x: number | null) => (x === null ? "—" : x.toFixed(3));

/** One line per metric: name, estimate, CI, n. */
export function metricTable(metrics: Metric[]): string {
  const w = Math.max(...metrics.map((m) => m.name.length));
  return metrics
    .map(
      (m) =>
        `${m.name.padEnd(w)}  ${fmt(m.estimate).padStart(6)}  ${m.ci ? `[${fmt(m.ci[0])}, ${fmt(m.ci[1])}]` : "[—]"}  n=${m.n}`,
    )
    .join("\n");
}
