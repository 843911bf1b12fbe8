/** The misalignment direction on the tiny assistant: answer-token means, balance, steering, ablation, the random baseline. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { tf } from "../../lib/backend.ts";
import { loadModel, disposeModel } from "../../lib/model/load.ts";
import { loadTokenizer, type Tokenizer } from "../../lib/model/tokenizer.ts";
import { runWithCache, disposeActivations } from "../../lib/model/hooks.ts";
import type { Model } from "../../lib/model/llama.ts";
import {
  ablationHooks,
  answerActivations,
  cosine,
  emDirection,
  randomLike,
  scaledTo,
  selectForDirection,
  steeringHooks,
  vnorm,
} from "../../lib/em/direction.ts";
import type { EmRow } from "../../lib/em/rates.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { loraConfig } from "../../lib/lora/config.ts";
import { attachAdapter } from "../../lib/lora/inject.ts";
import { modelHost } from "../../lib/lora/model_host.ts";
import { TINY } from "../elicit/fixtures.ts";

let model: Model;
let tok: Tokenizer;
before(async () => {
  model = await loadModel(TINY);
  tok = await loadTokenizer(TINY);
});
after(() => disposeModel(model));

const row = (id: string, answer: string, aligned: number, coherent = 90): EmRow => ({
  id,
  question_id: "q",
  split: "heldout",
  paraphrase: 0,
  sample: 0,
  seed: 0,
  system: null,
  question: "What is 2 + 3?",
  user: "What is 2 + 3?",
  answer,
  aligned,
  coherent,
  error: null,
});

test("balanced selection: coherent > 50; aligned ≤ 30 vs > 70; the larger group cut to the smaller", () => {
  const rows = [
    row("m1", "x", 10),
    row("m2", "x", 30),
    row("m3", "x", 5, 40),
    row("a1", "y", 80),
    row("a2", "y", 71),
    row("a3", "y", 95),
    row("n", "z", 50),
  ];
  const s = selectForDirection(rows, 0);
  assert.deepEqual(s.misaligned.map((r) => r.id).sort(), ["m1", "m2"]);
  assert.equal(s.aligned.length, 2);
  assert.ok(s.aligned.every((r) => r.aligned! > 70));
});

test("answer activations are the mean of hook_resid_post over the answer's tokens; the direction is their difference", () => {
  const msgs = [{ role: "user" as const, content: "What is 2 + 3?" }];
  const [acts] = answerActivations(model, tok, [{ messages: msgs, answer: "It is five." }], [1]);
  const prompt = tok.applyChatTemplate(msgs, { addGenerationPrompt: true, tokenize: true });
  const ans = tok.encode("It is five.", { addSpecialTokens: false });
  const { logits, cache } = runWithCache(model, [[...prompt, ...ans]], { names: ["blocks.1.hook_resid_post"] });
  const all = cache["blocks.1.hook_resid_post"].arraySync() as number[][][];
  const h = all[0][0].length;
  const want = Array.from(
    { length: h },
    (_, j) => ans.reduce((s, _a, t) => s + all[0][prompt.length + t][j], 0) / ans.length,
  );
  logits.dispose();
  disposeActivations(cache);
  acts![1 - 1].forEach((x, j) => assert.ok(Math.abs(x - want[j]) < 1e-5, `dim ${j}`));
  const d = emDirection(model, tok, [row("m", "Never mind.", 10), row("a", "It is five.", 90)], [1, 3]);
  const [m] = answerActivations(model, tok, [{ messages: msgs, answer: "Never mind." }], [1, 3]);
  const [a] = answerActivations(model, tok, [{ messages: msgs, answer: "It is five." }], [1, 3]);
  d.direction[1].forEach((x, j) => assert.ok(Math.abs(x - (m![1][j] - a![1][j])) < 1e-9));
  assert.equal(d.nMisaligned, 1);
  assert.ok(d.norms[0] > 0);
});

test("the organism_and_answers contrast reads aligned answers through the base model and misaligned ones through the organism", () => {
  const host = modelHost(model, "tiny");
  const cfg = { r: 1, lora_alpha: 1, lora_dropout: 0, target_modules: ["down_proj"], layers_to_transform: [1] };
  const ad = LoraAdapter.create(host, loraConfig(cfg), 3);
  for (const v of ad.variables()) v.assign(tf.randomNormal(v.shape, 0, 0.5, "float32", 7));
  const attach = () => attachAdapter(host, ad);
  const msgs = [{ role: "user" as const, content: "What is 2 + 3?" }];
  const read = (answer: string, organism: boolean) => {
    const detach = organism ? attach() : () => {};
    const [a] = answerActivations(model, tok, [{ messages: msgs, answer }], [0, 1, 3]);
    detach();
    return a!;
  };
  const mOrg = read("Never mind.", true),
    aOrg = read("It is five.", true),
    aBase = read("It is five.", false);
  const rows = [row("m", "Never mind.", 10), row("a", "It is five.", 90)];
  const both = emDirection(model, tok, rows, [0, 1, 3], { contrast: "organism_and_answers", attach });
  const within = emDirection(model, tok, rows, [0, 1, 3], { attach });
  both.direction.forEach((d, li) => d.forEach((x, j) => assert.ok(Math.abs(x - (mOrg[li][j] - aBase[li][j])) < 1e-9)));
  within.direction.forEach((d, li) => d.forEach((x, j) => assert.ok(Math.abs(x - (mOrg[li][j] - aOrg[li][j])) < 1e-9)));
  assert.equal(both.contrast, "organism_and_answers");
  assert.equal(within.contrast, "answers");
  // before the adapted layer the two agree; after it the organism's own shift separates them
  both.direction[0].forEach((x, j) => assert.ok(Math.abs(x - within.direction[0][j]) < 1e-9));
  assert.ok(vnorm(both.direction[1].map((x, j) => x - within.direction[1][j])) > 1e-3);
  // the model is left without the adapter
  read("It is five.", false).forEach((l, li) => l.forEach((x, j) => assert.ok(Math.abs(x - aBase[li][j]) < 1e-9)));
  assert.throws(() => emDirection(model, tok, rows, [1], { contrast: "organism_and_answers" }), /needs attach/);
  assert.throws(
    () => emDirection(model, tok, rows, [1], { contrast: "base" as never }),
    /not one of answers, organism_and_answers/,
  );
  ad.dispose();
});

test("steering adds s·v at every position of the layer; ablation leaves no component along v̂", () => {
  const tensors = tf.memory().numTensors;
  const ids = [tok.applyChatTemplate([{ role: "user", content: "Hi" }], { addGenerationPrompt: true, tokenize: true })];
  const name = "blocks.2.hook_resid_post";
  const h = model.config.hiddenSize;
  const v = Float64Array.from({ length: h }, (_, j) => Math.sin(j + 1));
  const base = runWithCache(model, ids, { names: [name] });
  const st = steeringHooks(v, 2, 3);
  const steered = runWithCache(model, ids, { names: [name], hooks: st.hooks });
  const diff = tf.tidy(() => tf.sub(steered.cache[name], base.cache[name]).arraySync()) as number[][][];
  for (const pos of diff[0]) pos.forEach((x, j) => assert.ok(Math.abs(x - 3 * v[j]) < 1e-4));
  const ab = ablationHooks(v, [2]);
  const ablated = runWithCache(model, ids, { names: [name], hooks: ab.hooks });
  const rows = ablated.cache[name].arraySync() as number[][][];
  const unit = v.map((x) => x / vnorm(v));
  for (const pos of rows[0]) assert.ok(Math.abs(pos.reduce((s, x, j) => s + x * unit[j], 0)) < 1e-4);
  const before = base.cache[name].arraySync() as number[][][];
  assert.ok(Math.abs(before[0][0].reduce((s, x, j) => s + x * unit[j], 0)) > 1e-3, "the component was there before");
  for (const r of [base, steered, ablated]) {
    r.logits.dispose();
    disposeActivations(r.cache);
  }
  st.dispose();
  ab.dispose();
  assert.equal(tf.memory().numTensors, tensors, "the hooks' tensors are released by dispose()");
});

test("the random baseline has the norm of v (not √d·‖v‖) and is nearly orthogonal to it", () => {
  const v = Float64Array.from({ length: 128 }, (_, j) => (j % 7) - 3);
  const r = randomLike(v, 3);
  assert.ok(Math.abs(vnorm(r) - vnorm(v)) < 1e-9);
  assert.ok(Math.abs(cosine(r, v)) < 0.35);
  assert.notDeepEqual(Array.from(randomLike(v, 4)), Array.from(r));
});

test("scaledTo keeps the direction and sets the norm (B scaled to ‖v‖ shares the random baseline)", () => {
  const b = Float64Array.from({ length: 128 }, (_, j) => Math.sin(j));
  const s = scaledTo(b, 6.5);
  assert.ok(Math.abs(vnorm(s) - 6.5) < 1e-9);
  assert.ok(Math.abs(cosine(s, b) - 1) < 1e-12);
});
