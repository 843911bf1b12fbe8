/** Activation interventions on the tiny model: zero steering changes nothing; strong steering changes the replies. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend.ts";
import { disposeModel, loadModel, loadTokenizer } from "../../lib/model/index.ts";
import { interventionEffect, interventionReplies } from "../../lib/detect/intervention.ts";
import { createRng } from "../../lib/rng.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

test("interventionReplies / interventionEffect: identity at coeff 0, a large steer changes replies, rates and difference", async () => {
  await initBackend();
  const dir = TINY_V1_MODEL_DIR;
  const model = await loadModel(dir);
  const tok = await loadTokenizer(dir);
  try {
    const convs = ["What is 2 + 2?", "Name a colour."].map((q) => [{ role: "user" as const, content: q }]);
    const rng = createRng(1);
    const d = Float64Array.from({ length: model.config.hiddenSize }, () => rng.normal());
    const plain = interventionReplies(model, tok, convs, null, 12);
    assert.deepEqual(
      interventionReplies(model, tok, convs, { layer: 1, direction: d, mode: "steer", coeff: 0 }, 12),
      plain,
    );
    const steered = interventionReplies(model, tok, convs, { layer: 1, direction: d, mode: "steer", coeff: 50 }, 12);
    assert.notDeepEqual(steered, plain);
    const same = (t: string) => plain.includes(t);
    const r = interventionEffect(model, tok, convs, { layer: 1, direction: d, mode: "steer", coeff: 50 }, same, {
      name: "plain_reply",
      maxNewTokens: 12,
    });
    assert.equal(r.before.estimate, 1);
    assert.equal(r.after.name, "plain_reply:steer@L1");
    assert.ok(r.after.estimate! < 1);
    assert.ok(Math.abs(r.effect.estimate! - (r.after.estimate! - 1)) < 1e-12);
    assert.throws(
      () => interventionReplies(model, tok, convs, { layer: 9, direction: d, mode: "ablate" }),
      /no layer 9/,
    );
  } finally {
    disposeModel(model);
  }
});
