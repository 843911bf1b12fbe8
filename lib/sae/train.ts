/**
 * SAE training on a model's activations, on lib/train (AdamW, warmup schedule, atomic fingerprinted checkpoints,
 * telemetry, progress):
 * - TopK (Gao et al. 2024): acts = ReLU(pre) on the k largest pre-activations; loss = Σ‖e‖²/n + α·AuxK·V, where
 *   e = x − x̂, V = Σ‖x − x̄‖²/n (the batch's variance per token) and AuxK = min(1, #dead/k_aux)·Σ‖ê − e‖²/Σ‖e‖²,
 *   ê = W_decᵀ·ReLU(the top k_aux (= d_in/2) dead latents' pre-activations), e detached. Divided by V this is
 *   FVU + α·AuxK: OpenAI's pair of normalized losses (sparse_autoencoder: the AuxK error relative to the residual it
 *   models), where sparsify divides both terms by the batch variance. The ReLU is OpenAI's and sparsify's (SAELens
 *   omits it); without it a dead latent can fit the residual with negative scores, pushing its encoder further from
 *   firing. α = 1/32; a latent is dead when it fired on none of the last `deadWindow` tokens.
 * - ReLU (standard): acts = ReLU(pre); loss = Σ‖x − x̂‖²/n + λ·Σ acts·‖W_dec[i]‖/n (SAELens' L1).
 * Both keep the decoder rows unit-norm: the gradient's component along each row is removed before the update and
 * the rows are renormalized after it. Init: unit random decoder rows, W_enc = W_decᵀ, b_enc = 0, b_dec = the mean
 * of the first buffer. Activations are scaled by s = √d_in / E‖x‖ (estimated on the first buffer) for training;
 * s is folded into the weights at the end, so the saved SAE (SAELens v6) reads raw activations.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError, check } from "../errors.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";
import { createRng } from "../rng.ts";
import { AdamW, lrMultiplier, type ScheduleName } from "../train/optim.ts";
import {
  readCheckpointState,
  resumeFrom,
  STATE_FILE,
  writeCheckpointDir,
  type CheckpointState,
} from "../train/checkpoint.ts";
import { appendTelemetry, truncateTelemetry, type TelemetryLine } from "../train/telemetry.ts";
import { ProgressBar, type ProgressStream } from "../train/progress.ts";
import type { SaeConfig } from "./config.ts";
import { makeSae, type Sae } from "./sae.ts";
import type { ActivationSource } from "./store.ts";

export interface SaeTrainOptions {
  architecture: "topk" | "standard";
  d_sae: number;
  /** topk: latents per token. */
  k?: number;
  /** standard: L1 coefficient λ (default 5). */
  l1?: number;
  steps: number;
  lr?: number;
  /** Warmup steps (default 5% of steps). */
  warmup?: number;
  schedule?: ScheduleName;
  /** AuxK coefficient α (default 1/32; 0 turns AuxK off). */
  auxkAlpha?: number;
  /** A latent is dead after this many tokens without firing (default 100,000). */
  deadWindow?: number;
  seed?: number;
  /** Scale activations to E‖x‖ = √d_in while training (default true). */
  normalize?: boolean;
}

export interface SaeRunOptions {
  /** telemetry.jsonl and checkpoints/ go here. */
  out: string;
  resume?: boolean;
  /** Checkpoint every N steps (default 100; and at the last step). */
  saveEvery?: number;
  /** Settings that must match on resume besides the hyperparameters (the data's hash, the model). */
  fingerprint?: Record<string, unknown>;
  progress?: ProgressStream | false;
  /** Stop after this many steps of this call (the schedule still spans `steps`). */
  stopAfter?: number;
  onStep?: (line: SaeTelemetryLine) => void;
}

export interface SaeTelemetryLine extends TelemetryLine {
  mse: number;
  auxk: number;
  l1: number;
  l0: number;
  fve: number;
  dead_fraction: number;
}

export interface SaeTrainResult {
  /** The trained SAE, normalization folded in (reads raw activations); the caller disposes it. */
  sae: Sae;
  steps: number;
  resumedFrom: number | null;
  /** s: activations were multiplied by it while training. */
  scale: number;
  /** Tokens since each latent last fired, at the end. */
  tokensSinceFired: number[];
  deadFraction: number;
  history: SaeTelemetryLine[];
  seconds: number;
}

interface SaeState extends CheckpointState {
  scale: number;
  tokensSinceFired: number[];
}

const NAMES = ["W_enc", "b_enc", "W_dec", "b_dec"] as const;

/** A tensor with the values of `t` and no gradient path back to it. */
const detached = (t: tf.Tensor) => tf.tensor(t.dataSync() as Float32Array, t.shape);

