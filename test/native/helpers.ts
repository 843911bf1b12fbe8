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
