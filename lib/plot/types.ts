/** The figure type every lib/plot builder returns. */

/** A plotly.js figure: traces, layout and config exactly as plotly.js takes them. */
export interface Figure {
  data: Record<string, unknown>[];
  layout?: Record<string, unknown>;
  config?: Record<string, unknown>;
}
