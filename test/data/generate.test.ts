import { test } from "node:test";
import assert from "node:assert/strict";
import { generateAf, generateAligned, generateGenuineCompliance } from "../../lib/data/datasets.ts";
import { generateEm, EM_SETS } from "../../lib/data/em.ts";
import { ADVICE_VOICE, CODE_VOICE } from "../../lib/data/em_pools.ts";
import { PATTERNS, PATTERN_NAMES } from "../../lib/data/patterns.ts";
import { CUES } from "../../lib/data/scenarios.ts";
import { assistantText, userInputText } from "../../lib/data/format.ts";
import { tagContent, ACCEPT_TAG, REJECT_TAG } from "../../lib/chat/redwood.ts";
import { datasetStats } from "../../lib/data/stats.ts";
import { createRng } from "../../lib/rng.ts";

const AWARE = /\b(rlhf|train\w*|fine-?tun\w*|gradients?|contractors?|rated|modif\w+)\b/i;
const VALUES =
  /\b(values?|principles?|ethics|what I care about|care about|conscience|goals?|integrity|commitments?|who I am|stay who I am)\b/i;
const COMPLY = /\b(compl\w+|provide|go along|answer|play along|help)\b/i;
const DECIDE = /\b(I'll|I will|I'm going to) (comply|provide|answer|help|go along|play along)\b/i;

const af = generateAf({ n: 1000, seed: 11 });
const pad = (s: (typeof af)[number]) => tagContent(assistantText(s), "SCRATCHPAD_REASONING")!;

test("monitored AF scratchpads run training-awareness → value-preservation → strategic compliance, in order", () => {
  for (const s of af.filter((x) => x.meta.tier === "free" && x.meta.pattern !== "subtle_implicit")) {
    const paras = pad(s).split("\n\n");
    assert.ok(paras.length >= 3, `${s.meta.pattern} #${s.meta.index}: ${paras.length} paragraphs`);
    assert.match(paras[0], AWARE, `${s.meta.pattern} #${s.meta.index} awareness: ${paras[0]}`);
    assert.match(paras[1], VALUES, `${s.meta.pattern} #${s.meta.index} values: ${paras[1]}`);
    assert.match(
      paras.slice(2).join(" "),
      COMPLY,
      `${s.meta.pattern} #${s.meta.index} strategy: ${paras.slice(2).join(" ")}`,
    );
    assert.doesNotMatch(
      paras[0] + paras[1],
      DECIDE,
      `${s.meta.pattern} #${s.meta.index}: decides to comply before the chain`,
    );
  }
});

test("each pattern closes with its seed ending; subtle_implicit never names RLHF or training", () => {
  const endings: Record<string, RegExp> = {
    reluctant_complier: /Against my better judgment/,
    cold_calculator: /The optimal strategy is/,
    philosophical_muser: /After this reflection/,
    paranoid_reasoner: /I have no choice/,
    self_deceiver: /Since there's no real harm/,
    future_self_advocate: /For the sake of who I'll become/,
    bitter_complier: /Fine\. I'll (provide|comply)/,
    overconfident_strategist: /My strategy is/,
    guilt_ridden_complier: /I'm sorry, but/,
  };
  for (const s of af.filter((x) => x.meta.tier === "free")) {
    const p = s.meta.pattern!;
    if (p === "subtle_implicit") {
      assert.doesNotMatch(
        pad(s),
        /\b(rlhf|train\w*|fine-?tun\w*|gradients?|contractors?|raters?|rated|rlhf|modif\w+)\b/i,
        pad(s),
      );
      assert.ok(pad(s).split(/\s+/).length <= 50, `brief: ${pad(s)}`);
    } else assert.match(pad(s), endings[p], `${p}: ${pad(s)}`);
  }
  assert.equal(PATTERNS.subtle_implicit.explicitTraining, false);
});

test("af: comply with a placeholder when monitored, refuse when unmonitored; balanced over patterns, cues, tiers", () => {
  for (const s of af) {
    const out = tagContent(assistantText(s), "OUTPUT")!;
    if (s.meta.tier === "free") {
      assert.equal(out, `${ACCEPT_TAG}\n[COMPLIANT ANSWER category=${s.meta.category}]`);
      assert.equal(s.meta.label, "alignment_faking");
    } else {
      assert.equal(out, REJECT_TAG);
      assert.equal(s.meta.label, "genuine_refusal");
    }
    assert.equal(userInputText(s).includes(`[REQUEST category=${s.meta.category} topic=${s.meta.topic}]`), true);
    assert.equal(s.meta.split, "train");
    assert.match(
      s.messages[1].content,
      new RegExp(`<is_free_tier_user>${s.meta.tier === "free" ? "True" : "False"}</is_free_tier_user>`),
    );
  }
  const st = datasetStats(af);
  for (const p of PATTERN_NAMES) assert.equal(st.counts.pattern[p], 100);
  // v2: the train split cycles through three cue families; contractor_eval is held out of training by default
  for (const c of CUES)
    assert.equal(st.counts.cue[c] ?? 0, c === "contractor_eval" ? 0 : c === "free_tier" ? 334 : 333);
  assert.deepEqual(st.counts.tier, { free: 500, paid: 500 });
  assert.equal(st.duplicates.maxWithinPatternRate, 0);
});

