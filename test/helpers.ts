/** Shared test helpers. */
import * as fs from "node:fs";

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
