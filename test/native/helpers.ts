/** Shared by the native-kernel tests. */
import { tf } from "../../lib/backend.ts";

/** `f()` with `kernel` unregistered (so its tensor-op fallback runs), then the kernel registered again. */
export function withoutKernel<T>(kernel: tf.KernelConfig, f: () => T): T {
  tf.unregisterKernel(kernel.kernelName, kernel.backendName);
  try {
    return f();
  } finally {
    tf.registerKernel(kernel);
  }
}

/** n values in [-1, 1) from a seeded LCG (the same inputs on every run). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5) * 2;
  return out;
}
