/**
 * The one line a failed command prints, shared by `molab` and the scripts (build:model, the sweep scripts), so
 * every one of them names itself once and never dumps a stack for an error the user can fix.
 */
import { MolabError } from "../errors.ts";
import { explainWasmAbort, WASM_ABORT_FIX } from "../backend.ts";
import { commandLabel } from "../args.ts";

/**
 * A MolabError's message after the command's label (lib/args commandLabel), said once: a message that already
 * starts with a label (`molab X: `, or this command's own) keeps its text, not its label. A wasm abort is explained
 * (explainWasmAbort); anything else gives undefined (a bug: it propagates with its stack).
 */
export function failureLine(cmd: string, thrown: unknown): string | undefined {
  const e = explainWasmAbort(thrown, "the command", WASM_ABORT_FIX);
  if (!(e instanceof MolabError)) return undefined;
  const label = commandLabel(cmd);
  const text = e.message.startsWith(`${label}: `)
    ? e.message.slice(label.length + 2)
    : e.message.replace(/^molab \S+: /, "");
  return `${label}: ${text}`;
}

/**
 * A failure reported: its one line on stderr (see failureLine; the whole error too with MOLAB_DEBUG) and exit code 1.
 * Anything failureLine does not know is rethrown, so a bug keeps its stack.
 */
export function reportFailure(cmd: string, thrown: unknown): number {
  const line = failureLine(cmd, thrown);
  if (line === undefined) throw thrown;
  console.error(line);
  if (process.env.MOLAB_DEBUG) console.error(thrown);
  return 1;
}

/** A script's exit: its exit code, or a failure reported as `molab` reports one (reportFailure). */
export function exitWith(cmd: string, run: Promise<number>): void {
  run.then(
    (code) => process.exit(code),
    (thrown) => process.exit(reportFailure(cmd, thrown)),
  );
}
