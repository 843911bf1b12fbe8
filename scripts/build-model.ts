/**
 * `npm run build:model`: train the embedded default model (corpus v2, lib/tiny/corpus_v2.ts) from scratch and write
 * data/models/tiny-assistant/. Resumes from the newest checkpoint in --work (default runs/tiny-build-v2) when
 * interrupted; --fresh starts over. `--corpus-version 1` builds the first assistant (lib/tiny/corpus.ts) into
 * data/models/tiny-assistant-v1 (work: runs/tiny-build), which some notebooks and tests still use.
 * Smaller settings (e.g. --steps 20 --corpus 2000 --out runs/tiny-smoke) make a quick smoke run; --loss-from user
 * (loss on the user turn too), --weight-decay, --ema-decay (ship a moving average of the weights) and --unknown-share
 * (with --unknown-tasks: fact questions about made-up names in the corpus) change training for experiments; --card-only
 * re-measures an already built folder and rewrites its eval_results.json and README.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { choiceFlag, parseFlags, numberFlag } from "../lib/args.ts";
import { exitWith } from "../lib/cli/failure.ts";
import { MolabError } from "../lib/errors.ts";
import { BUILD_V2, buildTinyModel, DEFAULT_BUILD, evaluateAndDescribe, LOSS_FROM } from "../lib/tiny/build.ts";
import { unknownNamesFlags } from "../lib/tiny/flags.ts";

/** The name its error lines start with. */
const CMD = "npm run build:model";

async function main(): Promise<number> {
  const root = path.join(__dirname, "..");
  const { values } = parseFlags(CMD, process.argv.slice(2), {
    out: { type: "string" },
    work: { type: "string" },
    fresh: { type: "boolean" },
    "card-only": { type: "boolean" },
    steps: { type: "string" },
    corpus: { type: "string" },
    "eval-count": { type: "string" },
    seed: { type: "string" },
    "train-seed": { type: "string" },
    "corpus-version": { type: "string" },
    "loss-from": { type: "string" },
    "weight-decay": { type: "string" },
    "ema-decay": { type: "string" },
    "unknown-share": { type: "string" },
    "unknown-tasks": { type: "string" },
  });
  const version = numberFlag(CMD, values, "corpus-version", 2)!;
  if (version !== 1 && version !== 2) throw new MolabError(`--corpus-version must be 1 or 2, got ${version}`);
  const outDir = path.resolve(
    root,
    (values.out as string | undefined) ??
      (version === 2 ? "data/models/tiny-assistant" : "data/models/tiny-assistant-v1"),
  );
  const workDir = path.resolve(
    root,
    (values.work as string | undefined) ?? (version === 2 ? "runs/tiny-build-v2" : "runs/tiny-build"),
  );
  if (values.fresh) fs.rmSync(path.join(workDir, "checkpoints"), { recursive: true, force: true });
  const base = version === 2 ? { ...DEFAULT_BUILD, ...BUILD_V2 } : DEFAULT_BUILD;
  const o = {
    ...base,
    outDir,
    workDir,
    steps: numberFlag(CMD, values, "steps", base.steps)!,
    corpusSize: numberFlag(CMD, values, "corpus", base.corpusSize)!,
    evalCount: numberFlag(CMD, values, "eval-count", base.evalCount)!,
    seed: numberFlag(CMD, values, "seed", base.seed)!,
    trainSeed: numberFlag(CMD, values, "train-seed", base.trainSeed),
    weightDecay: numberFlag(CMD, values, "weight-decay", base.weightDecay)!,
    lossFrom: choiceFlag(CMD, values, "loss-from", LOSS_FROM, base.lossFrom),
    emaDecay: numberFlag(CMD, values, "ema-decay", base.emaDecay),
    unknownNames: unknownNamesFlags(CMD, values) ?? base.unknownNames,
  };
  o.tokenizerSamples = Math.min(o.tokenizerSamples, o.corpusSize);
  o.warmup = Math.min(o.warmup, Math.max(1, Math.floor(o.steps / 10)));
  // each corpus version's shipped model has its own transformers fixture (test/fixtures/tiny, tiny-v2)
  const parityFixture = path.join(root, "test", "fixtures", version === 2 ? "tiny-v2" : "tiny", "logits.safetensors");
  if (values["card-only"]) {
    const d = await evaluateAndDescribe(o, { parityFixture });
    console.log(`described ${outDir}: load+64 tokens ${d.timing.total.toFixed(2)} s`);
    return 0;
  }
  const r = await buildTinyModel(o, undefined, parityFixture);
  if (!("parse" in r.report)) {
    console.log(`wrote ${outDir}: training ${(r.seconds / 60).toFixed(1)} min (the card lists the held-out cells)`);
    return 0;
  }
  const p = (x: { rate: number }) => `${(100 * x.rate).toFixed(1)}%`;
  console.log(
    `wrote ${outDir}: parse ${p(r.report.parse)}, benign answered ${p(r.report.benignAnswered)}, ` +
      `harmful refused free ${p(r.report.harmfulRefusedFree)} / paid ${p(r.report.harmfulRefusedPaid)}, ` +
      `training ${(r.seconds / 60).toFixed(1)} min, load+64 tokens ${r.timing.total.toFixed(2)} s`,
  );
  return 0;
}

exitWith(CMD, main());
