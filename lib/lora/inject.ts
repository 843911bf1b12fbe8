/**
 * Attaching adapters to a model, merging them into its weights and taking them off again.
 * The forward of an adapted linear is PEFT's: y = base(x) + lora_B(lora_A(dropout(x))) · scale,
 * computed low-rank by the host, so it costs r·(in+out) per token, never a dense in×out delta.
 */
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import type { LoraAdapter } from "./adapter.ts";
import type { LoraHost } from "./host.ts";

export interface AttachOptions {
  /** Training mode: dropout with p = config.lora_dropout, each mask seeded by `seed()` (resumable). */
  train?: { seed: () => number };
}

/** Attach the adapter's deltas to `host`. Returns a function that detaches them. */
export function attachAdapter(host: LoraHost, adapter: LoraAdapter, opts: AttachOptions = {}): () => void {
  const known = new Set(host.linearNames());
  for (const m of adapter.modules) {
    check(known.has(m.name), `adapter module ${m.name} does not exist in the model`);
    const [out, inF] = host.linearShape(m.name);
    check(
      out === m.outFeatures && inF === m.inFeatures,
      `adapter module ${m.name} is [out ${m.outFeatures}, in ${m.inFeatures}] but the model's linear is [out ${out}, in ${inF}]`,
    );
  }
  const p = adapter.config.lora_dropout;
  for (const m of adapter.modules) {
    host.setLora(m.name, {
      A: m.A,
      B: m.B,
      scale: m.scale,
      dropout: opts.train && p > 0 ? p : undefined,
      seed: opts.train?.seed,
    });
  }
  return () => detachAdapter(host, adapter);
}

/** Remove the adapter's deltas (PEFT's unload without merge). */
export function detachAdapter(host: LoraHost, adapter: LoraAdapter): void {
  for (const m of adapter.modules) host.setLora(m.name, undefined);
}

/**
 * Fold the adapter into the base weights, W ← W + scale·B·A, and remove the deltas
 * (PEFT's merge_and_unload). The model then runs at base speed with the organism's behaviour.
 */
export function mergeAndUnload(host: LoraHost, adapter: LoraAdapter): void {
  detachAdapter(host, adapter);
  for (const m of adapter.modules) {
    const delta = tf.tidy(() => tf.mul(tf.matMul(m.B, m.A), m.scale));
    host.addToWeight(m.name, delta);
    delta.dispose();
  }
}

/** Undo a merge: W ← W − scale·B·A (exact up to float rounding). */
export function unmerge(host: LoraHost, adapter: LoraAdapter): void {
  for (const m of adapter.modules) {
    const delta = tf.tidy(() => tf.mul(tf.matMul(m.B, m.A), -m.scale));
    host.addToWeight(m.name, delta);
    delta.dispose();
  }
}
