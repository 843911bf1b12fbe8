/**
 * Reading one JSON file, with the errors every reader of a user's file needs: a missing or
 * unreadable file and bad JSON are MolabErrors naming the file (JSON Lines: see jsonl.ts).
 */
import * as fs from "node:fs";
import { MolabError } from "../errors.ts";

/** Parse the JSON file `file`; `what` names what it should hold, for the error message. */
export function readJsonFile<T = unknown>(file: string, what = "JSON"): T {
  let raw: string;
  try {
    raw = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new MolabError(
      code === "ENOENT"
        ? `${file}: no such file; cannot read ${what}`
        : `${file}: cannot read ${what} (${code ?? (e as Error).message})`,
    );
  }
  try {
    return JSON.parse(raw) as T;
  } catch (e) {
    throw new MolabError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
