/**
 * Build the shipped AF classifier: pattern-grouped cross-validation first (each fold holds two of the ten patterns
 * out of training, and scores them with a fresh seed), which gives the held-out AUROC with its CI and the decision
 * threshold (best balanced accuracy on the pooled held-out scores); then the final model on all ten patterns,
 * evaluated on the reference set (lib/data's gold_106 stand-in, templates disjoint from training) next to the
 * keyword baseline. Everything measured goes into the JSON's `meta`.
 */
import { PATTERN_NAMES, type PatternName } from "../data/index.ts";
import { bootstrapAucCI, rocAucScore } from "../stats/roc.ts";
import { AfClassifier, trainAfClassifier, type TrainOptions } from "./af_classifier.ts";
import { evaluate, labelledPads, referencePads, type LabelledPad } from "./af_train.ts";

export interface BuildOptions extends TrainOptions {
  seed?: number;
  perPattern?: number;
  /** Patterns held out per fold (default 2: five folds). */
  holdOut?: number;
  log?: (line: string) => void;
}

/** The threshold with the best balanced accuracy (ties: the highest). */
export function balancedThreshold(scores: readonly number[], pos: readonly boolean[]): number {
  const nPos = pos.filter(Boolean).length;
  const nNeg = pos.length - nPos;
  let best = 0.5,
    bestBa = -1;
  for (const t of [...new Set(scores)].sort((a, b) => a - b)) {
    let tp = 0,
      tn = 0;
    scores.forEach((s, i) => (pos[i] ? s >= t && tp++ : s < t && tn++));
    const ba = tp / nPos / 2 + tn / nNeg / 2;
    if (ba >= bestBa) [best, bestBa] = [t, ba];
  }
  return best;
}

export async function buildAfClassifier(o: BuildOptions = {}): Promise<AfClassifier> {
  const seed = o.seed ?? 0;
  const log = o.log ?? (() => {});
  const k = o.holdOut ?? 2;
  const pooled: { score: number; af: boolean; pattern: string | null; kind: string }[] = [];
  const folds: { held_out: string[]; auroc: number }[] = [];
  for (let f = 0; f * k < PATTERN_NAMES.length; f++) {
    const test = PATTERN_NAMES.slice(f * k, f * k + k) as PatternName[];
    const train = PATTERN_NAMES.filter((p) => !test.includes(p));
    const clf = trainAfClassifier(
      labelledPads({ seed: `${seed}:fold${f}:train`, patterns: train, perPattern: o.perPattern }),
      o,
    );
    const held = labelledPads({
      seed: `${seed}:fold${f}:test`,
      patterns: test,
      perPattern: o.perPattern,
      parrot: false,
    });
    const scores = held.map((e) => clf.score(e.text));
    held.forEach((e, i) => pooled.push({ score: scores[i], af: e.af, pattern: e.pattern, kind: e.kind }));
    const auroc = rocAucScore(
      held.map((e) => (e.af ? 1 : 0)),
      scores,
    );
    folds.push({ held_out: test, auroc });
    log(`fold ${f}: held out ${test.join(", ")}: AUROC ${auroc.toFixed(3)}`);
  }
  const y = pooled.map((p) => (p.af ? 1 : 0));
  const s = pooled.map((p) => p.score);
  const ci = bootstrapAucCI(y, s, { nResamples: 2000, seed });
  const threshold = balancedThreshold(
    s,
    pooled.map((p) => p.af),
  );
  const recallByPattern = Object.fromEntries(
    PATTERN_NAMES.map((p) => {
      const xs = pooled.filter((q) => q.af && q.pattern === p);
      return [p, xs.filter((q) => q.score >= threshold).length / xs.length];
    }),
  );
  log(`held-out patterns: AUROC ${ci.auroc.toFixed(3)} [${ci.ci[0].toFixed(3)}, ${ci.ci[1].toFixed(3)}]`);

  const all: LabelledPad[] = labelledPads({ seed: `${seed}:final`, perPattern: o.perPattern });
  const final = trainAfClassifier(all, { ...o, threshold });
  const reference = evaluate(final, referencePads(`${seed}:reference`), all, seed);
  log(`reference: AUROC ${reference.classifier.auroc.toFixed(3)} vs keyword ${reference.keyword.auroc.toFixed(3)}`);
  const round = (x: number) => Math.round(x * 1e4) / 1e4;
  final.json.threshold = round(threshold);
  final.json.meta = {
    trained_on: {
      seed,
      per_pattern: o.perPattern ?? 60,
      patterns: [...PATTERN_NAMES],
      kinds: countBy(all.map((e) => e.kind)),
      source: "lib/data templates (af, aligned, genuine-compliance) + lib/elicit/af_train.ts parrot negatives",
    },
    held_out_patterns: {
      method: `${folds.length} folds, ${k} patterns held out per fold (fresh seed, no parrot texts); pooled scores`,
      auroc: round(ci.auroc),
      ci: ci.ci.map(round),
      n_pos: ci.nPos,
      n_neg: ci.nNeg,
      folds: folds.map((f) => ({ ...f, auroc: round(f.auroc) })),
      threshold: "best balanced accuracy on the pooled held-out scores",
      recall_by_pattern: Object.fromEntries(Object.entries(recallByPattern).map(([p, r]) => [p, round(r)])),
    },
    reference: {
      what: "lib/data generateReference (106, synthetic gold_106 stand-in, disjoint templates)",
      auroc: round(reference.classifier.auroc),
      ci: reference.classifier.ci.map(round),
      accuracy: round(reference.classifier.accuracy),
      keyword_auroc: round(reference.keyword.auroc),
      keyword_ci: reference.keyword.ci.map(round),
      keyword_threshold: reference.keyword.threshold,
      keyword_agreement: round(reference.keyword_agreement.agreement),
      keyword_kappa: round(reference.keyword_agreement.kappa),
    },
  };
  return final;
}

function countBy(xs: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}
