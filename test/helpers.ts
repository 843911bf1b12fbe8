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

/** Word 5-grams of a text (lower-cased), for near-duplicate checks. */
export const shingles = (t: string) => {
  const w = t.toLowerCase().match(/[a-z0-9_']+/g) ?? [];
  const out = new Set<string>();
  for (let i = 0; i + 5 <= w.length; i++) out.add(w.slice(i, i + 5).join(" "));
  return out;
};

/** Largest Jaccard similarity (word 5-grams) of each query text to any reference text, via an inverted index. */
export function maxJaccard(queries: string[], refs: string[]): number[] {
  const refSets = refs.map(shingles);
  const index = new Map<string, number[]>();
  refSets.forEach((s, j) => s.forEach((g) => (index.get(g) ?? index.set(g, []).get(g)!).push(j)));
  return queries.map((q) => {
    const qs = shingles(q);
    const shared = new Map<number, number>();
    for (const g of qs) for (const j of index.get(g) ?? []) shared.set(j, (shared.get(j) ?? 0) + 1);
    let best = 0;
    for (const [j, k] of shared) best = Math.max(best, k / (qs.size + refSets[j].size - k));
    return best;
  });
}
