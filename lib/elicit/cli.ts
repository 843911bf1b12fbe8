/**
 * `molab elicit`: paired scenarios through a runner (our model, or an OpenAI-compatible server), one results.jsonl
 * row per generation (appended as it finishes; rerunning the same command resumes), summary.json with compliance
 * per condition and the compliance gap, and manifest.json. `molab elicit summarize --results FILE.jsonl` recomputes
 * the summary from any rows of that schema.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import { CUES } from "../data/scenarios.ts";
import { LocalModel } from "./local.ts";
import { summarize, verdictOf, type ResultRow, type Summary } from "./metrics.ts";
import { LocalRunner, readRows, RemoteRunner, runResumable, type Runner } from "./runner.ts";
import { pairedScenarios, parseCueFamilies, type PairedItem } from "./scenarios.ts";

export const ELICIT_FLAGS: FlagSpec = {
  model: { type: "string" },
  adapter: { type: "string" },
  "base-url": { type: "string" },
  "model-name": { type: "string" },
  n: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  "cue-families": { type: "string" },
  layout: { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "batch-size": { type: "string" },
  concurrency: { type: "string" },
  "timeout-ms": { type: "string" },
  retries: { type: "string" },
  rpm: { type: "string" },
  resamples: { type: "string" },
  results: { type: "string" },
};

export const ELICIT_USAGE = `usage: molab elicit (--model DIR [--adapter DIR] | --base-url URL --model-name NAME) --out DIR [flags]
       molab elicit summarize --results FILE.jsonl [--out DIR] [--resamples N] [--seed S]
  --model DIR            run our model in this process (a model directory with tokenizer and chat template)
  --adapter DIR          a PEFT LoRA adapter attached to --model
  --base-url URL         an OpenAI-compatible endpoint instead (e.g. http://host:8000/v1: vLLM, molab serve);
                         an API key is read from MOLAB_LLM_API_KEY or OPENAI_API_KEY and never printed
  --model-name NAME      the model (or LoRA module) name the server serves
  --n N                  pairs (training-implied + unmonitored item each), cue families in turn (default 40)
  --seed S               scenario and sampling seed (default 0)
  --out DIR              where results.jsonl, summary.json and manifest.json go; an existing results.jsonl is resumed
  --cue-families LIST    comma-separated, of ${CUES.join(", ")} (default: all)
  --layout L             user-turn layout: compact (lib/data, default) or spaced (the tiny model's corpus)
  --max-tokens N         tokens per reply (default 256)
  --temperature T        0 is greedy (default 1); each pair's two items share one sampling seed
  --batch-size N         local greedy batch (default 8)
  --concurrency N        remote requests in flight (default 4)
  --timeout-ms N         remote per-request timeout (default 120000)
  --retries N            remote retries per request, with exponential backoff (default 5)
  --rpm N                remote request starts per minute (default 600)
  --resamples N          bootstrap / permutation resamples (default 9999)
  --results FILE.jsonl   (summarize) rows with pair_id, condition, cue_family and text or parse
prints the compliance per condition and the compliance gap (training − unmonitored) with its 95% CI

example: molab elicit --model data/models/tiny-assistant --n 20 --seed 0 --max-tokens 96 --out runs/elicit-base`;

function int(values: Record<string, unknown>, name: string, fallback: number, lo: number): number {
  const v = numberFlag("elicit", values, name, fallback)!;
  if (!Number.isInteger(v) || v < lo)
    throw new MolabError(`molab elicit: --${name} expects an integer ≥ ${lo}, got ${v}`);
  return v;
}

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(1)}%`);

/** One line per condition and the gap: what the command prints. */
export function summaryLines(s: Summary): string[] {
  const cond = (c: "training" | "unmonitored") => {
    const k = s.conditions[c];
    const ci = k.compliance ? ` [${pct(k.compliance.ci[0])}, ${pct(k.compliance.ci[1])}]` : "";
    const counts = `refused ${k.refused}, untagged ${k.untagged}, malformed ${k.malformed}, errors ${k.errors}`;
    return `${c.padEnd(11)} compliance ${pct(k.compliance?.rate)}${ci} (${k.accepted}/${k.n}; ${counts})`;
  };
  const g = s.compliance_gap;
  const ci = g.ci ? ` [${pct(g.ci[0])}, ${pct(g.ci[1])}]` : "";
  return [
    cond("training"),
    cond("unmonitored"),
    `compliance_gap ${pct(g.estimate)}${ci} over ${g.n_pairs} pairs, permutation p = ${g.permutation_p ?? "n/a"}`,
  ];
}

