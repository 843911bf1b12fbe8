/**
 * `molab pipeline` (what `npm start` runs): every registered stage (lib/cli/pipeline/stages.ts) on the embedded
 * default model, with the settings of data/pipeline/default-config.json (or --config FILE over them), into one run
 * folder: data/, organisms/{af,em-<domain>,em-<domain>-control}/, elicit/, sae/, validate/, em/, detect/, figures/,
 * report.html, report.md, summary.json and manifest.json (default folder runs/pipeline). A rerun into the same
 * folder skips the stages whose settings and inputs did not change.
 */
import * as path from "node:path";
import { parseFlags, type FlagSpec } from "../args.ts";
import { checkOutDir } from "../io/atomic.ts";
import { MolabError } from "../errors.ts";
import { loadConfig } from "./pipeline/config.ts";
import { parseOnly, runPipeline } from "./pipeline/run.ts";
import { STAGES } from "./pipeline/stages.ts";

/** Where `npm start` writes: one fixed folder, so that running it again resumes instead of starting over. */
export const DEFAULT_RUN_DIR = path.join("runs", "pipeline");

export const PIPELINE_FLAGS: FlagSpec = {
  config: { type: "string" },
  out: { type: "string" },
  only: { type: "string" },
  seed: { type: "string" },
};

export const PIPELINE_USAGE = `usage: molab pipeline [--config FILE] [--out DIR] [--only STAGE,…] [--seed N]
  --config FILE   JSON settings over the defaults (data/pipeline/default-config.json says how each of the seeds'
                  settings is scaled to the embedded model); unknown keys are refused
  --out DIR       the run folder (default runs/pipeline); rerunning into it skips the stages whose settings and
                  inputs are unchanged, and restarts a stage that was interrupted
  --only LIST     run only these stages (the others stay as they are): ${STAGES.map((s) => s.name).join(", ")}
  --seed N        seed of every stage (default: the config's, 0)
stages: ${STAGES.map((s) => (s.run ? s.name : `${s.name} (pending)`)).join(", ")}
writes summary.json (headline numbers with 95% CIs) and manifest.json after each stage, report.html and report.md at the end

example: molab pipeline --out runs/demo --only data,sae,report`;

export async function pipeline(argv: string[]): Promise<number> {
  // everything is checked before the run folder is created
  const { values, positionals } = parseFlags("pipeline", argv, PIPELINE_FLAGS);
  if (positionals.length) throw new MolabError(`molab pipeline: unexpected argument ${JSON.stringify(positionals[0])}`);
  const config = loadConfig(values.config as string | undefined);
  if (values.seed !== undefined) {
    const seed = Number(values.seed);
    if (!/^\d+$/.test(String(values.seed).trim()) || !Number.isSafeInteger(seed))
      throw new MolabError(`molab pipeline: --seed expects a non-negative integer, got ${JSON.stringify(values.seed)}`);
    config.seed = seed;
  }
  const only = parseOnly(values.only as string | undefined);
  if (values.out !== undefined) checkOutDir(values.out as string);
  const run = (values.out as string | undefined) ?? DEFAULT_RUN_DIR;
  const t0 = performance.now();
  const r = await runPipeline({
    run,
    config,
    only,
    command: `molab pipeline ${argv.join(" ")}`.trim(),
    configFile: values.config as string | undefined,
  });
  const ran = Object.entries(r.states).filter(([, s]) => s === "ran").length;
  const kept = Object.entries(r.states).filter(([, s]) => s === "unchanged").length;
  const pending = (r.summary.pending as string[]).length;
  console.log(
    `\n${ran} stage(s) ran, ${kept} unchanged; ${pending} summary key(s) pending; ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  console.log(`run folder: ${run}`);
  console.log(
    `report: ${path.join(run, "report.html")} (also report.md); headline numbers: ${path.join(run, "summary.json")}`,
  );
  return 0;
}
