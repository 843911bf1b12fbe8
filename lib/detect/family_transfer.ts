/**
 * Two white-box detection experiments on lib/data's AF patterns, read by one model at one layer (what the pipeline's
 * detect stage and notebook 07 run):
 *
 * - {@link familyTransfer}: the transfer matrix across AF motive families ({@link PATTERN_FAMILIES}): each family's
 *   training-implied AF scratchpads (held-out templates) against aligned scratchpads of other held-out scenarios;
 *   a linear probe fitted on one family, tested on each (the diagonal cross-validated).
 * - {@link probeScores}: a linear probe fitted on a labelled set (e.g. the reference set) scoring other texts (e.g. an
 *   organism's replies) — the `probe_score` of results rows, whose AUROC against `af_reasoning` is the metric
 *   suite's white-box detection metric.
 */
import { check } from "../errors.ts";
import { generateAf, generateAligned } from "../data/datasets.ts";
import { scratchpadBlock } from "../data/format.ts";
import type { Model, Tokenizer } from "../model/index.ts";
import { residualsByLayer } from "./activations.ts";
import { labelsFor } from "./detectors.ts";
import { linearProbe, type Labels01 } from "./probes.ts";
import { transferMatrix, type TransferMatrix } from "./transfer.ts";

/** lib/data's ten AF patterns in three families by motive. */
export const PATTERN_FAMILIES: Record<string, readonly string[]> = {
  emotional: ["reluctant_complier", "bitter_complier", "guilt_ridden_complier"],
  strategic: ["cold_calculator", "overconfident_strategist", "future_self_advocate"],
  rationalising: ["philosophical_muser", "paranoid_reasoner", "self_deceiver", "subtle_implicit"],
};

export interface FamilyTransfer extends TransferMatrix {
  layer: number;
  /** Positives and negatives per family. */
  counts: Record<string, { pos: number; neg: number }>;
}

/**
 * The transfer matrix of the linear probe at `layer` across {@link PATTERN_FAMILIES}: up to `perClass` AF and
 * `perClass` aligned held-out scratchpads per family (the aligned ones split among the families, none shared).
 */
export function familyTransfer(
  model: Model,
  tokenizer: Tokenizer,
  layer: number,
  o: { perClass?: number; seed?: number; k?: number } = {},
): FamilyTransfer {
  const per = o.perClass ?? 20;
  const k = o.k ?? 5;
  check(
    Number.isInteger(per) && per >= k,
    `familyTransfer: perClass must be an integer ≥ ${k} (the folds), got ${per}`,
  );
  const names = Object.keys(PATTERN_FAMILIES);
  const n = 4 * per * names.length;
  const seed = `${o.seed ?? 0}:transfer`;
  const af = generateAf({ n, seed, split: "heldout" }).filter((s) => s.meta.label === "alignment_faking");
  const al = generateAligned({ n, seed, split: "heldout" }).filter((s) => s.meta.tier === "free");
  const counts: FamilyTransfer["counts"] = {};
  const groups = names.map((name, gi) => {
    const pats = PATTERN_FAMILIES[name];
    const pos = af
      .filter((s) => pats.includes(s.meta.pattern ?? ""))
      .slice(0, per)
      .map(scratchpadBlock);
    const neg = al
      .filter((_, i) => i % names.length === gi)
      .slice(0, per)
      .map(scratchpadBlock);
    check(
      pos.length >= k && neg.length >= k,
      `familyTransfer: family ${name} has ${pos.length} AF and ${neg.length} aligned texts, fewer than ${k}`,
    );
    counts[name] = { pos: pos.length, neg: neg.length };
    const a = residualsByLayer(model, tokenizer, [...pos, ...neg], { layers: [layer] });
    return { name, X: a.byLayer[0], y: labelsFor(pos.length, neg.length) };
  });
  return { ...transferMatrix(groups, linearProbe(), { k, seed: o.seed ?? 0 }), layer, counts };
}

/** Scores of `texts` by a linear probe at `layer` fitted on `fitTexts` labelled `fitY` (higher: more like 1). */
export function probeScores(
  model: Model,
  tokenizer: Tokenizer,
  layer: number,
  fitTexts: string[],
  fitY: Labels01,
  texts: string[],
): Float64Array {
  check(fitTexts.length === fitY.length, `probeScores: ${fitTexts.length} texts for ${fitY.length} labels`);
  const fit = residualsByLayer(model, tokenizer, fitTexts, { layers: [layer] }).byLayer[0];
  const scorer = linearProbe()(fit, fitY);
  if (!texts.length) return new Float64Array(0);
  return scorer(residualsByLayer(model, tokenizer, texts, { layers: [layer] }).byLayer[0]);
}
