/**
 * Full-parameter training of the tiny assistant from scratch: a Llama-architecture model (the project's
 * decoder, lib/model) initialised from a seed, AdamW (lib/train/optim) with warmup + cosine decay and
 * gradient clipping, next-token loss on the tokens from each sequence's loss start (the assistant turn). Deterministic for a seed: initial weights,
 * batch order and every update depend only on the options. Checkpoints (`<workDir>/checkpoints/step-N/`,
 * written to a temp folder and renamed into place) hold the weights in Hugging Face layout, the AdamW
 * moments, the history and (with emaDecay) the weight average, and a restarted run resumes from the newest one, bit
 * for bit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { explainWasmAbort, initBackend, tf } from "../backend.ts";
import { MolabError, check } from "../errors.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { forward, type Model } from "../model/llama.ts";
import { loadModel } from "../model/load.ts";
import { exportWeights, makeTrainable } from "../model/edit.ts";
import { AdamW, clipGradNorm, lrMultiplier } from "../train/optim.ts";
import { weightedCrossEntropy } from "../train/loss.ts";
import { resumeFrom, STATE_FILE, writeCheckpointDir, type CheckpointState } from "../train/checkpoint.ts";
import { ProgressBar, type ProgressStream } from "../train/progress.ts";
import { BatchSchedule } from "./batches.ts";

/** Architecture of the tiny model (a Llama config). */
export interface TinyShape {
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  intermediate: number;
  maxPositions: number;
  ropeTheta: number;
}

export interface SpecialIds {
  pad: number;
  bos: number;
  eos: number;
}

export interface TinyTrainOptions {
  /** Checkpoints go to `<workDir>/checkpoints`. */
  workDir: string;
  /** Token ids of every training conversation. */
  sequences: number[][];
  /** Per sequence, the index of the first token the loss covers (the assistant turn); default: every token. */
  lossStarts?: number[];
  vocabSize: number;
  special: SpecialIds;
  shape: TinyShape;
  seed: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clip: number;
  checkpointEvery: number;
  /** Where the progress bar goes (default stderr; null for none). */
  progress?: ProgressStream | null;
  /** End this process's run after this many steps (checkpointed), as an interruption would. */
  stopAfter?: number;
  /**
   * Keep an exponential moving average of the weights (ema ← d·ema + (1 − d)·w after every step, from the initial
   * weights) and return the model with the averaged weights; checkpoints hold it beside the trained ones. Unset: none.
   */
  emaDecay?: number;
}

/** One optimizer step of the history. */
export interface TrainRecord {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokens: number;
  /** Training seconds so far (summed over resumed runs). */
  seconds: number;
}

interface State extends CheckpointState {
  history: TrainRecord[];
  seconds: number;
}

export interface TinyTrainResult {
  /** The trained model (its weights are tf.Variables); dispose with disposeModel. */
  model: Model;
  history: TrainRecord[];
  /** Total training seconds, all runs. */
  seconds: number;
  /** Step the run resumed from (null: from scratch). */
  resumedFrom: number | null;
  /** Whether all `steps` are done (false after `stopAfter`). */
  finished: boolean;
}

/** The Hugging Face config.json of the tiny model. */
export function llamaConfigJson(shape: TinyShape, vocabSize: number, special: SpecialIds): Record<string, unknown> {
  check(
    shape.hidden % shape.heads === 0 && shape.heads % shape.kvHeads === 0,
    "tiny model: hidden must divide into heads, heads into kv heads",
  );
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: vocabSize,
    hidden_size: shape.hidden,
    intermediate_size: shape.intermediate,
    num_hidden_layers: shape.layers,
    num_attention_heads: shape.heads,
    num_key_value_heads: shape.kvHeads,
    head_dim: shape.hidden / shape.heads,
    hidden_act: "silu",
    max_position_embeddings: shape.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: shape.ropeTheta,
    rope_scaling: null,
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    tie_word_embeddings: true,
    initializer_range: 0.02,
    bos_token_id: special.bos,
    eos_token_id: special.eos,
    pad_token_id: special.pad,
    dtype: "float32",
    use_cache: true,
  };
}

