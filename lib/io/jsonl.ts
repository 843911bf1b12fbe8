/**
 * JSON Lines: one JSON value per line. Reading streams line by line; a bad line is a MolabError
 * naming the file and the 1-based line number. Blank lines are skipped. Writing is atomic.
 */
import * as fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { MolabError } from "../errors.ts";
import { writeFileAtomic } from "./atomic.ts";

export interface JsonlLine<T = unknown> {
  /** 1-based line number in the file. */
  line: number;
  value: T;
}

/** The longest line read (bytes): a longer one is refused before it is held in memory. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Stream a text file's lines with their 1-based numbers (blank lines included); a line over `maxLineBytes` is an error. */
export async function* streamLines(
  file: string,
  maxLineBytes = MAX_LINE_BYTES,
): AsyncGenerator<{ line: number; text: string }> {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MolabError(code === "ENOENT" ? `${file}: no such file` : `${file}: cannot read (${code})`);
  }
  if (st.isDirectory()) throw new MolabError(`${file}: is a folder; expected a JSONL file`);
  const stream = fs.createReadStream(file, { highWaterMark: 1 << 20 });
  const decoder = new StringDecoder("utf8");
  let parts: string[] = [];
  let bytes = 0;
  let n = 0;
  const tooLong = () =>
    new MolabError(
      `${file}:${n + 1}: line longer than ${maxLineBytes / (1024 * 1024)} MiB; refusing to read it (one JSON record per line)`,
    );
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(10, from); nl !== -1; nl = chunk.indexOf(10, from)) {
        if (bytes + nl - from > maxLineBytes) throw tooLong();
        parts.push(decoder.write(chunk.subarray(from, nl)) + decoder.end());
        let text = parts.join("");
        if (text.endsWith("\r")) text = text.slice(0, -1);
        parts = [];
        bytes = 0;
        from = nl + 1;
        yield { line: ++n, text };
      }
      bytes += chunk.length - from;
      if (bytes > maxLineBytes) throw tooLong();
      if (from < chunk.length) parts.push(decoder.write(chunk.subarray(from)));
    }
    const last = parts.join("") + decoder.end();
    if (last !== "") yield { line: ++n, text: last.endsWith("\r") ? last.slice(0, -1) : last };
  } catch (e) {
    if (e instanceof MolabError) throw e;
    throw new MolabError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    stream.destroy();
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
