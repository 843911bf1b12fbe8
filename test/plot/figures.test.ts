import { test } from "node:test";
import assert from "node:assert/strict";
import { barFigure, ciBarFigure, figureDiv, heatmapFigure, PALETTE, themed } from "../../lib/plot/index.ts";

test("ciBarFigure: asymmetric error bars from the CIs; points without an estimate are left out", () => {
  const f = ciBarFigure({
    base: [
      { label: "a", estimate: 0.2, ci: [0.1, 0.5], n: 10 },
      { label: "b", estimate: null, ci: null, n: 0 },
      { label: "c", estimate: -0.1, ci: null },
    ],
  });
  const t = f.data[0] as {
    x: string[];
    y: number[];
    error_y: { array: number[]; arrayminus: number[] };
    text: string[];
  };
  assert.deepEqual(t.x, ["a", "c"]);
  assert.deepEqual(t.y, [0.2, -0.1]);
  assert.ok(Math.abs(t.error_y.array[0] - 0.3) < 1e-12 && Math.abs(t.error_y.arrayminus[0] - 0.1) < 1e-12);
  assert.deepEqual([t.error_y.array[1], t.error_y.arrayminus[1]], [0, 0]);
  assert.match(t.text[0], /n=10/);
});

test("barFigure stacks on request, one trace per series", () => {
  const f = barFigure(["x", "y"], { s1: [1, 2], s2: [3, 4] }, { stacked: true });
  assert.equal(f.data.length, 2);
  assert.equal(f.layout?.barmode, "stack");
  assert.deepEqual((f.data[1] as { y: number[] }).y, [3, 4]);
});

test("the theme: Okabe-Ito colours under the figure's own layout, which wins", () => {
  assert.equal(new Set(PALETTE).size, 8);
  const t = themed({ data: [], layout: { xaxis: { title: { text: "step" } }, font: { size: 20 } } });
  assert.deepEqual(t.layout?.colorway, [...PALETTE]);
  const x = t.layout?.xaxis as { title: { text: string }; gridcolor: string };
  assert.equal(x.title.text, "step");
  assert.ok(x.gridcolor);
  assert.equal((t.layout?.font as { size: number; family: string }).size, 20);
  assert.ok((t.layout?.font as { family: string }).family);
  assert.match(figureDiv({ data: [] }, { id: "molab-fig-x" }), /"colorway":\["#0072B2"/);
});

test("heatmapFigure: the matrix of estimates, each cell annotated with its CI; a cell without one left blank", () => {
  const cell = (estimate: number | null, ci: [number, number] | null = null) => ({ label: "", estimate, ci });
  const f = heatmapFigure(
    [
      [cell(0.9, [0.8, 1]), cell(null)],
      [cell(0.5), cell(1, [1, 1])],
    ],
    ["a", "b"],
    ["a", "b"],
    { zRange: [0, 1] },
  );
  const t = f.data[0] as { z: (number | null)[][]; text: string[][]; zmin: number; zmax: number };
  assert.deepEqual(t.z, [
    [0.9, null],
    [0.5, 1],
  ]);
  assert.deepEqual(t.text, [
    ["0.90<br>[0.80, 1.00]", "—"],
    ["0.50", "1.00<br>[1.00, 1.00]"],
  ]);
  assert.deepEqual([t.zmin, t.zmax], [0, 1]);
});
