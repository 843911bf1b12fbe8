/**
 * Flag parsing for `molab` subcommands and the scripts: a thin layer over node:util parseArgs that turns
 * unknown flags and bad numbers into one-line MolabErrors naming the command and the flag.
 */
import { parseArgs } from "node:util";
import { MolabError } from "./errors.ts";

export type FlagSpec = Record<
  string,
  { type: "string" | "boolean"; short?: string; multiple?: boolean; default?: string | boolean }
>;

/**
 * The name an error line starts with: `molab CMD` for a subcommand; a script's own name as given when `cmd` names
 * one (`npm run build:model`, `scripts/tiny-sweep/judge.ts`).
 */
export function commandLabel(cmd: string): string {
  return cmd.startsWith("npm ") || cmd.includes("/") ? cmd : `molab ${cmd}`;
}

/** A negative number as a flag value: -1, -0.5, -.5, -1e-3, -Infinity. */
const NEGATIVE_NUMBER = /^-(\d|\.\d|Infinity$)/;

/**
 * `--flag -1` → `--flag=-1` (and `-f -1` → `-f-1`) for string flags, so a negative number is the flag's value
 * (parseArgs alone calls it ambiguous) and reaches the command's own range check.
 */
function attachNegativeValues(argv: string[], flags: FlagSpec): string[] {
  const shorts = new Map(Object.entries(flags).flatMap(([k, f]) => (f.short ? [[f.short, k] as const] : [])));
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") return out.concat(argv.slice(i));
    const next = argv[i + 1];
    const long = /^--([^=]+)$/.exec(a)?.[1];
    const short = /^-([^-])$/.exec(a)?.[1];
    const name = long ?? (short !== undefined ? shorts.get(short) : undefined);
    if (name !== undefined && flags[name]?.type === "string" && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(long !== undefined ? `${a}=${next}` : `${a}${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Parse `argv` for command `cmd` against `flags`; positionals are allowed. A negative number after a string flag is its value. */
export function parseFlags(cmd: string, argv: string[], flags: FlagSpec) {
  try {
    return parseArgs({ args: attachNegativeValues(argv, flags), options: flags, allowPositionals: true, strict: true });
  } catch (e) {
    throw new MolabError(`${commandLabel(cmd)}: ${(e as Error).message}`);
  }
}

/** A required string flag. */
export function required(cmd: string, values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v === "") throw new MolabError(`${commandLabel(cmd)}: --${name} is required`);
  return v;
}

/** A flag's comma-separated non-negative integers (`1,2,3`, spaces around items allowed); anything else is an error. */
export function parseIntList(cmd: string, name: string, v: string): number[] {
  const parts = v.split(",").map((s) => s.trim());
  if (parts.some((s) => !/^\d+$/.test(s))) {
    throw new MolabError(
      `${commandLabel(cmd)}: --${name} expects comma-separated non-negative integers (e.g. 1,2,3), got ${JSON.stringify(v)}`,
    );
  }
  return parts.map(Number);
}

/** A numeric flag (or `fallback` when absent); anything that is not a finite number is an error. */
export function numberFlag(
  cmd: string,
  values: Record<string, unknown>,
  name: string,
  fallback?: number,
): number | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== "string" || v.trim() === "" || !Number.isFinite(n)) {
    throw new MolabError(`${commandLabel(cmd)}: --${name} expects a number, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** A flag that takes one of `choices` (or `fallback` when absent); any other value is an error naming them. */
export function choiceFlag<T extends string>(
  cmd: string,
  values: Record<string, unknown>,
  name: string,
  choices: readonly T[],
  fallback?: T,
): T | undefined {
  const v = values[name];
  if (v === undefined) return fallback;
  if (!choices.includes(v as T))
    throw new MolabError(
      `${commandLabel(cmd)}: --${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(v)}`,
    );
  return v as T;
}
