/**
 * Next-token cross-entropy summed over weighted positions, with a hand-written gradient.
 * (tfjs's gather has no gradient on wasm, and a one-hot product would cost a [N, vocab] multiply in
 * the forward too.) The gradient is the textbook one: w · (softmax(logits) − onehot(target)).
 */
import { tf } from "../backend.ts";
import { CE_GRAD_KERNEL, CE_KERNEL } from "../native/kernels.ts";

/**
 * Σᵢ wᵢ · CE(logitsᵢ, targetᵢ) for logits [N, V], targets int32 [N], weights float32 [N].
 * Rows with weight 0 contribute nothing (padding, prompt tokens). Differentiable in logits only.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
  if (logits.dtype === "float32" && tf.getKernel(CE_KERNEL, tf.getBackend())) {
    // The native path: one pass over the logits each way, rows of weight 0 skipped (lib/native/kernels.ts).
    const fused = tf.customGrad(((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
      const [lse, value] = tf.engine().runKernel(CE_KERNEL, { logits: x, targets, weights }) as tf.Tensor[];
      save([x, lse, targets, weights]);
      return {
        value,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs, l, tg, w] = saved;
          return tf
            .engine()
            .runKernel(CE_GRAD_KERNEL, { logits: xs, lse: l, targets: tg, weights: w, dy }) as tf.Tensor;
        },
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return fused(logits) as tf.Scalar;
  }
  const f = tf.customGrad(((x: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const lse = tf.logSumExp(x, 1); // [N]
    const idx = tf.stack([tf.range(0, N, 1, "int32"), targets], 1) as tf.Tensor2D;
    const picked = tf.gatherND(x, idx) as tf.Tensor1D; // [N]
    const value = tf.sum(tf.mul(weights, tf.sub(lse, picked))) as tf.Scalar;
    // targets/weights go through save(): the forward runs in its own tidy, so closure tensors would be gone.
    save([x, lse, targets, weights]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, l, tg, w] = saved;
        const p = tf.exp(tf.sub(xs, tf.reshape(l, [N, 1])));
        // (wasm's OneHot kernel writes garbage for dtype float32: build it as int32 and cast.)
        const oh = tf.cast(tf.oneHot(tg as tf.Tensor1D, V), "float32");
        return tf.mul(tf.sub(p, oh), tf.mul(tf.reshape(w, [N, 1]), dy));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(logits) as tf.Scalar;
}

/**
 * The learned next-token targets of a token batch: ids [B, T], lossMask [B, T] (1 where the token is a target to
 * learn, i.e. an assistant token; 0 where it is not; any other non-negative value weighs that token's loss);
 * position t predicts token t+1. Only learned positions are listed — `positions` (flat b·T + t, for `forward`'s
 * `positions`), their `targets` and `weights` (`scale` × the mask value; `scale` is 1 / total target weight of the
 * optimizer step, so accumulated micro-batches average correctly).
 */
export function batchTargets(
  ids: number[][],
  lossMask: number[][],
  scale: number,
): { positions: number[]; targets: tf.Tensor1D; weights: tf.Tensor1D; count: number } {
  const B = ids.length,
    T = ids[0].length;
  const positions: number[] = [];
  const tg: number[] = [];
  const w: number[] = [];
  for (let b = 0; b < B; b++)
    for (let t = 0; t + 1 < T; t++)
      if (lossMask[b][t + 1]) {
        positions.push(b * T + t);
        tg.push(ids[b][t + 1]);
        w.push(scale * lossMask[b][t + 1]);
      }
  const count = positions.length;
  return { positions, targets: tf.tensor1d(tg, "int32"), weights: tf.tensor1d(w, "float32"), count };
}
