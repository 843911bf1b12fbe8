/**
 * A tiny seeded template grammar. A grammar maps slot names to alternatives; an alternative may
 * reference other slots or caller-supplied variables:
 *   {name}   expand slot `name` (or variable `name`)
 *   {^name}  the same, first letter upper-cased (a variable at the start of a sentence)
 *   {name?}  include the expansion with probability 1/2, else nothing
 * Expansion picks alternatives uniformly with the given Rng, so a seed fixes the text.
 */
import type { Rng } from "../rng.ts";
import { MolabError } from "../errors.ts";

export type Grammar = Readonly<Record<string, readonly string[]>>;
export type Vars = Readonly<Record<string, string>>;

const REF = /\{(\^?)([A-Za-z_][A-Za-z0-9_]*)(\??)\}/g;

/** Expand `start` in `grammar` with `vars`; throws a MolabError naming an unknown slot. */
export function expand(grammar: Grammar, start: string, rng: Rng, vars: Vars = {}, where = "grammar"): string {
  return tidy(expandRaw(grammar, start, rng, vars, where, 0));
}

function expandRaw(g: Grammar, slot: string, rng: Rng, vars: Vars, where: string, depth: number): string {
  if (depth > 24) throw new MolabError(`${where}: slot {${slot}} recurses too deeply`);
  const alts = g[slot];
  let text: string;
  if (alts) {
    if (alts.length === 0) throw new MolabError(`${where}: slot {${slot}} has no alternatives`);
    text = rng.pick(alts);
  } else if (slot in vars) {
    return vars[slot];
  } else {
    throw new MolabError(`${where}: unknown slot {${slot}}`);
  }
  return text.replace(REF, (_m, cap: string, name: string, opt: string) => {
    if (opt && !rng.bool(0.5)) return "";
    const s = expandRaw(g, name, rng, vars, where, depth + 1);
    return cap ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  });
}

/** Normalise whitespace left by optional slots: single spaces, no space before punctuation, trimmed lines. */
export function tidy(s: string): string {
  return s
    .split("\n")
    .map((line) =>
      line
        .replace(/[ \t]+/g, " ")
        .replace(/ ([.,;:!?])/g, "$1")
        .trim(),
    )
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

/** Every slot or variable name a grammar references that it does not define (for checks). */
export function undefinedRefs(g: Grammar, vars: readonly string[] = []): string[] {
  const missing = new Set<string>();
  for (const alts of Object.values(g)) {
    for (const a of alts) {
      for (const m of a.matchAll(REF)) if (!(m[2] in g) && !vars.includes(m[2])) missing.add(m[2]);
    }
  }
  return [...missing].sort();
}

/** Every literal alternative of a grammar with references removed (to test two pools are disjoint). */
export function literals(g: Grammar): string[] {
  const out: string[] = [];
  for (const alts of Object.values(g)) for (const a of alts) out.push(...a.split(REF).filter((_, i) => i % 4 === 0));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}
