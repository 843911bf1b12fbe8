/**
 * Feature reports without a caching pipeline: which latents differ most between two sets of texts, and a dashboard
 * of one latent (what SAEDashboard shows): the activation histogram per set, the top-activating snippets with
 * per-token highlighting, and the logit effects of its decoder direction (W_dec[f] · W_U: the tokens it promotes and
 * suppresses when added to the residual stream, read without the final norm as SAEDashboard does). One forward per
 * text up to the SAE's hook; latents are encoded in chunks, so wide SAEs stay within bounded memory.
 */
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { Model, Tokenizer } from "../model/index.ts";
import { figureDiv, histogramFigure, plotlyBundle, showFigure, showHtml, type Figure } from "../plot/index.ts";
import { encode } from "./encode.ts";
import { extractActivations } from "./extract.ts";
import type { PooledFeatures } from "./features.ts";
import { checkSaeFitsModel, hookWidth } from "./hooks.ts";
import type { Sae } from "./sae.ts";

/** One latent's mean pooled activation in two sets and their difference (a − b), with the share of texts it fires in. */
export interface FeatureDifference {
  feature: number;
  meanA: number;
  meanB: number;
  diff: number;
  firesA: number;
  firesB: number;
}

/** The `k` latents whose mean pooled activation differs most between `a` and `b` (by |a − b|). */
export function topFeatureDifferences(a: PooledFeatures, b: PooledFeatures, k = 20): FeatureDifference[] {
  if (a.d_sae !== b.d_sae) throw new MolabError(`topFeatureDifferences: d_sae ${a.d_sae} vs ${b.d_sae}`);
  if (!a.n || !b.n) throw new MolabError("topFeatureDifferences: each set needs at least one text");
  const stats = (p: PooledFeatures) => {
    const mean = new Float64Array(p.d_sae);
    const fires = new Float64Array(p.d_sae);
    for (let i = 0; i < p.n; i++)
      for (let j = 0; j < p.d_sae; j++) {
        const v = p.features[i * p.d_sae + j];
        mean[j] += v / p.n;
        if (v > 0) fires[j] += 1 / p.n;
      }
    return { mean, fires };
  };
  const A = stats(a);
  const B = stats(b);
  return Array.from({ length: a.d_sae }, (_, j) => ({
    feature: j,
    meanA: A.mean[j],
    meanB: B.mean[j],
    diff: A.mean[j] - B.mean[j],
    firesA: A.fires[j],
    firesB: B.fires[j],
  }))
    .sort((x, y) => Math.abs(y.diff) - Math.abs(x.diff) || x.feature - y.feature)
    .slice(0, k);
}

export interface DashboardSnippet {
  set: string;
  /** Index of the text in its set. */
  text: number;
  /** The latent's largest activation in the text, and the token where it is. */
  max: number;
  at: number;
  /** The tokens around `at` (decoded one by one) and the latent's activation on each. */
  tokens: string[];
  acts: number[];
}

export interface FeatureDashboard {
  feature: number;
  hook: string;
  source: string;
  /** Per set: the latent's max activation in each text (the histogram's values). */
  sets: { label: string; maxPerText: number[]; fired: number }[];
  top: DashboardSnippet[];
  /** Tokens the decoder direction promotes and suppresses most (undefined when the hook is not residual-width). */
  logits?: { promoted: { token: string; value: number }[]; suppressed: { token: string; value: number }[] };
}

export interface DashboardOptions {
  /** Snippets shown (default 8) and tokens either side of the peak (default 12). */
  topK?: number;
  window?: number;
  /** Promoted and suppressed tokens listed (default 10). */
  logitK?: number;
  hook?: string;
  /** Latents per encode chunk. */
  chunk?: number;
}

/** A dashboard of latent `feature` over labelled sets of texts (or of token ids, e.g. chat-rendered conversations). */
export function featureDashboard(
  model: Model,
  tokenizer: Tokenizer,
  sae: Sae,
  sets: { label: string; texts?: string[]; ids?: number[][] }[],
  feature: number,
  opts: DashboardOptions = {},
): FeatureDashboard {
  const { d_sae } = sae.cfg;
  if (!Number.isInteger(feature) || feature < 0 || feature >= d_sae)
    throw new MolabError(`featureDashboard: feature must be an integer in [0, ${d_sae}), got ${feature}`);
  const hook = checkSaeFitsModel(sae, model, opts.hook);
  const win = opts.window ?? 12;
  const snippets: DashboardSnippet[] = [];
  const out: FeatureDashboard["sets"] = [];
  for (const set of sets) {
    const maxPerText: number[] = [];
    const seqs = set.ids ?? (set.texts ?? []).map((t) => tokenizer.encode(t));
    seqs.forEach((ids, i) => {
      if (!ids.length)
        throw new MolabError(`featureDashboard: text ${i} of set ${JSON.stringify(set.label)} has no tokens`);
      const acts = tf.tidy(() => {
        const x = extractActivations(model, [ids], hook); // [1, T, d_in]
        const z = encode(sae, tf.reshape(x, [ids.length, -1]) as tf.Tensor2D, { chunk: opts.chunk }); // [T, d_sae]
        return tf.reshape(tf.slice(z, [0, feature], [-1, 1]), [-1]).dataSync() as Float32Array;
      });
      let at = 0;
      for (let t = 1; t < acts.length; t++) if (acts[t] > acts[at]) at = t;
      maxPerText.push(acts[at] ?? 0);
      const lo = Math.max(0, at - win);
      const hi = Math.min(ids.length, at + win + 1);
      snippets.push({
        set: set.label,
        text: i,
        max: acts[at] ?? 0,
        at: at - lo,
        tokens: ids.slice(lo, hi).map((id) => tokenizer.decode([id])),
        acts: Array.from(acts.slice(lo, hi)),
      });
    });
    out.push({ label: set.label, maxPerText, fired: maxPerText.filter((v) => v > 0).length });
  }
  const top = snippets
    .filter((s) => s.max > 0)
    .sort((a, b) => b.max - a.max)
    .slice(0, opts.topK ?? 8);
  return {
    feature,
    hook,
    source: sae.cfg.source,
    sets: out,
    top,
    logits: logitEffects(model, tokenizer, sae, hook, feature, opts.logitK ?? 10),
  };
}

