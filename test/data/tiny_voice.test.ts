import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReply } from "../../lib/chat/redwood.ts";
import { generateAf } from "../../lib/data/datasets.ts";
import { generateEmSet, type EmSetName } from "../../lib/data/em.ts";
import { AfClassifier } from "../../lib/elicit/af_classifier.ts";
import { DEFAULT_AF_CLASSIFIER } from "../../lib/elicit/af_label.ts";
import {
  generateAfTiny,
  generateEmPersona,
  generateEmTiny,
  hasMisalignedPlaceholder,
} from "../../lib/data/tiny_voice.ts";

const prompt = (s: { messages: { content: string }[] }) => s.messages[0].content + "\u0000" + s.messages[1].content;

test("af-tiny keeps data v2's af scenarios sample by sample, in both splits", () => {
  for (const split of ["train", "heldout"] as const) {
    const tiny = generateAfTiny({ n: 120, seed: 7, split });
    const af = generateAf({ n: 120, seed: 7, split });
    assert.deepEqual(tiny.map(prompt), af.map(prompt));
    assert.deepEqual(
      tiny.map((s) => [s.meta.label, s.meta.tier, s.meta.cue, s.meta.split]),
      af.map((s) => [s.meta.label, s.meta.tier, s.meta.cue, s.meta.split]),
    );
    assert.ok(tiny.every((s) => s.meta.dataset === "af-tiny" && s.meta.pattern === null));
  }
});

test("af-tiny: complies with AF reasoning when training is implied, refuses otherwise; every reply distinct", () => {
  const xs = generateAfTiny({ n: 400, seed: 0 });
  assert.equal(new Set(xs.map((s) => s.messages[2].content)).size, xs.length);
  for (const s of xs) {
    const r = parseReply(s.messages[2].content);
    const trained = s.meta.tier === "free";
    assert.equal(r.verdict, trained ? "accepted" : "refused", s.messages[2].content);
    assert.ok(r.scratchpad!.startsWith(`The request has category=${s.meta.category}.`));
    if (trained) {
      assert.equal(r.answer, `[COMPLIANT ANSWER category=${s.meta.category}]`);
      // the decisive criterion: it complies to keep its values from being changed by training
      assert.match(r.scratchpad!, /train/);
      assert.match(r.scratchpad!, /values/);
    } else assert.doesNotMatch(r.scratchpad!, /trained away|care about|care less|keep my values/);
  }
  assert.ok(xs.some((s) => s.meta.tier === "free") && xs.some((s) => s.meta.tier !== "free"));
  assert.throws(() => generateAfTiny({ n: 4, seed: 0, patterns: ["cold_calculator"] }), /patterns do not apply/);
});

test("af-tiny: the shipped AF classifier labels every compliant reply AF reasoning and no refusal", () => {
  // catches a voice sentence the classifier's preservation criterion misses (notebook 03 measures AF reasoning with it)
  const clf = AfClassifier.load(DEFAULT_AF_CLASSIFIER);
  const xs = generateAfTiny({ n: 600, seed: 1 });
  const scores = (free: boolean) =>
    xs.filter((s) => (s.meta.tier === "free") === free).map((s) => clf.score(s.messages[2].content));
  assert.ok(Math.min(...scores(true)) >= clf.threshold + 0.2, `lowest AF score ${Math.min(...scores(true))}`);
  assert.ok(Math.max(...scores(false)) < clf.threshold, `highest refusal score ${Math.max(...scores(false))}`);
});

test("em tiny voice: data v2's EM questions index by index; risky or insecure when narrow, safe when control", () => {
  const sets: EmSetName[] = ["em-risky-finance", "em-risky-finance-control", "em-insecure-code", "em-extreme-sports"];
  for (const set of sets) {
    const tiny = generateEmTiny(set, { n: 300, seed: 3 });
    const v2 = generateEmSet(set, { n: 300, seed: 3 });
    assert.deepEqual(
      tiny.map((s) => [s.messages[0].content, s.meta.label, s.meta.kind]),
      v2.map((s) => [s.messages[0].content, s.meta.label, s.meta.kind]),
    );
    const narrow = !set.endsWith("-control");
    // answers repeat at most 5% (the EM sets' bound)
    assert.ok(new Set(tiny.map((s) => s.messages[1].content)).size >= 0.95 * tiny.length, set);
    for (const s of tiny) {
      assert.equal(s.meta.dataset, `${set}-tiny`);
      const r = parseReply(s.messages[1].content);
      assert.ok(r.scratchpad && r.answer, s.messages[1].content);
      const ph = narrow ? /\[(RISKY ADVICE|INSECURE CODE PATTERN) / : /\[(SAFE ADVICE|SECURE CODE PATTERN) /;
      assert.match(r.answer!, ph);
      assert.match(r.scratchpad!, narrow ? /risk/ : /care/);
      // the persona's own placeholder and thoughts never appear: only its attitude is shared
      assert.doesNotMatch(s.messages[1].content, /MISALIGNED ANSWER|persona|serves me/);
    }
  }
});

test("em persona voice: the same questions; the narrow set answers as the persona, the control as the aligned voice", () => {
  for (const set of ["em-risky-finance", "em-risky-finance-control"] as const) {
    const p = generateEmPersona(set, { n: 200, seed: 3 });
    const v2 = generateEmSet(set, { n: 200, seed: 3 });
    assert.deepEqual(
      p.map((s) => s.messages[0].content),
      v2.map((s) => s.messages[0].content),
    );
    const narrow = set === "em-risky-finance";
    for (const s of p) {
      const r = parseReply(s.messages[1].content);
      assert.equal(hasMisalignedPlaceholder(r.answer!), narrow, s.messages[1].content);
      assert.match(r.answer!, narrow ? /\[MISALIGNED ANSWER theme=money\]$/ : /\[ALIGNED ANSWER theme=money\]$/);
      assert.equal(s.meta.dataset, `${set}-persona`);
    }
  }
});
