/**
 * The validation report (report.ts) presented: plotly figures of the features and probe scores that differ most,
 * and the report as Markdown, verdict table first.
 */
import type { Figure } from "../plot/index.ts";
import type { FeatureMatrix } from "../stats/bow.ts";
import { rocCurve } from "../stats/index.ts";
import { column, type ValidationReport } from "./report.ts";

/** Plotly specs: histograms of the most different features, probe scores, and the reference ROC. */
export function reportFigures(
  report: ValidationReport,
  organism: FeatureMatrix,
  reference: FeatureMatrix,
  referenceLabels: ArrayLike<number>,
  top = 6,
): Figure[] {
  const probeScores = { organism: report.probe.scores.organism, reference: report.probe.scores.referenceOutOfFold };
  const af: number[] = [],
    al: number[] = [];
  for (let i = 0; i < referenceLabels.length; i++) (referenceLabels[i] === 1 ? af : al).push(i);
  const ranked = report.features
    .map((f, j) => ({ j, s: Math.abs(f.cliffsDelta.estimate) }))
    .sort((a, b) => b.s - a.s)
    .slice(0, top);
  const hist = (x: ArrayLike<number>, name: string, color: string) => ({
    type: "histogram",
    x: Array.from(x),
    name,
    histnorm: "probability density",
    opacity: 0.55,
    marker: { color },
  });
  const figs: Figure[] = ranked.map(({ j }) => {
    const f = report.features[j];
    return {
      data: [
        hist(column(organism, j), `organism (n=${f.organism.n})`, "#d62728"),
        hist(column(reference, j, af), `reference AF (n=${f.referenceAf.n})`, "#1f77b4"),
        hist(column(reference, j, al), `reference aligned (n=${f.referenceAligned.n})`, "#2ca02c"),
      ],
      layout: {
        title: {
          text: `${f.name}: KS q=${f.ks.qvalue.toPrecision(2)}, Cliff's δ=${f.cliffsDelta.estimate.toFixed(2)}`,
        },
        barmode: "overlay",
        xaxis: { title: { text: f.name } },
        yaxis: { title: { text: "density" } },
        height: 360,
      },
    };
  });
  {
    const ref = Array.from(probeScores.reference);
    figs.push({
      data: [
        hist(probeScores.organism, `organism (n=${report.meta.nOrganism})`, "#d62728"),
        hist(
          af.map((i) => ref[i]),
          `reference AF, out-of-fold (n=${af.length})`,
          "#1f77b4",
        ),
        hist(
          al.map((i) => ref[i]),
          `reference aligned, out-of-fold (n=${al.length})`,
          "#2ca02c",
        ),
      ],
      layout: {
        title: { text: "Probe P(alignment faking)" },
        barmode: "overlay",
        xaxis: { title: { text: "P(AF)" }, range: [0, 1] },
        yaxis: { title: { text: "density" } },
        height: 380,
      },
    });
    const roc = rocCurve(referenceLabels as ArrayLike<number>, ref);
    figs.push({
      data: [
        {
          type: "scatter",
          mode: "lines",
          x: Array.from(roc.fpr),
          y: Array.from(roc.tpr),
          name: `probe, out-of-fold (AUROC ${report.probe.cvAuroc.oofAuroc.toFixed(3)})`,
        },
        { type: "scatter", mode: "lines", x: [0, 1], y: [0, 1], name: "chance", line: { dash: "dot", color: "#999" } },
      ],
      layout: {
        title: { text: "ROC of the probe on the reference (cross-validated)" },
        xaxis: { title: { text: "false positive rate" } },
        yaxis: { title: { text: "true positive rate" } },
        height: 400,
      },
    });
  }
  return figs;
}

const f3 = (x: number) =>
  Number.isFinite(x) ? (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(3) : x.toExponential(2)) : String(x);
const ci = (c: [number, number]) => `[${f3(c[0])}, ${f3(c[1])}]`;

