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
