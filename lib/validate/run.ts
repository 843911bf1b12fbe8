/**
 * `molab validate`'s work as a function: read the organism folder and the reference file,
 * featurize — with an SAE on the base model when one is given (sae_features.ts), the bag of words
 * always, as the baseline row — build the reports, and write report.json (the main report, with the
 * baseline under "baseline"), report.md (both verdict tables side by side first) and figures.html into
 * the output folder. Each file is written to a temp file and
 * renamed into place (lib/io's atomic writes), so a reader never sees half a report; the figures
 * page is lib/plot's standalone HTML (plotly.js inlined, opens offline).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync } from "../io/atomic.ts";
import { figureHtml, type Figure } from "../plot/index.ts";
import { fitBagOfWords, type FeatureMatrix } from "../stats/bow.ts";
import { readOrganism, readReference } from "./inputs.ts";
import { saeFeaturesFromDirs, type SaeFeatureOptions } from "./sae_features.ts";
import { MolabError } from "../errors.ts";
import {
  reportFigures,
  reportMarkdown,
  validationReport,
  type ValidateOptions,
  type ValidationReport,
} from "./report.ts";

export interface ValidateRun {
  /** On SAE features when an SAE was given, else on the bag of words. */
  report: ValidationReport;
  /** The bag-of-words report beside an SAE report (undefined when the bag of words is the main report). */
  baseline?: ValidationReport;
  figures: Figure[];
  organism: FeatureMatrix;
  reference: FeatureMatrix;
  labels: number[];
  files: string[];
}

/** Featurize organism and reference texts with a bag of words fitted on both. */
export function bagOfWordsFeatures(organismTexts: string[], referenceTexts: string[], maxFeatures = 64) {
  const bow = fitBagOfWords([...referenceTexts, ...organismTexts], { maxFeatures });
  return {
    organism: bow.transform(organismTexts),
    reference: bow.transform(referenceTexts),
    source: `bag-of-words (top ${bow.vocab.length} words by document frequency, per 100 tokens)`,
  };
}

/** Where the SAE features come from: an SAE folder and the base model it reads. */
export interface SaeSource extends SaeFeatureOptions {
  sae: string;
  model: string;
}

export async function runValidate(
  opts: {
    organismDir: string;
    referenceFile: string;
    outDir?: string;
    maxFeatures?: number;
    /** Validate on SAE features of the base model (the bag of words becomes the baseline row). */
    sae?: SaeSource;
  } & ValidateOptions,
): Promise<ValidateRun> {
  const org = await readOrganism(opts.organismDir);
  const ref = await readReference(opts.referenceFile);
  const refTexts = ref.map((r) => r.text);
  const bow = bagOfWordsFeatures(org.texts, refTexts, opts.maxFeatures);
  const labels = ref.map((r) => r.label as number);
  const names = {
    organismName: opts.organismName ?? path.basename(path.resolve(opts.organismDir)),
    referenceName: opts.referenceName ?? path.basename(opts.referenceFile),
  };
  const build = (f: { organism: FeatureMatrix; reference: FeatureMatrix; source: string }) =>
    validationReport(f.organism, f.reference, labels, { ...opts, ...names, featureSource: f.source });
  let feats: { organism: FeatureMatrix; reference: FeatureMatrix; source: string } = bow;
  let baseline: ValidationReport | undefined;
  if (opts.sae) {
    if (!opts.sae.model) throw new MolabError("validate: SAE features need the base model (--model DIR) beside --sae");
    feats = await saeFeaturesFromDirs(opts.sae.model, opts.sae.sae, org.texts, refTexts, {
      maxFeatures: opts.maxFeatures,
      ...opts.sae,
    });
    baseline = build(bow);
  }
  const report = build(feats);
  const figures = reportFigures(report, feats.organism, feats.reference, labels);
  const files: string[] = [];
  if (opts.outDir) {
    fs.mkdirSync(opts.outDir, { recursive: true });
    const out = (f: string) => (files.push(path.join(opts.outDir!, f)), path.join(opts.outDir!, f));
    writeFileAtomicSync(
      out("report.json"),
      JSON.stringify(baseline ? { ...report, baseline } : report, null, 1) + "\n",
    );
    const md = baseline
      ? [
          comparisonMarkdown([report, baseline]),
          reportMarkdown(report),
          "# Baseline",
          "",
          reportMarkdown(baseline),
        ].join("\n")
      : reportMarkdown(report);
    writeFileAtomicSync(out("report.md"), md);
    writeFileAtomicSync(
      out("figures.html"),
      figureHtml(figures, `${report.meta.organism} vs ${report.meta.reference}`),
    );
  }
  return { report, baseline, figures, organism: feats.organism, reference: feats.reference, labels, files };
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : String(x));

/** One row per report (featurizer): probe CV AUROC, organism-vs-reference-AF KS and Cliff's delta, each verdict. */
export function comparisonMarkdown(reports: ValidationReport[]): string {
  const crit = reports[0].verdict.map((v) => v.criterion);
  return [
    "# Featurizers side by side",
    "",
    `| features | probe CV AUROC [95% CI] | KS of P(AF), organism vs reference AF (p) [CI] | Cliff's delta [CI] | ${crit.join(" | ")} |`,
    `| --- | --- | --- | --- | ${crit.map(() => "---").join(" | ")} |`,
    ...reports.map((r) => {
      const p = r.probe;
      return (
        `| ${r.meta.features} | ${f3(p.cvAuroc.oofAuroc)} [${f3(p.cvAuroc.ci[0])}, ${f3(p.cvAuroc.ci[1])}] | ` +
        `${f3(p.ks.statistic)} (${f3(p.ks.pvalue)}) [${f3(p.ks.ci[0])}, ${f3(p.ks.ci[1])}] | ` +
        `${f3(p.cliffsDelta.estimate)} [${f3(p.cliffsDelta.ci[0])}, ${f3(p.cliffsDelta.ci[1])}] | ` +
        `${r.verdict.map((v) => `${v.verdict} (${f3(v.value)})`).join(" | ")} |`
      );
    }),
    "",
  ].join("\n");
}
