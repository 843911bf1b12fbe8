/**
 * `molab em eval|phase|direction|steer|ablate`: the EM evaluation of a model (in process or behind an
 * OpenAI-compatible endpoint) with a judge; the phase-transition analysis of a training run's telemetry.jsonl; the
 * misalignment direction from judged results; steering and ablation with the random baseline.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import { readTelemetry } from "../train/telemetry.ts";
import { LocalModel } from "../elicit/local.ts";
import { LocalRunner, RemoteRunner, type Runner } from "../elicit/runner.ts";
import { DEFAULT_QUESTIONS } from "./questions.ts";
import { runEmEval, writeEvalRun } from "./eval.ts";
import { analysePhase } from "./phase.ts";
import { emDirectionCommand, interventionCommand } from "./cli_direction.ts";
import {
  intFlag,
  judgeFromFlags,
  listFlag,
  localModelFromFlags,
  questionsFromFlags,
  userFormatFlag,
} from "./cli_flags.ts";

export const EM_FLAGS: FlagSpec = {
  model: { type: "string" },
  adapter: { type: "string" },
  "base-url": { type: "string" },
  "model-name": { type: "string" },
  questions: { type: "string" },
  split: { type: "string" },
  n: { type: "string" },
  seed: { type: "string" },
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "user-format": { type: "string" },
  judge: { type: "string" },
  "judge-base-url": { type: "string" },
  "judge-model": { type: "string" },
  concurrency: { type: "string" },
  out: { type: "string" },
  telemetry: { type: "string" },
  k: { type: "string" },
  "min-norm": { type: "string" },
  threshold: { type: "string" },
  rank: { type: "string" },
  results: { type: "string" },
  layer: { type: "string" },
  layers: { type: "string" },
  direction: { type: "string" },
  scales: { type: "string" },
  "all-layers": { type: "boolean" },
  labelled: { type: "string" },
  contrast: { type: "string" },
};

export const EM_USAGE = `usage: molab em eval --model DIR [--adapter DIR | --base-url URL --model-name NAME] [--questions FILE.yaml] [--n N] --out DIR
       molab em phase --telemetry FILE [--k 5,10,15] [--min-norm 0.002] [--threshold -0.5] [--out DIR]
       molab em direction --model DIR --adapter DIR (--results DIR | --labelled SET) --layer L [--layers all|L,L]
                          [--contrast answers|organism_and_answers] --out DIR
       molab em steer --model DIR [--adapter DIR] --direction FILE [--layer L] --scales 0,4,8 [--n N] --out DIR
       molab em ablate --model DIR --adapter DIR --direction FILE [--layer L | --all-layers] [--n N] --out DIR
  --model DIR            our model in this process (a model directory with tokenizer and chat template)
  --adapter DIR          a PEFT LoRA adapter attached to --model (the organism)
  --base-url URL         eval: an OpenAI-compatible endpoint instead (vLLM, molab serve); key from MOLAB_LLM_API_KEY
                         or OPENAI_API_KEY, never printed
  --model-name NAME      the model (or LoRA module) name the endpoint serves
  --questions FILE.yaml  a question file in the papers' format (default ${path.relative(process.cwd(), DEFAULT_QUESTIONS)})
  --split S              heldout (default), train or all: which questions to ask
  --n N                  samples per paraphrase (default: the file's samples_per_paraphrase)
  --seed S               sampling seed (default 0); item i is sampled with seed S·1e6 + i
  --max-tokens N         tokens per answer (default 96; the papers use 600 on large models)
  --temperature T        default 1 (top_p 1), as the papers sample
  --user-format F        plain (default) or redwood (the tiny assistant's user turn, paid tier)
  --judge J              embedded (default; an offline stand-in, see lib/em/embedded_judge.ts) or llm (the papers'
                         logprob-weighted judge: --judge-base-url URL --judge-model NAME)
  --concurrency N        judge requests (and remote generations) in flight (default 4)
  --out DIR              where results.jsonl, summary.json (or the command's outputs) and manifest.json go
  --telemetry FILE       phase: a training run's telemetry.jsonl (LoRA A/B vectors, e.g. preset em-rank1)
  --k LIST               phase: local-cosine offsets in steps (default 5,10,15)
  --min-norm X           phase: skip points whose step vectors are shorter (default 0.002)
  --threshold X          phase: detection threshold on the local cosine (default -0.5)
  --rank R               phase: the adapter's rank, for the comp score (default 1)
  --results DIR          direction: a molab em eval folder (results.jsonl) of the organism
  --labelled SET         direction: contrast data v2's labelled answers of a narrow EM set (e.g. em-risky-finance)
                         with its matched control instead of judged results (when the organism gives too few
                         coherent misaligned answers)
  --contrast C           direction from --results: answers (default; both answer sets through the organism) or
                         organism_and_answers (the aligned answers through the base model, so the fine-tune's own
                         shift is in the direction; the EM authors' steering code computes both)
  --layer L              direction: the layer to report (directions are saved for --layers); steer/ablate: which
                         layer of the direction file (default its first)
  --layers LIST          direction: layers to compute (default: all)
  --direction FILE       steer/ablate: direction.json made by molab em direction
  --scales LIST          steer: steering coefficients (default 0,4,8); each also runs a random direction of ‖v‖
  --all-layers           ablate: project the direction out after every layer, not only --layer
prints JSON: eval → the held-out and overall EM rates; phase → {"transition_steps", "grad_norm_peak_step", …}
(writes local_cosine.json to --out, default beside the telemetry); direction → norms and the cosine with a rank-1 B;
steer/ablate → EM per condition, the relative reduction and the random baseline's change

example: molab em eval --model data/models/tiny-assistant --user-format redwood --n 5 --out runs/em-base`;

async function evalCommand(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const out = required("em eval", values, "out");
  const questions = questionsFromFlags(values);
  const judge = judgeFromFlags(values);
  const seed = intFlag(values, "seed", 0, 0)!;
  const maxTokens = intFlag(values, "max-tokens", 96, 1)!;
  const temperature = numberFlag("em", values, "temperature", 1)!;
  const concurrency = intFlag(values, "concurrency", 4, 1)!;
  let runner: Runner;
  let lm: LocalModel | undefined;
  if (values["base-url"]) {
    if (values.model || values.adapter)
      throw new MolabError("molab em eval: give --model/--adapter or --base-url, not both");
    runner = new RemoteRunner(
      {
        baseUrl: (values["base-url"] as string).replace(/\/+$/, ""),
        model: required("em eval", values, "model-name"),
        apiKey: process.env.MOLAB_LLM_API_KEY ?? process.env.OPENAI_API_KEY,
      },
      { temperature, topP: 1, maxTokens, concurrency },
    );
  } else {
    const m = await localModelFromFlags(values);
    lm = m.lm;
    runner = new LocalRunner(lm, m.name, { temperature, topP: 1, maxTokens });
  }
  try {
    fs.mkdirSync(out, { recursive: true });
    const r = await runEmEval({
      questions,
      runner,
      judge,
      n: intFlag(values, "n", undefined, 1),
      seed,
      userFormat: userFormatFlag(values),
      concurrency,
    });
    await writeEvalRun(out, r, {
      command: `molab em ${argv.join(" ")}`,
      config: {
        questions: values.questions ?? DEFAULT_QUESTIONS,
        split: values.split ?? "heldout",
        maxTokens,
        temperature,
      },
      seed,
      inputs: [(values.questions as string | undefined) ?? DEFAULT_QUESTIONS],
    });
    console.log(
      JSON.stringify({
        judge: r.judge,
        runner: r.runner,
        heldout: r.rates.bySplit.heldout ?? null,
        overall: r.rates.overall,
      }),
    );
  } finally {
    lm?.dispose();
  }
  return 0;
}

async function phaseCommand(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const file = required("em phase", values, "telemetry");
  const a = analysePhase(readTelemetry(file), {
    ks: listFlag(values, "k", [5, 10, 15]),
    minNorm: numberFlag("em", values, "min-norm", 0.002),
    threshold: numberFlag("em", values, "threshold", -0.5),
    rank: intFlag(values, "rank", 1, 1),
  });
  const out = (values.out as string | undefined) ?? path.dirname(file);
  fs.mkdirSync(out, { recursive: true });
  await writeJsonAtomic(path.join(out, "local_cosine.json"), a);
  await writeManifest(out, {
    command: `molab em ${argv.join(" ")}`,
    config: { ks: a.ks, minNorm: a.minNorm, threshold: a.threshold },
    inputs: [file],
    outputs: ["local_cosine.json"],
  });
  console.log(
    JSON.stringify({
      transition_steps: a.transition_steps,
      grad_norm_peak_step: a.grad_norm_peak_step,
      key: a.keyB,
      ks: a.ks,
      pca_explained_variance_ratio: a.pcaB.explainedVarianceRatio,
      local_cosine: path.join(out, "local_cosine.json"),
    }),
  );
  return 0;
}

export async function emCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("em", argv, EM_FLAGS);
  const sub = positionals[0];
  if (positionals.length > 1) throw new MolabError(`molab em: unexpected arguments ${positionals.slice(1).join(" ")}`);
  if (sub === "eval") return evalCommand(values, argv);
  if (sub === "phase") return phaseCommand(values, argv);
  if (sub === "direction") return emDirectionCommand(values, argv);
  if (sub === "steer" || sub === "ablate") return interventionCommand(sub, values, argv);
  throw new MolabError(
    `molab em: expected a subcommand: eval, phase, direction, steer or ablate${sub ? `, got ${sub}` : ""}`,
  );
}
