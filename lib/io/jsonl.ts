/**
 * JSON Lines: one JSON value per line. Reading streams line by line; a bad line is a MolabError
 * naming the file and the 1-based line number. Blank lines are skipped. Writing is atomic.
 */
import * as fs from "node:fs";
import * as readline from "node:readline";
import { MolabError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";

export interface JsonlLine<T = unknown> {
  /** 1-based line number in the file. */
  line: number;
  value: T;
}

/** Stream a text file's lines with their 1-based numbers (blank lines included). */
export async function* streamLines(file: string): AsyncGenerator<{ line: number; text: string }> {
  if (!fs.existsSync(file)) throw new MolabError(`${file}: no such file`);
  const rl = readline.createInterface({ input: fs.createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let n = 0;
  try {
    for await (const text of rl) yield { line: ++n, text };
  } finally {
    rl.close();
  }
}

/**
 * Stream a JSONL file. `validate` may throw (or return an error string) to reject a record;
 * its message is prefixed with `file:line`.
 */
export async function* streamJsonl<T = unknown>(
  file: string,
  validate?: (v: unknown, line: number) => string | void,
): AsyncGenerator<JsonlLine<T>> {
  for await (const { line: n, text } of streamLines(file)) {
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new MolabError(`${file}:${n}: not valid JSON (${(e as Error).message})`);
    }
    if (validate) {
      let why: string | void;
      try {
        why = validate(value, n);
      } catch (e) {
        why = (e as Error).message;
      }
      if (why) throw new MolabError(`${file}:${n}: ${why}`);
    }
    yield { line: n, value: value as T };
  }
}

/** Read a whole JSONL file into an array of values (see `streamJsonl`). */
export async function readJsonl<T = unknown>(
  file: string,
  validate?: (v: unknown, line: number) => string | void,
): Promise<T[]> {
  const out: T[] = [];
  for await (const { value } of streamJsonl<T>(file, validate)) out.push(value);
  return out;
}

/** Serialize records as JSONL text (one line each, trailing newline). */
export function formatJsonl(records: Iterable<unknown>): string {
  let s = "";
  for (const r of records) s += JSON.stringify(r) + "\n";
  return s;
}

/** Write records as JSONL, atomically. */
export async function writeJsonl(file: string, records: Iterable<unknown>): Promise<void> {
  await writeFileAtomic(file, formatJsonl(records));
}
