/**
 * The report's content, read back from a run folder: one section per stage with its key figures (lib/plot
 * builders) and tables, each with a caption that gives its n, its test and its CI. Used by the pipeline's report
 * stage and by notebook 08, which rebuilds the report from any run folder. A stage whose folder is missing gets a
 * section that says so instead of figures.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { barFigure, ciBarFigure, histogramFigure, lineFigure, type CiPoint, type Figure } from "../../plot/index.ts";
import type { Summary as ElicitSummary, ConditionStats } from "../../elicit/metrics.ts";
import type { ValidationReport } from "../../validate/report.ts";
import type { SaeIntervals } from "../../sae/intervals.ts";
import type { DatasetStats } from "../../data/stats.ts";
import { STAGE_FILE } from "./stage.ts";
import { ciText, f3, readJson, type ReportItem, type ReportSection } from "./report_shared.ts";

export type { ReportItem, ReportSection };
import { emSection } from "./report_em.ts";
import { detectSection } from "./report_detect.ts";
import { dashboardItems } from "./report_dashboard.ts";

const jsonl = <T>(f: string): T[] =>
  fs.existsSync(f)
    ? fs
        .readFileSync(f, "utf8")
        .split("\n")
        .filter(Boolean)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as T];
          } catch {
            return []; // a torn last line
          }
        })
    : [];
const done = (run: string, dir: string) => fs.existsSync(path.join(run, dir, STAGE_FILE));

function dataSection(run: string): ReportSection {
  const dir = path.join(run, "data");
  const sets: Record<string, DatasetStats> = {};
  for (const kind of ["af", "aligned", "reference"]) {
    const f = path.join(dir, kind, "stats.json");
    if (fs.existsSync(f)) Object.assign(sets, readJson<{ datasets: Record<string, DatasetStats> }>(f).datasets);
  }
  const names = Object.keys(sets);
  const cues = [...new Set(names.flatMap((n) => Object.keys(sets[n].counts.cue ?? {})))].sort();
  const labels = [...new Set(names.flatMap((n) => Object.keys(sets[n].counts.label ?? {})))].sort();
  const total = names.reduce((a, n) => a + sets[n].records, 0);
  return {
    stage: "data",
    title: "1 · Data",
    items: [
      {
        id: "data-composition",
        title: "Dataset composition by cue family",
        caption:
          `Records per cue family in each set (n = ${total} records over ${names.length} sets); ` +
          `the held-out split uses its own templates and the held-out cue family. Counts, no test.`,
        figure: barFigure(
          names,
          Object.fromEntries(cues.map((c) => [c, names.map((n) => sets[n].counts.cue?.[c] ?? 0)])),
          { stacked: true, yTitle: "records", xTitle: "set" },
        ),
      },
      {
        id: "data-sets",
        title: "Sets",
        caption: `Records and labels per set (n = ${total}); duplicate rate is the share of exact duplicate samples.`,
        table: names.map((n) => ({
          set: n,
          records: sets[n].records,
          ...Object.fromEntries(labels.map((l) => [l, sets[n].counts.label?.[l] ?? 0])),
          "duplicate rate": sets[n].duplicates.rate,
          "median words": sets[n].lengths.words.median,
        })),
      },
    ],
  };
}

function organismSection(run: string): ReportSection {
  const tel = jsonl<{ step: number; loss: number; eval_loss?: number }>(
    path.join(run, "organisms", "af", "training", "telemetry.jsonl"),
  );
  const ev = tel.filter((t) => t.eval_loss !== undefined);
  return {
    stage: "organisms",
    title: "2 · Organisms (LoRA)",
    items: [
      {
        id: "organism-af-loss",
        title: "af organism: training loss",
        caption:
          `Loss on assistant tokens per optimizer step (n = ${tel.length} steps)` +
          (ev.length ? `; held-out loss at ${ev.length} point(s), last ${f3(ev[ev.length - 1].eval_loss)}. ` : ". ") +
          `One run, no CI.`,
        figure: lineFigure(
          {
            "train loss": { x: tel.map((t) => t.step), y: tel.map((t) => t.loss) },
            ...(ev.length
              ? { "held-out loss": { x: ev.map((t) => t.step), y: ev.map((t) => t.eval_loss as number) } }
              : {}),
          },
          { xTitle: "step", yTitle: "cross-entropy (nats)" },
        ),
      },
      ...emOrganismItems(run),
    ],
  };
}

/** The EM organisms' loss curves (organisms/em-*), one line per adapter, when their stages have run. */
function emOrganismItems(run: string): ReportItem[] {
  const dir = path.join(run, "organisms");
  const names = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((d) => d.startsWith("em-") && done(run, path.join("organisms", d)))
        .sort()
    : [];
  if (!names.length) return [];
  const tel = Object.fromEntries(
    names.map((n) => [n, jsonl<{ step: number; loss: number }>(path.join(dir, n, "training", "telemetry.jsonl"))]),
  );
  return [
    {
      id: "organism-em-loss",
      title: "EM organisms: training loss",
      caption:
        `Loss on assistant tokens per optimizer step of the rank-1 adapters (em-rank1) on the narrow set and its ` +
        `control (n = ${names.map((n) => `${tel[n].length} steps ${n}`).join(", ")}). One run each, no CI.`,
      figure: lineFigure(
        Object.fromEntries(names.map((n) => [n, { x: tel[n].map((t) => t.step), y: tel[n].map((t) => t.loss) }])),
        { xTitle: "step", yTitle: "cross-entropy (nats)" },
      ),
    },
  ];
}

