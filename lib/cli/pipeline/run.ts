/**
 * The pipeline runner: every registered stage in order into one run folder, skipping stages whose fingerprint is
 * unchanged, and after each stage rewriting `manifest.json` (config, seeds, versions, sha256 of every input and
 * output, each stage's state) and `summary.json` (headline numbers `{estimate, ci, n}` by key; keys of stages not
 * built or not run listed under `pending`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { backendInfo, initBackend, versions } from "../../backend.ts";
import { MolabError } from "../../errors.ts";
import { writeJsonAtomic } from "../../io/atomic.ts";
import { sha256Path } from "../../manifest.ts";
import { modelDir, type PipelineConfig } from "./config.ts";
import {
  fingerprint,
  PARTIAL_DIR,
  readRecord,
  runStage,
  STAGE_FILE,
  stageDir,
  type Headline,
  type Stage,
  type StageRecord,
} from "./stage.ts";
import { STAGES } from "./stages.ts";

export interface PipelineOptions {
  run: string;
  config: PipelineConfig;
  /** Run only these stages (the others are left as they are); default: all. */
  only?: string[];
  /** The command line, for the manifest. */
  command: string;
  /** The config file given, hashed into the manifest's inputs. */
  configFile?: string;
  log?: (line: string) => void;
  stages?: Stage[];
}

export type StageState = "ran" | "unchanged" | "pending" | "not run";

export interface PipelineResult {
  states: Record<string, StageState>;
  summary: Record<string, unknown>;
  seconds: number;
}

/** `--only` names, checked against the registry (a MolabError naming the unknown one). */
export function parseOnly(value: string | undefined, stages: Stage[] = STAGES): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const known = stages.map((s) => s.name);
  for (const n of names)
    if (!known.includes(n))
      throw new MolabError(
        `molab pipeline: --only: unknown stage ${JSON.stringify(n)}; expected some of ${known.join(", ")}`,
      );
  if (!names.length) throw new MolabError(`molab pipeline: --only needs at least one stage of ${known.join(", ")}`);
  return names;
}

function summaryOf(stages: Stage[], records: Map<string, StageRecord>): Record<string, unknown> {
  const out: Record<string, Headline | string[] | Record<string, string>> = {};
  const pending: string[] = [];
  const why: Record<string, string> = {};
  for (const s of stages) {
    const r = records.get(s.name);
    for (const k of s.keys) {
      if (r?.summary[k]) out[k] = r.summary[k];
      else {
        pending.push(k);
        why[k] = s.pending ?? `stage ${s.name} has not run in this folder`;
      }
    }
  }
  return { ...out, pending, pending_reasons: why };
}

async function writeRunManifest(
  o: PipelineOptions,
  model: string,
  created: string,
  states: Record<string, StageState>,
  records: Map<string, StageRecord>,
  inputs: Record<string, string>,
): Promise<void> {
  const outputs: Record<string, string> = {};
  const files = fs
    .readdirSync(o.run, { recursive: true })
    .map(String)
    .filter((f) => f !== "manifest.json" && !f.startsWith(PARTIAL_DIR) && fs.statSync(path.join(o.run, f)).isFile())
    .sort();
  for (const f of files) outputs[f] = await sha256Path(path.join(o.run, f));
  await writeJsonAtomic(path.join(o.run, "manifest.json"), {
    command: o.command,
    created,
    updated: new Date().toISOString(),
    config: o.config,
    model,
    seeds: { seed: o.config.seed },
    stages: Object.fromEntries(
      (o.stages ?? STAGES).map((s) => {
        const r = records.get(s.name);
        return [
          s.name,
          {
            state: states[s.name],
            fingerprint: r?.fingerprint ?? null,
            finished: r?.finished ?? null,
            seconds: r?.seconds ?? null,
          },
        ];
      }),
    ),
    inputs,
    outputs,
    versions: versions(),
    backend: (await backendInfo())?.backend,
  });
}

