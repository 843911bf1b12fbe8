/**
 * The LoRA training loop: seeded data order, padded micro-batches with gradient accumulation,
 * loss on assistant tokens only (averaged over all target tokens of an optimizer step), gradient
 * clipping, AdamW with a warmup schedule, held-out eval, telemetry per step, atomic checkpoints
 * every N steps and exact resume (adapter, optimizer moments, RNG, step). A NaN/Inf loss or gradient
 * stops the run with a MolabError before the update, leaving the last good checkpoint in place.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { createRng } from "../rng.ts";
import { MolabError, check } from "../errors.ts";
import type { LoraAdapter } from "./adapter.ts";
import { loadCheckpoint, saveCheckpoint, type TrainerState } from "./checkpoint.ts";
import type { Example } from "./examples.ts";
import type { LoraHost } from "./host.ts";
import { attachAdapter } from "./inject.ts";
import { batchTargets, weightedCrossEntropy } from "../train/loss.ts";
import { AdamW, clipGradNorm, lrMultiplier, type ScheduleName } from "../train/optim.ts";
import { ProgressBar, type ProgressStream } from "../train/progress.ts";
import { listCheckpoints, resumeFrom } from "../train/checkpoint.ts";
import { appendTelemetry, truncateTelemetry, type TelemetryLine } from "../train/telemetry.ts";
import { telemetryModules, telemetryVectors } from "./telemetry.ts";
import { microBatchesOf, stepPlan } from "./order.ts";

export interface TrainHyper {
  lr: number;
  epochs: number;
  schedule: ScheduleName;
  /** Warmup optimizer steps; if absent, ceil(warmupRatio · total steps). */
  warmupSteps?: number;
  warmupRatio?: number;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** clip_grad_norm_ max norm (0: no clipping). */
  maxGradNorm: number;
  microBatchSize: number;
  gradAccum: number;
  /** Form micro-batches of similar length (less padding; transformers' group_by_length). */
  groupByLength: boolean;
  /**
   * Keep runs of this many consecutive examples together (default 1; not with groupByLength): the epoch order
   * shuffles the runs, not the examples, so a run (e.g. a contrastive pair) lands in one micro-batch when it
   * divides the micro-batch size.
   */
  keepTogether?: number;
  seed: number;
  /** Evaluate the held-out split every N steps (0: only at the start and the end). */
  evalEvery: number;
  /** Checkpoint every N steps (0: only at the end). */
  saveEvery: number;
  keepCheckpoints: number;
  /** Telemetry vectors for adapters of rank ≤ this, or for the listed modules. */
  telemetryMaxRank: number;
  telemetryModules?: string[];
  /** Record the vectors every N steps (and at the last step); 1 (default) records every step. */
  telemetryEvery?: number;
}

export const DEFAULT_HYPER: TrainHyper = {
  lr: 2e-5,
  epochs: 3,
  schedule: "linear",
  warmupSteps: 0,
  weightDecay: 0.0,
  betas: [0.9, 0.999],
  eps: 1e-8,
  maxGradNorm: 1.0,
  microBatchSize: 4,
  gradAccum: 1,
  groupByLength: false,
  seed: 0,
  evalEvery: 0,
  saveEvery: 50,
  keepCheckpoints: 2,
  telemetryMaxRank: 4,
};

export interface TrainRunOptions {
  /** Output folder: telemetry.jsonl, checkpoints/, and the final adapter. */
  out: string;
  resume?: boolean;
  /** Progress bar target (default: process.stderr; false: silent). */
  progress?: ProgressStream | false;
  /** Extra settings that must match on resume (e.g. the data file's hash). */
  fingerprint?: Record<string, unknown>;
  /** Called after every optimizer step (notebooks plot from it). */
  onStep?: (line: TelemetryLine) => void;
  /** Stop after this many optimizer steps of this call (the schedule still spans the whole run). */
  stopAfter?: number;
}

