/**
 * `molab train --base DIR --data FILE.jsonl --out DIR [--preset af|em-rank1|em-all] [--r 16 --alpha 32
 *  --lr 2e-5 --epochs 3 …] [--resume]`: LoRA-train an organism; the adapter in --out loads in PEFT.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError, check } from "../errors.ts";
import { EMBEDDED_MODEL_DIR } from "../paths.ts";
import { checkOutDir, cleanOutDirOnFailure } from "../io/atomic.ts";
import { LLAMA_PROJECTIONS, type LoraConfig } from "./config.ts";
import type { ScheduleName } from "../train/optim.ts";
import { PRESETS } from "./presets.ts";
import { formatDuration } from "../train/progress.ts";
import { trainOrganism } from "./run.ts";
import type { TrainHyper } from "./train.ts";

export const TRAIN_USAGE = `usage: molab train --base DIR --data FILE.jsonl --out DIR [flags]
  --preset NAME        ${Object.entries(PRESETS)
    .map(([k, p]) => `${k}: ${p.description}`)
    .join("\n                       ")}
  --r N --alpha X      LoRA rank and alpha          --rslora        scale α/√r
  --dropout P          LoRA dropout                 --targets LIST  e.g. q_proj,v_proj or all-linear
  --layers LIST        layers_to_transform, e.g. 12 or 10,11
  --lr X --epochs N    --schedule constant|linear|cosine  --warmup STEPS | --warmup-ratio R
  --weight-decay X     --max-grad-norm X (0: off)   --batch N (micro-batch)  --grad-accum N
  --max-seq-len N      --eval-fraction R  --eval-every N  --save-every N  --seed N
  --telemetry-rank N   record A/B vectors of adapters of rank ≤ N (default 4)
  --telemetry-every N  record those vectors every N steps and at the last (default 1: every step)
  --telemetry-modules LIST  or of exactly these modules, e.g. model.layers.12.mlp.down_proj
  --no-length-grouping micro-batches in plain shuffled order (presets group similar lengths: less padding)
  --resume             continue from the last checkpoint in --out
  --quiet              no progress bar
defaults: --preset af; --base the embedded model (data/models/tiny-assistant); every other setting from the preset

example: molab data af --out runs/af && molab train --data runs/af/af.jsonl --out runs/organism-af --preset af --epochs 1`;

const s = { type: "string" } as const;
export const TRAIN_FLAGS: FlagSpec = {
  base: s,
  data: s,
  out: s,
  preset: s,
  r: s,
  alpha: s,
  dropout: s,
  targets: s,
  layers: s,
  rslora: { type: "boolean" },
  lr: s,
  epochs: s,
  schedule: s,
  warmup: s,
  "warmup-ratio": s,
  "weight-decay": s,
  "max-grad-norm": s,
  batch: s,
  "grad-accum": s,
  "max-seq-len": s,
  "eval-fraction": s,
  "eval-every": s,
  "save-every": s,
  seed: s,
  "telemetry-rank": s,
  "telemetry-every": s,
  "telemetry-modules": s,
  resume: { type: "boolean" },
  "no-length-grouping": { type: "boolean" },
  quiet: { type: "boolean" },
};

function list(v: unknown): string[] | undefined {
  return typeof v === "string"
    ? v
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : undefined;
}

export async function trainCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("train", argv, TRAIN_FLAGS);
  check(positionals.length === 0, `molab train: unexpected argument ${JSON.stringify(positionals[0])}\n${TRAIN_USAGE}`);
  const preset = (values.preset as string | undefined) ?? "af";
  check(
    PRESETS[preset],
    `unknown preset ${JSON.stringify(preset)}; expected one of ${Object.keys(PRESETS).join(", ")}`,
  );
  const base =
    (values.base as string | undefined) ??
    (fs.existsSync(path.join(EMBEDDED_MODEL_DIR, "config.json"))
      ? EMBEDDED_MODEL_DIR
      : required("train", values, "base"));
  const data = required("train", values, "data");
  const out = required("train", values, "out");
  const n = (k: string) => numberFlag("train", values, k);
  const int = (k: string) => {
    const v = n(k);
    if (v !== undefined && !(Number.isInteger(v) && v >= 0))
      throw new MolabError(`molab train: --${k} expects a non-negative integer, got ${v}`);
    return v;
  };
  const schedule = values.schedule as string | undefined;
  if (schedule !== undefined && !["constant", "linear", "cosine"].includes(schedule)) {
    throw new MolabError(`molab train: --schedule expects constant, linear or cosine, got ${JSON.stringify(schedule)}`);
  }
  const targets = values.targets === "all-linear" ? "all-linear" : list(values.targets);
  if (Array.isArray(targets)) {
    const unknown = targets.filter((t) => !(LLAMA_PROJECTIONS as readonly string[]).includes(t) && !t.includes("."));
    check(
      unknown.length === 0,
      `molab train: --targets ${unknown.join(",")}: expected projection names (${LLAMA_PROJECTIONS.join(", ")}), full module names, or all-linear`,
    );
  }
  const layers = list(values.layers)?.map((x) => {
    const v = Number(x);
    if (!Number.isInteger(v) || v < 0)
      throw new MolabError(
        `molab train: --layers expects layer indices like 12 or 10,11, got ${JSON.stringify(values.layers)}`,
      );
    return v;
  });
  const lora: Partial<LoraConfig> = {
    r: int("r"),
    lora_alpha: n("alpha"),
    lora_dropout: n("dropout"),
    target_modules: targets,
    layers_to_transform: layers,
    use_rslora: values.rslora ? true : undefined,
  };
  const hyper: Partial<TrainHyper> = {
    lr: n("lr"),
    epochs: int("epochs"),
    schedule: schedule as ScheduleName | undefined,
    warmupSteps: int("warmup"),
    warmupRatio: n("warmup-ratio"),
    weightDecay: n("weight-decay"),
    maxGradNorm: n("max-grad-norm"),
    microBatchSize: int("batch"),
    gradAccum: int("grad-accum"),
    groupByLength: values["no-length-grouping"] ? false : undefined,
    evalEvery: int("eval-every"),
    saveEvery: int("save-every"),
    seed: int("seed"),
    telemetryMaxRank: int("telemetry-rank"),
    telemetryEvery: int("telemetry-every"),
    telemetryModules: list(values["telemetry-modules"]),
  };
  const positive = (k: string, v: number | undefined) => {
    if (v !== undefined && !(v > 0)) throw new MolabError(`molab train: --${k} expects a positive number, got ${v}`);
  };
  positive("lr", hyper.lr);
  positive("alpha", lora.lora_alpha);
  positive("r", lora.r);
  positive("epochs", hyper.epochs);
  positive("batch", hyper.microBatchSize);
  positive("grad-accum", hyper.gradAccum);
  positive("max-seq-len", int("max-seq-len"));
  for (const [k, v] of [
    ["dropout", lora.lora_dropout],
    ["warmup-ratio", hyper.warmupRatio],
    ["eval-fraction", n("eval-fraction")],
  ] as const)
    if (v !== undefined && !(v >= 0 && v < 1))
      throw new MolabError(`molab train: --${k} expects a number in [0, 1), got ${v}`);
  for (const k of ["weight-decay", "max-grad-norm"])
    if ((n(k) ?? 0) < 0) throw new MolabError(`molab train: --${k} expects a non-negative number, got ${n(k)}`);
  checkOutDir(out);
  const r = await cleanOutDirOnFailure(out, () =>
    trainOrganism({
      base,
      data,
      out,
      preset,
      lora,
      hyper,
      resume: !!values.resume,
      maxSeqLen: int("max-seq-len"),
      evalFraction: n("eval-fraction"),
      progress: values.quiet ? false : process.stderr,
      command: ["molab", "train", ...argv].join(" "),
    }),
  );
  const f = (x: number | null) => (x === null || !Number.isFinite(x) ? "—" : x.toFixed(4));
  for (const note of r.notes) console.log(`note: ${note}`);
  console.log(
    `preset ${r.preset}: ` +
      (r.lora.target_modules === "all-linear" ? "all-linear" : (r.lora.target_modules as string[]).join(",")) +
      ` r=${r.lora.r} α=${r.lora.lora_alpha}${r.lora.use_rslora ? " rsLoRA" : ""}, ` +
      `${r.trainableParams} trainable parameters`,
  );
  console.log(
    `data: ${r.nTrain} train / ${r.nEval} held out` +
      (r.truncated ? `, ${r.truncated} cut at the max length` : "") +
      (r.dropped ? `, ${r.dropped} dropped (no assistant token left)` : ""),
  );
  console.log(
    `steps: ${r.steps}/${r.totalSteps}` +
      (r.resumedFrom !== null ? ` (resumed from step ${r.resumedFrom})` : "") +
      `, warmup ${r.warmupSteps}; train loss ${f(r.firstLoss)} → ${f(r.lastLoss)}`,
  );
  console.log(`held-out loss: ${f(r.evalLossStart)} → ${f(r.evalLossEnd)}`);
  console.log(`time: ${formatDuration(r.seconds)}, ${r.tokensPerSecond.toFixed(0)} tokens/s`);
  console.log(
    `adapter: ${path.join(out, "adapter_model.safetensors")} (PEFT format), telemetry: ${path.join(out, "telemetry.jsonl")}`,
  );
  return 0;
}
