/**
 * EM along training: a rank-limited adapter's A and B are in every telemetry line that recorded them, so the
 * organism at step t is the final adapter with step t's vectors put back. {@link emAlongTraining} evaluates it at
 * chosen steps (the same questions, seeds and judge at each), so behaviour can be seen switching near the
 * detected transition without keeping a checkpoint per step.
 */
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import type { TelemetryLine } from "../train/telemetry.ts";
import type { LoraAdapter } from "../lora/adapter.ts";
import type { LocalModel } from "../elicit/local.ts";
import { evalConditions, type ConditionRunOptions } from "./interventions.ts";
import type { RateBlock } from "./rates.ts";

/** Put a telemetry line's vectors into `adapter` (every module must be recorded there). */
export function setTelemetryVectors(adapter: LoraAdapter, vectors: Record<string, number[]>): void {
  for (const m of adapter.modules) {
    const a = vectors[`base_model.model.${m.name}.lora_A`],
      b = vectors[`base_model.model.${m.name}.lora_B`];
    check(a && b, `telemetry has no vectors for ${m.name} (only rank ≤ telemetryMaxRank adapters are recorded)`);
    check(
      a.length === m.r * m.inFeatures && b.length === m.outFeatures * m.r,
      `telemetry vectors of ${m.name} have the wrong size`,
    );
    const ta = tf.tensor2d(a, [m.r, m.inFeatures]),
      tb = tf.tensor2d(b, [m.outFeatures, m.r]);
    m.A.assign(ta);
    m.B.assign(tb);
    tf.dispose([ta, tb]);
  }
}

/** The adapter's current A and B by telemetry key (to restore after {@link setTelemetryVectors}). */
function currentVectors(adapter: LoraAdapter): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of adapter.modules) {
    out[`base_model.model.${m.name}.lora_A`] = Array.from(m.A.dataSync() as Float32Array);
    out[`base_model.model.${m.name}.lora_B`] = Array.from(m.B.dataSync() as Float32Array);
  }
  return out;
}

/** EM rates (held-out questions, else all) of the organism `adapterName` of `lm` at each of `steps`. */
export async function emAlongTraining(
  lm: LocalModel,
  adapterName: string,
  lines: TelemetryLine[],
  steps: number[],
  o: ConditionRunOptions,
): Promise<{ step: number; rates: RateBlock }[]> {
  const a = lm.adapters.get(adapterName);
  check(a, `no adapter named ${adapterName} (served: ${lm.names.join(", ")})`);
  const final = currentVectors(a.adapter);
  const out: { step: number; rates: RateBlock }[] = [];
  try {
    for (const step of steps) {
      const line = lines.find((l) => l.step === step && l.vectors);
      check(line, `telemetry has no vectors at step ${step}`);
      setTelemetryVectors(a.adapter, line.vectors!);
      const r = (await evalConditions(lm, adapterName, [{ name: `step ${step}` }], o))[`step ${step}`];
      out.push({ step, rates: r.rates.bySplit.heldout ?? r.rates.overall });
    }
  } finally {
    setTelemetryVectors(a.adapter, final);
  }
  return out;
}
