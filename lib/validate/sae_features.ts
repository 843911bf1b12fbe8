/**
 * The SAE featurizer of the validation report, as the seed validates organisms: the base model reads each text up to
 * the SAE's hook, the SAE encodes every token, and the latents are pooled per text (lib/sae's pooledTextFeatures).
 * The report compares a few latents, chosen without labels as the bag of words chooses its words: the latents that
 * are active (pooled > 0) in the most texts of organism and reference together, ties by the larger mean activation.
 */
import { MolabError } from "../errors.ts";
import { disposeModel, loadModel, loadTokenizer, type Model, type Tokenizer } from "../model/index.ts";
import { disposeSae, loadSae, pooledTextFeatures, type Pool, type Sae } from "../sae/index.ts";
import type { FeatureMatrix } from "../stats/bow.ts";

export interface SaeFeatureOptions {
  /** Latents compared, at most (default 64). */
  maxFeatures?: number;
  pool?: Pool;
  /** Pool only over each text's scratchpad (texts without one are an error). */
  scratchpad?: boolean;
  /** Our hook name, when the SAE's own is missing or to override it. */
  hook?: string;
  /** The SAE's folder in a hub repo, when the SAE is given as a repo id (loadSae's subfolder). */
  saeId?: string;
  /** Hub revision of that repo (default main). */
  saeRevision?: string;
}

export interface SaeFeatures {
  organism: FeatureMatrix;
  reference: FeatureMatrix;
  /** The latents compared, in column order. */
  latents: number[];
  source: string;
}

/** Pooled SAE latents of organism and reference texts, restricted to the latents active in the most texts. */
export function saeFeatures(
  model: Model,
  tokenizer: Tokenizer,
  sae: Sae,
  organismTexts: string[],
  referenceTexts: string[],
  opts: SaeFeatureOptions = {},
): SaeFeatures {
  const pool = opts.pool ?? "mean";
  const all = pooledTextFeatures(model, tokenizer, sae, [...organismTexts, ...referenceTexts], {
    pool,
    hook: opts.hook,
    scratchpad: opts.scratchpad,
  });
  const { d_sae, n } = all;
  const df = new Float64Array(d_sae);
  const mean = new Float64Array(d_sae);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d_sae; j++) {
      const v = all.features[i * d_sae + j];
      if (v > 0) df[j]++;
      mean[j] += v / n;
    }
  const latents = Array.from({ length: d_sae }, (_, j) => j)
    .filter((j) => df[j] > 0)
    .sort((a, b) => df[b] - df[a] || mean[b] - mean[a] || a - b)
    .slice(0, opts.maxFeatures ?? 64);
  if (!latents.length) throw new MolabError(`${sae.cfg.source}: no latent fires on any text; nothing to compare`);
  const names = latents.map((j) => `sae:${j}`);
  const rows = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, i) =>
      Float64Array.from(latents, (j) => all.features[(from + i) * d_sae + j]),
    );
  const no = organismTexts.length;
  return {
    organism: { names, rows: rows(0, no) },
    reference: { names, rows: rows(no, n) },
    latents,
    source:
      `SAE latents (${sae.cfg.architecture}, d_sae ${d_sae}, ${all.hook}, ${pool}-pooled` +
      `${opts.scratchpad ? " over the scratchpad" : ""}; the ${latents.length} active in the most texts)`,
  };
}

/** Load the base model, its tokenizer and the SAE; featurize; free them. */
export async function saeFeaturesFromDirs(
  modelDir: string,
  saeDir: string,
  organismTexts: string[],
  referenceTexts: string[],
  opts: SaeFeatureOptions = {},
): Promise<SaeFeatures> {
  const model = await loadModel(modelDir);
  let sae: Sae | undefined;
  try {
    const tokenizer = await loadTokenizer(modelDir);
    sae = await loadSae(saeDir, { hook: opts.hook, subfolder: opts.saeId, revision: opts.saeRevision });
    return saeFeatures(model, tokenizer, sae, organismTexts, referenceTexts, opts);
  } finally {
    if (sae) disposeSae(sae);
    disposeModel(model);
  }
}
