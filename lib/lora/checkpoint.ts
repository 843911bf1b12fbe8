/**
 * What a LoRA training checkpoint holds, on lib/train's atomic writer (`<out>/checkpoints/step-000120/`): the
 * adapter (PEFT format, loadable as is), the AdamW moments (`optimizer.safetensors`, keyed by the PEFT names of
 * A and B) and `trainer_state.json` (step, settings fingerprint, last losses; data order and dropout seeds are
 * functions of the seed and step, so they need no state).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import { LoraAdapter, peftKey } from "./adapter.ts";
import type { AdamW } from "../train/optim.ts";
import { readCheckpointState, STATE_FILE, writeCheckpointDir, type CheckpointState } from "../train/checkpoint.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";

const OPT_FILE = "optimizer.safetensors";

/** LoRA's `trainer_state.json`: the common fields plus the last losses (the history is in telemetry.jsonl). */
export interface TrainerState extends CheckpointState {
  lastLoss: number | null;
  lastEvalLoss: number | null;
}

/** Write a checkpoint atomically; returns its directory. Keeps the newest `keep` checkpoints. */
export async function saveCheckpoint(
  out: string,
  adapter: LoraAdapter,
  opt: AdamW,
  state: TrainerState,
  keep = 2,
): Promise<string> {
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

/** Load a checkpoint into an existing adapter and optimizer (same modules, same order). */
export async function loadCheckpoint(dir: string, adapter: LoraAdapter, opt: AdamW): Promise<TrainerState> {
  const state = readCheckpointState<TrainerState>(dir);
  const saved = await LoraAdapter.load(dir);
  try {
    const byName = new Map(saved.modules.map((m) => [m.name, m]));
    check(
      saved.modules.length === adapter.modules.length,
      `${dir}: checkpoint has ${saved.modules.length} adapted modules, this run has ${adapter.modules.length}`,
    );
    for (const m of adapter.modules) {
      const s = byName.get(m.name);
      check(
        s && s.A.shape.join() === m.A.shape.join() && s.B.shape.join() === m.B.shape.join(),
        `${dir}: checkpoint does not match this run's adapter at ${m.name}`,
      );
      m.A.assign(s.A);
      m.B.assign(s.B);
    }
  } finally {
    saved.dispose();
  }
  const src = await openSafetensors(path.join(dir, OPT_FILE));
  try {
    const expAvg: tf.Tensor[] = [],
      expAvgSq: tf.Tensor[] = [];
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
