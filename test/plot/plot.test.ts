import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  figureHtml,
  histogramFigure,
  lineFigure,
  saveFigureHtml,
  tableHtml,
  tableRecords,
  showFigure,
} from "../../lib/plot/index.ts";

test("histogram and line figures are plain plotly specs", () => {
  const h = histogramFigure({ a: [1, 2, 2], b: new Float32Array([3, 4]) }, { title: "t", xTitle: "x", nbins: 10 });
  assert.equal(h.data.length, 2);
  assert.deepEqual(h.data[1].x, [3, 4]);
  assert.equal(h.data[0].type, "histogram");
  assert.equal(h.data[0].nbinsx, 10);
  assert.equal(h.layout?.barmode, "overlay");
  const l = lineFigure({ loss: { x: [0, 1], y: [2, 1] } }, { yLog: true });
  assert.deepEqual((l.layout?.yaxis as { type?: string }).type, "log");
});

test("a standalone HTML file embeds plotly.js and draws every figure", async () => {
  const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "molab-plot-")), "fig.html");
  await saveFigureHtml([histogramFigure({ a: [1] }), lineFigure({ b: { x: [0], y: [1] } })], f, "two <figures>");
  const html = fs.readFileSync(f, "utf8");
  assert.match(html, /<title>two &lt;figures><\/title>/);
  assert.ok(html.length > 3_000_000, "bundle inlined");
  assert.equal(html.split("window.Plotly.newPlot(").length - 1, 2);
  assert.doesNotMatch(
    figureHtml(histogramFigure({ "</script>": [1] })).slice(-2000),
    /"<\/script>"/,
    "no script break-out from data",
  );
});

test("tables from records and from a DataFrame-like object", () => {
  assert.deepEqual(
    tableRecords({
      columns: ["a", "b"],
      values: [
        [1, 2],
        [3, 4],
      ],
      index: ["x", "y"],
    }),
    [
      { "": "x", a: 1, b: 2 },
      { "": "y", a: 3, b: 4 },
    ],
  );
  assert.deepEqual(tableRecords({ columns: ["a"], values: [[1]], index: [0] }), [{ a: 1 }]);
  const html = tableHtml([{ k: "<b>", v: 0.123456 }]);
  assert.match(html, /<td>&lt;b&gt;<\/td><td>0\.1235<\/td>/);
});

test("showFigure outside a notebook does nothing and does not throw", () => {
  assert.equal(showFigure(histogramFigure({ a: [1] })), undefined);
});
