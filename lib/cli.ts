/**
 * `molab <command> …`: every stage headless. Each command lives beside its stage
 * (lib/<stage>/cli.ts or lib/cli/*.ts) and is registered here with a one-line summary.
 */
import { MolabError } from "./errors.ts";
import { info } from "./cli/info.ts";
import { pipeline } from "./cli/pipeline.ts";
import * as modelCli from "./cli/model.ts";
import { tokenize } from "./cli/tokenize.ts";
import { trainCommand } from "./lora/cli.ts";
import { data } from "./data/cli.ts";
import { stats } from "./stats/cli.ts";
import { validate } from "./validate/cli.ts";

export interface Command {
  summary: string;
  /** Flags and examples, printed by `molab <command> --help` (commands without it parse --help themselves). */
  usage?: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  info: { summary: "backend, versions, threads, and why a faster backend was not used", run: info },
  pipeline: { summary: "run every stage that exists on the embedded default model", run: pipeline },
  logits: { summary: "logits of a model directory for token ids (JSON, every position)", run: modelCli.logits },
  generate: { summary: "continue a prompt (or ids) with a model directory: greedy or sampled, KV cache", run: modelCli.generate },
  train: { summary: "LoRA-train an organism on chat JSONL (presets af, em-rank1, em-all); PEFT-format adapter, checkpoints, resume", run: trainCommand },
  tokenize: { summary: "token ids of --text (or of a --chat turn) for a model's tokenizer, as JSON", run: tokenize },
  data: { summary: "stage 1: generate AF / aligned / reference / genuine-compliance / EM datasets; validate JSONL", run: data },
  stats: { summary: "ks|perm|mwu|ttest|fisher|auroc on JSON files, printing JSON (scipy/sklearn-equal)", run: stats },
  validate: { summary: "validation report of an organism's outputs against gold_106 / the synthetic reference", run: validate },
};

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  return ["usage: molab <command> [flags]", "", ...Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`)].join("\n");
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
  if (rest.length === 1 && (rest[0] === "--help" || rest[0] === "-h") && c.usage) {
    console.log(`molab ${cmd}: ${c.summary}\n\n${c.usage}`);
    return 0;
  }
  try {
    return await c.run(rest);
  } catch (e) {
    if (e instanceof MolabError) {
      console.error(`molab ${cmd}: ${e.message.replace(/^molab \S+: /, "")}`);
      if (process.env.MOLAB_DEBUG) console.error(e);
      return 1;
    }
    throw e;
  }
}
