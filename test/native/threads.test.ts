/**
 * The native path's results do not depend on its thread count (MOLAB_NATIVE_THREADS, default every core), so a
 * training run gives the same weights on any machine with the same BLAS kernels. Native only: the wasm path has one
 * thread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../lib/backend.ts";
import { rand } from "./helpers.ts";
import { nativeStatus, setNativeThreads } from "../../lib/native/addon.ts";

const skip = process.env.MOLAB_NATIVE === "0" ? "MOLAB_NATIVE=0: this checks the native path's threads" : false;

test(
  "matmul: the same bits on 1, 2 and 3 threads (weight-gradient shapes whose K OpenBLAS's threaded driver splits otherwise)",
  { skip },
  async () => {
    await initBackend();
    const status = nativeStatus();
    assert.ok(status.enabled, `the native path is off (${status.detail})`);
    // [M, K, N, transposeA] as in dW = xᵀ·dy: K is the batch's token count. With OpenBLAS's threaded driver, a K
    // remainder between GEMM_Q and 2·GEMM_Q was halved differently from its serial driver (K = 500 and 1000 differed
    // with the Cooperlake/SkylakeX kernels), so a training run's weights depended on the thread count.
    const shapes: [number, number, number, boolean][] = [
      [128, 500, 2048, true],
      [128, 700, 384, true],
      [128, 1000, 384, true],
      [384, 1300, 128, true],
      [128, 1800, 128, true],
      [1000, 128, 2048, false],
      [777, 2000, 131, false],
    ];
    const bits = (threads: number) => {
      setNativeThreads(threads);
      return shapes.map(([M, K, N, ta], i) =>
        tf.tidy(() => {
          const a = tf.tensor2d(rand(M * K, 10 + i), ta ? [K, M] : [M, K]);
          const b = tf.tensor2d(rand(K * N, 20 + i), [K, N]);
          return Array.from(new Uint32Array((tf.matMul(a, b, ta, false).dataSync() as Float32Array).slice().buffer));
        }),
      );
    };
    try {
      const one = bits(1);
      for (const n of [2, 3]) {
        const got = bits(n);
        shapes.forEach((s, i) => assert.deepEqual(got[i], one[i], `[${s.join(", ")}] on ${n} threads`));
      }
    } finally {
      setNativeThreads(status.threads!);
    }
  },
);
