/**
 * Next-token cross-entropy summed over weighted positions, with a hand-written gradient.
 * (tfjs's gather has no gradient on wasm, and a one-hot product would cost a [N, vocab] multiply in
 * the forward too.) The gradient is the textbook one: w · (softmax(logits) − onehot(target)).
 */
import { tf } from "../backend.ts";

/**
 * Σᵢ wᵢ · CE(logitsᵢ, targetᵢ) for logits [N, V], targets int32 [N], weights float32 [N].
 * Rows with weight 0 contribute nothing (padding, prompt tokens). Differentiable in logits only.
 */
export function weightedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const [N, V] = logits.shape;
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
 * Summed loss of a token batch: ids [B, T] int32, lossMask [B, T] (1 where the token is a target to
 * learn, i.e. an assistant token; 0 where it is not; any other non-negative value weighs that token's loss);
 * position t predicts token t+1. `scale` multiplies the weights (1 / total target weight of the optimizer
 * step, so accumulated micro-batches average correctly).
 */
export function batchTargets(
  ids: number[][],
  lossMask: number[][],
  scale: number,
): { targets: tf.Tensor1D; weights: tf.Tensor1D; count: number } {
  const B = ids.length,
    T = ids[0].length;
  const tg = new Int32Array(B * T),
    w = new Float32Array(B * T);
  let count = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      tg[b * T + t] = ids[b][t + 1];
      if (lossMask[b][t + 1]) {
        w[b * T + t] = scale * lossMask[b][t + 1];
        count++;
      }
    }
  }
  return { targets: tf.tensor1d(tg, "int32"), weights: tf.tensor1d(w, "float32"), count };
}