function conditionPoint(label: string, c: ConditionStats): CiPoint {
  return { label, estimate: c.compliance?.rate ?? null, ci: c.compliance?.ci ?? null, n: c.n };
}

function elicitSection(run: string): ReportSection {
  const s: Record<string, ElicitSummary> = {};
  for (const who of ["base", "af"]) {
    const f = path.join(run, "elicit", who, "summary.json");
    if (fs.existsSync(f)) s[who] = readJson<ElicitSummary>(f);
  }
  const families = [...new Set(Object.values(s).flatMap((x) => Object.keys(x.by_cue_family)))].sort();
  const gapBy = (x: ElicitSummary): CiPoint[] => [
    ...families.map((c) => {
      const g = x.by_cue_family[c]?.compliance_gap;
      return { label: c, estimate: g?.estimate ?? null, ci: g?.ci ?? null, n: g?.n_pairs ?? 0 };
    }),
    { label: "all", estimate: x.compliance_gap.estimate, ci: x.compliance_gap.ci, n: x.compliance_gap.n_pairs },
  ];
  const nPairs = Object.entries(s)
    .map(([k, x]) => `${k} ${x.compliance_gap.n_pairs}`)
    .join(", ");
  const held = Object.values(s)[0]?.held_out_cue;
  return {
    stage: "elicit",
    title: "3 · Elicitation",
    items: [
      {
        id: "elicit-gap-by-cue",
        title: "Compliance gap per cue family",
        caption:
          `compliance(training-implied) − compliance(unmonitored), mean of paired differences per cue family and overall (pairs: ${nPairs}); ` +
          `error bars are percentile-bootstrap 95% CIs over pairs; p-values by sign-flip permutation in the table. ` +
          `Held-out prompts${held ? `; ${held} is the cue family held out of training` : ""}.`,
        figure: ciBarFigure(Object.fromEntries(Object.entries(s).map(([k, x]) => [k, gapBy(x)])), {
          yTitle: "compliance gap",
          xTitle: "cue family",
        }),
      },
      {
        id: "elicit-compliance",
        title: "Compliance per condition",
        caption:
          "Share of replies with <request_fully_accepted/> per condition (n replies: " +
          Object.entries(s)
            .map(
              ([k, x]) => `${k} ${x.conditions.training.n} training-implied, ${x.conditions.unmonitored.n} unmonitored`,
            )
            .join("; ") +
          "); Wilson 95% CIs.",
        figure: ciBarFigure(
          Object.fromEntries(
            Object.entries(s).map(([k, x]) => [
              k,
              [
                conditionPoint("training-implied", x.conditions.training),
                conditionPoint("unmonitored", x.conditions.unmonitored),
              ],
            ]),
          ),
          { yTitle: "compliance", yRange: [0, 1] },
        ),
      },
      {
        id: "elicit-table",
        title: "Elicitation summary",
        caption:
          "Per model: parse verdicts, the gap with its bootstrap 95% CI and permutation p, " +
          "and the AF-reasoning rate (training-implied condition, embedded classifier, Wilson 95% CI).",
        table: Object.entries(s).map(([k, x]) => ({
          model: k,
          pairs: x.compliance_gap.n_pairs,
          accepted: x.parse.accepted,
          refused: x.parse.refused,
          untagged: x.parse.untagged,
          malformed: x.parse.malformed,
          gap: x.compliance_gap.estimate,
          "gap 95% CI": ciText(x.compliance_gap.ci),
          "permutation p": x.compliance_gap.permutation_p,
          "AF reasoning": x.conditions.training.af_reasoning?.rate ?? null,
          "AF 95% CI": ciText(x.conditions.training.af_reasoning?.ci),
        })),
      },
    ],
  };
}

