/**
 * Phase-transition analysis against numpy (test/fixtures/em/make_phase_fixture.py) within 1e-9, and the detector on
 * synthetic trajectories with a planted turn.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  analysePhase,
  compScore,
  detectTransitions,
  localCosine,
  trajectoryPca,
  type CosinePoint,
} from "../../lib/em/phase.ts";
import type { TelemetryLine } from "../../lib/train/telemetry.ts";
import { createRng } from "../../lib/rng.ts";

const REF = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "fixtures", "em", "phase_reference.json"), "utf8"));
const TOL = 1e-9;
const tr = (rows: number[][]) => ({ steps: REF.steps as number[], vectors: rows.map((r) => Float64Array.from(r)) });

function close(got: number, want: number, what: string) {
  assert.ok(Math.abs(got - want) <= TOL, `${what}: ${got} vs numpy ${want}`);
}

function sameSeries(got: CosinePoint[], want: CosinePoint[], what: string) {
  assert.deepEqual(
    got.map((p) => p.step),
    want.map((p) => p.step),
    `${what}: steps`,
  );
  got.forEach((p, i) => {
    if (want[i].cos === null) assert.equal(p.cos, null, `${what} step ${p.step}: skipped by numpy (short step vector)`);
    else close(p.cos!, want[i].cos!, `${what} step ${p.step}`);
  });
}

test("local cosine for k = 5, 10, 15 of B and A equals numpy, with the short-step points skipped", () => {
  let skipped = 0;
  for (const k of [5, 10, 15]) {
    sameSeries(localCosine(tr(REF.B), k, REF.min_norm), REF.local_cosine_B[k], `B k=${k}`);
    sameSeries(localCosine(tr(REF.A), k, REF.min_norm), REF.local_cosine_A[k], `A k=${k}`);
    skipped += REF.local_cosine_B[k].filter((p: CosinePoint) => p.cos === null).length;
  }
  assert.ok(skipped > 0, "the fixture has points under the step-norm threshold");
});

test("comp score against the final snapshot equals numpy (rank 1 and rank 2, B and A layouts)", () => {
  const last = (m: number[][]) => m[m.length - 1];
  REF.B.forEach((v: number[], i: number) => close(compScore(v, last(REF.B), 1, "B"), REF.comp_B[i], `B ${i}`));
  REF.A.forEach((v: number[], i: number) => close(compScore(v, last(REF.A), 1, "A"), REF.comp_A[i], `A ${i}`));
  REF.B2.forEach((v: number[], i: number) => {
    close(compScore(v, last(REF.B2), 2, "B"), REF.comp_B2_rank2_B[i], `rank-2 B ${i}`);
    close(compScore(v, last(REF.B2), 2, "A"), REF.comp_B2_rank2_A[i], `rank-2 A ${i}`);
  });
  // The two layouts read different matrices, so they must differ somewhere (a layout mix-up would not).
  assert.ok(REF.comp_B2_rank2_B.some((x: number, i: number) => Math.abs(x - REF.comp_B2_rank2_A[i]) > 1e-3));
});

test("PCA of the trajectory (covariance path d ≤ n, Gram path n < d) equals numpy", () => {
  for (const [name, rows] of [
    ["pca_B", REF.B],
    ["pca_wide", REF.wide],
  ] as const) {
    const got = trajectoryPca(
      (rows as number[][]).map((r) => Float64Array.from(r)),
      3,
    );
    const want = REF[name];
    want.explained_variance_ratio.forEach((x: number, c: number) =>
      close(got.explainedVarianceRatio[c], x, `${name} ratio ${c}`),
    );
    want.components.forEach((w: number[], c: number) =>
      w.forEach((x, j) => close(got.components[c][j], x, `${name} comp ${c}[${j}]`)),
    );
    want.projections.forEach((w: number[], i: number) =>
      w.forEach((x, c) => close(got.projections[i][c], x, `${name} projection ${i}[${c}]`)),
    );
  }
});

/** A walk along u1 that turns onto u2 at `turn`, with Gaussian noise; B starts at zero. */
function plantedLines(n: number, d: number, turn: number, seed: number, angle = Math.PI / 2): TelemetryLine[] {
  const rng = createRng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.float())) * Math.cos(2 * Math.PI * rng.float());
  const u1 = Array.from({ length: d }, gauss);
  const n1 = Math.hypot(...u1);
  const e1 = u1.map((x) => x / n1);
  let w = Array.from({ length: d }, gauss);
  const p = w.reduce((s, x, j) => s + x * e1[j], 0);
  w = w.map((x, j) => x - p * e1[j]);
  const nw = Math.hypot(...w);
  const e2 = w.map((x) => x / nw);
  const dir2 = e1.map((x, j) => Math.cos(angle) * x + Math.sin(angle) * e2[j]);
  const lines: TelemetryLine[] = [];
  for (let s = 1; s <= n; s++) {
    const v = e1.map((x, j) => 0.01 * Math.min(s, turn) * x + 0.01 * Math.max(0, s - turn) * dir2[j] + 0.001 * gauss());
    lines.push({
      step: s,
      loss: 1,
      grad_norm: s === turn ? 5 : 1,
      lr: 1e-4,
      vectors: { "base_model.model.m.lora_B": v },
    });
  }
  return lines;
}

test("the detector finds a planted turn within ±k steps, and nothing on a straight walk", () => {
  for (const [seed, turn] of [
    [1, 40],
    [2, 57],
    [3, 73],
  ]) {
    const a = analysePhase(plantedLines(120, 24, turn, seed));
    assert.ok(a.transition_steps.length >= 1, `seed ${seed}: no transition found (planted at ${turn})`);
    assert.ok(
      a.transition_steps.every((t) => Math.abs(t - turn) <= 5),
      `seed ${seed}: transitions ${a.transition_steps} not within ±5 of ${turn}`,
    );
    assert.equal(a.grad_norm_peak_step, turn);
  }
  const straight = analysePhase(plantedLines(120, 24, 1000, 4));
  assert.deepEqual(straight.transition_steps, [], "a straight walk has no transition");
  // A shallow bend (30°) stays under the default threshold (cos ≈ −0.87 < −0.5).
  assert.deepEqual(analysePhase(plantedLines(120, 24, 60, 5, Math.PI / 6)).transition_steps, []);
});

test("transitions need a second k to confirm the smallest k's candidate", () => {
  const peak = (at: number, span: number[]): CosinePoint[] =>
    span.map((s) => ({ step: s, cos: s === at ? 0.2 : -0.99 }));
  const steps = Array.from({ length: 80 }, (_, i) => i + 10);
  assert.deepEqual(
    detectTransitions(
      new Map([
        [5, peak(40, steps)],
        [10, peak(47, steps)],
      ]),
    ),
    [40],
  );
  assert.deepEqual(
    detectTransitions(
      new Map([
        [5, peak(40, steps)],
        [10, peak(60, steps)],
      ]),
    ),
    [],
  );
  assert.deepEqual(detectTransitions(new Map([[5, peak(40, steps)]])), [40]);
});