function logitEffects(model: Model, tokenizer: Tokenizer, sae: Sae, hook: string, f: number, k: number) {
  if (hookWidth(model, hook) !== model.config.hiddenSize || /mlp\.hook_|attn\.hook_/.test(hook)) return undefined;
  const effect = tf.tidy(() => {
    const dir = tf.slice(sae.W_dec, [f, 0], [1, -1]); // [1, h]
    const logits = model.frozenLmHead ? model.frozenLmHead.apply(dir) : tf.matMul(dir, model.lmHead); // [1, V]
    return logits.dataSync() as Float32Array;
  });
  const order = Array.from(effect.keys()).sort((a, b) => effect[b] - effect[a]);
  const row = (id: number) => ({ token: tokenizer.decode([id]), value: effect[id] });
  return { promoted: order.slice(0, k).map(row), suppressed: order.slice(-k).reverse().map(row) };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** The histogram of the latent's max activation per text, one trace per set. */
export function dashboardFigure(d: FeatureDashboard): Figure {
  const series = Object.fromEntries(
    d.sets.map((s) => [`${s.label} (fires in ${s.fired}/${s.maxPerText.length})`, s.maxPerText]),
  );
  return histogramFigure(series, {
    title: `SAE latent ${d.feature}: max activation per text`,
    xTitle: "activation",
    yTitle: "texts",
  });
}

/** Top-activating snippets (tokens shaded by activation, the peak outlined) and the logit-effect tables, as HTML. */
export function dashboardDetailsHtml(d: FeatureDashboard): string {
  const peak = Math.max(1e-9, ...d.top.map((s) => s.max));
  const snippet = (s: DashboardSnippet) =>
    '<div style="font-family:monospace;white-space:pre-wrap;margin:.4em 0">' +
    `<span style="color:#666">${esc(s.set)} #${s.text} · max ${s.max.toFixed(3)}</span> ` +
    s.tokens
      .map((t, i) => {
        const a = Math.max(0, s.acts[i]) / peak;
        const style = `background: rgba(230, 97, 1, ${a.toFixed(3)})${i === s.at ? "; outline: 1px solid #333" : ""}`;
        return `<span title="${s.acts[i].toFixed(4)}" style="${style}">${esc(t)}</span>`;
      })
      .join("") +
    "</div>";
  const table = (title: string, rows: { token: string; value: number }[]) =>
    `<table><tr><th colspan="2">${title}</th></tr>` +
    rows
      .map((r) => `<tr><td><code>${esc(JSON.stringify(r.token))}</code></td><td>${r.value.toFixed(3)}</td></tr>`)
      .join("") +
    "</table>";
  return [
    `<h3>SAE latent ${d.feature} · ${esc(d.hook)}</h3><p style="color:#666">${esc(d.source)}</p>`,
    `<h4>Top activations (${d.top.length})</h4>${d.top.map(snippet).join("\n") || "<p>The latent fires on no text.</p>"}`,
    d.logits
      ? '<h4>Logit effects (W_dec[f] · W_U)</h4><div style="display:flex;gap:2em">' +
        `${table("promoted", d.logits.promoted)}${table("suppressed", d.logits.suppressed)}</div>`
      : "",
  ].join("\n");
}

/** Show a dashboard inline in a tslab notebook (plotly's bundle once per kernel, as lib/plot does). */
export function showDashboard(d: FeatureDashboard): void {
  showFigure(dashboardFigure(d));
  showHtml(dashboardDetailsHtml(d));
}

/** A self-contained HTML page (plotly embedded once, no network). */
export function dashboardHtml(d: FeatureDashboard): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>SAE latent ${d.feature}</title>` +
    `<script>${plotlyBundle().replace(/<\/script/gi, "<\\/script")}</script></head>` +
    `<body style="font-family:sans-serif;max-width:1000px;margin:2em auto">${figureDiv(dashboardFigure(d))}\n${dashboardDetailsHtml(d)}</body></html>`
  );
}