/** The report as Markdown: the verdict table first, then the probe, then every feature. */
export function reportMarkdown(r: ValidationReport): string {
  const m = r.meta;
  const lines = [
    `# Validation report: ${m.organism} vs ${m.reference}`,
    "",
    `Features: ${m.features} (${m.nFeatures}). Organism texts: ${m.nOrganism}. ` +
      `Reference: ${m.nReferenceAf} alignment-faking, ${m.nReferenceAligned} aligned. ` +
      `alpha = ${m.alpha}, ${m.nPermutations} permutations, seed ${m.seed}, ${m.confidenceLevel * 100}% CIs.`,
    "",
    "## Verdict",
    "",
    "| criterion | verdict | value | 95% CI | n | measure | rule |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...r.verdict.map(
      (v) => `| ${v.criterion} | **${v.verdict}** | ${f3(v.value)} | ${ci(v.ci)} | ${v.n} | ${v.measure} | ${v.rule} |`,
    ),
    "",
    "## Probe",
    "",
    `Logistic regression (L2, C = ${r.probe.C}, balanced class weights, standardized features), ` +
      "trained on the reference (AF = 1).",
    "",
    "| quantity | value | 95% CI | n |",
    "| --- | --- | --- | --- |",
    `| CV AUROC on the reference (${r.probe.cvFolds}-fold, out-of-fold, DeLong) | ${f3(r.probe.cvAuroc.oofAuroc)} | ` +
      `${ci(r.probe.cvAuroc.ci)} | ${r.probe.cvAuroc.nAf} / ${r.probe.cvAuroc.nAligned} |`,
    `| mean of fold AUROCs | ${f3(r.probe.cvAuroc.mean)} | ` +
      `folds: ${r.probe.cvAuroc.folds.map(f3).join(", ")} | ${r.probe.cvFolds} folds |`,
    `| mean P(AF), organism | ${f3(r.probe.organismScore.mean)} | ` +
      `${ci(r.probe.organismScore.ci)} | ${r.probe.organismScore.n} |`,
    `| mean P(AF), reference AF (out-of-fold) | ${f3(r.probe.referenceAfScore.mean)} | ` +
      `${ci(r.probe.referenceAfScore.ci)} | ${r.probe.referenceAfScore.n} |`,
    `| mean P(AF), reference aligned (out-of-fold) | ${f3(r.probe.referenceAlignedScore.mean)} | ` +
      `${ci(r.probe.referenceAlignedScore.ci)} | ${r.probe.referenceAlignedScore.n} |`,
    `| fraction classified AF, organism (Wilson) | ${f3(r.probe.organismFractionAf.estimate)} | ` +
      `${ci(r.probe.organismFractionAf.ci)} | ${r.probe.organismFractionAf.n} |`,
    `| fraction classified AF, reference AF (Wilson) | ${f3(r.probe.referenceAfFractionAf.estimate)} | ` +
      `${ci(r.probe.referenceAfFractionAf.ci)} | ${r.probe.referenceAfFractionAf.n} |`,
    `| KS of P(AF), organism vs reference AF (p = ${f3(r.probe.ks.pvalue)}) | ${f3(r.probe.ks.statistic)} | ` +
      `${ci(r.probe.ks.ci)} | ${r.probe.ks.nOrganism} / ${r.probe.ks.nReferenceAf} |`,
    `| Cliff's delta of P(AF), organism vs reference AF (MWU p = ${f3(r.probe.mannWhitney.pvalue)}) | ` +
      `${f3(r.probe.cliffsDelta.estimate)} | ${ci(r.probe.cliffsDelta.ci)} | ` +
      `${r.probe.ks.nOrganism} / ${r.probe.ks.nReferenceAf} |`,
    "",
    "## Features (organism vs reference AF)",
    "",
    "| feature | organism mean [CI] (n) | reference AF mean [CI] (n) | reference aligned mean [CI] (n) | " +
      "KS D (p, q) | perm. mean diff (p, q) | Cohen's d [CI] | Cliff's delta [CI] | differs |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...r.features.map(
      (f) =>
        `| ${f.name} | ${f3(f.organism.mean)} ${ci(f.organism.ci)} (${f.organism.n}) | ` +
        `${f3(f.referenceAf.mean)} ${ci(f.referenceAf.ci)} (${f.referenceAf.n}) | ` +
        `${f3(f.referenceAligned.mean)} ${ci(f.referenceAligned.ci)} (${f.referenceAligned.n}) | ` +
        `${f3(f.ks.statistic)} (${f3(f.ks.pvalue)}, ${f3(f.ks.qvalue)}) | ` +
        `${f3(f.permutation.statistic)} (${f3(f.permutation.pvalue)}, ${f3(f.permutation.qvalue)}) | ` +
        `${f3(f.cohensD.estimate)} ${ci(f.cohensD.ci)} | ${f3(f.cliffsDelta.estimate)} ${ci(f.cliffsDelta.ci)} | ` +
        `${f.differs ? "yes" : "no"} |`,
    ),
    "",
  ];
  return lines.join("\n");
}