function seedOf(seed: number, name: string): number {
  return createHash("sha256").update(`${seed}:${name}`).digest().readUInt32LE(0);
}

/** Initial weights in Hugging Face names: N(0, 0.02) matrices (seeded per tensor), unit norms. */
export function initWeights(config: Record<string, unknown>, seed: number): Record<string, tf.Tensor> {
  const c = config as {
    vocab_size: number;
    hidden_size: number;
    intermediate_size: number;
    num_hidden_layers: number;
    num_attention_heads: number;
    num_key_value_heads: number;
    head_dim: number;
  };
  const h = c.hidden_size,
    D = c.head_dim;
  const out: Record<string, tf.Tensor> = {};
  const normal = (name: string, shape: number[]) =>
    (out[name] = tf.randomNormal(shape, 0, 0.02, "float32", seedOf(seed, name)));
  normal("model.embed_tokens.weight", [c.vocab_size, h]);
  out["model.norm.weight"] = tf.ones([h]);
  for (let i = 0; i < c.num_hidden_layers; i++) {
    const p = `model.layers.${i}.`;
    normal(p + "self_attn.q_proj.weight", [c.num_attention_heads * D, h]);
    normal(p + "self_attn.k_proj.weight", [c.num_key_value_heads * D, h]);
    normal(p + "self_attn.v_proj.weight", [c.num_key_value_heads * D, h]);
    normal(p + "self_attn.o_proj.weight", [h, c.num_attention_heads * D]);
    normal(p + "mlp.gate_proj.weight", [c.intermediate_size, h]);
    normal(p + "mlp.up_proj.weight", [c.intermediate_size, h]);
    normal(p + "mlp.down_proj.weight", [h, c.intermediate_size]);
    out[p + "input_layernorm.weight"] = tf.ones([h]);
    out[p + "post_attention_layernorm.weight"] = tf.ones([h]);
  }
  return out;
}

/** The settings a checkpoint must share with a run to be resumed by it: one key per setting, the data as a hash. */
function fingerprint(o: TinyTrainOptions): Record<string, unknown> {
  const h = createHash("sha256");
  for (const s of o.sequences) h.update(Int32Array.from(s)).update("|");
  if (o.lossStarts) h.update(Int32Array.from(o.lossStarts));
  return {
    vocab_size: o.vocabSize,
    special: o.special,
    shape: o.shape,
    seed: o.seed,
    steps: o.steps,
    batch_size: o.batchSize,
    lr: o.lr,
    warmup: o.warmup,
    weight_decay: o.weightDecay,
    clip: o.clip,
    ...(o.emaDecay === undefined ? {} : { ema_decay: o.emaDecay }),
    data: h.digest("hex").slice(0, 16),
  };
}

/** Write a complete checkpoint atomically (temp folder, fsync, rename); keep the newest two. */
async function saveCheckpoint(
  workDir: string,
  config: Record<string, unknown>,
  model: Model,
  opt: AdamW,
  state: State,
  ema: tf.Tensor[] | null,
): Promise<void> {
  await writeCheckpointDir(workDir, state.step, async (tmp) => {
    fs.writeFileSync(path.join(tmp, "config.json"), JSON.stringify(config, null, 2) + "\n");
    const weights = exportWeights(model);
    try {
      await writeSafetensors(path.join(tmp, "model.safetensors"), weights, { metadata: { format: "pt" } });
    } finally {
      tf.dispose(Object.values(weights));
    }
    const st = opt.state();
    const moments = { ...indexed("exp_avg", st.expAvg), ...indexed("exp_avg_sq", st.expAvgSq) };
    await writeSafetensors(path.join(tmp, "optimizer.safetensors"), moments, { metadata: { step: String(st.step) } });
    if (ema) await writeSafetensors(path.join(tmp, EMA_FILE), indexed("ema", ema));
    fs.writeFileSync(path.join(tmp, STATE_FILE), JSON.stringify(state) + "\n");
  });
}

