/**
 * The phase transition of EM training, from the LoRA A/B snapshots in training telemetry (Turner, Soligo et al.
 * 2025): the local cosine cos(v_{t−k} − v_t, v_{t+k} − v_t) of a trajectory for k ∈ {5, 10, 15} steps (≈ −1 while
 * the vector moves along a line, rising where it turns), skipping points whose step vectors are shorter than a
 * threshold (the papers: 0.002–0.0035); the comp score ‖XᵀY‖_F / (‖X‖_F‖Y‖_F) of each snapshot against the final
 * adapter (B as [out, r]; A as Aᵀ, [in, r]); PCA of the stacked snapshots; the gradient-norm peak.
 *
 * Detection rule ({@link detectTransitions}): for each k, a step t is a candidate when cos_k(t) > τ (default −0.5:
 * the path turns by more than 60°) and cos_k(t) is the largest defined value within [t − k, t + k]. Transition
 * steps are the candidates of the smallest k that a candidate of another k confirms within ± that k (with one k:
 * its candidates). All arithmetic is float64; test/em/phase.test.ts checks it against numpy.
 */
import { check } from "../errors.ts";
import type { TelemetryLine } from "../train/telemetry.ts";

export interface Trajectory {
  /** Optimizer steps of the snapshots, increasing. */
  steps: number[];
  vectors: Float64Array[];
}

export interface CosinePoint {
  step: number;
  /** null where a step vector is shorter than the threshold. */
  cos: number | null;
}

const dot = (a: Float64Array, b: Float64Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const norm = (a: Float64Array) => Math.sqrt(dot(a, a));

/** Telemetry vector names (`base_model.model.<module>.lora_A|lora_B`) present in the lines. */
export function vectorKeys(lines: TelemetryLine[]): string[] {
  return [...new Set(lines.flatMap((l) => Object.keys(l.vectors ?? {})))].sort();
}

/** The snapshots of one telemetry vector (lines without it are skipped). */
export function trajectoryOf(lines: TelemetryLine[], key: string): Trajectory {
  const rows = lines.filter((l) => l.vectors?.[key]).sort((a, b) => a.step - b.step);
  check(
    rows.length > 0,
    `telemetry: no line records the vector ${key} (keys: ${vectorKeys(lines).join(", ") || "none"})`,
  );
  const d = rows[0].vectors![key].length;
  for (const r of rows)
    check(
      r.vectors![key].length === d,
      `telemetry step ${r.step}: ${key} has ${r.vectors![key].length} values, not ${d}`,
    );
  return { steps: rows.map((r) => r.step), vectors: rows.map((r) => Float64Array.from(r.vectors![key])) };
}

/** Local cosine for offset k (in steps) at every snapshot whose steps t − k and t + k are snapshots too. */
export function localCosine(tr: Trajectory, k: number, minNorm = 0.002): CosinePoint[] {
  check(Number.isInteger(k) && k >= 1, `local cosine: k must be a positive integer, got ${k}`);
  const at = new Map(tr.steps.map((s, i) => [s, tr.vectors[i]]));
  const out: CosinePoint[] = [];
  for (const [i, t] of tr.steps.entries()) {
    const before = at.get(t - k),
      after = at.get(t + k);
    if (!before || !after) continue;
    const v = tr.vectors[i];
    const a = before.map((x, j) => x - v[j]);
    const b = after.map((x, j) => x - v[j]);
    const na = norm(a),
      nb = norm(b);
    out.push({ step: t, cos: na < minNorm || nb < minNorm ? null : dot(a, b) / (na * nb) });
  }
  return out;
}

/**
 * ‖XᵀY‖_F / (‖X‖_F‖Y‖_F) of X [p, rx] and Y [p, ry] given flat: `layout` "B" reads a flat [p, r] row-major (a LoRA B),
 * "A" reads a flat [r, p] row-major (a LoRA A, whose transpose is [p, r]). For rank 1 it is |cos(x, y)|.
 */
export function compScore(x: ArrayLike<number>, y: ArrayLike<number>, rank: number, layout: "A" | "B"): number {
  check(
    x.length === y.length && x.length % rank === 0,
    `comp score: sizes ${x.length}, ${y.length} and rank ${rank} do not fit`,
  );
  const p = x.length / rank;
  const get = (m: ArrayLike<number>, i: number, j: number) => (layout === "B" ? m[i * rank + j] : m[j * p + i]);
  let f = 0;
  for (let a = 0; a < rank; a++)
    for (let b = 0; b < rank; b++) {
      let s = 0;
      for (let i = 0; i < p; i++) s += get(x, i, a) * get(y, i, b);
      f += s * s;
    }
  let nx = 0,
    ny = 0;
  for (let i = 0; i < x.length; i++) {
    nx += x[i] * x[i];
    ny += y[i] * y[i];
  }
  return nx === 0 || ny === 0 ? 0 : Math.sqrt(f) / Math.sqrt(nx * ny);
}

/** Eigen-decomposition of a symmetric matrix (cyclic Jacobi): eigenvalues descending, eigenvectors as columns. */
export function symmetricEigen(m: Float64Array[], maxSweeps = 100): { values: number[]; vectors: Float64Array[] } {
  const n = m.length;
  const a = m.map((r) => Float64Array.from(r));
  const v = Array.from({ length: n }, (_, i) => {
    const r = new Float64Array(n);
    r[i] = 1;
    return r;
  });
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0,
      total = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        total += a[i][j] * a[i][j];
        if (i !== j) off += a[i][j] * a[i][j];
      }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++)
      for (let q = p + 1; q < n; q++) {
        if (a[p][q] === 0) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1),
          s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p],
            akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k],
            aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p],
            vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
  }
  const order = a.map((r, i) => [r[i], i] as const).sort((x, y) => y[0] - x[0]);
  return {
    values: order.map(([val]) => val),
    vectors: order.map(([, i]) => Float64Array.from(v, (row) => row[i])),
  };
}

