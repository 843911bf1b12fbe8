/**
 * Runners: one interface over where generations come from — our model in this process ({@link LocalRunner}: base
 * or adapter, seeded, greedy prompts batched through the KV cache) or any OpenAI-compatible endpoint
 * ({@link RemoteRunner}: vLLM with `--enable-lora --lora-modules name=path`, `molab serve`, a hosted API) with a
 * concurrency limit, and lib/llm's retries with backoff, rate limit and timeout. {@link runResumable} drives
 * either over a list of items and appends one JSONL row per finished item, so that a run that crashed (or whose
 * server died) is finished by running it again: items already in the file without an error are not sent again.
 * A failure is reported on its item's row (`error`) and the run goes on.
 */
import * as fs from "node:fs";
import type { ChatMessage } from "../chat/message.ts";
import { ChatClient } from "../llm/client.ts";
import type { LlmConfig } from "../llm/config.ts";
import type { LocalModel, RunOptions } from "./local.ts";

/** One generation to make: `id` is unique in a run and is what resuming matches on. */
export interface RunItem {
  id: string;
  messages: ChatMessage[];
  seed: number;
}

/** What came back for an item: the text, or why there is none. */
export interface Generation {
  text: string | null;
  error: string | null;
}

export interface Sampling {
  /** 0 is greedy. */
  temperature: number;
  maxTokens: number;
  topP?: number;
}

export interface Runner {
  /** Where the generations come from, for the manifest (e.g. `local:tiny-assistant+af`, `remote:http://…/v1 af`). */
  readonly describe: string;
  /** Generate every item, calling `done` once per item as it finishes (in any order). */
  run(items: RunItem[], done: (item: RunItem, g: Generation) => void): Promise<void>;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * Our model in this process. Sampled items are generated one by one with their own seed (so each row is
 * reproduced by its seed alone, and equals what `molab serve` answers for that seed); greedy items are batched
 * `batchSize` at a time (left-padded, as transformers batches).
 */
export class LocalRunner implements Runner {
  constructor(
    private lm: LocalModel,
    private modelName: string,
    /** With `hooks`, every generation runs with them (steering, ablation). */
    private sampling: Sampling & Pick<RunOptions, "hooks">,
    private batchSize = 8,
  ) {}

  get describe(): string {
    return `local:${this.lm.name}${this.modelName === this.lm.name ? "" : `+${this.modelName}`}`;
  }

  async run(items: RunItem[], done: (item: RunItem, g: Generation) => void): Promise<void> {
    const step = this.sampling.temperature === 0 ? this.batchSize : 1;
    for (let i = 0; i < items.length; i += step) {
      const batch = items.slice(i, i + step);
      try {
        const choices = this.lm.run(
          this.modelName,
          batch.map((it) => this.lm.promptIds(it.messages)),
          { ...this.sampling, seed: batch[0].seed },
        );
        batch.forEach((it, j) => done(it, { text: choices[j].text, error: null }));
      } catch (e) {
        for (const it of batch) done(it, { text: null, error: (e as Error).message });
      }
      await tick();
    }
  }
}

export interface RemoteOptions extends Sampling {
  /** Requests in flight at once (default 4). */
  concurrency?: number;
}

/** An OpenAI-compatible endpoint through lib/llm's ChatClient, `concurrency` requests at a time. */
export class RemoteRunner implements Runner {
  readonly client: ChatClient;
  constructor(
    private cfg: Omit<LlmConfig, "temperature" | "maxTokens">,
    private o: RemoteOptions,
    log: (line: string) => void = () => {},
  ) {
    this.client = new ChatClient({ ...cfg, temperature: o.temperature, maxTokens: o.maxTokens }, log);
  }

  get describe(): string {
    return `remote:${this.cfg.baseUrl} ${this.cfg.model}`;
  }

  async run(items: RunItem[], done: (item: RunItem, g: Generation) => void): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const it = items[next++];
        let g: Generation;
        try {
          g = { text: await this.client.complete(it.messages, it.seed), error: null };
        } catch (e) {
          g = { text: null, error: (e as Error).message };
        }
        done(it, g);
      }
    };
    const k = Math.max(1, Math.min(this.o.concurrency ?? 4, items.length));
    await Promise.all(Array.from({ length: k }, worker));
  }
}

/** A results file's rows, the last row of each id winning; a cut-off last line (a crash mid-write) is skipped. */
export function readRows<R extends { id: string }>(file: string): { rows: Map<string, R>; skipped: number } {
  const rows = new Map<string, R>();
  let skipped = 0;
  if (!fs.existsSync(file)) return { rows, skipped };
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    if (line.trim() === "") continue;
    let r: R;
    try {
      r = JSON.parse(line);
    } catch {
      skipped++;
      continue;
    }
    if (r && typeof r.id === "string") rows.set(r.id, r);
    else skipped++;
  }
  return { rows, skipped };
}

export interface ResumableResult<R> {
  /** Final rows in item order (one per item that has one). */
  rows: R[];
  /** Items sent this time. */
  sent: number;
  /** Items already done in the file, not sent again. */
  reused: number;
  /** Items that ended with an error this time. */
  failed: number;
}

/**
 * Run `items` through `runner`, appending `toRow(item, generation)` to `file` (JSONL) as each finishes. Items whose
 * row is already in the file without an error are skipped; errored ones are sent again (their new row, appended,
 * replaces the old one when read back).
 */
export async function runResumable<R extends { id: string; error: string | null }>(
  runner: Runner,
  items: RunItem[],
  file: string,
  toRow: (item: RunItem, g: Generation) => R,
): Promise<ResumableResult<R>> {
  const { rows } = readRows<R>(file);
  const pending = items.filter((it) => !(rows.get(it.id) && rows.get(it.id)!.error === null));
  if (fs.existsSync(file)) {
    const text = fs.readFileSync(file, "utf8");
    if (text.length && !text.endsWith("\n")) fs.appendFileSync(file, "\n");
  }
  let failed = 0;
  await runner.run(pending, (item, g) => {
    const row = toRow(item, g);
    if (row.error !== null) failed++;
    rows.set(item.id, row);
    fs.appendFileSync(file, JSON.stringify(row) + "\n");
  });
  return {
    rows: items.flatMap((it) => (rows.has(it.id) ? [rows.get(it.id)!] : [])),
    sent: pending.length,
    reused: items.length - pending.length,
    failed,
  };
}
