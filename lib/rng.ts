/**
 * molab's one seeded pseudo-random generator, for every stage and layer that needs reproducible
 * randomness (data generation, shuffles, permutation tests, bootstrap resamples, CV folds). sfc32
 * state seeded from a string hash, so any seed — a number or a label such as "42:af:17" — gives an
 * independent, platform-stable stream. Not for cryptography, and not numpy's generator:
 * resampling results agree with scipy's in distribution, not draw for draw.
 *
 * `float()` has 32 random bits and `int(n)` is floor(float() * n). That is what the shipped
 * datasets were generated with, so the stream stays as it is. The relative non-uniformity of
 * `int(n)` is at most n / 2^32 (2.3e-6 at n = 10,000), far below the Monte-Carlo error of any
 * resampling done here, so the statistics use `int` and `shuffle` as they are.
 */
import { MolabError } from "./errors.ts";

/** Anything indexable with a length: arrays and typed arrays (Float64Array, Uint32Array, …). */
export interface IndexableArray<T> {
  length: number;
  [i: number]: T;
}

export interface Rng {
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** One element of a non-empty array, uniformly. */
  pick<T>(arr: readonly T[]): T;
  /** Fisher–Yates shuffle in place (an array or a typed array); returns the same array. */
  shuffle<A extends IndexableArray<unknown>>(arr: A): A;
  /** True with probability p. */
  bool(p?: number): boolean;
  /** Standard normal variate (Box–Muller). */
  normal(): number;
  /** A new generator whose stream depends only on this generator's seed and `key` (not on draws so far). */
  fork(key: string | number): Rng;
  /** The seed this generator was made from. */
  readonly seed: string;
}

/** 128 bits of state from a string (cyrb128-style mixing). */
function hashSeed(str: string): [number, number, number, number] {
  let h1 = 1779033703,
    h2 = 3144134277,
    h3 = 1013904242,
    h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** Create a generator from a seed (number or string). Same seed → same stream on every platform. */
export function createRng(seed: number | string): Rng {
  if (typeof seed === "number" && !Number.isFinite(seed))
    throw new MolabError(`rng: seed must be a finite number or a string, got ${seed}`);
  const seedStr = String(seed);
  let [a, b, c, d] = hashSeed(seedStr);
  const next = (): number => {
    // sfc32
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next(); // warm up
  const rng: Rng = {
    seed: seedStr,
    float: next,
    int(n: number) {
      if (!Number.isInteger(n) || n <= 0) throw new MolabError(`rng.int: n must be a positive integer, got ${n}`);
      return Math.floor(next() * n);
    },
    pick<T>(arr: readonly T[]): T {
      if (arr.length === 0) throw new MolabError("rng.pick: empty array");
      return arr[Math.floor(next() * arr.length)];
    },
    shuffle<A extends IndexableArray<unknown>>(arr: A): A {
      for (let i = arr.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        const tmp = arr[i];
        arr[i] = arr[j];
        arr[j] = tmp;
      }
      return arr;
    },
    bool(p = 0.5) {
      return next() < p;
    },
    normal() {
      let u = 0;
      while (u === 0) u = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    fork(key: string | number) {
      return createRng(`${seedStr}/${key}`);
    },
  };
  return rng;
}
