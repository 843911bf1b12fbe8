/**
 * The run's report: `report.html` (one self-contained page: plotly.js embedded once, no network, every stage's
 * figures and tables with captions), `report.md` (the same tables, figures as links to figures/*.png), and
 * `figures/` (each figure's plotly JSON, and PNG + SVG when headless Chromium is available).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic, writeJsonAtomic } from "../../io/atomic.ts";
import { bundleScript, figureDiv, tableRecords, tableHtml, type Figure } from "../../plot/index.ts";
import { reportSections, type ReportSection } from "./report_sections.ts";
import type { Headline, Stage, StageContext, StageResult } from "./stage.ts";
import { exportFigures, findChromium, screenshotPage } from "./export.ts";

/** summary.json: headline numbers by key, and the keys still pending. */
export interface RunSummary {
  [key: string]: Headline | string[] | Record<string, string>;
  pending: string[];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const num = (x: number | null | undefined, d = 3) =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(d);

/** The headline rows of a summary: key, estimate, 95% CI, n. */
export function headlineRows(summary: RunSummary | undefined): Record<string, unknown>[] {
  if (!summary) return [];
  return Object.entries(summary)
    .filter(([k]) => k.includes("."))
    .map(([k, v]) => {
      const h = v as Headline;
      return { key: k, estimate: num(h.estimate), "95% CI": h.ci ? `[${num(h.ci[0])}, ${num(h.ci[1])}]` : "—", n: h.n };
    });
}

const STYLE = `body{font-family:Helvetica,Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}h3{font-size:1.05em;margin-bottom:.3em}
.caption{color:#444;font-size:.9em;margin:.2em 0 1.2em}.note{color:#8a5a00;font-style:italic}
table.molab-table{border-collapse:collapse;font-size:.85em;margin:.4em 0}
table.molab-table td,table.molab-table th{border:1px solid #ccc;padding:3px 8px;text-align:right}
table.molab-table th{background:#f3f3f3}`;

/** The report as one self-contained HTML page. */
export function reportHtml(sections: ReportSection[], summary?: RunSummary, title = "molab pipeline report"): string {
  const parts: string[] = [`<h1>${esc(title)}</h1>`];
  const rows = headlineRows(summary);
  if (rows.length) {
    parts.push("<h2>Headline numbers</h2>", tableHtml(rows));
    if (summary?.pending.length)
      parts.push(`<p class="note">Pending (stages not built yet): ${esc(summary.pending.join(", "))}</p>`);
  }
  for (const s of sections) {
    parts.push(`<h2>${esc(s.title)}</h2>`);
    if (s.note) parts.push(`<p class="note">${esc(s.note)}</p>`);
    for (const it of s.items) {
      parts.push(`<h3>${esc(it.title)}</h3>`);
      if (it.figure) parts.push(figureDiv(it.figure, { id: `molab-fig-${it.id}`, height: 420 }));
      if (it.table) parts.push(tableHtml(it.table, { maxRows: 40 }));
      parts.push(`<p class="caption">${esc(it.caption)}</p>`);
    }
  }
  return (
    `<!doctype html>\n<html><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style>` +
    `${bundleScript()}</head><body>\n${parts.join("\n")}\n</body></html>\n`
  );
}

function mdCell(v: unknown): string {
  const s = typeof v === "number" ? (Number.isInteger(v) ? String(v) : num(v)) : String(v ?? "");
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function mdTable(rows: Record<string, unknown>[]): string {
  const recs = tableRecords(rows);
  if (!recs.length) return "";
  const cols = [...new Set(recs.flatMap((r) => Object.keys(r)))];
  return [
    `| ${cols.join(" | ")} |`,
    `| ${cols.map(() => "---").join(" | ")} |`,
    ...recs.map((r) => `| ${cols.map((c) => mdCell(r[c])).join(" | ")} |`),
  ].join("\n");
}

/** The report as Markdown; figures link to `figures/<id>.png` when `images` holds the id. */
export function reportMarkdown(
  sections: ReportSection[],
  summary?: RunSummary,
  images: Set<string> = new Set(),
): string {
  const out: string[] = ["# molab pipeline report", ""];
  const rows = headlineRows(summary);
  if (rows.length) {
    out.push("## Headline numbers", "", mdTable(rows), "");
    if (summary?.pending.length) out.push(`Pending (stages not built yet): ${summary.pending.join(", ")}`, "");
  }
  for (const s of sections) {
    out.push(`## ${s.title}`, "");
    if (s.note) out.push(`_${s.note}_`, "");
    for (const it of s.items) {
      out.push(`### ${it.title}`, "");
      if (it.figure)
        out.push(images.has(it.id) ? `![${it.title}](figures/${it.id}.png)` : `(figure: figures/${it.id}.json)`, "");
      if (it.table) out.push(mdTable(it.table), "");
      out.push(`_${it.caption}_`, "");
    }
  }
  return out.join("\n");
}

/** Every figure of the sections, by id. */
export function reportFigures(sections: ReportSection[]): Record<string, Figure> {
  return Object.fromEntries(sections.flatMap((s) => s.items.flatMap((it) => (it.figure ? [[it.id, it.figure]] : []))));
}

/**
 * Write the figures (plotly JSON, and PNG + SVG unless `exportImages` is false or Chromium is unavailable) into
 * `figuresDir` (default `<run>/figures`) and report.html + report.md into `reportDir` (default `run`).
 */
export async function writeReport(
  run: string,
  o: {
    figuresDir?: string;
    reportDir?: string;
    pending?: Record<string, string>;
    exportImages?: boolean;
    width?: number;
    install?: boolean;
    log?: (l: string) => void;
  } = {},
): Promise<{ sections: ReportSection[]; images: string[]; skipped?: string }> {
  const out = o.reportDir ?? run;
  const log = o.log ?? ((l: string) => console.log(l));
  const sections = reportSections(run, o.pending);
  const summaryFile = path.join(run, "summary.json");
  const summary = fs.existsSync(summaryFile)
    ? (JSON.parse(fs.readFileSync(summaryFile, "utf8")) as RunSummary)
    : undefined;
  const figs = reportFigures(sections);
  const figDir = o.figuresDir ?? path.join(run, "figures");
  for (const [id, f] of Object.entries(figs)) await writeJsonAtomic(path.join(figDir, `${id}.json`), f);
  let images: string[] = [];
  let skipped: string | undefined;
  if (o.exportImages !== false) {
    const r = await exportFigures(figs, figDir, { width: o.width ?? 1600, install: o.install ?? true, log });
    images = r.files;
    skipped = r.skipped;
    if (skipped) log(`figure export skipped: ${skipped}`);
  }
  const pngIds = new Set(images.filter((f) => f.endsWith(".png")).map((f) => path.basename(f, ".png")));
  await writeFileAtomic(path.join(out, "report.html"), reportHtml(sections, summary));
  await writeFileAtomic(path.join(out, "report.md"), reportMarkdown(sections, summary, pngIds));
  if (images.length) {
    // the top of the page as it opens in a browser, for write-ups and the README
    const chromium = findChromium();
    if (chromium) {
      const shot = await screenshotPage(path.join(out, "report.html"), chromium, o.width ?? 1600, {
        fullPage: false,
        height: 1200,
      });
      const file = path.join(figDir, "report-screenshot.png");
      await writeFileAtomic(file, shot.png);
      images.push(file);
    }
  }
  return { sections, images, skipped };
}

/** The pipeline's last stage: the report of whatever stages have run. */
export const reportStage: Stage = {
  name: "report",
  version: 3,
  dir: "figures",
  after: [],
  reads: ["data", "organisms", "organisms-em", "organisms-em-control", "elicit", "sae", "validate", "em", "detect"],
  keys: [],
  settings: (c) => c.export,
  async run(ctx: StageContext): Promise<StageResult> {
    // figures/ is this stage's folder; report.html and report.md are written beside the figures and moved to the top
    const r = await writeReport(ctx.run, {
      figuresDir: ctx.out,
      reportDir: ctx.out,
      pending: ctx.pending,
      exportImages: ctx.config.export.figures,
      width: ctx.config.export.width,
      install: ctx.config.export.installChromium,
      log: ctx.log,
    });
    const n = Object.keys(reportFigures(r.sections)).length;
    const images = r.skipped ? `no PNG/SVG (${r.skipped})` : `${r.images.length} PNG/SVG files`;
    return { line: `${n} figures, ${images}`, summary: {}, rootFiles: ["report.html", "report.md"] };
  },
};
