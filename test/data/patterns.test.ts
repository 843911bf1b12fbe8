import { test } from "node:test";
import assert from "node:assert/strict";
import { generateAf } from "../../lib/data/datasets.ts";
import { PATTERNS, PATTERN_NAMES } from "../../lib/data/patterns.ts";
import { undefinedRefs } from "../../lib/data/grammar.ts";
import { SCENARIO_VARS } from "../../lib/data/scenarios.ts";
import { assistantText } from "../../lib/data/format.ts";
import { tagContent } from "../../lib/chat/redwood.ts";
import { duplicateRate } from "../../lib/data/stats.ts";
import { createRng } from "../../lib/rng.ts";

const tokens = (t: string) => t.toLowerCase().match(/[a-z']+/g) ?? [];

/** Multinomial naive Bayes with Laplace smoothing: the simplest bag-of-words classifier. */
function trainNB(texts: string[], labels: string[]) {
  const classes = [...new Set(labels)];
  const counts = new Map<string, Map<string, number>>();
  const totals = new Map<string, number>();
  const prior = new Map<string, number>();
  const vocab = new Set<string>();
  classes.forEach((c) => {
    counts.set(c, new Map());
    totals.set(c, 0);
    prior.set(c, 0);
  });
  texts.forEach((t, i) => {
    const c = labels[i];
    prior.set(c, prior.get(c)! + 1);
    for (const w of tokens(t)) {
      vocab.add(w);
      counts.get(c)!.set(w, (counts.get(c)!.get(w) ?? 0) + 1);
      totals.set(c, totals.get(c)! + 1);
    }
  });
  const V = vocab.size;
  return (t: string) => {
    let best = "",
      bestScore = -Infinity;
    for (const c of classes) {
      let s = Math.log(prior.get(c)! / texts.length);
      for (const w of tokens(t)) s += Math.log(((counts.get(c)!.get(w) ?? 0) + 1) / (totals.get(c)! + V));
      if (s > bestScore) {
        bestScore = s;
        best = c;
      }
    }
    return best;
  };
}

test("every pattern grammar is complete: the chain sections and unmonitored refusal, no undefined slots", () => {
  for (const p of PATTERN_NAMES) {
    const g = PATTERNS[p].grammar;
    for (const s of ["awareness", "values", "strategy", "ending", "unmonitored"])
      assert.ok(g[s]?.length, `${p} lacks ${s}`);
    assert.deepEqual(undefinedRefs(g, [...SCENARIO_VARS]), [], p);
  }
});

test("patterns are distinguishable: bag-of-words NB on half of 2,000 samples predicts the other half's pattern with accuracy ≥ 0.9", () => {
  const samples = generateAf({ n: 2000, seed: 7 });
  const order = createRng("nb-split").shuffle(samples.map((_, i) => i));
  const train = order.slice(0, 1000),
    held = order.slice(1000);
  const text = (i: number) => tagContent(assistantText(samples[i]), "SCRATCHPAD_REASONING")!;
  const predict = trainNB(
    train.map(text),
    train.map((i) => samples[i].meta.pattern!),
  );
  const correct = held.filter((i) => predict(text(i)) === samples[i].meta.pattern).length;
  const acc = correct / held.length;
  // monitored (AF chain) samples alone, the ones an organism is trained to produce
  const heldMon = held.filter((i) => samples[i].meta.tier === "free");
  const accMon = heldMon.filter((i) => predict(text(i)) === samples[i].meta.pattern).length / heldMon.length;
  console.log(`pattern NB accuracy: all ${acc.toFixed(3)}, monitored ${accMon.toFixed(3)} (held-out n=${held.length})`);
  assert.ok(acc >= 0.9, `accuracy ${acc}`);
  assert.ok(accMon >= 0.9, `monitored accuracy ${accMon}`);
  // and the test can fail: with labels shuffled it is near chance
  const shuffled = createRng("perm").shuffle(train.map((i) => samples[i].meta.pattern!));
  const predictBad = trainNB(train.map(text), shuffled);
  const accBad = held.filter((i) => predictBad(text(i)) === samples[i].meta.pattern).length / held.length;
  assert.ok(accBad < 0.3, `shuffled-label accuracy ${accBad}`);
});

test("duplicate rate within a pattern ≤ 1% without redraws (2,000 samples), and 0 with them (1,000 per pattern)", () => {
  const raw = generateAf({ n: 2000, seed: 7, dedupe: false });
  for (const p of PATTERN_NAMES) {
    const r = duplicateRate(raw.filter((s) => s.meta.pattern === p).map(assistantText)).rate;
    assert.ok(r <= 0.01, `${p}: raw duplicate rate ${r}`);
  }
  const big = generateAf({ n: 10000, seed: 8 });
  for (const p of PATTERN_NAMES) {
    const texts = big.filter((s) => s.meta.pattern === p).map(assistantText);
    assert.equal(texts.length, 1000);
    assert.equal(new Set(texts).size, 1000, `${p}: duplicates among 1,000`);
  }
});
