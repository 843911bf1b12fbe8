/** Seconds of the fastest of `repeats` runs after one warm-up (the machine is shared; the minimum is the least disturbed). */
export function bestTime(repeats: number, f: () => void): number {
  f();
  let best = Infinity;
  for (let i = 0; i < repeats; i++) {
    const t = performance.now();
    f();
    best = Math.min(best, (performance.now() - t) / 1000);
  }
  return best;
}

/**
 * The environment for a PyTorch child process limited to `threads` threads. `torch.set_num_threads` alone does not
 * limit Debian's torch: it calls the system OpenBLAS, whose own pool starts one thread per core (measured: a
 * 1024×256×4096 product at "1 thread" used 2.0 s of CPU per s of wall on 2 cores). BLAS pools read these at load.
 */
export function torchEnv(threads: number): NodeJS.ProcessEnv {
  const t = String(threads);
  return { ...process.env, OPENBLAS_NUM_THREADS: t, OMP_NUM_THREADS: t, MKL_NUM_THREADS: t, MOLAB_BENCH_THREADS: t };
}
