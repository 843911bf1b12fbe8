/**
 * RMSNorm (Llama's, Zhang & Sennrich 2019): y = x / √(mean(x²) + eps) · w over the last axis. On the native path
 * one kernel runs it forward and one backward (lib/native/kernels.ts); elsewhere five tfjs ops, whose gradient tfjs
 * derives.
 */
import { tf } from "../backend.ts";
import { RMSNORM_GRAD_KERNEL, RMSNORM_KERNEL } from "../native/kernels.ts";

/** x·rsqrt(mean(x²) + eps) over the last axis. */
export function rmsNormCore(x: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)));
}

/** RMSNorm with weight w [n] over the last axis; one native kernel each way when lib/native is on. */
export function rmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  const n = x.shape[x.rank - 1];
  if (x.dtype === "float32" && w.dtype === "float32" && w.rank === 1 && w.shape[0] === n && nativeRmsNorm())
    return fusedRmsNorm(x, w, eps);
  return tf.mul(rmsNormCore(x, eps), w);
}

const nativeRmsNorm = () => tf.getKernel(RMSNORM_KERNEL, tf.getBackend()) !== undefined;

/** lib/native's one-kernel RMSNorm and gradient (instead of five ops forward and about ten backward). */
function fusedRmsNorm(x: tf.Tensor, w: tf.Tensor, eps: number): tf.Tensor {
  if (!tf.engine().isTapeOn()) {
    // Inference: the kernel alone (customGrad's bookkeeping costs more than the norm itself at decode sizes).
    const [y, r] = tf.engine().runKernel(RMSNORM_KERNEL, { x, w }, { eps }) as tf.Tensor[];
    r.dispose();
    return y;
  }
  const f = tf.customGrad(((xs: tf.Tensor, ws: tf.Tensor, save: (ts: tf.Tensor[]) => void) => {
    const [y, r] = tf.engine().runKernel(RMSNORM_KERNEL, { x: xs, w: ws }, { eps }) as tf.Tensor[];
    save([xs, ws, r]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw, sr] = saved;
        return tf.engine().runKernel(RMSNORM_GRAD_KERNEL, { x: sx, w: sw, r: sr, dy }) as tf.Tensor[];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, w);
}