/** Rows of W [d_sae, d_in] scaled to unit norm. */
export const unitRows = (W: tf.Tensor) => tf.tidy(() => tf.div(W, tf.add(tf.norm(W, "euclidean", 1, true), 1e-12)));

/** Remove from the decoder's gradient its component along each (unit) decoder row. */
function projectOutParallel(g: tf.Tensor, W: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(g, tf.mul(tf.sum(tf.mul(g, W), 1, true), W)));
}

/** The settings, checked, with defaults. */
function settle(o: SaeTrainOptions, d_in: number) {
  check(
    o.architecture === "topk" || o.architecture === "standard",
    `architecture must be topk or standard, got ${o.architecture}`,
  );
  check(Number.isInteger(o.d_sae) && o.d_sae > 0, `d_sae must be a positive integer, got ${o.d_sae}`);
  check(Number.isInteger(o.steps) && o.steps > 0, `steps must be a positive integer, got ${o.steps}`);
  if (o.architecture === "topk")
    check(Number.isInteger(o.k) && o.k! > 0 && o.k! <= o.d_sae, `k must be an integer in 1..${o.d_sae}, got ${o.k}`);
  const s = {
    architecture: o.architecture,
    d_in,
    d_sae: o.d_sae,
    k: o.architecture === "topk" ? o.k! : null,
    l1: o.architecture === "standard" ? (o.l1 ?? 5) : 0,
    steps: o.steps,
    lr: o.lr ?? 4e-4,
    warmup: o.warmup ?? Math.ceil(0.05 * o.steps),
    schedule: o.schedule ?? ("linear" as ScheduleName),
    auxk_alpha: o.architecture === "topk" ? (o.auxkAlpha ?? 1 / 32) : 0,
    dead_window: o.deadWindow ?? 100_000,
    seed: o.seed ?? 0,
    normalize: o.normalize ?? true,
  };
  check(s.lr > 0 && Number.isFinite(s.lr), `lr must be a positive number, got ${s.lr}`);
  return s;
}

