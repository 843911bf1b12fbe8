/**
 * What LoRA needs from a decoder, and nothing more. Any model that names its linears by HF module
 * name (`model.layers.3.mlp.down_proj`) and adds an attached delta in its forward,
 *   y = x·Wᵀ (+ b) + scale · (dropout(x)·Aᵀ)·Bᵀ,
 * can carry adapters. Base weights are plain tensors (not tf.Variables), so tf.variableGrads over
 * the adapter's variables never computes their gradients. lib/lora/model_host.ts adapts lib/model.
 */
import type { tf } from "../backend.ts";

/** A low-rank delta on one linear (PEFT layout A [r, in], B [out, r]): the decoder's own type. */
import type { LoraDelta } from "../model/llama.ts";
export type { LoraDelta };

export interface LoraHost {
  /** HF module names of every linear an adapter may target, in model order. */
  linearNames(): string[];
  /** HF weight shape [out, in] of a linear. */
  linearShape(name: string): [number, number];
  /** Attach (or, with undefined, detach) the delta on a linear. */
  setLora(name: string, delta: LoraDelta | undefined): void;
  /** W ← W + delta, delta in HF layout [out, in] (merging an adapter into the base). */
  addToWeight(name: string, delta: tf.Tensor): void;
  /**
   * Logits [batch, seq, vocab] for equal-length rows of ids (right padding is harmless: attention is causal); with
   * `positions` (flat b·seq + t) only those rows, [1, P, vocab].
   */
  forward(ids: number[][], opts?: { training?: boolean; positions?: number[] }): tf.Tensor;
  /** What the checkpoint is (a hub id or a directory), for base_model_name_or_path. */
  readonly nameOrPath?: string;
}