export interface TrainResult {
  steps: number;
  totalSteps: number;
  resumedFrom: number | null;
  firstLoss: number | null;
  lastLoss: number | null;
  evalLossStart: number | null;
  evalLossEnd: number | null;
  trainTokens: number;
  seconds: number;
  tokensPerSecond: number;
  warmupSteps: number;
}

function padBatch(exs: Example[]): { ids: number[][]; mask: number[][]; tokens: number } {
  const T = Math.max(...exs.map((e) => e.ids.length));
  let tokens = 0;
  const ids = exs.map((e) => {
    tokens += e.ids.length;
    return [...e.ids, ...new Array(T - e.ids.length).fill(0)];
  });
  const mask = exs.map((e) => [...e.mask, ...new Array(T - e.mask.length).fill(0)]);
  return { ids, mask, tokens };
}

/** Total target weight of `exs` (the number of target tokens when every mask value is 0 or 1). */
function targetCount(exs: Example[]): number {
  let c = 0;
  for (const e of exs) for (let t = 1; t < e.mask.length; t++) c += e.mask[t];
  return c;
}

/** Summed CE of a padded batch with weights `scale` per target token (call inside a tidy/variableGrads scope). */
function batchLoss(
  host: LoraHost,
  b: { ids: number[][]; mask: number[][] },
  scale: number,
  training: boolean,
): tf.Scalar {
  // logits only where a target is learned (prompt and padding positions skip the final norm, lm_head and loss)
  const { positions, targets, weights } = batchTargets(b.ids, b.mask, scale);
  const logits = host.forward(b.ids, { training, positions });
  const V = logits.shape[logits.rank - 1];
  return weightedCrossEntropy(tf.reshape(logits, [positions.length, V]) as tf.Tensor2D, targets, weights);
}

/**
 * Loss and summed gradients (in adapter.variables() order) of one optimizer step made of
 * micro-batches; every assistant token of the step weighs 1/(their total), so the result equals
 * one big batch's mean token loss whatever the split. `tokens` counts real (unpadded) tokens.
 */
export function accumulateGradients(
  host: LoraHost,
  adapter: LoraAdapter,
  micro: Example[][],
): { loss: number; grads: tf.Tensor[]; tokens: number } {
  const nTargets = micro.reduce((a, exs) => a + targetCount(exs), 0);
  let grads: tf.Tensor[] = [];
  let loss = 0,
    tokens = 0;
  const vars = adapter.variables();
  for (const exs of micro) {
    if (targetCount(exs) === 0) continue;
    const b = padBatch(exs);
    tokens += b.tokens;
    const { value, grads: g } = tf.variableGrads(() => batchLoss(host, b, 1 / nTargets, true), vars);
    loss += value.dataSync()[0];
    value.dispose();
    const list = vars.map((v) => g[v.name]);
    if (!grads.length) grads = list;
    else {
      const sum: tf.Tensor[] = grads.map((a, i) => tf.add(a, list[i]));
      tf.dispose([...grads, ...list]);
      grads = sum;
    }
  }
  return { loss, grads, tokens };
}

/**
 * wasm32 keeps every tensor in one 4 GiB heap; running past it throws an opaque "memory access out of
 * bounds". Turn that into an error that says what to change.
 */
function guardHeap<T>(step: number, micro: Example[][], f: () => T, out: string): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && /memory access out of bounds|Out of memory|Cannot enlarge memory/i.test(e.message)) {
      const longest = Math.max(...micro.flat().map((x) => x.ids.length));
      const last = listCheckpoints(out).pop();
      throw new MolabError(
        `step ${step}: the backend ran out of memory on a micro-batch of ${micro[0]?.length ?? 0} × ` +
          `${longest} tokens (the wasm backend holds all tensors in 4 GiB); ` +
          `lower the micro-batch size (--batch) or the maximum sequence length (--max-seq-len) and resume` +
          (last ? ` from ${last.dir}` : ""),
        { cause: e },
      );
    }
    throw e;
  }
}