/** Run the pipeline into `o.run` (created when missing). */
export async function runPipeline(o: PipelineOptions): Promise<PipelineResult> {
  const stages = o.stages ?? STAGES;
  const log = o.log ?? ((l: string) => console.log(l));
  const t0 = performance.now();
  // a stage picked with --only needs its inputs: picked too (earlier), or finished in the folder; checked before writing
  for (const name of o.only ?? []) {
    const s = stages.find((x) => x.name === name)!;
    for (const dep of s.after) {
      const picked = o.only!.indexOf(dep) >= 0 && stages.findIndex((x) => x.name === dep) < stages.indexOf(s);
      const d = stages.find((x) => x.name === dep)!;
      if (!picked && !readRecord(o.run, d, o.config))
        throw new MolabError(
          `molab pipeline: --only ${name} needs stage ${dep}, which has not finished in ${o.run}; add it to --only`,
        );
    }
  }
  const b = await initBackend();
  log(`molab pipeline → ${o.run} (backend ${b.backend}, seed ${o.config.seed}, model ${o.config.model})`);
  fs.mkdirSync(o.run, { recursive: true });
  const model = modelDir(o.config);
  const byName = new Map(stages.map((s) => [s.name, s]));
  const manifestFile = path.join(o.run, "manifest.json");
  let created = new Date().toISOString();
  if (fs.existsSync(manifestFile)) {
    try {
      created = (JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { created?: string }).created ?? created;
    } catch {
      /* a damaged manifest is rewritten */
    }
  }
  const records = new Map<string, StageRecord>();
  const states: Record<string, StageState> = {};
  const inputs: Record<string, string> = {};
  if (o.configFile) inputs[o.configFile] = await sha256Path(o.configFile);
  for (const s of stages) {
    const r = readRecord(o.run, s, o.config);
    if (r) records.set(s.name, r);
    states[s.name] = s.run ? "not run" : "pending";
  }
  const pendingWhy = Object.fromEntries(
    stages.filter((s) => !s.run).map((s) => [s.name, s.pending ?? "not built yet"]),
  );
  for (const s of stages) {
    if (!s.run) {
      log(`\n== ${s.name} == pending: ${s.pending ?? "not built yet"}`);
      continue;
    }
    if (o.only && !o.only.includes(s.name)) continue;
    const fp = await fingerprint(s, o.run, o.config, model, byName);
    Object.assign(inputs, fp.inputs);
    const old = records.get(s.name);
    if (old && old.fingerprint === fp.hash) {
      states[s.name] = "unchanged";
      log(`\n== ${s.name} == unchanged since ${old.finished}, skipped (${old.line})`);
      continue;
    }
    log(`\n== ${s.name} ==`);
    const rec = await runStage(
      s,
      {
        run: o.run,
        config: o.config,
        model,
        pending: pendingWhy,
        dirOf: (name) => {
          const d = path.join(o.run, stageDir(byName.get(name)!, o.config));
          if (!fs.existsSync(path.join(d, STAGE_FILE)))
            throw new MolabError(`pipeline: stage ${s.name} needs stage ${name}, which has not finished in ${o.run}`);
          return d;
        },
        log: (l) => log(`   ${l}`),
      },
      fp.hash,
    );
    records.set(s.name, rec);
    states[s.name] = "ran";
    log(`-- ${s.name}: ${rec.line} (${rec.seconds.toFixed(1)} s)`);
    await writeJsonAtomic(path.join(o.run, "summary.json"), summaryOf(stages, records));
    await writeRunManifest(o, model, created, states, records, inputs);
  }
  const summary = summaryOf(stages, records);
  await writeJsonAtomic(path.join(o.run, "summary.json"), summary);
  await writeRunManifest(o, model, created, states, records, inputs);
  fs.rmSync(path.join(o.run, PARTIAL_DIR), { recursive: true, force: true });
  return { states, summary, seconds: (performance.now() - t0) / 1000 };
}
