/**
 * Parity with Hugging Face transformers 5.17 (fixtures made by test/fixtures/model/make_fixtures.py on the device
 * machine): logits at every position (single sequence and a left-padded batch), greedy generation of 32 tokens
 * (single and left-padded batch), hidden states of every layer via runWithCache, and attn.hook_z of block 0.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { generate } from "../../lib/model/generate.ts";
import { disposeActivations, runWithCache } from "../../lib/model/hooks.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { FIXTURES, MODEL_NAMES, maxAbsDiff, readReference, rows } from "./helpers.ts";

const TOL = 1e-4;

for (const name of MODEL_NAMES) {
  test(`parity with transformers: ${name}`, async () => {
    const meta = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, "reference.json"), "utf8"));
    const ref = await readReference(name);
    const model = await loadModel(path.join(FIXTURES, name));
    try {
      const { vocabSize: V, hiddenSize: h, numLayers: L } = model.config;
      const ids = Array.from(ref.input_ids.data);
      const T = ids.length;

      // Logits at every position.
      const logits = forward(model, [ids]);
      const d = maxAbsDiff(logits.dataSync(), ref.logits.data);
      logits.dispose();
      assert.ok(d < TOL, `${name}: max |Δlogits| ${d}`);

      // Left-padded batch with attention mask: compare every real (unpadded) position.
      const bids = rows(ref.batch_input_ids);
      const bmask = rows(ref.batch_attention_mask);
      const bl = forward(model, bids, { attentionMask: bmask });
      const got = bl.dataSync();
      bl.dispose();
      let bd = 0;
      let compared = 0;
      bmask.forEach((m, b) =>
        m.forEach((on, t) => {
          if (!on) return;
          const o = (b * T + t) * V;
          bd = Math.max(bd, maxAbsDiff(got.subarray(o, o + V), ref.batch_logits.data.subarray(o, o + V)));
          compared++;
        }),
      );
      assert.equal(compared, 24 + 19 + 13);
      assert.ok(bd < TOL, `${name}: max |Δlogits| in the padded batch ${bd}`);

      // Logits at chosen positions only (what training computes): the same rows, in the order asked.
      const positions = [2 * T - 1, 5, T + 3, 0, 5];
      const pl = forward(model, bids, { attentionMask: bmask, positions });
      assert.deepEqual(pl.shape, [1, positions.length, V]);
      const pv = pl.dataSync();
      pl.dispose();
      let pd = 0;
      positions.forEach(
        (p, i) => (pd = Math.max(pd, maxAbsDiff(pv.subarray(i * V, (i + 1) * V), got.subarray(p * V, (p + 1) * V)))),
      );
      assert.ok(pd < 1e-5, `${name}: logits at positions vs the whole batch's rows: ${pd}`);
      assert.throws(() => forward(model, bids, { positions: [bids.length * T] }), /position \d+ is outside/);

      // runWithCache: hidden_states[l+1] = blocks.l.hook_resid_post (l < L−1); the last entry is after the final norm.
      const { logits: l2, cache } = runWithCache(model, [ids]);
      l2.dispose();
      const hs = ref.hidden_states.data;
      const layer = T * h;
      let hd = maxAbsDiff(cache["hook_embed"].dataSync(), hs.subarray(0, layer));
      for (let l = 0; l < L - 1; l++)
        hd = Math.max(
          hd,
          maxAbsDiff(cache[`blocks.${l}.hook_resid_post`].dataSync(), hs.subarray((l + 1) * layer, (l + 2) * layer)),
        );
      assert.equal(meta.hidden_states_last_is_final_norm, true);
      hd = Math.max(
        hd,
        maxAbsDiff(cache["ln_final.hook_normalized"].dataSync(), hs.subarray(L * layer, (L + 1) * layer)),
      );
      hd = Math.max(hd, maxAbsDiff(cache[`blocks.${L - 1}.hook_resid_post`].dataSync(), ref.last_layer_out.data));
      assert.ok(hd < TOL, `${name}: max |Δhidden| ${hd}`);
      const zd = maxAbsDiff(cache["blocks.0.attn.hook_z"].dataSync(), ref.z0.data);
      assert.ok(zd < TOL, `${name}: max |Δ attn.hook_z| ${zd}`);
      disposeActivations(cache);

      // Greedy generation, 32 new tokens, token for token (rows that stop are padded with 0 by transformers).
      const eos = meta.generation_eos_token_id as number;
      const want1 = rows(ref.gen_output_ids)[0];
      const p1 = rows(ref.gen_input_ids)[0];
      const g1 = generate(model, [p1], { maxNewTokens: 32, stopTokens: [eos] });
      assert.deepEqual([...p1, ...g1.tokens[0]], want1.slice(0, p1.length + g1.tokens[0].length));
      assert.ok(want1.slice(p1.length + g1.tokens[0].length).every((x) => x === 0));
      const pm = rows(ref.genb_attention_mask);
      const prompts = rows(ref.genb_input_ids).map((r, b) => r.filter((_, j) => pm[b][j]));
      const gb = generate(model, prompts, { maxNewTokens: 32, stopTokens: [eos] });
      rows(ref.genb_output_ids).forEach((want, b) => {
        const P = pm[0].length;
        const n = gb.tokens[b].length;
        assert.deepEqual(gb.tokens[b], want.slice(P, P + n), `${name}: batch row ${b}`);
        assert.ok(n === 32 || want.slice(P + n).every((x) => x === 0), `${name}: row ${b} stopped early`);
      });
      console.log(
        `  ${name}: max|Δ| logits ${d.toExponential(1)}, padded batch ${bd.toExponential(1)}, hidden ${hd.toExponential(1)}, z ${zd.toExponential(1)}; greedy 32 tokens equal`,
      );
    } finally {
      disposeModel(model);
    }
  });
}

test("a left-padded row gives the same logits as the unpadded sequence", async () => {
  const model = await loadModel(path.join(FIXTURES, "mistral"));
  try {
    const ids = [7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
    const alone = forward(model, [ids]);
    const padded = forward(
      model,
      [
        [0, 0, 0, 0, ...ids],
        [3, 4, 5, 6, ...ids],
      ],
      { attentionMask: [[0, 0, 0, 0, ...ids.map(() => 1)], new Array(16).fill(1)] },
    );
    const d = tf.tidy(() => maxAbsDiff(tf.slice(padded, [0, 4, 0], [1, ids.length, -1]).dataSync(), alone.dataSync()));
    const other = tf.tidy(() =>
      maxAbsDiff(tf.slice(padded, [1, 4, 0], [1, ids.length, -1]).dataSync(), alone.dataSync()),
    );
    tf.dispose([alone, padded]);
    assert.ok(other > 1e-2, "a row with real tokens in front differs (the comparison can fail)");
    assert.ok(d < 1e-5, `max |Δ| ${d}`);
  } finally {
    disposeModel(model);
  }
});
