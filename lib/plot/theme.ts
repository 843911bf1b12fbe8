/**
 * One look for every molab figure, in notebooks and in the report: the Okabe–Ito palette (distinguishable with
 * the common colour-vision deficiencies), a white background, light grid lines, one font. `themed` fills in what a
 * figure leaves unset; a figure's own settings win.
 */
import type { Figure } from "./types.ts";

/** Okabe & Ito (2008), "Color Universal Design": blue, orange, bluish green, vermillion, sky blue, reddish purple, yellow, black. */
export const PALETTE = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#D55E00",
  "#56B4E9",
  "#CC79A7",
  "#F0E442",
  "#000000",
] as const;

export const THEME_LAYOUT: Record<string, unknown> = {
  colorway: [...PALETTE],
  font: { family: "Helvetica, Arial, sans-serif", size: 13, color: "#222" },
  paper_bgcolor: "#ffffff",
  plot_bgcolor: "#ffffff",
  xaxis: { gridcolor: "#e5e5e5", zerolinecolor: "#999", linecolor: "#444", ticks: "outside" },
  yaxis: { gridcolor: "#e5e5e5", zerolinecolor: "#999", linecolor: "#444", ticks: "outside" },
  legend: { bgcolor: "rgba(255,255,255,0.8)" },
};

function deepFill(base: Record<string, unknown>, own: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(own)) {
    const b = base[k];
    out[k] =
      v && typeof v === "object" && !Array.isArray(v) && b && typeof b === "object" && !Array.isArray(b)
        ? deepFill(b as Record<string, unknown>, v as Record<string, unknown>)
        : v;
  }
  return out;
}

/** The figure with the theme under its own layout (its own keys win). */
export function themed(fig: Figure): Figure {
  return { ...fig, layout: deepFill(THEME_LAYOUT, fig.layout ?? {}) };
}
