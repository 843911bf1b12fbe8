/**
 * What LoRA training adds to the telemetry lines of lib/train/telemetry.ts: `vectors` holds the flattened
 * LoRA A and B of adapters of rank ≤ maxRank (or of the chosen modules), keyed like PEFT's weights without
 * `.weight` ("base_model.model.<module>.lora_A"): the trajectories that the emergent-misalignment analysis
 * (phase transitions, PCA of B) reads.
 */
import type { LoraAdapter } from "./adapter.ts";

export interface TelemetryVectorsOptions {
  /** Record modules whose rank is at most this (default 4). */
  maxRank?: number;
  /** Or exactly these module names (HF names, e.g. model.layers.3.mlp.down_proj). */
  modules?: string[];
}

/** Which adapter modules telemetry records vectors for. */
export function telemetryModules(adapter: LoraAdapter, o: TelemetryVectorsOptions = {}): string[] {
  if (o.modules) return adapter.modules.filter((m) => o.modules!.includes(m.name)).map((m) => m.name);
  const maxRank = o.maxRank ?? 4;
  return adapter.modules.filter((m) => m.r <= maxRank).map((m) => m.name);
}

/** The current A and B of the chosen modules, keyed like PEFT's weights without `.weight`. */
export function telemetryVectors(adapter: LoraAdapter, modules: string[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of adapter.modules) {
    if (!modules.includes(m.name)) continue;
    out[`base_model.model.${m.name}.lora_A`] = Array.from(m.A.dataSync() as Float32Array);
    out[`base_model.model.${m.name}.lora_B`] = Array.from(m.B.dataSync() as Float32Array);
  }
  return out;
}
