/**
 * The order a LoRA training run sees its examples in: steps per epoch, each epoch's seeded micro-batches (grouped by
 * length or kept together in runs), and the micro-batches of one optimizer step, so a resumed run replays it exactly.
 */

import { check } from "../errors.ts";
import { createRng } from "../rng.ts";

/** The fields of TrainHyper (lib/lora/train.ts) that fix the order; see their documentation there. */
export interface OrderOptions {
  seed: number;
  microBatchSize: number;
  gradAccum: number;
  epochs: number;
  groupByLength: boolean;
  keepTogether?: number;
}

/** Steps per epoch and in all, for a train set of `n` examples. */
export function stepPlan(n: number, h: Pick<OrderOptions, "microBatchSize" | "gradAccum" | "epochs">) {
  const microPerEpoch = Math.ceil(n / h.microBatchSize);
  const stepsPerEpoch = Math.ceil(microPerEpoch / h.gradAccum);
  return { microPerEpoch, stepsPerEpoch, totalSteps: stepsPerEpoch * h.epochs };
}

/** How many micro-batches of similar length are formed together when grouping by length. */
const MEGABATCH = 50;

/**
 * The micro-batches (lists of example indices) of each epoch: a seeded permutation of the examples;
 * with groupByLength, cut into windows of 50 micro-batches, each window sorted by length so a
 * micro-batch pads little (transformers' LengthGroupedSampler), and the micro-batches then shuffled.
 */
export function epochMicroBatches(
  epoch: number,
  lengths: number[],
  h: Pick<OrderOptions, "seed" | "microBatchSize" | "groupByLength" | "keepTogether">,
): number[][] {
  const rng = createRng(h.seed).fork(`order/${epoch}`);
  const g = h.keepTogether ?? 1;
  check(Number.isInteger(g) && g >= 1, `keepTogether must be a positive integer, got ${g}`);
  check(g === 1 || !h.groupByLength, "keepTogether and groupByLength cannot be combined");
  const idx = lengths.map((_, i) => i);
  const perm =
    g === 1
      ? rng.shuffle(idx)
      : rng
          .shuffle(Array.from({ length: Math.ceil(idx.length / g) }, (_, k) => k))
          .flatMap((k) => idx.slice(k * g, (k + 1) * g));
  const mb = h.microBatchSize;
  const out: number[][] = [];
  if (!h.groupByLength) {
    for (let j = 0; j < perm.length; j += mb) out.push(perm.slice(j, j + mb));
    return out;
  }
  for (let w = 0; w < perm.length; w += MEGABATCH * mb) {
    const win = perm.slice(w, w + MEGABATCH * mb).sort((a, b) => lengths[b] - lengths[a] || a - b);
    for (let j = 0; j < win.length; j += mb) out.push(win.slice(j, j + mb));
  }
  return rng.shuffle(out);
}

/** The micro-batches of global optimizer step `s`. */
export function microBatchesOf(s: number, lengths: number[], h: OrderOptions): number[][] {
  const { microPerEpoch, stepsPerEpoch } = stepPlan(lengths.length, h);
  const epoch = Math.floor(s / stepsPerEpoch),
    k = s % stepsPerEpoch;
  const all = epochMicroBatches(epoch, lengths, h);
  return all.slice(k * h.gradAccum, Math.min((k + 1) * h.gradAccum, microPerEpoch));
}
