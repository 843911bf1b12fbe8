/** Shared test helpers. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { MolabError } from "../lib/errors.ts";

/**
 * Read JSON written by Python's `json.dump`, which spells non-finite floats as bare
 * `NaN`, `Infinity` and `-Infinity` (not valid JSON).
 */
export function readPyJson<T = any>(file: string): T {
  const text = fs.readFileSync(file, "utf8").replace(/(?<=[\[,:]\s*)(-?Infinity|NaN)(?=\s*[\],}])/g, '"__py_$1"');
  return JSON.parse(text, (_k, v) =>
    v === "__py_NaN" ? NaN : v === "__py_Infinity" ? Infinity : v === "__py_-Infinity" ? -Infinity : v,
  );
}

/** Asserts that `p` rejects (or, given a function, throws) one MolabError whose message matches `re`. */
export async function rejectsWith(p: Promise<unknown> | (() => unknown), re: RegExp): Promise<void> {
  const check = (e: unknown) => {
    assert.ok(e instanceof MolabError, `expected a MolabError, got ${e}`);
    assert.match(e.message, re);
    return true;
  };
  if (typeof p === "function") assert.throws(p, check);
  else await assert.rejects(p, check);
}
