/**
 * What a pipeline stage is, and how one runs resumably: a stage writes into `<run>/.partial/<name>/`, records
 * `stage.json` there (its fingerprint, headline numbers, time) and only then is renamed into its place, so a
 * stage killed midway leaves nothing in its folder and starts over cleanly on the next run. A stage is skipped
 * when its folder's stage.json carries the fingerprint it would have now: the sha256 of its settings, the files
 * it reads from outside the run, and the folders of the earlier stages it reads.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../../errors.ts";
import { writeJsonAtomic } from "../../io/atomic.ts";
import { sha256Path } from "../../manifest.ts";
import type { PipelineConfig } from "./config.ts";

/** A headline number: the estimate, its 95% CI (null where none applies), and how many units it rests on. */
export interface Headline {
  estimate: number | null;
  ci: [number, number] | null;
  n: number;
  /** How the CI was made, or what n counts. */
  method?: string;
}

export interface StageContext {
  /** The run folder. */
  run: string;
  /** Where the stage writes (renamed to `<run>/<stage.dir>` when it finishes). */
  out: string;
  config: PipelineConfig;
  /** The base model folder, resolved. */
  model: string;
  /** Registered stages that are not built yet, with the reason. */
  pending: Record<string, string>;
  /** The finished folder of an earlier stage, by stage name. */
  dirOf(stage: string): string;
  log(line: string): void;
}

export interface StageResult {
  /** One line for the console. */
  line: string;
  /** Headline numbers by summary key (e.g. "elicit.af.gap"). */
  summary: Record<string, Headline>;
  /** Files written into `out` that belong at the run folder's top level (report.html, report.md). */
  rootFiles?: string[];
}

export interface Stage {
  name: string;
  /** Its folder in the run, e.g. "organisms/af", or a function of the config ("organisms/em-<set>"). */
  dir: string | ((c: PipelineConfig) => string);
  /** Earlier stages whose folders it reads. */
  after: string[];
  /** Earlier stages whose folders it reads when they have run (the report). */
  reads?: string[];
  /** The summary keys it reports. */
  keys: string[];
  /** Bump when the stage's code changes what it writes: finished runs of an older version are redone. */
  version: number;
  /** The part of the config it depends on. */
  settings(c: PipelineConfig): unknown;
  /** Files or folders outside the run folder it reads (hashed into the fingerprint and the manifest's inputs). */
  inputs?(c: PipelineConfig, model: string): string[];
  /** Absent: a registered slot whose stage is not built yet (its keys are reported as pending). */
  run?(ctx: StageContext): Promise<StageResult>;
  /** Why a slot is pending. */
  pending?: string;
}

/** What a finished stage leaves in `<dir>/stage.json`. */
export interface StageRecord {
  stage: string;
  fingerprint: string;
  finished: string;
  seconds: number;
  line: string;
  summary: Record<string, Headline>;
  rootFiles: string[];
}

export const STAGE_FILE = "stage.json";

/** A stage's folder in the run under `config`. */
export const stageDir = (stage: Stage, config: PipelineConfig): string =>
  typeof stage.dir === "string" ? stage.dir : stage.dir(config);
export const PARTIAL_DIR = ".partial";

/** sha256 of a folder's files, skipping the time-stamped records (stage.json, manifest.json) at any depth. */
export async function contentHash(dir: string): Promise<string> {
  const h = createHash("sha256");
  const files = fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => ![STAGE_FILE, "manifest.json"].includes(path.basename(f)) && fs.statSync(path.join(dir, f)).isFile())
    .sort();
  for (const f of files) h.update(`${f}\0${await sha256Path(path.join(dir, f))}\n`);
  return h.digest("hex");
}

/** The stage's fingerprint now: settings, seed, outside inputs, and the content of the earlier stages' folders. */
export async function fingerprint(
  stage: Stage,
  run: string,
  config: PipelineConfig,
  model: string,
  dirs: Map<string, Stage>,
) {
  const inputs: Record<string, string> = {};
  for (const f of stage.inputs?.(config, model) ?? []) inputs[f] = await sha256Path(f);
  const upstream: Record<string, string> = {};
  for (const name of stage.after) {
    const d = path.join(run, stageDir(dirs.get(name)!, config));
    if (!fs.existsSync(path.join(d, STAGE_FILE)))
      throw new MolabError(`pipeline: stage ${stage.name} needs stage ${name}, which has not finished in ${run}`);
    upstream[name] = await contentHash(d);
  }
  for (const name of stage.reads ?? []) {
    const d = path.join(run, stageDir(dirs.get(name)!, config));
    upstream[name] = fs.existsSync(path.join(d, STAGE_FILE)) ? await contentHash(d) : "absent";
  }
  const body = JSON.stringify({
    stage: stage.name,
    version: stage.version,
    seed: config.seed,
    settings: stage.settings(config),
    inputs,
    upstream,
  });
  return { hash: createHash("sha256").update(body).digest("hex"), inputs };
}

/** The stage's record when its folder holds a finished run, else undefined. */
export function readRecord(run: string, stage: Stage, config: PipelineConfig): StageRecord | undefined {
  const f = path.join(run, stageDir(stage, config), STAGE_FILE);
  if (!fs.existsSync(f)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(f, "utf8")) as StageRecord;
  } catch {
    return undefined;
  }
}

/**
 * Run one stage into `<run>/.partial/<name>/` and move the result into place. Whatever an interrupted earlier
 * attempt left in the partial folder is removed first.
 */
export async function runStage(stage: Stage, ctx: Omit<StageContext, "out">, fp: string): Promise<StageRecord> {
  const partial = path.join(ctx.run, PARTIAL_DIR, stage.name.replace(/[/\\]/g, "_"));
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const t0 = performance.now();
  const r = await stage.run!({ ...ctx, out: partial });
  const record: StageRecord = {
    stage: stage.name,
    fingerprint: fp,
    finished: new Date().toISOString(),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    line: r.line,
    summary: r.summary,
    rootFiles: r.rootFiles ?? [],
  };
  // top-level files first: the stage counts as done only once its folder (with stage.json) is in place
  for (const f of record.rootFiles) fs.renameSync(path.join(partial, f), path.join(ctx.run, f));
  await writeJsonAtomic(path.join(partial, STAGE_FILE), record);
  const final = path.join(ctx.run, stageDir(stage, ctx.config));
  fs.rmSync(final, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(final), { recursive: true });
  fs.renameSync(partial, final);
  return record;
}
