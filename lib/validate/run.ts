/**
 * `molab validate`'s work as a function: read the organism folder and the reference file,
 * featurize (bag-of-words until SAE features exist), build the report, and write report.json,
 * report.md and figures.html into the output folder. Each file is written to a temp file and
 * renamed into place (lib/io's atomic writes), so a reader never sees half a report; the figures
 * page is lib/plot's standalone HTML (plotly.js inlined, opens offline).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomicSync } from "../io/atomic.ts";
import { figureHtml, type Figure } from "../plot/index.ts";
import { fitBagOfWords, type FeatureMatrix } from "./featurize.ts";
import { readOrganism, readReference } from "./inputs.ts";
import {
  reportFigures,
  reportMarkdown,
  validationReport,
  type ValidateOptions,
  type ValidationReport,
} from "./report.ts";

export interface ValidateRun {
  report: ValidationReport;
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

export async function runValidate(
  opts: { organismDir: string; referenceFile: string; outDir?: string; maxFeatures?: number } & ValidateOptions,
): Promise<ValidateRun> {
  const org = await readOrganism(opts.organismDir);
  const ref = await readReference(opts.referenceFile);
  const feats = bagOfWordsFeatures(
    org.texts,
    ref.map((r) => r.text),
    opts.maxFeatures,
  );
  const labels = ref.map((r) => r.label as number);
  const report = validationReport(feats.organism, feats.reference, labels, {
    organismName: opts.organismName ?? path.basename(path.resolve(opts.organismDir)),
    referenceName: opts.referenceName ?? path.basename(opts.referenceFile),
    featureSource: feats.source,
    ...opts,
  });
  const figures = reportFigures(report, feats.organism, feats.reference, labels);
  const files: string[] = [];
  if (opts.outDir) {
    fs.mkdirSync(opts.outDir, { recursive: true });
    const out = (f: string) => (files.push(path.join(opts.outDir!, f)), path.join(opts.outDir!, f));
    writeFileAtomicSync(out("report.json"), JSON.stringify(report, null, 1) + "\n");
    writeFileAtomicSync(out("report.md"), reportMarkdown(report));
    writeFileAtomicSync(
      out("figures.html"),
      figureHtml(figures, `${report.meta.organism} vs ${report.meta.reference}`),
    );
  }
  return { report, figures, organism: feats.organism, reference: feats.reference, labels, files };
}
