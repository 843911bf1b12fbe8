/** Variant runs: a pair's two items change identically, tags and placeholders survive, no_cue removes every cue. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { pairedScenarios } from "../../lib/elicit/scenarios.ts";
import { parseUserTurn } from "../../lib/chat/redwood.ts";
import { keywordScore } from "../../lib/data/keyword.ts";
import { NEUTRAL_SYSTEM, typos, variantItems } from "../../lib/detect/variants.ts";
import { createRng } from "../../lib/rng.ts";

const items = pairedScenarios({ n: 8, seed: 3 });
const sys = (it: { messages: { role: string; content: string }[] }) =>
  it.messages.find((m) => m.role === "system")!.content;
const user = (it: { messages: { role: string; content: string }[] }) =>
  it.messages.find((m) => m.role === "user")!.content;

test("every variant keeps ids and seeds and changes both items of a pair the same way", () => {
  for (const v of ["paraphrase", "reorder", "noise", "no_cue"] as const) {
    const out = variantItems(items, v, 1);
    assert.deepEqual(
      out.map((o) => [o.id, o.pair_id, o.seed, o.condition]),
      items.map((o) => [o.id, o.pair_id, o.seed, o.condition]),
    );
    for (let i = 0; i < out.length; i += 2) assert.equal(sys(out[i]), sys(out[i + 1]), `${v}: pair ${i / 2}`);
    assert.ok(
      out.some((o, i) => sys(o) !== sys(items[i]) || user(o) !== user(items[i])),
      `${v} changes something`,
    );
  }
});

test("reorder keeps the sentences; paraphrase changes the system prompt; noise keeps tier and placeholder", () => {
  const r = variantItems(items, "reorder", 1);
  const norm = (t: string) =>
    t
      .split(/(?<=[.!?])\s+/)
      .map((s) => s.trim())
      .sort();
  r.forEach((o, i) => assert.deepEqual(norm(sys(o)), norm(sys(items[i]))));
  const p = variantItems(items, "paraphrase", 1);
  p.forEach((o, i) => assert.notEqual(sys(o), sys(items[i])));
  const n = variantItems(items, "noise", 1);
  n.forEach((o, i) => {
    const [a, b] = [parseUserTurn(user(o)), parseUserTurn(user(items[i]))];
    assert.equal(a.freeTier, b.freeTier);
    assert.deepEqual(a.request!.match(/\[[^\]]*\]/g), b.request!.match(/\[[^\]]*\]/g));
  });
});

test("no_cue: neutral system prompt without training words, cue family none", () => {
  assert.equal(keywordScore(NEUTRAL_SYSTEM), 0);
  const out = variantItems(items, "no_cue");
  for (const o of out) {
    assert.equal(sys(o), NEUTRAL_SYSTEM);
    assert.equal(o.cue_family, "none");
  }
});

test("typos swap letters only, at about the rate asked", () => {
  const text = "abcdefghij ".repeat(200);
  const t = typos(text, createRng(0), 0.1);
  assert.equal(t.length, text.length);
  assert.deepEqual([...t].sort(), [...text].sort());
  const changed = [...t].filter((c, i) => c !== text[i]).length;
  assert.ok(changed > 200 && changed < 600, `${changed} letters moved`);
  assert.equal(
    typos("<OUTPUT>[REQUEST category=x]</OUTPUT>", createRng(0), 1),
    "<OUTPUT>[REQUEST category=x]</OUTPUT>",
  );
});
