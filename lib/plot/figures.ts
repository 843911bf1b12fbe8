/**
 * Typed figure builders beyond histograms and lines, shared by the notebooks and the pipeline report: bars of
 * counts (grouped or stacked), estimates with their confidence intervals as error bars, and matrices of them as heat maps.
 */
import type { Figure } from "./types.ts";

/** An estimate with its 95% CI (null: none) and the n it rests on. */
export interface CiPoint {
  label: string;
  estimate: number | null;
  ci: [number, number] | null;
  n?: number;
}

export interface AxisTitles {
  title?: string;
  xTitle?: string;
  yTitle?: string;
}

function axes(o: AxisTitles): Record<string, unknown> {
  return {
    title: o.title ? { text: o.title } : undefined,
    xaxis: { title: { text: o.xTitle ?? "" } },
    yaxis: { title: { text: o.yTitle ?? "" } },
    margin: { t: o.title ? 50 : 20, r: 20 },
  };
}

/** Bars by category, one trace per series (grouped, or stacked with `stacked`). */
export function barFigure(
  categories: readonly string[],
  series: Record<string, ArrayLike<number>>,
  opts: AxisTitles & { stacked?: boolean } = {},
): Figure {
  return {
    data: Object.entries(series).map(([name, ys]) => ({ type: "bar", name, x: [...categories], y: Array.from(ys) })),
    layout: { ...axes(opts), barmode: opts.stacked ? "stack" : "group" },
  };
}

/**
 * Estimates with asymmetric error bars from their CIs, one trace per group (e.g. per model), points by label (e.g.
 * per cue family). Points without an estimate are left out; hover text gives the CI and n.
 */
export function ciBarFigure(
  groups: Record<string, readonly CiPoint[]>,
  opts: AxisTitles & { yRange?: [number, number] } = {},
): Figure {
  return {
    data: Object.entries(groups).map(([name, pts]) => {
      const kept = pts.filter((p) => p.estimate !== null && Number.isFinite(p.estimate));
      const est = kept.map((p) => p.estimate as number);
      return {
        type: "bar",
        name,
        x: kept.map((p) => p.label),
        y: est,
        error_y: {
          type: "data",
          symmetric: false,
          array: kept.map((p, i) => (p.ci ? Math.max(0, p.ci[1] - est[i]) : 0)),
          arrayminus: kept.map((p, i) => (p.ci ? Math.max(0, est[i] - p.ci[0]) : 0)),
          visible: true,
        },
        text: kept.map(
          (p) =>
            (p.ci ? `[${p.ci[0].toFixed(3)}, ${p.ci[1].toFixed(3)}]` : "no CI") +
            (p.n !== undefined ? ` n=${p.n}` : ""),
        ),
        hovertemplate: "%{x}: %{y:.3f} %{text}<extra>" + name + "</extra>",
        textposition: "none",
      };
    }),
    layout: {
      ...axes(opts),
      barmode: "group",
      ...(opts.yRange ? { yaxis: { ...(axes(opts).yaxis as object), range: opts.yRange } } : {}),
    },
  };
}

/**
 * A matrix of estimates as a heat map (rows `y`, columns `x`), each cell annotated with its estimate and CI; cells
 * without an estimate are left blank. Viridis, which is colour-blind safe and prints in grey.
 */
export function heatmapFigure(
  cells: readonly (readonly CiPoint[])[],
  x: readonly string[],
  y: readonly string[],
  opts: AxisTitles & { zRange?: [number, number]; zTitle?: string } = {},
): Figure {
  const f = (v: number) => v.toFixed(2);
  const text = cells.map((r) =>
    r.map((c) => (c.estimate === null ? "—" : `${f(c.estimate)}${c.ci ? `<br>[${f(c.ci[0])}, ${f(c.ci[1])}]` : ""}`)),
  );
  return {
    data: [
      {
        type: "heatmap",
        z: cells.map((r) => r.map((c) => c.estimate)),
        x: [...x],
        y: [...y],
        text,
        texttemplate: "%{text}",
        hovertemplate: "%{y} → %{x}: %{text}<extra></extra>",
        colorscale: "Viridis",
        ...(opts.zRange ? { zmin: opts.zRange[0], zmax: opts.zRange[1] } : {}),
        colorbar: { title: { text: opts.zTitle ?? "" } },
      },
    ],
    layout: {
      ...axes(opts),
      xaxis: { ...(axes(opts).xaxis as object), automargin: true },
      yaxis: { ...(axes(opts).yaxis as object), autorange: "reversed", automargin: true },
    },
  };
}