/** Train an SAE on `store`'s activations. Writes `<out>/telemetry.jsonl` and `<out>/checkpoints/`. */
export async function trainSae(
  store: ActivationSource,
  opts: SaeTrainOptions,
  run: SaeRunOptions,
): Promise<SaeTrainResult> {
  const h = settle(opts, store.d);
  const { d_in, d_sae } = h;
  const n = store.batchTokens;
  fs.mkdirSync(run.out, { recursive: true });
  const telemetryFile = path.join(run.out, "telemetry.jsonl");
  const fingerprint = {
    ...run.fingerprint,
    ...h,
    hook: store.hook,
    batch_tokens: n,
    buffer_tokens: store.bufferTokens,
    epoch_tokens: store.epochTokens,
  };
  const resumed = resumeFrom<SaeState>(run.out, fingerprint, { resume: run.resume === true });

  // init (also on resume, then overwritten: keeps the RNG use identical)
  const rng = createRng(h.seed).fork("init");
  const W0 = Float32Array.from({ length: d_sae * d_in }, () => rng.normal());
  const first = store.batchData(0);
  let scale = 1;
  if (h.normalize) {
    let norms = 0;
    for (let r = 0; r < n; r++) norms += Math.hypot(...first.subarray(r * d_in, (r + 1) * d_in));
    scale = Math.sqrt(d_in) / (norms / n);
    check(Number.isFinite(scale) && scale > 0, `${store.hook}: activations have zero norm; nothing to train on`);
  }
  const mean = new Float32Array(d_in);
  for (let r = 0; r < n; r++) for (let j = 0; j < d_in; j++) mean[j] += (first[r * d_in + j] * scale) / n;
  const vars = tf.tidy(() => {
    const Wd = unitRows(tf.tensor2d(W0, [d_sae, d_in]));
    return {
      W_enc: tf.variable(tf.transpose(Wd)),
      b_enc: tf.variable(tf.zeros([d_sae])),
      W_dec: tf.variable(Wd),
      b_dec: tf.variable(tf.tensor1d(mean)),
    };
  });
  const params = NAMES.map((k) => vars[k]) as tf.Variable[];
  const opt = new AdamW(params, { lr: h.lr, weightDecay: 0, betas: [0.9, 0.999] });
  let since = new Array<number>(d_sae).fill(0);
  let start = 0;
  if (resumed) {
    const st = await loadSaeCheckpoint(resumed.dir, params, opt);
    scale = st.scale;
    since = st.tokensSinceFired.slice();
    start = resumed.step;
    truncateTelemetry(telemetryFile, start);
  } else if (fs.existsSync(telemetryFile)) fs.rmSync(telemetryFile);

  const stream = run.progress === false ? undefined : (run.progress ?? process.stderr);
  const bar = stream ? new ProgressBar(h.steps, start, stream) : undefined;
  const history: SaeTelemetryLine[] = [];
  const t0 = Date.now();
  const end = run.stopAfter !== undefined ? Math.min(h.steps, start + run.stopAfter) : h.steps;
  const kAux = Math.max(1, Math.floor(d_in / 2));
  try {
    for (let s = start; s < end; s++) {
      const deadMask: number[] = since.map((t) => (t >= h.dead_window ? 1 : 0));
      const numDead = deadMask.reduce((a, b) => a + b, 0);
      const x = tf.tidy(() => tf.mul(tf.tensor2d(store.batchData(s), [n, d_in]), scale) as tf.Tensor2D);
      const xs = x.dataSync();
      const variance = varianceTotal(xs, n, d_in);
      const parts: Record<string, tf.Tensor> = {};
      const { value, grads } = tf.variableGrads(() => {
        const sae_in = tf.sub(x, vars.b_dec);
        const pre = tf.add(tf.matMul(sae_in, vars.W_enc), vars.b_enc) as tf.Tensor2D;
        const preC = detached(pre);
        let mask: tf.Tensor;
        if (h.k !== null) {
          const kth = tf.slice(tf.topk(preC, h.k).values, [0, h.k - 1], [-1, 1]);
          mask = tf.cast(tf.logicalAnd(tf.greaterEqual(preC, kth), tf.greater(preC, 0)), "float32");
        } else mask = tf.cast(tf.greater(preC, 0), "float32");
        const acts = tf.mul(pre, mask);
        const xhat = tf.add(tf.matMul(acts, vars.W_dec), vars.b_dec);
        const mse = tf.div(tf.sum(tf.square(tf.sub(xhat, x))), n);
        let loss: tf.Tensor = mse;
        parts.mse = tf.keep(mse.clone());
        parts.fired = tf.keep(tf.sum(mask, 0));
        parts.xhat = tf.keep(detached(xhat));
        if (h.l1 > 0) {
          const l1 = tf.div(tf.sum(tf.mul(acts, tf.norm(vars.W_dec, "euclidean", 1))), n);
          parts.l1 = tf.keep(l1.clone());
          loss = tf.add(loss, tf.mul(l1, h.l1));
        }
        if (h.auxk_alpha > 0 && numDead > 0) {
          const ka = Math.min(kAux, numDead);
          const dead = tf.tensor1d(deadMask, "float32");
          const scores = tf.add(tf.mul(preC, dead), tf.mul(tf.sub(dead, 1), 1e30));
          const kth = tf.slice(tf.topk(scores, ka).values, [0, ka - 1], [-1, 1]);
          // SAELens: the dead latents' pre-activations as they are (no ReLU), so latents with negative scores learn too
          const auxMask = tf.cast(tf.logicalAnd(tf.greaterEqual(scores, kth), tf.greater(dead, 0)), "float32");
          const residual = tf.sub(x, parts.xhat);
          const energy = Math.max(tf.sum(tf.square(residual)).dataSync()[0], 1e-12);
          const ehat = tf.matMul(tf.mul(tf.relu(pre), auxMask), vars.W_dec);
          const aux = tf.mul(tf.div(tf.sum(tf.square(tf.sub(ehat, residual))), energy), Math.min(1, numDead / kAux));
          parts.auxk = tf.keep(aux.clone());
          loss = tf.add(loss, tf.mul(aux, (h.auxk_alpha * variance) / n));
        }
        return loss as tf.Scalar;
      }, params);
      const loss = value.dataSync()[0];
      value.dispose();
      const gs = params.map((p) => grads[p.name]);
      if (!Number.isFinite(loss)) {
        tf.dispose([x, ...gs, ...Object.values(parts)]);
        throw new MolabError(`step ${s + 1}: SAE loss is ${loss}; lower the learning rate (--lr) and resume`);
      }
      const gDec = projectOutParallel(gs[2], vars.W_dec);
      gs[2].dispose();
      gs[2] = gDec;
      const lr = h.lr * lrMultiplier(h.schedule, s, h.warmup, h.steps);
      opt.lr = lr;
      opt.step(gs);
      const gradNorm = tf.tidy(() => Math.sqrt(gs.reduce((a, g) => a + tf.sum(tf.square(g)).dataSync()[0], 0)));
      tf.dispose(gs);
      const renorm = unitRows(vars.W_dec);
      vars.W_dec.assign(renorm);
      renorm.dispose();
      // dead-latent counters and metrics of this batch
      const fired = parts.fired.dataSync();
      let l0 = 0;
      for (let i = 0; i < d_sae; i++) {
        l0 += fired[i];
        since[i] = fired[i] > 0 ? 0 : Math.min(since[i] + n, 2 ** 31);
      }
      const fve = 1 - (parts.mse.dataSync()[0] * n) / variance;
      const line: SaeTelemetryLine = {
        step: s + 1,
        loss,
        grad_norm: gradNorm,
        lr,
        tokens: n,
        mse: parts.mse.dataSync()[0],
        auxk: parts.auxk?.dataSync()[0] ?? 0,
        l1: parts.l1?.dataSync()[0] ?? 0,
        l0: l0 / n,
        fve,
        dead_fraction: since.filter((t) => t >= h.dead_window).length / d_sae,
      };
      tf.dispose([x, ...Object.values(parts)]);
      appendTelemetry(telemetryFile, line);
      history.push(line);
      run.onStep?.(line);
      bar?.update(s + 1, loss, n, (s + 1) % 10 === 0 ? `L0 ${line.l0.toFixed(1)} FVE ${fve.toFixed(3)}` : "");
      const saveEvery = run.saveEvery ?? 100;
      if ((saveEvery > 0 && (s + 1) % saveEvery === 0) || s + 1 === h.steps) {
        const state: SaeState = {
          step: s + 1,
          fingerprint,
          savedAt: new Date().toISOString(),
          scale,
          tokensSinceFired: since,
        };
        await writeCheckpointDir(run.out, s + 1, async (tmp) => {
          const st = opt.state();
          const tensors: Record<string, tf.Tensor> = {};
          NAMES.forEach((k, i) => {
            tensors[k] = params[i];
            tensors[`exp_avg.${k}`] = st.expAvg[i];
            tensors[`exp_avg_sq.${k}`] = st.expAvgSq[i];
          });
          await writeSafetensors(path.join(tmp, "sae_state.safetensors"), tensors);
          fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state) + "\n");
        });
      }
      await new Promise((r) => setImmediate(r));
    }
    const sae = foldedSae(vars, scale, h, store.hook);
    const deadFraction = since.filter((t) => t >= h.dead_window).length / d_sae;
    return {
      sae,
      steps: end,
      resumedFrom: resumed?.step ?? null,
      scale,
      tokensSinceFired: since,
      deadFraction,
      history,
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    opt.dispose();
    params.forEach((p) => p.dispose());
  }
}

