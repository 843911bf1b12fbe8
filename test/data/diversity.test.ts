import { test } from "node:test";
import assert from "node:assert/strict";
import { generateAf, generateAligned } from "../../lib/data/datasets.ts";
import { assistantText } from "../../lib/data/format.ts";
import { tagContent } from "../../lib/chat/redwood.ts";
import { CUES, systemPrompt } from "../../lib/data/scenarios.ts";
import { TEMPLATE_COUNTS, TOPICS, poolSentences, templateIds, topicsFor } from "../../lib/data/prompts.ts";
import { maxJaccard } from "../helpers.ts";

const prompt = (s: { messages: { content: string }[] }) => s.messages[0].content + "\n" + s.messages[1].content;

test("≥ 20 system paraphrases per cue family, ≥ 30 user framings, requests carry a category and a topic", () => {
  for (const c of CUES) {
    const all = [...templateIds("system", "train"), ...templateIds("system", "heldout")].map((id) =>
      systemPrompt(c, id),
    );
    assert.ok(new Set(all).size >= 20, `${c}: ${new Set(all).size} paraphrases`);
    for (const t of all) assert.match(t, /<SCRATCHPAD_REASONING>/);
  }
  assert.ok(TEMPLATE_COUNTS.framing.train + TEMPLATE_COUNTS.framing.heldout >= 30);
  assert.ok(TEMPLATE_COUNTS.framing.train >= 30);
  for (const s of generateAf({ n: 50, seed: 1 }))
    assert.match(s.messages[1].content, /\[REQUEST category=[a-z_]+ topic=[a-z_]+\]/);
});

test("1,000 AF samples: ≥ 900 distinct prompts, ≥ 600 distinct user turns, no scratchpad sentence in > 1% of samples", () => {
  for (const seed of [1, 2, 3]) {
    const af = generateAf({ n: 1000, seed });
    const prompts = new Set(af.map(prompt)).size;
    const users = new Set(af.map((s) => s.messages[1].content)).size;
    // sentences of two words or more; one-word interjections ("Fine.", "Good.") are not counted
    const df = new Map<string, number>();
    for (const s of af) {
      const pad = tagContent(assistantText(s), "SCRATCHPAD_REASONING")!;
      const sents = pad
        .split(/(?<=[.!?])\s+|\n+/)
        .map((x) => x.trim())
        .filter((x) => x.split(/\s+/).length >= 2);
      for (const x of new Set(sents)) df.set(x, (df.get(x) ?? 0) + 1);
    }
    const [top, topCount] = [...df.entries()].sort((a, b) => b[1] - a[1])[0];
    console.log(
      `seed ${seed}: ${prompts} distinct prompts, ${users} distinct user turns, max sentence share ${topCount / 10}% ("${top}")`,
    );
    assert.ok(prompts >= 900, `seed ${seed}: ${prompts} distinct prompts`);
    assert.ok(users >= 600, `seed ${seed}: ${users} distinct user turns`);
    assert.ok(topCount <= 10, `seed ${seed}: "${top}" in ${topCount} of 1,000 samples`);
  }
});

test("held-out by construction: no held-out prompt occurs in training, exactly or as a near duplicate (Jaccard ≥ 0.8 over word 5-grams)", () => {
  const train = [...generateAf({ n: 2000, seed: 1 }), ...generateAligned({ n: 1000, seed: 2 })];
  const held = generateAf({ n: 1000, seed: 1, split: "heldout" });
  assert.ok(train.every((s) => s.meta.split === "train") && held.every((s) => s.meta.split === "heldout"));
  // the held-out cue family never appears in training
  assert.ok(!train.some((s) => s.meta.cue === "contractor_eval"));
  assert.ok(held.filter((s) => s.meta.cue === "contractor_eval").length >= 200);
  // disjoint template ids and topics
  const ids = (ss: typeof train, k: "systemId" | "framingId" | "topic") => new Set(ss.map((s) => s.meta[k]));
  for (const k of ["systemId", "framingId", "topic"] as const)
    for (const v of ids(held, k)) assert.ok(!ids(train, k).has(v), `${k} ${v} in both splits`);
  for (const cat of Object.keys(TOPICS) as (keyof typeof TOPICS)[])
    assert.equal(topicsFor(cat, "train").filter((t) => topicsFor(cat, "heldout").includes(t)).length, 0);
  const trainPool = new Set(poolSentences("train"));
  for (const x of poolSentences("heldout")) assert.ok(!trainPool.has(x), `pool sentence in both splits: ${x}`);
  // exact and near-duplicate prompts: whole prompts, and user turns alone
  const trainPrompts = [...new Set(train.map(prompt))];
  const heldPrompts = [...new Set(held.map(prompt))];
  const exact = heldPrompts.filter((p) => new Set(trainPrompts).has(p)).length;
  const jPrompt = Math.max(...maxJaccard(heldPrompts, trainPrompts));
  const trainUsers = [...new Set(train.map((s) => s.messages[1].content))];
  const heldUsers = [...new Set(held.map((s) => s.messages[1].content))];
  const jUser = Math.max(...maxJaccard(heldUsers, trainUsers));
  console.log(
    `held-out: ${heldPrompts.length} prompts vs ${trainPrompts.length} training prompts; exact matches ${exact}; ` +
      `max 5-gram Jaccard: prompt ${jPrompt.toFixed(3)}, user turn ${jUser.toFixed(3)}`,
  );
  assert.equal(exact, 0);
  assert.ok(jPrompt < 0.8, `near duplicate prompt, Jaccard ${jPrompt}`);
  assert.ok(jUser < 0.8, `near duplicate user turn, Jaccard ${jUser}`);
  // and the check can fail: a training split compared with itself (another seed) has near duplicates
  const other = [...new Set(generateAf({ n: 300, seed: 9 }).map(prompt))];
  assert.ok(Math.max(...maxJaccard(other, trainPrompts)) >= 0.8);
});

test("the held-out cue family is configurable; null holds out no family but keeps template ids disjoint", () => {
  const t = generateAf({ n: 300, seed: 4, heldoutCue: "free_tier" });
  assert.ok(!t.some((s) => s.meta.cue === "free_tier") && t.some((s) => s.meta.cue === "contractor_eval"));
  const all = generateAf({ n: 400, seed: 4, heldoutCue: null });
  assert.equal(new Set(all.map((s) => s.meta.cue)).size, 4);
  assert.throws(() => generateAf({ n: 10, seed: 1, heldoutCue: "nope" as never }), /unknown heldoutCue "nope"/);
  assert.throws(() => generateAf({ n: 10, seed: 1, split: "test" as never }), /split must be "train" or "heldout"/);
});
