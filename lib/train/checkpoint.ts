/**
 * Training checkpoints, whatever is trained: `<out>/checkpoints/step-000120/` holding the trainer's files and
 * `trainer_state.json` (step, settings fingerprint, the trainer's own summaries). A checkpoint is written into a
 * hidden `*.tmp-<pid>` folder, fsynced, then renamed into place, so a reader (or a resume after SIGKILL) only ever
 * sees complete checkpoints. `resumeFrom` is the one resume rule of every trainer: the newest complete checkpoint,
 * refused when it was made with other settings. What a checkpoint holds besides the state (a LoRA adapter and its
 * AdamW moments, a whole model) is the trainer's business (lib/lora/checkpoint.ts, lib/tiny/train.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError, check } from "../errors.ts";

export const STATE_FILE = "trainer_state.json";

/** What every `trainer_state.json` holds; trainers add their own fields. */
export interface CheckpointState {
  /** Optimizer steps done. */
  step: number;
  /** Settings that must match on resume (data hash, hyperparameters), one key per setting. */
  fingerprint: Record<string, unknown>;
  savedAt: string;
}

export function checkpointsDir(out: string): string {
  return path.join(out, "checkpoints");
}

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Write `<out>/checkpoints/step-NNNNNN/` atomically: `fill` writes into a temp folder, every file and the
 * folder are fsynced, the folder is renamed into place, and only the newest `keep` checkpoints are kept.
 * A checkpoint counts as complete once it holds STATE_FILE, which `fill` must write.
 */
export async function writeCheckpointDir(
  out: string,
  step: number,
  fill: (tmp: string) => Promise<void>,
  keep = 2,
): Promise<string> {
  const root = checkpointsDir(out);
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, `step-${String(step).padStart(6, "0")}`);
  const tmp = `${final}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  try {
    await fill(tmp);
  } catch (e) {
    // a failed write (a full disk) leaves no half checkpoint, nor an empty checkpoints folder
    fs.rmSync(tmp, { recursive: true, force: true });
    if (fs.readdirSync(root).length === 0) fs.rmdirSync(root);
    throw e;
  }
  check(fs.existsSync(path.join(tmp, STATE_FILE)), `checkpoint ${final}: ${STATE_FILE} was not written`);
  for (const f of fs.readdirSync(tmp)) fsyncPath(path.join(tmp, f));
  fsyncPath(tmp);
  if (fs.existsSync(final)) fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  fsyncPath(root);
  const all = listCheckpoints(out);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) fs.rmSync(old.dir, { recursive: true, force: true });
  return final;
}

/** Complete checkpoints, oldest first. */
export function listCheckpoints(out: string): { step: number; dir: string }[] {
  const root = checkpointsDir(out);
  if (!fs.existsSync(root)) return [];
  const found: { step: number; dir: string }[] = [];
  for (const e of fs.readdirSync(root)) {
    const m = /^step-(\d+)$/.exec(e);
    if (!m) continue;
    const dir = path.join(root, e);
    if (fs.existsSync(path.join(dir, STATE_FILE))) found.push({ step: Number(m[1]), dir });
  }
  return found.sort((a, b) => a.step - b.step);
}

/** Remove leftovers of checkpoints that were being written when a process died. */
export function removePartialCheckpoints(out: string): number {
  const root = checkpointsDir(out);
  if (!fs.existsSync(root)) return 0;
  let n = 0;
  for (const e of fs.readdirSync(root)) {
    if (/\.tmp-\d+$/.test(e)) {
      fs.rmSync(path.join(root, e), { recursive: true, force: true });
      n++;
    }
  }
  return n;
}

/** `trainer_state.json` of checkpoint folder `dir`. */
export function readCheckpointState<S extends CheckpointState = CheckpointState>(dir: string): S {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8")) as S;
  } catch (e) {
    throw new MolabError(`${path.join(dir, STATE_FILE)}: unreadable checkpoint state (${(e as Error).message})`);
  }
}

export interface ResumeOptions {
  /** Continue from the newest checkpoint; when false, an output folder that holds checkpoints is an error. */
  resume: boolean;
}

/**
 * Where a run writing to `out` starts: null for a fresh start (no complete checkpoint), or the newest complete
 * checkpoint and its state. Leftovers of checkpoints being written when a process died are removed first. The
 * checkpoint must have been made with the same value of every key of `fingerprint` (keys the checkpoint has
 * beyond those, e.g. summaries, are not compared); otherwise a MolabError names the checkpoint and the setting.
 */
export function resumeFrom<S extends CheckpointState = CheckpointState>(
  out: string,
  fingerprint: Record<string, unknown>,
  o: ResumeOptions,
): { step: number; dir: string; state: S } | null {
  removePartialCheckpoints(out);
  const last = listCheckpoints(out).at(-1);
  if (!last) return null;
  check(
    o.resume,
    `${out} already holds checkpoints of a run; pass resume (CLI: --resume) to continue it, or choose another output folder`,
  );
  const state = readCheckpointState<S>(last.dir);
  const startOver = `delete ${checkpointsDir(out)} to start over, or choose another output folder`;
  const saved = state.fingerprint;
  if (!saved || typeof saved !== "object" || Array.isArray(saved)) {
    throw new MolabError(
      `${last.dir}: cannot resume: the checkpoint's settings (${JSON.stringify(saved)}) are not a record this run can compare, ` +
        `so it may belong to a run with other settings or data; ${startOver}`,
    );
  }
  for (const [k, v] of Object.entries(fingerprint)) {
    if (JSON.stringify(saved[k]) !== JSON.stringify(v)) {
      throw new MolabError(
        `${last.dir}: cannot resume: the checkpoint was made with ${k}=${JSON.stringify(saved[k])}, this run has ${k}=${JSON.stringify(v)} ` +
          `(it belongs to a run with other settings or data); ${startOver}`,
      );
    }
  }
  return { step: state.step, dir: last.dir, state };
}
