/** The report's SAE feature dashboard items, read back from `<run>/sae/dashboard.json` (written by the sae stage). */
import * as fs from "node:fs";
import * as path from "node:path";
import { f3, readJson, type ReportItem } from "./report_shared.ts";
import { dashboardFigure, type FeatureDashboard, type FeatureDifference } from "../../sae/dashboard.ts";

/** The dashboard the sae stage wrote (sae/dashboard.json; the full page is sae/dashboard.html). */
export function dashboardItems(dir: string): ReportItem[] {
  const f = path.join(dir, "dashboard.json");
  if (!fs.existsSync(f)) return [];
  const d = readJson<FeatureDashboard & { difference: FeatureDifference }>(f);
  const sets = d.sets.map((s) => `${s.label} n = ${s.maxPerText.length}`).join(", ");
  return [
    {
      id: "sae-dashboard",
      title: `Feature dashboard: latent ${d.feature}`,
      caption:
        `The latent whose mean pooled activation differs most between held-out AF and aligned texts (${f3(d.difference.meanA)} ` +
        `vs ${f3(d.difference.meanB)}; ${sets}): its max activation per text. Descriptive, no test; sae/dashboard.html ` +
        "has the snippets with per-token shading.",
      figure: dashboardFigure(d),
    },
    {
      id: "sae-dashboard-snippets",
      title: `Latent ${d.feature}: top activations and logit effects`,
      caption:
        "Tokens around each text's peak (the peak in «»), and the tokens its decoder direction promotes most " +
        "(W_dec[f] · W_U, without the final norm).",
      table: [
        ...d.top.map((s) => ({
          set: s.set,
          max: f3(s.max),
          snippet: s.tokens.map((t, i) => (i === s.at ? `«${t}»` : t)).join(""),
        })),
        ...(d.logits
          ? [{ set: "promotes", max: "", snippet: d.logits.promoted.map((p) => JSON.stringify(p.token)).join(" ") }]
          : []),
      ],
    },
  ];
}