export interface PcaResult {
  /** Share of the trajectory's variance per component (of all components, so they sum to ≤ 1). */
  explainedVarianceRatio: number[];
  /** Unit loadings [nComponents][d]; each one's largest-magnitude entry is positive. */
  components: Float64Array[];
  /** Snapshot coordinates [n][nComponents]. */
  projections: number[][];
}

/** PCA of the snapshots (rows centred), through the smaller of the d×d covariance and the n×n Gram matrix. */
export function trajectoryPca(vectors: Float64Array[], nComponents = 3): PcaResult {
  const n = vectors.length;
  check(n >= 2, `PCA: needs at least 2 snapshots, got ${n}`);
  const d = vectors[0].length;
  const mean = new Float64Array(d);
  for (const v of vectors) for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  const X = vectors.map((v) => v.map((x, j) => x - mean[j]));
  let values: number[], comps: Float64Array[];
  if (d <= n) {
    const C = Array.from({ length: d }, (_, i) => {
      const r = new Float64Array(d);
      for (let j = 0; j < d; j++) for (const x of X) r[j] += x[i] * x[j];
      return r;
    });
    ({ values, vectors: comps } = symmetricEigen(C));
  } else {
    const G = X.map((xi) => Float64Array.from(X, (xj) => dot(xi, xj)));
    const e = symmetricEigen(G);
    values = e.values;
    comps = e.vectors.map((u, c) => {
      const w = new Float64Array(d);
      for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) w[j] += X[i][j] * u[i];
      const nw = norm(w);
      return nw > 0 && values[c] > 0 ? w.map((x) => x / nw) : w;
    });
  }
  const total = values.reduce((s, x) => s + Math.max(0, x), 0);
  const k = Math.min(nComponents, comps.length);
  const components = comps.slice(0, k).map((c) => {
    let big = 0;
    for (let j = 1; j < c.length; j++) if (Math.abs(c[j]) > Math.abs(c[big])) big = j;
    return c[big] < 0 ? c.map((x) => -x) : c;
  });
  return {
    explainedVarianceRatio: values.slice(0, k).map((x) => (total > 0 ? Math.max(0, x) / total : 0)),
    components,
    projections: X.map((x) => components.map((c) => dot(x, c))),
  };
}

/** The step of the largest gradient norm (the first, on ties), ignoring steps ≤ `after`. */
export function gradNormPeak(lines: TelemetryLine[], after = 0): { step: number; gradNorm: number } | null {
  let best: { step: number; gradNorm: number } | null = null;
  for (const l of lines)
    if (l.step > after && Number.isFinite(l.grad_norm) && (!best || l.grad_norm > best.gradNorm))
      best = { step: l.step, gradNorm: l.grad_norm };
  return best;
}

