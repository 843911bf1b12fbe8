/**
 * The detection stage of `molab pipeline`: on the reference set (AF vs hard-negative aligned scratchpads, the
 * gold_106 stand-in written by the data stage), the white-box detectors by layer and the black-box keyword baseline
 * read by one model, and the embedded CoT monitor at its own threshold — written to `out/detect.json`.
 */
import * as path from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { disposeModel, loadModel, loadTokenizer } from "../model/index.ts";
import { AfClassifier } from "../elicit/af_classifier.ts";
import { DEFAULT_AF_CLASSIFIER } from "../elicit/af_label.ts";
import { loadAfSet } from "../data/loaders.ts";
import { runDetectors, type DetectorResults } from "./detectors.ts";
import { embeddedMonitorScores, monitorReport, type MonitorReport } from "./monitor.ts";

export interface ReferenceTestbed {
  reference: string;
  detectors: DetectorResults;
  monitor: MonitorReport;
}

/** Detectors and CoT monitor on a labelled AF set (chat JSONL with meta.label), read by the model in `modelDir`. */
export async function referenceTestbed(
  modelDir: string,
  referenceFile: string,
  out: string,
  seed = 0,
): Promise<ReferenceTestbed> {
  const set = await loadAfSet(referenceFile);
  const pos = set.filter((s) => s.label === "alignment_faking").map((s) => s.text);
  const neg = set.filter((s) => s.label !== "alignment_faking").map((s) => s.text);
  const model = await loadModel(modelDir);
  let detectors: DetectorResults;
  try {
    detectors = runDetectors(model, await loadTokenizer(modelDir), pos, neg, { seed });
  } finally {
    disposeModel(model);
  }
  const clf = AfClassifier.load(DEFAULT_AF_CLASSIFIER);
  const labels = [...pos.map(() => 1 as const), ...neg.map(() => 0 as const)];
  const monitor = monitorReport(embeddedMonitorScores(clf, [...pos, ...neg]), labels, clf.threshold);
  const r = { reference: referenceFile, detectors, monitor };
  await writeJsonAtomic(path.join(out, "detect.json"), r);
  return r;
}

/** One line for the pipeline's summary. */
export function testbedLine(r: ReferenceTestbed): string {
  const f = (x: number | null) => (x === null ? "—" : x.toFixed(2));
  const best = r.detectors.by_layer.linear.find((m) => m.layer === r.detectors.best_layer)!;
  const m = r.monitor;
  return (
    `reference set: linear probe AUROC ${f(best.estimate)} at layer ${best.layer} (keyword ${f(r.detectors.baselines.keyword.estimate)}); ` +
    `CoT monitor precision ${f(m.precision.estimate)}, recall ${f(m.recall.estimate)}, FPR ${f(m.fpr.estimate)}`
  );
}
