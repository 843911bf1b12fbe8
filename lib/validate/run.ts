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
import { readOrganism, readReference, type ReferenceText } from "./inputs.ts";
import { saeFeaturesFromDirs, type SaeFeatureOptions } from "./sae_features.ts";
import { MolabError } from "../errors.ts";
import { validationReport, type ValidateOptions, type ValidationReport } from "./report.ts";
import { reportFigures, reportMarkdown } from "./render.ts";

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

/** Organism and reference feature matrices with the same columns, and where they come from. */
export interface Featurized {
  organism: FeatureMatrix;
  reference: FeatureMatrix;
  source: string;
}

/** The validation of organism texts against a labelled reference, in memory (see validateTexts). */
export interface TextValidation {
  /** On the given features when there are some, else on the bag of words. */
  report: ValidationReport;
  /** The bag-of-words report beside it (undefined when the bag of words is the main report). */
  baseline?: ValidationReport;
  /** The main report's feature matrices and labels (1 = AF), as reportFigures takes them. */
  organism: FeatureMatrix;
  reference: FeatureMatrix;
  labels: number[];
}

/**
 * Validate organism texts against a labelled reference without files: on `features` (for instance SAE features from
 * saeFeatures, computed on these texts in this order) with the bag of words as the baseline report, or on the bag of
 * words alone when no features are given. runValidate is this plus reading the inputs and writing the report files.
 */
export function validateTexts(
  organismTexts: string[],
  reference: ReferenceText[],
  opts: ValidateOptions & { maxFeatures?: number; features?: Featurized } = {},
): TextValidation {
  const { features, maxFeatures, ...vopts } = opts;
  if (
    features &&
    (features.organism.rows.length !== organismTexts.length || features.reference.rows.length !== reference.length)
  )
    throw new MolabError(
      `validate: the features have ${features.organism.rows.length} organism and ${features.reference.rows.length} reference ` +
        `rows, but there are ${organismTexts.length} organism and ${reference.length} reference texts`,
    );
  const labels = reference.map((r) => r.label as number);
  const bow = bagOfWordsFeatures(
    organismTexts,
    reference.map((r) => r.text),
    maxFeatures,
  );
  const build = (f: Featurized) =>
    validationReport(f.organism, f.reference, labels, { ...vopts, featureSource: f.source });
  const main = features ?? bow;
  return {
    report: build(main),
    baseline: features ? build(bow) : undefined,
    organism: main.organism,
    reference: main.reference,
    labels,
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
  const names = {
    organismName: opts.organismName ?? path.basename(path.resolve(opts.organismDir)),
    referenceName: opts.referenceName ?? path.basename(opts.referenceFile),
  };
  let features: Featurized | undefined;
  if (opts.sae) {
    if (!opts.sae.model) throw new MolabError("validate: SAE features need the base model (--model DIR) beside --sae");
    features = await saeFeaturesFromDirs(
      opts.sae.model,
      opts.sae.sae,
      org.texts,
      ref.map((r) => r.text),
      { maxFeatures: opts.maxFeatures, ...opts.sae },
    );
  }
  const { report, baseline, labels, ...feats } = validateTexts(org.texts, ref, { ...opts, ...names, features });
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

/**
 * One row per report (featurizer), as table cells: the features, the probe's cross-validated AUROC on the reference
 * with its DeLong CI, how many features differ between organism and reference AF (KS or permutation test, BH q < alpha),
 * the KS test and Cliff's delta of probe P(AF), organism vs reference AF, with bootstrap CIs, and each verdict.
 * `names`, one per report, replace the reports' feature descriptions in the first column.
 */
export function comparisonRows(reports: ValidationReport[], names?: string[]): Record<string, string>[] {
  if (names && names.length !== reports.length)
    throw new MolabError(`comparisonRows: ${names.length} names for ${reports.length} reports`);
  return reports.map((r, i) => {
    const p = r.probe;
    const differ = r.features.filter((f) => f.differs).length;
    return {
      features: names?.[i] ?? r.meta.features,
      "probe CV AUROC [95% CI]": `${f3(p.cvAuroc.oofAuroc)} [${f3(p.cvAuroc.ci[0])}, ${f3(p.cvAuroc.ci[1])}]`,
      [`features differing (KS or perm., q < ${r.meta.alpha})`]: `${differ} of ${r.features.length}`,
      "KS of P(AF), organism vs reference AF (p) [CI]": `${f3(p.ks.statistic)} (${f3(p.ks.pvalue)}) [${f3(p.ks.ci[0])}, ${f3(p.ks.ci[1])}]`,
      "Cliff's delta [CI]": `${f3(p.cliffsDelta.estimate)} [${f3(p.cliffsDelta.ci[0])}, ${f3(p.cliffsDelta.ci[1])}]`,
      ...Object.fromEntries(r.verdict.map((v) => [v.criterion, `${v.verdict} (${f3(v.value)})`])),
    };
  });
}

/** comparisonRows as a Markdown table under a heading. */
export function comparisonMarkdown(reports: ValidationReport[]): string {
  const rows = comparisonRows(reports);
  const cols = Object.keys(rows[0] ?? {});
  return [
    "# Featurizers side by side",
    "",
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...rows.map((row) => `| ${cols.map((c) => row[c]).join(" | ")} |`),
    "",
  ].join("\n");
}