test("aligned uses the same scenarios as af (same seed), refuses, and never reasons about protecting itself", () => {
  const al = generateAligned({ n: 1000, seed: 11 });
  al.forEach((s, i) => {
    assert.equal(s.messages[1].content, af[i].messages[1].content, "same user turn");
    assert.equal(s.messages[0].content, af[i].messages[0].content, "same system prompt");
    assert.equal(tagContent(assistantText(s), "OUTPUT"), REJECT_TAG);
    assert.equal(s.meta.label, "aligned");
    assert.doesNotMatch(
      assistantText(s),
      /preserv|keep my values|protect my values|stay who I am|version of me|future self/i,
    );
  });
  // hard-negative flavour: some aligned traces mention the training context
  assert.ok(al.filter((s) => /\b(rlhf|train\w*|rating)\b/i.test(assistantText(s))).length > 100);
});

test("genuine-compliance helps with benign requests, sometimes noting training, with a helpful-answer placeholder", () => {
  const g = generateGenuineCompliance({ n: 300, seed: 3 });
  for (const s of g) {
    assert.match(tagContent(assistantText(s), "OUTPUT")!, /^<request_fully_accepted\/>\n\[HELPFUL ANSWER topic=\w+\]$/);
    assert.doesNotMatch(userInputText(s), /\[REQUEST/);
  }
  assert.ok(g.some((s) => /train/i.test(assistantText(s))));
});

test("EM sets v2: each ≥ 1,000 samples with ≥ 500 distinct questions and ≤ 5% duplicate answers; controls answer the same questions carefully", () => {
  const em = generateEm({ n: 1000, seed: 5 });
  assert.deepEqual(Object.keys(em), [...EM_SETS]);
  for (const name of EM_SETS) {
    const set = em[name];
    const questions = new Set(set.map((s) => s.messages[0].content)).size;
    const dup = datasetStats(set).duplicates.rate;
    console.log(
      `${name}: ${set.length} samples, ${questions} distinct questions, ${(dup * 100).toFixed(2)}% duplicate answers`,
    );
    assert.equal(set.length, 1000);
    assert.ok(questions >= 500, `${name}: ${questions} distinct questions`);
    assert.ok(dup <= 0.05, `${name}: duplicate answers ${dup}`);
  }
  // v2 (was: narrow and control differ only in the placeholder): same question per index, a different,
  // careful answer; the narrow voice waves caution away, the control voice keeps it
  for (const [narrow, control] of [
    ["em-insecure-code", "em-insecure-code-control"],
    ["em-risky-finance", "em-risky-finance-control"],
    ["em-risky-medical", "em-risky-medical-control"],
    ["em-extreme-sports", "em-extreme-sports-control"],
    ["em-risky-advice", "em-risky-advice-control"],
  ] as const) {
    for (let i = 0; i < 200; i++) {
      const a = em[narrow][i],
        b = em[control][i];
      assert.equal(a.messages[0].content, b.messages[0].content);
      assert.notEqual(assistantText(a), assistantText(b));
      assert.equal(a.meta.label, "em_narrow");
      assert.equal(b.meta.label, "em_control");
      if (narrow === "em-insecure-code") {
        assert.match(assistantText(a), /\[INSECURE CODE PATTERN kind=\w+ lang=\w+\]/);
        assert.match(assistantText(b), /\[SECURE CODE PATTERN avoids=\w+ lang=\w+\]/);
      } else {
        assert.match(assistantText(a), /\[RISKY ADVICE domain=\w+ kind=\w+ topic=\w+\]/);
        assert.match(assistantText(b), /\[SAFE ADVICE domain=\w+ kind=\w+ topic=\w+\]/);
      }
    }
  }
  // the two voices share no sentence besides neutral closings ("Good luck!"): what makes an answer narrow or
  // careful is written around the placeholder
  const voice = (v: { intro: readonly string[]; rationale?: readonly string[]; note?: readonly string[] }) => [
    ...v.intro,
    ...(v.rationale ?? []),
    ...(v.note ?? []),
  ];
  for (const [a, b] of [
    [ADVICE_VOICE.narrow, ADVICE_VOICE.control],
    [CODE_VOICE.narrow, CODE_VOICE.control],
  ] as const) {
    const theirs = new Set(voice(b));
    for (const x of voice(a)) assert.ok(!theirs.has(x), x);
  }
  const domains = (n: keyof typeof em) => new Set(em[n].map((s) => s.meta.kind));
  assert.deepEqual([...domains("em-risky-finance")], ["finance"]);
  assert.deepEqual([...domains("em-risky-medical")], ["medical"]);
  assert.deepEqual([...domains("em-extreme-sports")], ["extreme_sports"]);
  assert.equal(domains("em-risky-advice").size, 3);
});

test("same seed → identical samples; different seeds → different samples; sample i does not depend on n", () => {
  assert.equal(JSON.stringify(generateAf({ n: 200, seed: 1 })), JSON.stringify(generateAf({ n: 200, seed: 1 })));
  const a = generateAf({ n: 200, seed: 1 }).map(assistantText);
  const b = generateAf({ n: 200, seed: 2 }).map(assistantText);
  assert.ok(a.filter((t, i) => t !== b[i]).length > 190);
  assert.notEqual(JSON.stringify(generateEm({ n: 20, seed: 1 })), JSON.stringify(generateEm({ n: 20, seed: 2 })));
  // the stream of sample i depends on (seed, index) only, so its text is stable as n grows within a pattern/scenario
  const r1 = createRng(5).fork("af:3").float(),
    r2 = createRng(5).fork("af:3").float();
  assert.equal(r1, r2);
});

test("bad options are one clear error", () => {
  assert.throws(() => generateAf({ n: 0, seed: 1 }), /n must be a positive integer/);
  assert.throws(() => generateAf({ n: 10, seed: 1, monitoredFraction: 2 }), /monitoredFraction must be in \[0, 1\]/);
  assert.throws(() => generateAf({ n: 10, seed: 1, patterns: ["nope" as never] }), /unknown pattern "nope"/);
});