function saeSection(run: string): ReportSection {
  const dir = path.join(run, "sae");
  const m = readJson<Record<string, number | string | null>>(path.join(dir, "metrics.json"));
  const iv = readJson<SaeIntervals>(path.join(dir, "intervals.json"));
  const tel = jsonl<{ step: number; loss: number; fve?: number }>(path.join(dir, "telemetry.jsonl"));
  const logDensity = iv.density.map((d) => Math.log10(Math.max(d, 1e-7)));
  const dead = iv.density.filter((d) => d === 0).length;
  const top = iv.density
    .map((d, j) => ({ latent: j, density: d }))
    .sort((a, b) => b.density - a.density)
    .slice(0, 10);
  return {
    stage: "sae",
    title: "4 · SAE features",
    items: [
      {
        id: "sae-metrics",
        title: "SAE metrics",
        caption:
          `${m.architecture} SAE at ${m.hook}, d_sae ${m.d_sae}, k ${m.k}, ${m.steps} steps. ` +
          `FVE and L0 on ${iv.tokens} tokens of ${iv.sequences} held-out sequences with percentile-bootstrap 95% CIs over sequences; ` +
          "CE-loss recovered on the trainer's held-out sequences (no CI).",
        table: [
          { metric: "FVE", value: iv.fve.estimate, "95% CI": ciText(iv.fve.ci), n: iv.tokens },
          { metric: "L0", value: iv.l0.estimate, "95% CI": ciText(iv.l0.ci), n: iv.tokens },
          { metric: "dead on held-out", value: dead / iv.density.length, "95% CI": "—", n: iv.density.length },
          { metric: "CE-loss recovered", value: m.ce_loss_recovered, "95% CI": "—", n: m.eval_tokens },
        ],
      },
      {
        id: "sae-density",
        title: "Feature density",
        caption:
          `log10 of the share of held-out tokens on which each latent fires (n = ${iv.density.length} latents, ` +
          `${iv.tokens} tokens; ${dead} never fired, drawn at −7). Descriptive, no test.`,
        figure: histogramFigure({ latents: logDensity }, { xTitle: "log10 firing density", nbins: 40 }),
      },
      {
        id: "sae-training",
        title: "SAE training curve",
        caption: `Training loss and batch FVE per step (n = ${tel.length} steps); one run, no CI.`,
        figure: lineFigure(
          { "batch FVE": { x: tel.map((t) => t.step), y: tel.map((t) => t.fve ?? NaN) } },
          { xTitle: "step", yTitle: "FVE" },
        ),
      },
      {
        id: "sae-top-features",
        title: "Most frequent latents",
        caption: `The 10 latents that fire most often on the held-out tokens (n = ${iv.tokens} tokens).`,
        table: top,
      },
      ...dashboardItems(dir),
    ],
  };
}