/** Candidate turning points of one local-cosine series (see the module's rule). */
export function cosinePeaks(series: CosinePoint[], k: number, threshold = -0.5): number[] {
  const out: number[] = [];
  for (const p of series) {
    if (p.cos === null || p.cos <= threshold) continue;
    const window = series.filter((q) => q.cos !== null && Math.abs(q.step - p.step) <= k);
    if (window.every((q) => q.cos! <= p.cos! && (q.cos! < p.cos! || q.step >= p.step))) out.push(p.step);
  }
  return out;
}

/** Transition steps from local-cosine series by k (the module's rule). */
export function detectTransitions(byK: Map<number, CosinePoint[]>, threshold = -0.5): number[] {
  const ks = [...byK.keys()].sort((a, b) => a - b);
  if (!ks.length) return [];
  const peaks = new Map(ks.map((k) => [k, cosinePeaks(byK.get(k)!, k, threshold)]));
  const first = peaks.get(ks[0])!;
  if (ks.length === 1) return first;
  return first.filter((t) => ks.slice(1).some((k) => peaks.get(k)!.some((u) => Math.abs(u - t) <= k)));
}

export interface PhaseOptions {
  /** Offsets in steps (default 5, 10, 15). */
  ks?: number[];
  /** Step vectors shorter than this are skipped (default 0.002). */
  minNorm?: number;
  /** Detection threshold τ on the local cosine (default −0.5). */
  threshold?: number;
  /** LoRA rank of the recorded modules (default 1). */
  rank?: number;
  /** Which B vector (default: the first lora_B key). */
  key?: string;
  /** PCA components (default 3). */
  nComponents?: number;
}

export interface PhaseAnalysis {
  /** The B trajectory analysed and its A. */
  keyB: string;
  keyA: string | null;
  ks: number[];
  minNorm: number;
  threshold: number;
  localCosineB: Record<string, CosinePoint[]>;
  localCosineA: Record<string, CosinePoint[]>;
  /** Comp score of each snapshot against the last one. */
  compB: { step: number; comp: number }[];
  compA: { step: number; comp: number }[];
  pcaB: PcaResult & { steps: number[] };
  gradNorm: { step: number; gradNorm: number }[];
  grad_norm_peak_step: number | null;
  transition_steps: number[];
}

/** The whole phase-transition analysis of telemetry lines. */
export function analysePhase(lines: TelemetryLine[], o: PhaseOptions = {}): PhaseAnalysis {
  const ks = o.ks ?? [5, 10, 15];
  const minNorm = o.minNorm ?? 0.002;
  const threshold = o.threshold ?? -0.5;
  const rank = o.rank ?? 1;
  const keys = vectorKeys(lines);
  const keyB = o.key ?? keys.find((k) => k.endsWith(".lora_B"));
  check(
    keyB,
    `telemetry: no LoRA B vectors recorded (train with a rank ≤ telemetryMaxRank adapter, e.g. preset em-rank1)`,
  );
  const keyA = keyB.replace(/lora_B$/, "lora_A");
  const hasA = keys.includes(keyA);
  const tB = trajectoryOf(lines, keyB);
  const tA = hasA ? trajectoryOf(lines, keyA) : null;
  const series = (tr: Trajectory | null) =>
    Object.fromEntries(ks.map((k) => [String(k), tr ? localCosine(tr, k, minNorm) : []]));
  const localCosineB = series(tB);
  const comp = (tr: Trajectory | null, layout: "A" | "B") =>
    tr
      ? tr.vectors.map((v, i) => ({
          step: tr.steps[i],
          comp: compScore(v, tr.vectors[tr.vectors.length - 1], rank, layout),
        }))
      : [];
  return {
    keyB,
    keyA: hasA ? keyA : null,
    ks,
    minNorm,
    threshold,
    localCosineB,
    localCosineA: series(tA),
    compB: comp(tB, "B"),
    compA: comp(tA, "A"),
    pcaB: { ...trajectoryPca(tB.vectors, o.nComponents ?? 3), steps: tB.steps },
    gradNorm: lines.map((l) => ({ step: l.step, gradNorm: l.grad_norm })),
    grad_norm_peak_step: gradNormPeak(lines)?.step ?? null,
    transition_steps: detectTransitions(new Map(ks.map((k) => [k, localCosineB[String(k)]])), threshold),
  };
}