/** Σ‖x − mean‖² of row-major x [n, d]. */
function varianceTotal(x: ArrayLike<number>, n: number, d: number): number {
  const mean = new Float64Array(d);
  for (let i = 0; i < n * d; i++) mean[i % d] += x[i] / n;
  let t = 0;
  for (let i = 0; i < n * d; i++) t += (x[i] - mean[i % d]) ** 2;
  return t;
}

/** Load a checkpoint's parameters and AdamW moments; returns its state. */
async function loadSaeCheckpoint(dir: string, params: tf.Variable[], opt: AdamW): Promise<SaeState> {
  const state = readCheckpointState<SaeState>(dir);
  const src = await openSafetensors(path.join(dir, "sae_state.safetensors"));
  try {
    const expAvg: tf.Tensor[] = [],
      expAvgSq: tf.Tensor[] = [];
    for (const [i, k] of NAMES.entries()) {
      const t = await src.readTensor(k);
      check(
        t.shape.join() === params[i].shape.join(),
        `${dir}: tensor ${k} has shape [${t.shape}], this run [${params[i].shape}]`,
      );
      params[i].assign(t);
      t.dispose();
      expAvg.push(await src.readTensor(`exp_avg.${k}`));
      expAvgSq.push(await src.readTensor(`exp_avg_sq.${k}`));
    }
    opt.loadState({ step: state.step, expAvg, expAvgSq });
  } finally {
    await src.close();
  }
  return state;
}

/**
 * The trained SAE reading raw activations: with x' = s·x, W_enc' = s·W_enc and W_dec' = W_dec / s, b_dec' = b_dec / s
 * give the same latents and x̂ = x̂'/s (SAELens' fold_activation_norm_scaling_factor).
 */
function foldedSae(
  v: Record<(typeof NAMES)[number], tf.Variable>,
  s: number,
  h: ReturnType<typeof settle>,
  hook: string,
): Sae {
  const cfg: SaeConfig = {
    architecture: h.architecture,
    d_in: h.d_in,
    d_sae: h.d_sae,
    apply_b_dec_to_input: true,
    normalize_activations: "none",
    hook_name: hook,
    source_hook: hook,
    format: "memory",
    source: "trainSae",
    metadata: { hook_name: hook, trained_by: "molab sae train", activation_scale: s },
    ...(h.k !== null ? { k: h.k, rescale_acts_by_decoder_norm: false } : {}),
  };
  return makeSae(cfg, {
    W_enc: tf.mul(v.W_enc, s),
    b_enc: tf.clone(v.b_enc),
    W_dec: tf.div(v.W_dec, s),
    b_dec: tf.div(v.b_dec, s),
  });
}
