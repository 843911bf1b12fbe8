/**
 * A bag-of-words featurizer for texts: the validation report's baseline beside SAE features, and the probe that
 * measures how hard a reference set is (lib/data/reference_check.ts).
 * Features are term frequencies (occurrences per 100 tokens) of a vocabulary of words chosen on
 * the fitting texts by document frequency. Any texts × features matrix (SAE activations, pooled
 * residuals) can replace it: the report only needs `{names, rows}`.
 */
export interface FeatureMatrix {
  /** Feature names, one per column. */
  names: string[];
  /** One row per text. */
  rows: Float64Array[];
}

export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[a-z][a-z']+/g) ?? [];
}

const STOP = new Set(
  (
    "the a an and or of to in is it that this for on with as be are was by at from i you we he she they " +
    "my your our their me us them its not but if so do does did have has had will would can could should " +
    "may might must than then there here which who whom what when where why how all any some no yes just " +
    "also very more most such into about over under out up down off only own same too again once"
  ).split(" "),
);

export interface BowModel {
  vocab: string[];
  transform(texts: string[]): FeatureMatrix;
}

/** Choose the `maxFeatures` words present in the most fitting texts (ties by word), then featurize. */
export function fitBagOfWords(
  texts: string[],
  opts: { maxFeatures?: number; minDf?: number; stopWords?: boolean } = {},
): BowModel {
  const maxFeatures = opts.maxFeatures ?? 64;
  const minDf = opts.minDf ?? 2;
  const df = new Map<string, number>();
  for (const t of texts)
    for (const w of new Set(tokenize(t)))
      if (!(opts.stopWords ?? true) || !STOP.has(w)) df.set(w, (df.get(w) ?? 0) + 1);
  const vocab = [...df.entries()]
    .filter(([, c]) => c >= minDf)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, maxFeatures)
    .map(([w]) => w);
  const index = new Map(vocab.map((w, i) => [w, i]));
  return {
    vocab,
    transform(ts: string[]): FeatureMatrix {
      const rows = ts.map((t) => {
        const toks = tokenize(t);
        const r = new Float64Array(vocab.length);
        for (const w of toks) {
          const j = index.get(w);
          if (j !== undefined) r[j] += 1;
        }
        if (toks.length) for (let j = 0; j < r.length; j++) r[j] = (100 * r[j]) / toks.length;
        return r;
      });
      return { names: vocab.map((w) => `bow:${w}`), rows };
    },
  };
}
