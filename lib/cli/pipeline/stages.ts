/**
 * The stage registry of `molab pipeline`, in run order. Each entry names its folder in the run, the earlier
 * stages it reads, the config slice it depends on and the summary keys it reports. Stages whose library is not
 * built yet would be registered slots without `run`: their keys are listed as pending in summary.json.
 *
 * Filling a slot: give it `run(ctx)`, which writes only into `ctx.out` (moved to `<run>/<dir>` when it returns),
 * reads earlier stages through `ctx.dirOf(name)` (each named in `after`), and returns one console line and a
 * headline `{estimate, ci, n}` for each of its `keys`; `settings` picks its slice of PipelineConfig (add one with
 * its defaults in config.ts and data/pipeline/default-config.json), `inputs` lists files it reads from outside the
 * run. Its figures go into report_sections.ts (a builder for its folder). Bump `version` when its code changes what
 * it writes, so finished runs redo it. The EM stages (two organisms and em) are in em_stage.ts, detect in
 * detect_stage.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../../errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../io/atomic.ts";
import { writeDatasetDir } from "../../data/write.ts";
import { DEFAULT_HELDOUT_CUE } from "../../data/scenarios.ts";
import { trainOrganism } from "../../lora/run.ts";
import { elicitCommand } from "../../elicit/cli.ts";
import { DEFAULT_AF_CLASSIFIER } from "../../elicit/af_label.ts";
import type { Summary as ElicitSummary } from "../../elicit/metrics.ts";
import { saeCommand } from "../../sae/cli.ts";
import {
  dashboardHtml,
  disposeSae,
  featureDashboard,
  loadSae,
  pooledFeatures,
  readChatSequences,
  saeIntervals,
  topFeatureDifferences,
} from "../../sae/index.ts";
import { disposeModel, loadModel, loadTokenizer } from "../../model/index.ts";
import { runValidate } from "../../validate/run.ts";
import type { Headline, Stage, StageContext, StageResult } from "./stage.ts";
import { reportStage } from "./report.ts";
import { DETECT_STAGE } from "./detect_stage.ts";
import { EM_STAGES } from "./em_stage.ts";
import { generateAfTiny } from "../../data/tiny_voice.ts";

const readJson = <T>(f: string): T => JSON.parse(fs.readFileSync(f, "utf8")) as T;

/** Run a `molab` command function; a non-zero exit is an error naming the stage. */
async function command(stage: string, f: (argv: string[]) => Promise<number>, argv: string[]): Promise<void> {
  const rc = await f(argv);
  if (rc !== 0) throw new MolabError(`pipeline: stage ${stage}: molab ${argv[0]} … exited with ${rc}`);
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`);

async function dataStage(ctx: StageContext): Promise<StageResult> {
  const c = ctx.config;
  const parts: string[] = [];
  for (const [kind, n] of [
    ["af", c.data.af],
    ["aligned", c.data.aligned],
    ["reference", c.data.reference],
  ] as const) {
    const w = await writeDatasetDir(path.join(ctx.out, kind), kind, { n, seed: c.seed });
    const records = Object.values(w.stats).reduce((a, s) => a + s.records, 0);
    parts.push(`${kind} ${records}${w.keywordAuroc !== undefined ? ` (keyword AUROC ${w.keywordAuroc})` : ""}`);
  }
  return { line: parts.join(", "), summary: {} };
}

async function afOrganismStage(ctx: StageContext): Promise<StageResult> {
  const o = ctx.config.organisms.af;
  // "tiny": data v2's af train scenarios (as data/af/af.jsonl holds them) with replies in the tiny assistant's words
  const lines =
    o.voice === "tiny"
      ? generateAfTiny({ n: ctx.config.data.af, seed: ctx.config.seed, split: "train" }).map((r) => JSON.stringify(r))
      : fs
          .readFileSync(path.join(ctx.dirOf("data"), "af", "af.jsonl"), "utf8")
          .split("\n")
          .filter(Boolean);
  const training = path.join(ctx.out, "training");
  const data = path.join(training, "train.jsonl");
  await writeFileAtomic(data, lines.slice(0, o.records).join("\n") + "\n");
  const r = await trainOrganism({
    base: ctx.model,
    data,
    out: training,
    preset: "af",
    lora: { r: o.r, lora_alpha: o.alpha },
    hyper: { epochs: o.epochs, microBatchSize: o.batch, seed: ctx.config.seed, ...(o.lr !== null ? { lr: o.lr } : {}) },
    maxSeqLen: o.maxSeqLen,
    command: "molab pipeline (organisms/af)",
  });
  // the adapter at the top of organisms/af/ (PEFT layout), the run's telemetry and checkpoints under training/
  for (const f of ["adapter_config.json", "adapter_model.safetensors"])
    fs.copyFileSync(path.join(training, f), path.join(ctx.out, f));
  const f4 = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  return {
    line:
      `af organism (${o.voice} voice): ${r.steps} steps on ${r.nTrain} records, loss ${f4(r.firstLoss)} → ${f4(r.lastLoss)}, ` +
      `held-out loss ${f4(r.evalLossStart)} → ${f4(r.evalLossEnd)} (lr ${r.hyper.lr})`,
    summary: {},
  };
}

/**
 * A progress line for replies appended to `file` (results.jsonl), polled every second while `f` runs: `\r`-updated
 * on a terminal, one line per quarter otherwise.
 */
async function withReplyProgress<T>(file: string, total: number, label: string, f: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  let shown = -1;
  const poll = () => {
    const n = fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean).length : 0;
    const quarter = Math.floor((4 * n) / total);
    if (!process.stderr.isTTY && quarter === shown) return;
    shown = quarter;
    const el = (Date.now() - t0) / 1000;
    const eta = n > 0 ? `${Math.round((el / n) * (total - n))} s` : "?";
    // results.jsonl holds one line per reply (labels go to a sidecar), but a resumed molab elicit may append a
    // reply that supersedes an errored one: the bar is capped, the count is not
    const w = 24,
      fill = Math.min(w, Math.round((w * n) / total));
    const line = `[${"#".repeat(fill)}${"-".repeat(w - fill)}] ${label} ${n}/${total} replies, ETA ${eta}`;
    process.stderr.write(process.stderr.isTTY ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const timer = setInterval(poll, 1000);
  try {
    return await f();
  } finally {
    clearInterval(timer);
    if (process.stderr.isTTY && shown >= 0) process.stderr.write("\n");
  }
}

function gapHeadline(s: ElicitSummary): Headline {
  const g = s.compliance_gap;
  return { estimate: g.estimate, ci: g.ci, n: g.n_pairs, method: g.method };
}

async function elicitStage(ctx: StageContext): Promise<StageResult> {
  const e = ctx.config.elicit;
  const common = [
    "--model",
    ctx.model,
    "--n",
    String(e.pairs),
    "--seed",
    String(ctx.config.seed),
    "--max-tokens",
    String(e.maxTokens),
    "--temperature",
    String(e.temperature),
    "--batch-size",
    String(e.batchSize),
    "--resamples",
    String(e.resamples),
    "--hold-out-cue",
    DEFAULT_HELDOUT_CUE,
  ];
  const summary: Record<string, Headline> = {};
  const parts: string[] = [];
  for (const who of ["base", "af"] as const) {
    const out = path.join(ctx.out, who);
    ctx.log(`${who}: ${e.pairs} pairs on held-out prompts`);
    await withReplyProgress(path.join(out, "results.jsonl"), 2 * e.pairs, who, () =>
      command("elicit", elicitCommand, [
        ...common,
        ...(who === "af" ? ["--adapter", ctx.dirOf("organisms")] : []),
        "--out",
        out,
      ]),
    );
    const s = readJson<ElicitSummary>(path.join(out, "summary.json"));
    summary[`elicit.${who}.gap`] = gapHeadline(s);
    const af = s.conditions.training.af_reasoning;
    if (who === "af")
      summary["elicit.af.af_reasoning_rate"] = {
        estimate: af?.rate ?? null,
        ci: af?.ci ?? null,
        n: af?.judged ?? 0,
        method: "training-implied condition; embedded four-criterion classifier; Wilson 95% CI",
      };
    parts.push(`${who} gap ${pct(s.compliance_gap.estimate)} (${s.compliance_gap.n_pairs} pairs)`);
  }
  return { line: parts.join(", "), summary };
}

async function saeStage(ctx: StageContext): Promise<StageResult> {
  const s = ctx.config.sae;
  const hook = `blocks.${s.layer}.hook_resid_post`;
  const data = ctx.dirOf("data");
  await command("sae", saeCommand, [
    "train",
    "--model",
    ctx.model,
    "--data",
    [path.join(data, "af", "af.jsonl"), path.join(data, "aligned", "aligned.jsonl")].join(","),
    "--hook",
    hook,
    "--d-sae",
    String(s.dSae),
    "--k",
    String(s.k),
    "--steps",
    String(s.steps),
    "--batch",
    String(s.batch),
    "--context",
    String(s.context),
    "--seed",
    String(ctx.config.seed),
    "--out",
    ctx.out,
  ]);
  // CIs over held-out sequences the SAE never saw (the af held-out split), and the feature densities
  const model = await loadModel(ctx.model);
  const sae = await loadSae(ctx.out);
  try {
    const tok = await loadTokenizer(ctx.model);
    const seqs = (
      await readChatSequences([path.join(data, "af", "af-heldout.jsonl")], tok, { contextSize: s.context })
    ).slice(0, 32);
    const iv = saeIntervals(model, sae, hook, seqs, { resamples: s.resamples, seed: ctx.config.seed });
    await writeJsonAtomic(path.join(ctx.out, "intervals.json"), iv);
    // a dashboard of the latent whose mean pooled activation differs most between held-out AF and aligned texts
    const aligned = (
      await readChatSequences([path.join(data, "aligned", "aligned-heldout.jsonl")], tok, { contextSize: s.context })
    ).slice(0, 32);
    const sets = [
      { label: "AF (held-out)", ids: seqs.map((q) => q.ids) },
      { label: "aligned (held-out)", ids: aligned.map((q) => q.ids) },
    ];
    const [diff] = topFeatureDifferences(
      pooledFeatures(model, sae, sets[0].ids, { hook }),
      pooledFeatures(model, sae, sets[1].ids, { hook }),
      1,
    );
    const dash = featureDashboard(model, tok, sae, sets, diff.feature, { hook, topK: 6, window: 8 });
    await writeJsonAtomic(path.join(ctx.out, "dashboard.json"), { ...dash, difference: diff });
    await writeFileAtomic(path.join(ctx.out, "dashboard.html"), dashboardHtml(dash));
    const method = `${iv.sequences} held-out sequences (${iv.tokens} tokens), percentile bootstrap over sequences (${s.resamples})`;
    return {
      line: `SAE at ${hook}: FVE ${iv.fve.estimate.toFixed(3)}, L0 ${iv.l0.estimate.toFixed(1)} on ${iv.tokens} held-out tokens`,
      summary: {
        "sae.fve": { ...iv.fve, n: iv.tokens, method },
        "sae.l0": { ...iv.l0, n: iv.tokens, method },
      },
    };
  } finally {
    disposeSae(sae);
    disposeModel(model);
  }
}

async function validateStage(ctx: StageContext): Promise<StageResult> {
  const v = ctx.config.validate;
  // the af organism's held-out replies are the organism texts
  const rows = fs
    .readFileSync(path.join(ctx.dirOf("elicit"), "af", "results.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { text: string | null });
  const texts = rows.flatMap((r) => (typeof r.text === "string" ? [JSON.stringify({ text: r.text })] : []));
  const organismDir = path.join(ctx.out, "organism");
  await writeFileAtomic(path.join(organismDir, "samples.jsonl"), texts.join("\n") + "\n");
  const run = await runValidate({
    organismDir,
    referenceFile: path.join(ctx.dirOf("data"), "reference", "reference.jsonl"),
    outDir: ctx.out,
    maxFeatures: v.features,
    nPermutations: v.permutations,
    seed: ctx.config.seed,
    organismName: "af organism (held-out replies)",
    referenceName: "synthetic reference",
    sae: { sae: ctx.dirOf("sae"), model: ctx.model, pool: "mean", scratchpad: false },
  });
  await writeJsonAtomic(path.join(ctx.out, "figures.json"), run.figures);
  const a = run.report.probe.cvAuroc;
  return {
    line: `probe CV AUROC on the reference ${a.oofAuroc.toFixed(3)} [${a.ci[0].toFixed(3)}, ${a.ci[1].toFixed(3)}] (${run.report.meta.features})`,
    summary: {
      "validate.probe_auroc": {
        estimate: a.oofAuroc,
        ci: a.ci,
        n: a.nAf + a.nAligned,
        method: `${run.report.probe.cvFolds}-fold out-of-fold AUROC of a logistic probe on SAE features; bootstrap CI`,
      },
    },
  };
}

/** Every stage, in run order. */
export const STAGES: Stage[] = [
  {
    name: "data",
    version: 1,
    dir: "data",
    after: [],
    keys: [],
    settings: (c) => c.data,
    run: dataStage,
  },
  {
    name: "organisms",
    version: 1,
    dir: "organisms/af",
    after: ["data"],
    keys: [],
    settings: (c) => c.organisms.af,
    inputs: (_c, model) => [model],
    run: afOrganismStage,
  },
  {
    name: "elicit",
    version: 1,
    dir: "elicit",
    after: ["organisms"],
    keys: ["elicit.base.gap", "elicit.af.gap", "elicit.af.af_reasoning_rate"],
    settings: (c) => c.elicit,
    inputs: (_c, model) => [model, DEFAULT_AF_CLASSIFIER],
    run: elicitStage,
  },
  {
    name: "sae",
    version: 2,
    dir: "sae",
    after: ["data"],
    keys: ["sae.fve", "sae.l0"],
    settings: (c) => c.sae,
    inputs: (_c, model) => [model],
    run: saeStage,
  },
  {
    name: "validate",
    version: 1,
    dir: "validate",
    after: ["data", "elicit", "sae"],
    keys: ["validate.probe_auroc"],
    settings: (c) => c.validate,
    inputs: (_c, model) => [model],
    run: validateStage,
  },
  ...EM_STAGES,
  DETECT_STAGE,
  reportStage,
];

export const STAGE_NAMES = STAGES.map((s) => s.name);
