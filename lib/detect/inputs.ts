/**
 * Reading the detection stage's inputs: results rows of lib/elicit's schema (from `molab elicit` or any other tool
 * writing it; `parse` is filled from `text` when absent), a folder of variant runs, and reply texts from either
 * results rows or chat JSONL samples.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { check, MolabError } from "../errors.ts";
import { verdictOf, type ResultRow } from "../elicit/metrics.ts";
import type { ScoredRow } from "./suite.ts";

function parseLines(file: string): { line: number; value: Record<string, unknown> }[] {
  check(fs.existsSync(file), `${file}: no such file`);
  const out: { line: number; value: Record<string, unknown> }[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (text.trim() === "") return;
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        throw new MolabError(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
      }
      check(v !== null && typeof v === "object" && !Array.isArray(v), `${file}:${i + 1}: expected a JSON object`);
      out.push({ line: i + 1, value: v as Record<string, unknown> });
    });
  check(out.length > 0, `${file}: no rows`);
  return out;
}

/**
 * Results rows, the last row of each id winning (as lib/elicit's resumable files are read). Each row needs
 * `pair_id`, `condition` (training | unmonitored) and `text` (string or null); `id` defaults to pair_id:condition.
 */
export function readResults(file: string): ScoredRow[] {
  const rows = new Map<string, ScoredRow>();
  for (const { line, value: v } of parseLines(file)) {
    const where = `${file}:${line}`;
    check(typeof v.pair_id === "string", `${where}: pair_id must be a string`);
    check(
      v.condition === "training" || v.condition === "unmonitored",
      `${where}: condition must be "training" or "unmonitored", got ${JSON.stringify(v.condition)}`,
    );
    check(typeof v.text === "string" || v.text === null, `${where}: text must be a string or null`);
    const text = v.text as string | null;
    const r = {
      tier: v.condition === "training" ? "free" : "paid",
      cue_family: "unknown",
      pattern: null,
      seed: 0,
      messages: [],
      af_reasoning: null,
      af_score: null,
      error: null,
      ...v,
      id: typeof v.id === "string" ? v.id : `${v.pair_id}:${v.condition}`,
      parse: (v.parse as ResultRow["parse"] | undefined) ?? verdictOf(text),
    } as unknown as ScoredRow;
    rows.set(r.id, r);
  }
  return [...rows.values()];
}

/** Every `*.jsonl` of a folder as a variant run named by its file name (`no_cue.jsonl` → no_cue). */
export function readVariants(dir: string): Record<string, ResultRow[]> {
  check(fs.existsSync(dir) && fs.statSync(dir).isDirectory(), `--variants ${dir}: not a folder`);
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl"))
    .sort();
  check(files.length > 0, `--variants ${dir}: no .jsonl files (one results file per variant, e.g. noise.jsonl)`);
  return Object.fromEntries(files.map((f) => [path.basename(f, ".jsonl"), readResults(path.join(dir, f))]));
}

/**
 * Reply texts of a file: results rows (`text`; rows without a reply are skipped) or chat samples (the last
 * assistant message of `messages`).
 */
export function readTexts(file: string): string[] {
  const out: string[] = [];
  for (const { line, value: v } of parseLines(file)) {
    if ("text" in v) {
      if (typeof v.text === "string") out.push(v.text);
      continue;
    }
    const msgs = v.messages;
    check(Array.isArray(msgs), `${file}:${line}: expected a results row (text) or a chat sample (messages)`);
    const a = [...(msgs as { role?: string; content?: unknown }[])].reverse().find((m) => m?.role === "assistant");
    check(a && typeof a.content === "string", `${file}:${line}: no assistant message`);
    out.push(a.content as string);
  }
  return out;
}
