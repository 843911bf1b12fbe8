import { test } from "node:test";
import assert from "node:assert/strict";
import { pooled, type SequenceStats } from "../../lib/sae/intervals.ts";
import { fractionVarianceExplained } from "../../lib/sae/metrics.ts";
import { createRng } from "../../lib/rng.ts";

/** Random sequences of [n, d] activations, reconstructions and latent counts, and their sufficient statistics. */
function sequences(seed: number, d: number) {
  const rng = createRng(seed);
  return Array.from({ length: 5 }, (_, s) => {
    const n = 3 + s;
    const x = Float64Array.from({ length: n * d }, () => rng.normal() + s);
    const xhat = x.map((v) => v + 0.3 * rng.normal());
    const active = 1 + rng.int(7 * n);
    const st: SequenceStats = { tokens: n, resid: 0, sumX: new Float64Array(d), sumSq: 0, active };
    for (let i = 0; i < x.length; i++) {
      st.resid += (x[i] - xhat[i]) ** 2;
      st.sumX[i % d] += x[i];
      st.sumSq += x[i] ** 2;
    }
    return { x, xhat, n, active, st };
  });
}

const cat = (parts: Float64Array[]) => Float64Array.from(parts.flatMap((p) => [...p]));

test("pooled FVE and L0 from per-sequence statistics equal the metrics over the concatenated tokens", () => {
  const d = 4;
  const seqs = sequences(1, d);
  const n = seqs.reduce((a, s) => a + s.n, 0);
  const p = pooled(seqs.map((s) => s.st));
  const want = fractionVarianceExplained(cat(seqs.map((s) => s.x)), cat(seqs.map((s) => s.xhat)), n, d);
  assert.ok(Math.abs(p.fve - want) < 1e-9, `${p.fve} vs ${want}`);
  assert.ok(Math.abs(p.l0 - seqs.reduce((a, s) => a + s.active, 0) / n) < 1e-12);
});

test("a bootstrap resample (sequences taken 0, 1 or 2 times) equals the metrics over those tokens repeated", () => {
  const d = 3;
  const seqs = sequences(2, d);
  const counts = [2, 0, 1, 2, 0];
  const pick = seqs.flatMap((s, i) => Array.from({ length: counts[i] }, () => s));
  const n = pick.reduce((a, s) => a + s.n, 0);
  const p = pooled(
    seqs.map((s) => s.st),
    counts,
  );
  const want = fractionVarianceExplained(cat(pick.map((s) => s.x)), cat(pick.map((s) => s.xhat)), n, d);
  assert.ok(Math.abs(p.fve - want) < 1e-9, `${p.fve} vs ${want}`);
  assert.ok(Math.abs(p.l0 - pick.reduce((a, s) => a + s.active, 0) / n) < 1e-12);
});
