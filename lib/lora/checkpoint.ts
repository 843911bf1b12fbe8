/**
 * Training checkpoints: `<out>/checkpoints/step-000120/` holding the adapter (PEFT format, loadable
 * as is), the AdamW moments (`optimizer.safetensors`) and `trainer_state.json` (step, settings
 * fingerprint; data order and dropout seeds are functions of the seed and step, so they need no state). A checkpoint is written into a hidden `*.tmp-<pid>` folder, fsynced, then
 * renamed into place, so a reader (or a resume after SIGKILL) only ever sees complete checkpoints.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError, check } from "../errors.ts";
import { LoraAdapter, peftKey } from "./adapter.ts";
import type { AdamW } from "../train/optim.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";

export const STATE_FILE = "trainer_state.json";
const OPT_FILE = "optimizer.safetensors";

export interface TrainerState {
  /** Optimizer steps done. */
  step: number;
  /** Settings that must match on resume (data hash, hyperparameters). */
  fingerprint: Record<string, unknown>;
  /** Loss history of the steps so far is in telemetry.jsonl; these are summaries. */
  lastLoss: number | null;
  lastEvalLoss: number | null;
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
export async function writeCheckpointDir(out: string, step: number, fill: (tmp: string) => Promise<void>, keep = 2): Promise<string> {
  const root = checkpointsDir(out);
  fs.mkdirSync(root, { recursive: true });
  const final = path.join(root, `step-${String(step).padStart(6, "0")}`);
  const tmp = `${final}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp);
  await fill(tmp);
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

/** Write a checkpoint atomically; returns its directory. Keeps the newest `keep` checkpoints. */
export async function saveCheckpoint(out: string, adapter: LoraAdapter, opt: AdamW, state: TrainerState, keep = 2): Promise<string> {
  return writeCheckpointDir(
    out,
    state.step,
    async (tmp) => {
      await adapter.save(tmp);
      const st = opt.state();
      const tensors: Record<string, tf.Tensor> = {};
      adapter.modules.forEach((m, i) => {
        tensors[`exp_avg.${peftKey(m.name, "A")}`] = st.expAvg[2 * i];
        tensors[`exp_avg_sq.${peftKey(m.name, "A")}`] = st.expAvgSq[2 * i];
        tensors[`exp_avg.${peftKey(m.name, "B")}`] = st.expAvg[2 * i + 1];
        tensors[`exp_avg_sq.${peftKey(m.name, "B")}`] = st.expAvgSq[2 * i + 1];
      });
      await writeSafetensors(path.join(tmp, OPT_FILE), tensors, { metadata: { step: String(st.step) } });
      fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state, null, 2) + "\n");
    },
    keep,
  );
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

/** Load a checkpoint into an existing adapter and optimizer (same modules, same order). */
export async function loadCheckpoint(dir: string, adapter: LoraAdapter, opt: AdamW): Promise<TrainerState> {
  let state: TrainerState;
  try {
    state = JSON.parse(fs.readFileSync(path.join(dir, STATE_FILE), "utf8"));
  } catch (e) {
    throw new MolabError(`${path.join(dir, STATE_FILE)}: unreadable checkpoint state (${(e as Error).message})`);
  }
  const saved = await LoraAdapter.load(dir);
  try {
    const byName = new Map(saved.modules.map((m) => [m.name, m]));
    check(saved.modules.length === adapter.modules.length, `${dir}: checkpoint has ${saved.modules.length} adapted modules, this run has ${adapter.modules.length}`);
    for (const m of adapter.modules) {
      const s = byName.get(m.name);
      check(s && s.A.shape.join() === m.A.shape.join() && s.B.shape.join() === m.B.shape.join(), `${dir}: checkpoint does not match this run's adapter at ${m.name}`);
      m.A.assign(s.A);
      m.B.assign(s.B);
    }
  } finally {
    saved.dispose();
  }
  const src = await openSafetensors(path.join(dir, OPT_FILE));
  try {
    const expAvg: tf.Tensor[] = [], expAvgSq: tf.Tensor[] = [];
    for (const m of adapter.modules) {
      for (const w of ["A", "B"] as const) {
        const k = peftKey(m.name, w);
        check(src.has(`exp_avg.${k}`) && src.has(`exp_avg_sq.${k}`), `${dir}/${OPT_FILE}: no optimizer state for ${k}`);
        expAvg.push(await src.readTensor(`exp_avg.${k}`));
        expAvgSq.push(await src.readTensor(`exp_avg_sq.${k}`));
      }
    }
    opt.loadState({ step: Number(src.metadata.step ?? state.step), expAvg, expAvgSq });
  } finally {
    await src.close();
  }
  return state;
}
