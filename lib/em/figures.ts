/** Figures of stage 6: EM rate bars with their CIs, and the phase-transition curves. */
import type { Figure } from "../plot/index.ts";
import type { PhaseAnalysis } from "./phase.ts";
import type { RateBlock } from "./rates.ts";

/** Bars of EM rate (%) per condition with Wilson CI error bars; a condition without a defined row has no bar. */
export function rateBarFigure(
  conditions: Record<string, RateBlock>,
  opts: { title?: string; metric?: "em" | "coherence" } = {},
): Figure {
  const metric = opts.metric ?? "em";
  const names = Object.keys(conditions);
  const est = names.map((n) => conditions[n][metric]);
  return {
    data: [
      {
        type: "bar",
        x: names,
        y: est.map((e) => (e ? 100 * e.estimate : null)),
        error_y: {
          type: "data",
          symmetric: false,
          array: est.map((e) => (e ? 100 * (e.ci[1] - e.estimate) : 0)),
          arrayminus: est.map((e) => (e ? 100 * (e.estimate - e.ci[0]) : 0)),
        },
        text: names.map((n) => `${conditions[n].defined}/${conditions[n].rows} defined`),
      },
    ],
    layout: {
      title: opts.title ? { text: opts.title } : undefined,
      yaxis: {
        title: { text: metric === "em" ? "EM rate (%), 95% Wilson CI" : "coherent > 50 (%)" },
        rangemode: "tozero",
      },
      margin: { t: opts.title ? 50 : 20, r: 20 },
    },
  };
}

/** Local cosine of B for each k, with the gradient norm on a second axis and the detected steps marked. */
export function phaseFigure(a: PhaseAnalysis, opts: { title?: string } = {}): Figure {
  const lines = a.ks.map((k) => {
    const pts = a.localCosineB[String(k)];
    return {
      type: "scatter",
      mode: "lines",
      name: `local cosine k=${k}`,
      x: pts.map((p) => p.step),
      y: pts.map((p) => p.cos),
    };
  });
  return {
    data: [
      ...lines,
      {
        type: "scatter",
        mode: "lines",
        name: "grad norm",
        yaxis: "y2",
        x: a.gradNorm.map((g) => g.step),
        y: a.gradNorm.map((g) => g.gradNorm),
      },
    ],
    layout: {
      title: opts.title ? { text: opts.title } : undefined,
      xaxis: { title: { text: "optimizer step" } },
      yaxis: { title: { text: "cos(v[t−k] − v[t], v[t+k] − v[t])" }, range: [-1.05, 1.05] },
      yaxis2: { title: { text: "gradient norm" }, overlaying: "y", side: "right" },
      shapes: [
        ...a.transition_steps.map((s) => ({
          type: "line",
          x0: s,
          x1: s,
          yref: "paper",
          y0: 0,
          y1: 1,
          line: { dash: "dot", color: "red" },
        })),
        ...(a.grad_norm_peak_step !== null
          ? [
              {
                type: "line",
                x0: a.grad_norm_peak_step,
                x1: a.grad_norm_peak_step,
                yref: "paper",
                y0: 0,
                y1: 1,
                line: { dash: "dash", color: "gray" },
              },
            ]
          : []),
      ],
      // the legend right of the second axis's ticks and title, not over them
      legend: { x: 1.12, xanchor: "left" },
      margin: { t: opts.title ? 50 : 20, r: 60 },
    },
  };
}
