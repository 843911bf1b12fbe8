/**
 * The robustness harness: runs one catalogue case in a fresh temp folder and classifies what happened.
 *
 * - clear error: a MolabError (library) or a non-zero exit with a one-line message (CLI) that contains every
 *   expected fragment and leaks no raw Node error or internal function name;
 * - recovered: the case's check of the state after the action passes;
 * - crash: anything else thrown (TypeError, RangeError, a raw errno error), a stack in the output, or a leak;
 * - partial file: after a failed command, an empty folder or a temp file left in the case's folder.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../../lib/errors.ts";
import { main } from "../../lib/cli.ts";

export type Outcome =
  { kind: "cli"; status: number; stdout: string; stderr: string } | { kind: "lib"; error?: unknown; value?: unknown };

export interface Case {
  id: string;
  group: string;
  /** Prepare inputs in `dir` and perform the action. */
  run(dir: string): Promise<Outcome>;
  /** Fragments an error message must contain; or a check of the recovered state (throws when not recovered). */
  expect: { error: (string | RegExp)[] } | { recovered: (dir: string, o: Outcome) => void | Promise<void> };
  /** Paths (relative to the case folder) that must not exist afterwards: outputs of a refused command. */
  absent?: string[];
}

export interface Verdict {
  id: string;
  result: "clear error" | "recovered" | "crash" | "wrong outcome";
  partial: string[];
  detail: string;
}

/** Raw errno messages, internal names and JS engine errors a user must never see. */
const LEAKS =
  /\b(EISDIR|EEXIST|ENOTDIR|ENOENT|EACCES|ENOSPC): |\bwilsonCI:|\brng:|\b(TypeError|RangeError|ReferenceError)\b|Cannot read propert|is not a function|undefined is not|\n\s+at .+:\d+:\d+/;

/** Run the CLI in this process; a non-MolabError escaping `main` is rethrown (a crash). */
export async function cli(...args: string[]): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const log = console.log;
  const error = console.error;
  const write = process.stderr.write;
  console.log = (...a: unknown[]) => void (stdout += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (stderr += a.join(" ") + "\n");
  process.stderr.write = ((s: string | Uint8Array) => ((stderr += String(s)), true)) as typeof process.stderr.write;
  try {
    return { kind: "cli", status: await main(args), stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
    process.stderr.write = write;
  }
}

/** Run a library call; its error (if any) is kept for classification. */
export async function lib(f: () => unknown): Promise<Outcome> {
  try {
    return { kind: "lib", value: await f() };
  } catch (error) {
    return { kind: "lib", error };
  }
}

function leftovers(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    const names = fs.readdirSync(d);
    if (names.length === 0 && d !== root) out.push(path.relative(root, d) + "/ (empty folder)");
    for (const n of names) {
      const p = path.join(d, n);
      if (/\.tmp\b|\.tmp-|\.partial$/.test(n)) out.push(path.relative(root, p));
      if (fs.lstatSync(p).isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

export async function runCase(c: Case): Promise<Verdict> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `molab-robust-${c.id}-`));
  const v: Verdict = { id: c.id, result: "wrong outcome", partial: [], detail: "" };
  try {
    let o: Outcome;
    try {
      o = await c.run(dir);
    } catch (e) {
      v.result = "crash";
      v.detail = `threw ${(e as Error)?.stack ?? e}`;
      return v;
    }
    if ("recovered" in c.expect) {
      try {
        if (o.kind === "lib" && o.error !== undefined) throw o.error;
        if (o.kind === "cli" && LEAKS.test(o.stderr)) throw new Error(`leak in: ${o.stderr}`);
        await c.expect.recovered(dir, o);
        v.result = "recovered";
      } catch (e) {
        v.result = o.kind === "lib" && o.error !== undefined && !(o.error instanceof MolabError) ? "crash" : v.result;
        v.detail = String((e as Error)?.message ?? e);
      }
    } else {
      let msg: string;
      if (o.kind === "lib") {
        if (o.error === undefined) {
          v.detail = "accepted (no error)";
          return v;
        }
        if (!(o.error instanceof MolabError)) {
          v.result = "crash";
          v.detail = String((o.error as Error)?.stack ?? o.error);
          return v;
        }
        msg = o.error.message;
      } else {
        if (o.status === 0) {
          v.detail = `exit 0: ${o.stdout.slice(0, 300)}`;
          return v;
        }
        msg = o.stderr.trim() || o.stdout.trim();
      }
      if (LEAKS.test(msg)) {
        v.result = "crash";
        v.detail = `leaks: ${msg}`;
      } else {
        const missing = c.expect.error.filter((f) => (typeof f === "string" ? !msg.includes(f) : !f.test(msg)));
        if (missing.length) v.detail = `message ${JSON.stringify(msg)} lacks ${missing.join(", ")}`;
        else v.result = "clear error";
      }
      v.partial = leftovers(dir);
    }
    for (const a of c.absent ?? []) if (fs.existsSync(path.join(dir, a))) v.partial.push(a);
    return v;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
