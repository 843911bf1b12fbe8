/**
 * AdamW, gradient-norm clipping and learning-rate schedules with PyTorch / transformers semantics,
 * so a step here moves the parameters (a LoRA adapter, a whole model) as torch.optim.AdamW +
 * clip_grad_norm_ + get_*_schedule_with_warmup would on the same gradients.
 */
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import { ADAMW_KERNEL, type AdamWAttrs } from "../native/kernels.ts";

export interface AdamWOptions {
  lr: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/** Saved optimizer state: step count and the two moments of every parameter, in parameter order. */
export interface AdamWState {
  step: number;
  expAvg: tf.Tensor[];
  expAvgSq: tf.Tensor[];
}

/**
 * torch.optim.AdamW (amsgrad=False, maximize=False), single-tensor path:
 *   p ← p·(1 − lr·wd);  m ← m + (g − m)(1 − β1);  v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + eps)
 * Decoupled weight decay, bias correction, eps added outside the square root, as PyTorch does.
 */
export class AdamW {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;
  stepCount = 0;
  private m: tf.Tensor[];
  private v: tf.Tensor[];

  constructor(
    readonly params: tf.Variable[],
    opts: AdamWOptions,
  ) {
    [this.beta1, this.beta2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.lr = opts.lr;
    check(opts.lr >= 0 && Number.isFinite(opts.lr), `AdamW: lr must be a non-negative number, got ${opts.lr}`);
    check(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1, `AdamW: betas must be in [0, 1)`);
    this.m = params.map((p) => tf.keep(tf.zerosLike(p)));
    this.v = params.map((p) => tf.keep(tf.zerosLike(p)));
  }

  /** One update with `grads` (same order as params) at the current `lr`. */
  step(grads: tf.Tensor[]): void {
    check(
      grads.length === this.params.length,
      `AdamW.step: ${grads.length} gradients for ${this.params.length} parameters`,
    );
    this.stepCount += 1;
    const t = this.stepCount;
    const lr = this.lr;
    // Scalars computed in float64 like PyTorch's Python-side arithmetic, then applied in float32.
    const bc1 = 1 - Math.pow(this.beta1, t);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(this.beta2, t));
    const stepSize = lr / bc1;
    // The native path's one-kernel update (lib/native), bit-identical to the ops below, when it is installed.
    const fused = tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
    for (let i = 0; i < this.params.length; i++) {
      const p = this.params[i],
        g = grads[i];
      const [m, v, np] = fused
        ? this.fusedStep(p, g, i, { lr, bc2Sqrt, stepSize })
        : tf.tidy(() => {
            const decayed = this.weightDecay !== 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
            const m = tf.add(this.m[i], tf.mul(tf.sub(g, this.m[i]), 1 - this.beta1));
            const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.mul(g, g), 1 - this.beta2));
            const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.eps);
            const np = tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize));
            return [m, v, np];
          });
      tf.dispose([this.m[i], this.v[i]]);
      this.m[i] = m;
      this.v[i] = v;
      p.assign(np);
      np.dispose();
    }
  }

  private fusedStep(
    p: tf.Tensor,
    g: tf.Tensor,
    i: number,
    s: { lr: number; bc2Sqrt: number; stepSize: number },
  ): [tf.Tensor, tf.Tensor, tf.Tensor] {
    if (p.dtype !== "float32" || g.dtype !== "float32" || g.size !== p.size)
      throw new Error(`AdamW: parameter ${i} and its gradient must be float32 of one shape`);
    const attrs: AdamWAttrs = {
      keep: this.weightDecay !== 0 ? 1 - s.lr * this.weightDecay : 1,
      oneMinusBeta1: 1 - this.beta1,
      beta2: this.beta2,
      oneMinusBeta2: 1 - this.beta2,
      bc2Sqrt: s.bc2Sqrt,
      eps: this.eps,
      stepSize: s.stepSize,
    };
    const [np, m, v] = tf
      .engine()
      .runKernel(
        ADAMW_KERNEL,
        { p, g, m: this.m[i], v: this.v[i] },
        attrs as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    return [m, v, np];
  }

  /** The state to checkpoint (tensors owned by the optimizer; do not dispose). */
  state(): AdamWState {
    return { step: this.stepCount, expAvg: this.m, expAvgSq: this.v };
  }

  /** Restore a checkpointed state (takes ownership of the tensors). */
  loadState(s: AdamWState): void {
    check(
      s.expAvg.length === this.params.length && s.expAvgSq.length === this.params.length,
      `optimizer state has ${s.expAvg.length} moments for ${this.params.length} parameters`,
    );
    for (let i = 0; i < this.params.length; i++) {
      check(
        s.expAvg[i].shape.join() === this.params[i].shape.join() &&
          s.expAvgSq[i].shape.join() === this.params[i].shape.join(),
        `optimizer state for parameter ${i} has shape [${s.expAvg[i].shape}], parameter is [${this.params[i].shape}]`,
      );
    }
    tf.dispose([...this.m, ...this.v]);
    this.m = s.expAvg;
    this.v = s.expAvgSq;
    this.stepCount = s.step;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * torch.nn.utils.clip_grad_norm_(norm_type=2): total = ‖(‖g₁‖, ‖g₂‖, …)‖; every gradient is multiplied
 * by min(1, maxNorm / (total + 1e-6)). Returns the new gradients and the total norm before clipping.
 * maxNorm ≤ 0 or Infinity: no clipping, the norm is still returned.
 */
export function clipGradNorm(grads: tf.Tensor[], maxNorm: number): { grads: tf.Tensor[]; norm: number } {
  // √(Σ over every gradient of Σ g²), accumulated in float64: a float32 running sum over a large gradient (the
  // tiny model's 262,144-entry embedding) was off by 7e-5 relative at its first step; PyTorch's was within 6e-6.
  let sq = 0;
  for (const g of grads) {
    const d = g.dataSync();
    for (let i = 0; i < d.length; i++) sq += d[i] * d[i];
  }
  const norm = Math.sqrt(sq);
  if (!(maxNorm > 0) || maxNorm === Infinity) return { grads: grads.map((g) => tf.clone(g)), norm };
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { grads: grads.map((g) => tf.tidy(() => tf.mul(g, Math.fround(coef)))), norm };
}

export type ScheduleName = "constant" | "linear" | "cosine";

/**
 * transformers' get_{constant,linear,cosine}_schedule_with_warmup multiplier for optimizer step
 * `step` (0-based: the first update uses step 0, so with warmup its lr is 0, as in transformers).
 */
export function lrMultiplier(kind: ScheduleName, step: number, warmup: number, total: number, numCycles = 0.5): number {
  if (step < warmup) return step / Math.max(1, warmup);
  if (kind === "constant") return 1;
  if (kind === "linear") return Math.max(0, (total - step) / Math.max(1, total - warmup));
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * numCycles * 2 * progress)));
}
