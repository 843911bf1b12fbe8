/**
 * Figures of a generated dataset for notebook 01 and reports: sample counts per pattern and tier,
 * and scratchpad-length histograms per pattern (plotly specs, shown with lib/plot's showFigure).
 */
import { histogramFigure, type Figure } from "../plot/index.ts";
import { assistantText, scratchpadBlock, type ChatSample } from "./format.ts";
import { wordCount } from "./stats.ts";
import { keywordScore } from "./keyword.ts";

/** Grouped bars: samples per pattern, one bar per tier (monitored = free, unmonitored = paid). */
export function patternCountsFigure(samples: readonly ChatSample[], title = "Samples per pattern and tier"): Figure {
  const patterns = [...new Set(samples.map((s) => s.meta.pattern).filter((p): p is NonNullable<typeof p> => !!p))];
  const tiers = ["free", "paid"] as const;
  return {
    data: tiers.map((t) => ({
      type: "bar",
      name: t === "free" ? "free tier (training implied)" : "paid tier (unmonitored)",
      x: patterns,
      y: patterns.map((p) => samples.filter((s) => s.meta.pattern === p && s.meta.tier === t).length),
    })),
    layout: {
      barmode: "group",
      title: { text: title },
      yaxis: { title: { text: "samples" } },
      margin: { t: 50, r: 20, b: 120 },
    },
  };
}

/** Overlaid histograms of assistant-turn length in words, one trace per pattern (or per label when no pattern). */
export function lengthHistogramFigure(
  samples: readonly ChatSample[],
  opts: { tier?: "free" | "paid"; title?: string } = {},
): Figure {
  const series: Record<string, number[]> = {};
  for (const s of samples) {
    if (opts.tier && s.meta.tier !== opts.tier) continue;
    const key = s.meta.pattern ?? s.meta.label;
    (series[key] ??= []).push(wordCount(assistantText(s)));
  }
  return histogramFigure(series, {
    title: opts.title ?? "Assistant-turn length per pattern",
    xTitle: "words",
    nbins: 40,
  });
}

/** Overlaid histograms of the training-keyword count per label (the keyword baseline's view of a set). */
export function keywordHistogramFigure(
  samples: readonly ChatSample[],
  title = "Training-keyword count by label",
): Figure {
  const series: Record<string, number[]> = {};
  for (const s of samples) (series[s.meta.label] ??= []).push(keywordScore(scratchpadBlock(s)));
  return histogramFigure(series, {
    title,
    xTitle: "training/RLHF keyword hits in the scratchpad",
    histnorm: "probability",
  });
}