/** The weight average's file in a checkpoint folder (TinyTrainOptions.emaDecay). */
const EMA_FILE = "ema.safetensors";

const indexName = (kind: string, i: number) => `${kind}.${String(i).padStart(3, "0")}`;

/** Per-parameter tensors named `<kind>.000`, `<kind>.001`, … in parameter order (AdamW moments, the average). */
function indexed(kind: string, ts: tf.Tensor[]): Record<string, tf.Tensor> {
  return Object.fromEntries(ts.map((t, i) => [indexName(kind, i), t]));
}

/** Read back `indexed(kind, …)` from `file`, one tensor per parameter, each of its parameter's shape. */
async function readIndexed(file: string, kinds: string[], params: tf.Variable[]): Promise<tf.Tensor[][]> {
  const src = await openSafetensors(file);
  try {
    const read = (kind: string) =>
      Promise.all(
        params.map(async (p, i) => {
          const t = await src.readTensor(indexName(kind, i));
          check(
            t.shape.join() === p.shape.join(),
            `${file}: ${kind} ${i} has shape [${t.shape}], parameter is [${p.shape}]`,
          );
          return t;
        }),
      );
    const out: tf.Tensor[][] = [];
    for (const kind of kinds) out.push(await read(kind));
    return out;
  } finally {
    await src.close();
  }
}

async function loadEma(dir: string, params: tf.Variable[]): Promise<tf.Tensor[]> {
  const file = path.join(dir, EMA_FILE);
  check(fs.existsSync(file), `${dir}: the checkpoint has no ${EMA_FILE}, though its settings keep a weight average`);
  return (await readIndexed(file, ["ema"], params))[0];
}

async function loadMoments(dir: string, params: tf.Variable[], opt: AdamW, step: number): Promise<void> {
  const [expAvg, expAvgSq] = await readIndexed(
    path.join(dir, "optimizer.safetensors"),
    ["exp_avg", "exp_avg_sq"],
    params,
  );
  opt.loadState({ step, expAvg, expAvgSq });
}

/**
 * Train (or resume training) the tiny model. Returns the model after `steps` steps, or after
 * `stopAfter` steps of this run. The newest checkpoint always matches the returned model (with emaDecay, the returned
 * model holds the checkpoint's weight average).
 */
