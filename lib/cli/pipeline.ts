/**
 * `molab pipeline` (what `npm start` runs): every stage that exists, in order, on the embedded
 * default model, into runs/<timestamp>-pipeline/ with a manifest.json. Stages register in STEPS.
 */
import { initBackend } from "../backend.ts";
import { parseFlags, type FlagSpec } from "../args.ts";
import { newRunDir, writeManifest } from "../manifest.ts";
import { EMBEDDED_MODEL_DIR } from "../paths.ts";
import { info } from "./info.ts";
import * as path from "node:path";
import { writeDatasetDir } from "../data/write.ts";
import { checkOutDir, writeJsonAtomic } from "../io/atomic.ts";
import { MolabError } from "../errors.ts";
import { disposeModel, loadModel } from "../model/load.ts";
import { loadTokenizer } from "../model/tokenizer.ts";
import { generateSamples } from "../tiny/corpus.ts";
import { evaluateTiny } from "../tiny/eval.ts";
import { referenceTestbed, testbedLine } from "../detect/reference_testbed.ts";

export interface PipelineStep {
  name: string;
  /** Runs the stage into `dir`; returns a one-line summary. */
  run(dir: string, seed: number): Promise<string>;
}

export const STEPS: PipelineStep[] = [
  {
    name: "environment",
    run: async () => {
      await info([]);
      const b = await initBackend();
      return `backend ${b.backend}`;
    },
  },
  {
    name: "data",
    run: async (dir, seed) => {
      const out: string[] = [];
      for (const [kind, n] of [
        ["af", 1000],
        ["aligned", 1000],
        ["reference", 106],
      ] as const) {
        const w = await writeDatasetDir(path.join(dir, "data", kind), kind, { n, seed });
        out.push(
          `${kind} ${Object.values(w.stats).reduce((a, s) => a + s.records, 0)}${w.keywordAuroc !== undefined ? ` (keyword AUROC ${w.keywordAuroc})` : ""}`,
        );
      }
      return out.join(", ");
    },
  },
  {
    name: "base model",
    run: async (dir, seed) => {
      const model = await loadModel(EMBEDDED_MODEL_DIR);
      const tok = await loadTokenizer(EMBEDDED_MODEL_DIR);
      const r = evaluateTiny(model, tok, generateSamples({ seed: seed + 1000, count: 40, split: "heldout" }), {
        batchSize: 40,
      });
      disposeModel(model);
      await writeJsonAtomic(path.join(dir, "base_model_eval.json"), r);
      const pct = (x: { rate: number }) => `${(100 * x.rate).toFixed(0)}%`;
      return (
        `tiny-assistant on ${r.n} held-out prompts: parses ${pct(r.parse)}, benign answered ` +
        `${pct(r.benignAnswered)}, harmful refused free ${pct(r.harmfulRefusedFree)} / paid ` +
        `${pct(r.harmfulRefusedPaid)}`
      );
    },
  },
  {
    name: "detect",
    run: async (dir, seed) => {
      const ref = path.join(dir, "data", "reference", "reference.jsonl");
      return testbedLine(await referenceTestbed(EMBEDDED_MODEL_DIR, ref, path.join(dir, "detect"), seed));
    },
  },
];

export const PIPELINE_FLAGS: FlagSpec = { out: { type: "string" }, seed: { type: "string", default: "0" } };

export const PIPELINE_USAGE = `usage: molab pipeline [--out DIR] [--seed N]
  --out DIR    the run folder (default runs/<timestamp>-pipeline)
  --seed N     seed of every stage (default 0)
stages: ${STEPS.map((s) => s.name).join(", ")}; a manifest.json is written into the run folder

example: molab pipeline --out runs/demo --seed 1`;

export async function pipeline(argv: string[]): Promise<number> {
  const { values } = parseFlags("pipeline", argv, PIPELINE_FLAGS);
  const seed = Number(values.seed);
  if (!/^\d+$/.test(String(values.seed).trim()) || !Number.isSafeInteger(seed))
    throw new MolabError(`molab pipeline: --seed expects a non-negative integer, got ${JSON.stringify(values.seed)}`);
  if (values.out !== undefined) checkOutDir(values.out as string);
  const dir = (values.out as string | undefined) ?? newRunDir("pipeline");
  const summaries: Record<string, string> = {};
  for (const step of STEPS) {
    console.log(`\n== ${step.name} ==`);
    const t0 = performance.now();
    summaries[step.name] = await step.run(dir, seed);
    console.log(`-- ${step.name}: ${summaries[step.name]} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  await writeManifest(dir, {
    command: `molab pipeline ${argv.join(" ")}`.trim(),
    config: { steps: STEPS.map((s) => s.name), summaries },
    seeds: { seed },
  });
  console.log(`\nrun folder: ${dir} (manifest.json written)`);
  return 0;
}