/** Mean next-token loss on assistant tokens of `exs` (no gradients). */
export function evaluateLoss(host: LoraHost, exs: Example[], batchSize: number): number {
  let sum = 0,
    count = 0;
  for (let i = 0; i < exs.length; i += batchSize) {
    const chunk = exs.slice(i, i + batchSize);
    const n = targetCount(chunk);
    if (n === 0) continue;
    sum += tf.tidy(() => batchLoss(host, padBatch(chunk), 1, false).dataSync()[0]);
    count += n;
  }
  return count ? sum / count : NaN;
}

/**
 * Train `adapter` on `host` (the adapter is attached for the run and detached at the end).
 * Writes `<out>/telemetry.jsonl` and `<out>/checkpoints/`; the caller saves the final adapter.
 */
export async function trainLora(
  host: LoraHost,
  adapter: LoraAdapter,
  data: { train: Example[]; eval: Example[] },
  hyper: Partial<TrainHyper>,
  run: TrainRunOptions,
): Promise<TrainResult> {
  const h: TrainHyper = { ...DEFAULT_HYPER, ...hyper };
  check(data.train.length > 0, "training set is empty");
  check(
    Number.isInteger(h.microBatchSize) && h.microBatchSize >= 1,
    `micro-batch size must be a positive integer, got ${h.microBatchSize}`,
  );
  check(
    Number.isInteger(h.gradAccum) && h.gradAccum >= 1,
    `gradient accumulation must be a positive integer, got ${h.gradAccum}`,
  );
  check(Number.isInteger(h.epochs) && h.epochs >= 1, `epochs must be a positive integer, got ${h.epochs}`);
  check(
    h.telemetryEvery === undefined || (Number.isInteger(h.telemetryEvery) && h.telemetryEvery >= 1),
    `telemetryEvery must be a positive integer, got ${h.telemetryEvery}`,
  );
  for (const [i, e] of data.train.entries())
    check(
      e.ids.length === e.mask.length && e.ids.length >= 2,
      `training example ${e.line ?? i}: ids and mask must have the same length ≥ 2`,
    );
  const n = data.train.length;
  const lengths = data.train.map((e) => e.ids.length);
  const { totalSteps, stepsPerEpoch } = stepPlan(n, h);
  const warmup = h.warmupSteps ?? Math.ceil((h.warmupRatio ?? 0) * totalSteps);
  fs.mkdirSync(run.out, { recursive: true });
  const telemetryFile = path.join(run.out, "telemetry.jsonl");
  const fingerprint = {
    ...run.fingerprint,
    n_train: n,
    n_eval: data.eval.length,
    lr: h.lr,
    epochs: h.epochs,
    schedule: h.schedule,
    warmup,
    weight_decay: h.weightDecay,
    betas: h.betas,
    eps: h.eps,
    max_grad_norm: h.maxGradNorm,
    micro_batch: h.microBatchSize,
    grad_accum: h.gradAccum,
    group_by_length: h.groupByLength,
    ...(h.keepTogether !== undefined && h.keepTogether !== 1 ? { keep_together: h.keepTogether } : {}),
    seed: h.seed,
    modules: adapter.modules.map((m) => `${m.name}:${m.r}`).join(","),
  };

  const resumed = resumeFrom<TrainerState>(run.out, fingerprint, { resume: run.resume === true });
  const opt = new AdamW(adapter.variables(), { lr: h.lr, betas: h.betas, eps: h.eps, weightDecay: h.weightDecay });
  // Dropout masks: seeds drawn from a stream fixed by (seed, step), so a resumed run draws what an uninterrupted one does.
  let dropout = createRng(h.seed).fork("dropout/0");
  let start = 0,
    resumedFrom: number | null = null;
  let evalLossStart: number | null = null;
  if (resumed) {
    await loadCheckpoint(resumed.dir, adapter, opt);
    start = resumedFrom = resumed.step;
    evalLossStart = (resumed.state.fingerprint.eval_loss_start as number | null) ?? null;
    truncateTelemetry(telemetryFile, resumed.step);
  } else if (fs.existsSync(telemetryFile)) fs.rmSync(telemetryFile);

  const detach = attachAdapter(host, adapter, { train: { seed: () => dropout.int(2 ** 32) } });
  const vecModules = telemetryModules(adapter, { maxRank: h.telemetryMaxRank, modules: h.telemetryModules });
  const stream = run.progress === false ? undefined : (run.progress ?? process.stderr);
  const bar = stream ? new ProgressBar(totalSteps, start, stream) : undefined;
  const t0 = Date.now();
  let trainTokens = 0,
    firstLoss: number | null = null,
    lastLoss: number | null = null,
    lastEval: number | null = null;
  const evalNow = () => (data.eval.length ? evaluateLoss(host, data.eval, h.microBatchSize) : null);
  try {
    if (evalLossStart === null) evalLossStart = evalNow();
    const endStep = run.stopAfter !== undefined ? Math.min(totalSteps, start + run.stopAfter) : totalSteps;
    for (let s = start; s < endStep; s++) {
      dropout = createRng(h.seed).fork(`dropout/${s}`);
      const micro = microBatchesOf(s, lengths, h).map((idx) => idx.map((i) => data.train[i]));
      const { loss, grads, tokens } = guardHeap(s + 1, micro, () => accumulateGradients(host, adapter, micro), run.out);
      check(grads.length, `step ${s + 1}: no assistant tokens in its batch`);
      const { grads: clipped, norm } = clipGradNorm(grads, h.maxGradNorm);
      tf.dispose(grads);
      if (!Number.isFinite(loss) || !Number.isFinite(norm)) {
        tf.dispose(clipped);
        const last = listCheckpoints(run.out).pop();
        throw new MolabError(
          `step ${s + 1}: ${!Number.isFinite(loss) ? `loss is ${loss}` : `gradient norm is ${norm}`}; training stopped before applying this update. ` +
            (last
              ? `The last good checkpoint is ${last.dir} (step ${last.step}); `
              : "No checkpoint was written yet; ") +
            `lower the learning rate or check the data, then resume.`,
        );
      }
      const lr = h.lr * lrMultiplier(h.schedule, s, warmup, totalSteps);
      opt.lr = lr;
      opt.step(clipped);
      tf.dispose(clipped);
      trainTokens += tokens;
      firstLoss ??= loss;
      lastLoss = loss;
      const step = s + 1;
      const line: TelemetryLine = { step, loss, grad_norm: norm, lr, tokens, epoch: Math.floor(s / stepsPerEpoch) + 1 };
      const doEval = data.eval.length > 0 && ((h.evalEvery > 0 && step % h.evalEvery === 0) || step === totalSteps);
      if (doEval) line.eval_loss = lastEval = evalNow() ?? NaN;
      const every = h.telemetryEvery ?? 1;
      if (vecModules.length && (step % every === 0 || step === totalSteps))
        line.vectors = telemetryVectors(adapter, vecModules);
      appendTelemetry(telemetryFile, line);
      run.onStep?.(line);
      bar?.update(step, loss, tokens, doEval ? `eval ${lastEval!.toFixed(4)}` : "");
      if ((h.saveEvery > 0 && step % h.saveEvery === 0) || step === totalSteps) {
        const state: TrainerState = {
          step,
          fingerprint: { ...fingerprint, eval_loss_start: evalLossStart },
          lastLoss: loss,
          lastEvalLoss: lastEval,
          savedAt: new Date().toISOString(),
        };
        await saveCheckpoint(run.out, adapter, opt, state, h.keepCheckpoints);
      }
      await new Promise((r) => setImmediate(r)); // let signals and notebook output through
    }
  } finally {
    detach();
    opt.dispose();
  }
  const seconds = (Date.now() - t0) / 1000;
  return {
    steps: run.stopAfter !== undefined ? Math.min(totalSteps, start + run.stopAfter) : totalSteps,
    totalSteps,
    resumedFrom,
    firstLoss,
    lastLoss,
    evalLossStart,
    evalLossEnd: lastEval,
    trainTokens,
    seconds,
    tokensPerSecond: seconds > 0 ? trainTokens / seconds : 0,
    warmupSteps: warmup,
  };
}
