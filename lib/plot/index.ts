/**
 * Plotly figures: plain `{data, layout}` specs (the JSON plotly.js takes), shown inline in a
 * tslab notebook or written as a standalone HTML file. In a notebook the plotly.js bundle is
 * embedded once per kernel (the first figure's output carries it), so saved notebooks render
 * offline; later figures carry only their div and a `Plotly.newPlot` call.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import { writeFileAtomic } from "../io/atomic.ts";
import { themed } from "./theme.ts";

export { PALETTE, THEME_LAYOUT, themed } from "./theme.ts";
export { barFigure, ciBarFigure, heatmapFigure, type AxisTitles, type CiPoint } from "./figures.ts";

import type { Figure } from "./types.ts";

export type { Figure } from "./types.ts";

const requireHere = createRequire(__filename);
let bundle: string | undefined;
let bundleShown = false;
let counter = 0;

/** The minified plotly.js bundle (read once). */
export function plotlyBundle(): string {
  bundle ??= fs.readFileSync(requireHere.resolve("plotly.js-dist-min"), "utf8");
  return bundle;
}

/**
 * The bundle as a script that works in classic Notebook (where require.js would otherwise
 * capture plotly as an AMD module), JupyterLab and a plain HTML page: it always sets window.Plotly.
 */
export function bundleScript(): string {
  return (
    '<script type="text/javascript">(function(define, module, exports){' +
    plotlyBundle().replace(/<\/script/gi, "<\\/script") +
    "\n})(undefined, undefined, undefined);</script>"
  );
}

function json(v: unknown): string {
  return JSON.stringify(v ?? {}).replace(/</g, "\\u003c");
}

/** A `<div>` plus the script that draws `fig` into it (expects window.Plotly to exist or to arrive). */
export function figureDiv(figure: Figure, opts: { height?: number; id?: string } = {}): string {
  const fig = themed(figure);
  const id = opts.id ?? `molab-plot-${process.pid}-${++counter}`;
  const height = opts.height ?? (fig.layout?.height as number | undefined) ?? 420;
  const config = { responsive: true, displaylogo: false, ...(fig.config ?? {}) };
  return (
    `<div id="${id}" style="width:100%;height:${height}px;"></div>` +
    '<script type="text/javascript">(function(){var go=function(){' +
    `window.Plotly.newPlot(${JSON.stringify(id)},${json(fig.data)},${json(fig.layout)},${json(config)});};` +
    "if(window.Plotly){go();}else{var n=0,t=setInterval(function(){" +
    "if(window.Plotly||++n>100){clearInterval(t);if(window.Plotly)go();}},50);}})();</script>"
  );
}

