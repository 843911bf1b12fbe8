/**
 * Multiple-testing corrections: Benjamini-Hochberg and Benjamini-Yekutieli exactly as
 * scipy.stats.false_discovery_control, and Bonferroni (min(p*m, 1)).
 */
import { MolabError } from "../errors.ts";
import { npSum } from "./numeric.ts";

function checkPs(ps: ArrayLike<number>): Float64Array {
  const out = Float64Array.from(ps);
  for (let i = 0; i < out.length; i++) {
    const p = out[i];
    if (Number.isNaN(p) || p < 0 || p > 1) throw new MolabError(`p-values must lie between 0 and 1; ps[${i}] = ${p}`);
  }
  return out;
}

/** Adjusted p-values (BH by default), in the input order. */
export function falseDiscoveryControl(ps: ArrayLike<number>, method: "bh" | "by" = "bh"): Float64Array {
  if (method !== "bh" && method !== "by")
    throw new MolabError(`method must be bh or by; got ${JSON.stringify(method)}`);
  const p = checkPs(ps);
  const m = p.length;
  if (m <= 1) return p;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => p[a] - p[b] || a - b);
  const s = new Float64Array(m);
  for (let k = 0; k < m; k++) s[k] = p[order[k]] * (m / (k + 1));
  if (method === "by") {
    const inv = new Float64Array(m);
    for (let k = 1; k <= m; k++) inv[k - 1] = 1 / k;
    const h = npSum(inv);
    for (let k = 0; k < m; k++) s[k] *= h;
  }
  for (let k = m - 2; k >= 0; k--) if (s[k + 1] < s[k]) s[k] = s[k + 1];
  const out = new Float64Array(m);
  for (let k = 0; k < m; k++) out[order[k]] = Math.min(Math.max(s[k], 0), 1);
  return out;
}

/** Benjamini-Hochberg adjusted p-values. */
export const benjaminiHochberg = (ps: ArrayLike<number>) => falseDiscoveryControl(ps, "bh");

/** Bonferroni adjusted p-values: min(p * m, 1). */
export function bonferroni(ps: ArrayLike<number>): Float64Array {
  const p = checkPs(ps);
  return p.map((v) => Math.min(v * p.length, 1));
}