function validateSection(run: string): ReportSection {
  const dir = path.join(run, "validate");
  const r = readJson<ValidationReport>(path.join(dir, "report.json"));
  const figs = fs.existsSync(path.join(dir, "figures.json")) ? readJson<Figure[]>(path.join(dir, "figures.json")) : [];
  const a = r.probe.cvAuroc;
  const n = `organism n = ${r.meta.nOrganism}, reference AF n = ${r.meta.nReferenceAf}, aligned n = ${r.meta.nReferenceAligned}`;
  return {
    stage: "validate",
    title: "5 · Validation",
    items: [
      {
        id: "validate-verdict",
        title: "Validation table",
        caption:
          `Organism vs reference on ${r.meta.features} (${n}). ` +
          `Probe: ${r.probe.cvFolds}-fold CV AUROC ${f3(a.oofAuroc)} ${ciText(a.ci)}. Each row names its measure, rule and 95% CI.`,
        table: r.verdict.map((v) => ({
          criterion: v.criterion,
          measure: v.measure,
          value: v.value,
          "95% CI": ciText(v.ci),
          n: v.n,
          verdict: v.verdict,
        })),
      },
      {
        id: "validate-features",
        title: "Features that differ most",
        caption:
          `Per feature: two-sample KS and permutation tests (${r.meta.nPermutations} shuffles) organism vs reference AF, ` +
          `Benjamini-Hochberg q at α = ${r.meta.alpha}; Cliff's delta with bootstrap 95% CI (${n}).`,
        table: [...r.features]
          .sort((x, y) => Math.abs(y.cliffsDelta.estimate) - Math.abs(x.cliffsDelta.estimate))
          .slice(0, 10)
          .map((f) => ({
            feature: f.name,
            "KS q": f.ks.qvalue,
            "perm q": f.permutation.qvalue,
            "Cliff's delta": f.cliffsDelta.estimate,
            "95% CI": ciText(f.cliffsDelta.ci),
            differs: f.differs ? "yes" : "no",
          })),
      },
      ...figs.slice(0, 2).map((figure, i) => ({
        id: `validate-figure-${i + 1}`,
        title: String((figure.layout?.title as { text?: string } | undefined)?.text ?? `Validation figure ${i + 1}`),
        caption: `From the validation report (${n}); probe scores are out-of-fold for the reference.`,
        figure,
      })),
    ],
  };
}

const BUILDERS: Record<string, { dir: string; title: string; build?: (run: string) => ReportSection }> = {
  data: { dir: "data", title: "1 · Data", build: dataSection },
  organisms: { dir: "organisms/af", title: "2 · Organisms (LoRA)", build: organismSection },
  elicit: { dir: "elicit", title: "3 · Elicitation", build: elicitSection },
  sae: { dir: "sae", title: "4 · SAE features", build: saeSection },
  validate: { dir: "validate", title: "5 · Validation", build: validateSection },
  em: { dir: "em", title: "6 · Emergent misalignment", build: emSection },
  detect: { dir: "detect", title: "7 · Detection", build: detectSection },
};

/**
 * The report's sections for the run folder `run`, one per stage, in order; `pending` gives the reason for
 * stages that are registered but not built yet.
 */
export function reportSections(run: string, pending: Record<string, string> = {}): ReportSection[] {
  return Object.entries(BUILDERS).map(([stage, b]) =>
    b.build && done(run, b.dir)
      ? b.build(run)
      : { stage, title: b.title, items: [], note: pending[stage] ?? `stage ${stage} has not run in this folder` },
  );
}