/** A standalone HTML page with the bundle inlined: opens offline in any browser. */
export function figureHtml(fig: Figure | Figure[], title = "molab figure"): string {
  const figs = Array.isArray(fig) ? fig : [fig];
  const esc = title.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc}</title>${bundleScript()}</head>` +
    `<body>${figs.map((f) => figureDiv(f)).join("\n")}</body></html>\n`
  );
}

/** Write figures to a standalone HTML file (atomic). */
export async function saveFigureHtml(fig: Figure | Figure[], file: string, title?: string): Promise<void> {
  await writeFileAtomic(file, figureHtml(fig, title));
}

type TslabDisplay = { html(s: string): void };

/** The tslab display of the running notebook cell, or undefined outside a tslab kernel. */
export function notebookDisplay(): TslabDisplay | undefined {
  // Ask the tslab instance that runs the kernel (the process's main module), which may live in
  // another checkout than this file; fall back to the one beside molab.
  const mainFile = require.main?.filename;
  for (const req of mainFile ? [createRequire(mainFile), requireHere] : [requireHere]) {
    try {
      const tslab = req("tslab") as { display: TslabDisplay };
      const jupyter = req("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
      if (jupyter.lastWriteDisplayData) return tslab.display;
    } catch {
      /* not this one */
    }
  }
  return undefined;
}

/** Display HTML inline in the notebook; does nothing outside a notebook (see `notebookDisplay`). */
export function showHtml(html: string): void {
  notebookDisplay()?.html(html);
}

/**
 * Show a figure inline in a tslab notebook. Outside a notebook it does nothing
 * (use `saveFigureHtml` there).
 */
export function showFigure(fig: Figure): void {
  const d = notebookDisplay();
  if (!d) return;
  d.html((bundleShown ? "" : bundleScript()) + figureDiv(fig));
  bundleShown = true;
}

/** Overlaid histograms of named samples (one trace each), the figure most stages draw. */
export function histogramFigure(
  series: Record<string, ArrayLike<number>>,
  opts: {
    title?: string;
    xTitle?: string;
    yTitle?: string;
    nbins?: number;
    histnorm?: "" | "probability" | "percent" | "density" | "probability density";
  } = {},
): Figure {
  return {
    data: Object.entries(series).map(([name, xs]) => ({
      type: "histogram",
      name,
      x: Array.from(xs),
      opacity: Object.keys(series).length > 1 ? 0.6 : 1,
      ...(opts.nbins ? { nbinsx: opts.nbins } : {}),
      ...(opts.histnorm ? { histnorm: opts.histnorm } : {}),
    })),
    layout: {
      barmode: "overlay",
      title: opts.title ? { text: opts.title } : undefined,
      xaxis: { title: { text: opts.xTitle ?? "" } },
      yaxis: { title: { text: opts.yTitle ?? (opts.histnorm ? opts.histnorm : "count") } },
      margin: { t: opts.title ? 50 : 20, r: 20 },
    },
  };
}

/** Lines (x, y) by name: training curves, ROC curves, trajectories. */
export function lineFigure(
  series: Record<string, { x: ArrayLike<number>; y: ArrayLike<number> }>,
  opts: { title?: string; xTitle?: string; yTitle?: string; yLog?: boolean } = {},
): Figure {
  return {
    data: Object.entries(series).map(([name, s]) => ({
      type: "scatter",
      mode: "lines",
      name,
      x: Array.from(s.x),
      y: Array.from(s.y),
    })),
    layout: {
      title: opts.title ? { text: opts.title } : undefined,
      xaxis: { title: { text: opts.xTitle ?? "" } },
      yaxis: { title: { text: opts.yTitle ?? "" }, ...(opts.yLog ? { type: "log" } : {}) },
      margin: { t: opts.title ? 50 : 20, r: 20 },
    },
  };
}

function escapeHtml(v: unknown): string {
  const s =
    typeof v === "number"
      ? Number.isInteger(v) || !Number.isFinite(v)
        ? String(v)
        : String(Number(v.toPrecision(4)))
      : String(v ?? "");
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** What tables accept: records (any objects), or a danfo.js DataFrame (anything with columns, values and index). */
export type TableLike = readonly object[] | { columns: string[]; values: unknown[]; index: (string | number)[] };

function isRecordList(rows: TableLike): rows is readonly object[] {
  return Array.isArray(rows);
}

/** Records of a table; a DataFrame's index becomes a first column unless it is just 0..n-1. */
export function tableRecords(rows: TableLike): Record<string, unknown>[] {
  if (isRecordList(rows)) return rows as Record<string, unknown>[];
  const plainIndex = rows.index.every((v, i) => v === i);
  return rows.values.map((row, i) => {
    const r: Record<string, unknown> = plainIndex ? {} : { "": rows.index[i] };
    const cells = Array.isArray(row) ? row : [row];
    rows.columns.forEach((c, j) => (r[c] = cells[j]));
    return r;
  });
}

/** Rows of records, or a danfo DataFrame, as an HTML table. */
export function tableHtml(rows: TableLike, opts: { maxRows?: number } = {}): string {
  const recs = tableRecords(rows);
  const max = opts.maxRows ?? 50;
  const cols = [...new Set(recs.flatMap((r) => Object.keys(r)))];
  const head = `<tr>${cols.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`;
  const body = recs
    .slice(0, max)
    .map((r) => `<tr>${cols.map((c) => `<td>${escapeHtml(r[c])}</td>`).join("")}</tr>`)
    .join("");
  const more = recs.length > max ? `<p>… ${recs.length - max} more rows</p>` : "";
  return `<table class="molab-table">${head}${body}</table>${more}`;
}

/** Show a table inline in a notebook; outside one, print it with console.table. */
export function showTable(rows: TableLike, opts: { maxRows?: number } = {}): void {
  const d = notebookDisplay();
  if (d) d.html(tableHtml(rows, opts));
  else console.table(tableRecords(rows).slice(0, opts.maxRows ?? 50));
}