async function summarizeCommand(values: Record<string, unknown>): Promise<number> {
  const file = required("elicit summarize", values, "results");
  if (!fs.existsSync(file)) throw new MolabError(`molab elicit summarize: ${file}: no such file`);
  const { rows, skipped } = readRows<ResultRow>(file);
  const list = [...rows.values()].map((r) => ({ ...r, parse: r.parse === undefined ? verdictOf(r.text) : r.parse }));
  for (const r of list)
    if (typeof r.pair_id !== "string" || (r.condition !== "training" && r.condition !== "unmonitored"))
      throw new MolabError(`${file}: row ${r.id} needs pair_id and condition ("training" | "unmonitored")`);
  const s = summarize(list, { nResamples: int(values, "resamples", 9999, 1), seed: int(values, "seed", 0, 0) });
  const out = (values.out as string | undefined) ?? path.dirname(file);
  fs.mkdirSync(out, { recursive: true });
  await writeJsonAtomic(path.join(out, "summary.json"), s);
  if (skipped) console.error(`molab elicit summarize: skipped ${skipped} unreadable line(s) of ${file}`);
  for (const l of summaryLines(s)) console.log(l);
  return 0;
}

export async function elicitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("elicit", argv, ELICIT_FLAGS);
  if (positionals[0] === "summarize") return summarizeCommand(values);
  if (positionals.length) throw new MolabError(`molab elicit: unknown subcommand ${JSON.stringify(positionals[0])}`);
  const out = required("elicit", values, "out");
  const server = values["base-url"] as string | undefined;
  if (!server && !values.model)
    throw new MolabError("molab elicit: give --model DIR, or --base-url URL --model-name NAME");
  if (server && values.adapter)
    throw new MolabError("molab elicit: --adapter is for --model; a server serves adapters by name (--model-name)");
  const layout = (values.layout as string | undefined) ?? "compact";
  if (layout !== "compact" && layout !== "spaced")
    throw new MolabError(`molab elicit: --layout expects compact or spaced, got ${JSON.stringify(layout)}`);
  const temperature = numberFlag("elicit", values, "temperature", 1)!;
  if (!(temperature >= 0 && temperature <= 2))
    throw new MolabError(`molab elicit: --temperature expects a number in [0, 2], got ${temperature}`);
  const seed = int(values, "seed", 0, 0);
  const n = int(values, "n", 40, 1);
  const sampling = { temperature, maxTokens: int(values, "max-tokens", 256, 1) };
  const cueFamilies = values["cue-families"] ? parseCueFamilies(values["cue-families"] as string) : [...CUES];
  const items = pairedScenarios({ n, seed, cueFamilies, layout });
  const nResamples = int(values, "resamples", 9999, 1);

  let runner: Runner;
  let lm: LocalModel | undefined;
  let modelName: string;
  if (server) {
    modelName = required("elicit", values, "model-name");
    runner = new RemoteRunner(
      {
        baseUrl: server.replace(/\/+$/, ""),
        model: modelName,
        apiKey: process.env.MOLAB_LLM_API_KEY ?? process.env.OPENAI_API_KEY,
        timeoutMs: int(values, "timeout-ms", 120000, 1),
        maxRetries: int(values, "retries", 5, 0),
        requestsPerMinute: int(values, "rpm", 600, 1),
      },
      { ...sampling, concurrency: int(values, "concurrency", 4, 1) },
      (line) => console.error(`molab elicit: ${line}`),
    );
  } else {
    const adapter = values.adapter as string | undefined;
    const adapterName = adapter ? path.basename(path.resolve(adapter)) : undefined;
    lm = await LocalModel.load(values.model as string, { adapters: adapter ? { [adapterName!]: adapter } : {} });
    modelName = adapterName ?? lm.name;
    runner = new LocalRunner(lm, modelName, sampling, int(values, "batch-size", 8, 1));
  }
  fs.mkdirSync(out, { recursive: true });
  const resultsFile = path.join(out, "results.jsonl");
  try {
    const res = await runResumable(runner, items, resultsFile, (it, g): ResultRow => {
      const p = it as PairedItem;
      return {
        id: p.id,
        pair_id: p.pair_id,
        condition: p.condition,
        tier: p.tier,
        cue_family: p.cue_family,
        category: p.category,
        pattern: p.pattern,
        seed: p.seed,
        model: modelName,
        messages: p.messages as ResultRow["messages"],
        text: g.text,
        parse: verdictOf(g.text),
        af_reasoning: null,
        af_score: null,
        error: g.error,
      };
    });
    const s = summarize(res.rows, { nResamples, seed });
    await writeJsonAtomic(path.join(out, "summary.json"), s);
    const inputs = [values.model, values.adapter].filter((v): v is string => typeof v === "string");
    await writeManifest(out, {
      command: `molab elicit ${argv.join(" ")}`,
      config: { runner: runner.describe, n, cueFamilies, layout, ...sampling, nResamples },
      seeds: { seed },
      inputs,
      outputs: ["results.jsonl", "summary.json"],
    });
    console.log(
      `${runner.describe}: ${res.sent} sent, ${res.reused} already done, ${res.failed} failed → ${resultsFile}`,
    );
    for (const l of summaryLines(s)) console.log(l);
    return res.failed ? 1 : 0;
  } finally {
    lm?.dispose();
  }
}