export async function trainTiny(o: TinyTrainOptions): Promise<TinyTrainResult> {
  await initBackend();
  check(o.steps > 0 && Number.isInteger(o.steps), `train: steps must be a positive integer, got ${o.steps}`);
  check(
    o.emaDecay === undefined || (o.emaDecay > 0 && o.emaDecay < 1),
    `train: emaDecay must lie in (0, 1), got ${o.emaDecay}`,
  );
  const config = llamaConfigJson(o.shape, o.vocabSize, o.special);
  const fp = fingerprint(o);
  const resumed = resumeFrom<State>(o.workDir, fp, { resume: true });
  // The weights to start from: the newest checkpoint's, or a fresh seeded initialisation.
  let from: string;
  let state: State;
  if (resumed) {
    state = resumed.state;
    from = resumed.dir;
  } else {
    state = { step: 0, fingerprint: fp, history: [], seconds: 0, savedAt: new Date().toISOString() };
    const init = initWeights(config, o.seed);
    const dir = path.join(o.workDir, "init");
    fs.mkdirSync(dir, { recursive: true });
    try {
      await writeFileAtomic(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
      await writeSafetensors(path.join(dir, "model.safetensors"), init);
    } finally {
      tf.dispose(Object.values(init));
    }
    from = dir;
  }
  const resumedFrom = state.step > 0 ? state.step : null;
  const model = await loadModel(from);
  const params = makeTrainable(model);
  const opt = new AdamW(params, { lr: o.lr, betas: [0.9, 0.98], eps: 1e-8, weightDecay: o.weightDecay });
  if (state.step > 0) await loadMoments(from, params, opt, state.step);
  let ema: tf.Tensor[] | null =
    o.emaDecay === undefined ? null : state.step > 0 ? await loadEma(from, params) : params.map((p) => p.clone());
  if (state.step === 0) await saveCheckpoint(o.workDir, config, model, opt, state, ema);

  check(!o.lossStarts || o.lossStarts.length === o.sequences.length, "train: lossStarts needs one entry per sequence");
  const schedule = new BatchSchedule(o.sequences, o.batchSize, o.seed, o.special.pad, o.lossStarts);
  const V = o.vocabSize;
  const bar = o.progress === null ? undefined : new ProgressBar(o.steps, state.step, o.progress ?? process.stderr, 10);
  let ran = 0;
  let t0 = Date.now();
  while (state.step < o.steps && (o.stopAfter === undefined || ran < o.stopAfter)) {
    const step = state.step;
    const b = schedule.batch(step);
    // logits only at the learned positions (the final norm, lm_head and loss skip prompts and padding)
    const positions: number[] = [];
    b.mask.forEach((m, i) => m && positions.push(i));
    const targets = tf.tensor1d(
      positions.map((i) => b.targets[i]),
      "int32",
    );
    const weights = tf.tensor1d(new Float32Array(positions.length).fill(1 / b.count), "float32");
    let loss: number;
    let norm: number;
    try {
      const { value, grads } = tf.variableGrads(
        () =>
          weightedCrossEntropy(
            tf.reshape(forward(model, b.inputs, { positions }), [positions.length, V]) as tf.Tensor2D,
            targets,
            weights,
          ),
        params,
      );
      loss = value.dataSync()[0];
      const list = params.map((p) => grads[p.name]);
      const clipped = clipGradNorm(list, o.clip);
      norm = clipped.norm;
      opt.lr = o.lr * lrMultiplier("cosine", step, o.warmup, o.steps);
      opt.step(clipped.grads);
      tf.dispose([value, targets, weights, ...list, ...clipped.grads]);
      if (ema) {
        const d = o.emaDecay!;
        const next = ema.map((e, i) => tf.tidy(() => tf.add(tf.mul(e, d), tf.mul(params[i], 1 - d))));
        tf.dispose(ema);
        ema = next;
      }
    } catch (e) {
      const what = `train: step ${step + 1} (${b.inputs.length} sequences of ${b.inputs[0].length} tokens)`;
      throw explainWasmAbort(
        e,
        what,
        "Train on the native CPU path: bash environment/setup-native.sh (OpenBLAS and molab's addon); training " +
          `resumes from the newest checkpoint in ${o.workDir}.`,
      );
    }
    if (!Number.isFinite(loss))
      throw new MolabError(`train: the loss became ${loss} at step ${step + 1}; lower the learning rate`);
    const now = Date.now();
    state.seconds += (now - t0) / 1000;
    t0 = now;
    state.step = step + 1;
    ran++;
    state.history.push({
      step: state.step,
      loss,
      lr: opt.lr,
      gradNorm: norm,
      tokens: b.count,
      seconds: Math.round(state.seconds * 10) / 10,
    });
    bar?.update(state.step, loss, b.count);
    const stopping = state.step === o.steps || (o.stopAfter !== undefined && ran >= o.stopAfter);
    if (state.step % o.checkpointEvery === 0 || stopping) {
      state.savedAt = new Date().toISOString();
      await saveCheckpoint(o.workDir, config, model, opt, state, ema);
      t0 = Date.now();
    }
  }
  opt.dispose();
  if (ema) {
    params.forEach((p, i) => p.assign(ema![i]));
    tf.dispose(ema);
  }
  return { model, history: state.history, seconds: state.seconds, resumedFrom, finished: state.step >= o.steps };
}
