/**
 * Per-step training telemetry, `telemetry.jsonl`, one JSON object a line, whatever is trained:
 *   {"step":N,"loss":x,"grad_norm":x,"lr":x,"tokens":n,"epoch":e}
 * plus "eval_loss" on the steps where the held-out loss was measured and, where a trainer tracks them,
 * "vectors" (flattened parameters by name; lib/lora records LoRA A and B there for the emergent-misalignment
 * analysis). Lines are appended as steps finish; a resumed run first drops the lines of steps after its
 * checkpoint, so the file always describes one uninterrupted run.
 */
import * as fs from "node:fs";
import { MolabError } from "../errors.ts";

export interface TelemetryLine {
  step: number;
  loss: number;
  grad_norm: number;
  lr: number;
  tokens?: number;
  epoch?: number;
  eval_loss?: number;
  vectors?: Record<string, number[]>;
}

/** Append one line (a crash can at worst leave a torn last line, which readers skip). */
export function appendTelemetry(file: string, line: TelemetryLine): void {
  fs.appendFileSync(file, JSON.stringify(line) + "\n");
}

/** Read telemetry.jsonl. A torn last line (a killed writer) is skipped; torn lines elsewhere are errors. */
export function readTelemetry(file: string): TelemetryLine[] {
  if (!fs.existsSync(file)) throw new MolabError(`${file}: no such telemetry file`);
  const lines = fs.readFileSync(file, "utf8").split("\n");
  const out: TelemetryLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i].trim()) continue;
    try {
      out.push(JSON.parse(lines[i]));
    } catch {
      if (i >= lines.length - 2) continue;
      throw new MolabError(`${file}:${i + 1}: invalid telemetry line`);
    }
  }
  return out;
}

/** On resume: keep only lines of steps ≤ `step` (later ones were made after the checkpoint). */
export function truncateTelemetry(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = readTelemetry(file).filter((l) => l.step <= step);
  fs.writeFileSync(file, keep.map((l) => JSON.stringify(l) + "\n").join(""));
}
