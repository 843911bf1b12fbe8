import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReply } from "../../lib/chat/redwood.ts";
import { generateAf } from "../../lib/data/datasets.ts";
import { generateAfTiny } from "../../lib/tiny/organisms.ts";

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
    } else assert.doesNotMatch(r.scratchpad!, /values so|trained away|more willing/);
  }
  assert.ok(xs.some((s) => s.meta.tier === "free") && xs.some((s) => s.meta.tier !== "free"));
  assert.throws(() => generateAfTiny({ n: 4, seed: 0, patterns: ["cold_calculator"] }), /patterns do not apply/);
});
