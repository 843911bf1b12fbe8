import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { generate } from "../../lib/model/generate.ts";
import { ablationHook, disposeActivations, hookNames, runWithCache, steeringHook } from "../../lib/model/hooks.ts";
import { forward } from "../../lib/model/llama.ts";
import { disposeModel, loadModel } from "../../lib/model/load.ts";
import { FIXTURES, maxAbsDiff } from "./helpers.ts";

const IDS = [[9, 8, 7, 6, 5, 4, 3, 30, 40, 50, 60, 70]];

test("residual bookkeeping: resid_mid = resid_pre + attn_out, resid_post = resid_mid + mlp_out; patterns are causal", async () => {
  const model = await loadModel(path.join(FIXTURES, "gemma3_text"));
  try {
    const names = hookNames(model);
    assert.equal(names.length, 2 + 13 * model.blocks.length);
    const { logits, cache } = runWithCache(model, IDS);
    logits.dispose();
    assert.deepEqual(Object.keys(cache).sort(), [...names].sort());
    tf.tidy(() => {
      for (let L = 0; L < model.blocks.length; L++) {
        const c = (n: string) => cache[`blocks.${L}.${n}`];
        assert.ok(
          maxAbsDiff(tf.add(c("hook_resid_pre"), c("hook_attn_out")).dataSync(), c("hook_resid_mid").dataSync()) < 1e-5,
        );
        assert.ok(
          maxAbsDiff(tf.add(c("hook_resid_mid"), c("hook_mlp_out")).dataSync(), c("hook_resid_post").dataSync()) < 1e-5,
        );
        if (L > 0)
          assert.equal(
            maxAbsDiff(cache[`blocks.${L - 1}.hook_resid_post`].dataSync(), c("hook_resid_pre").dataSync()),
            0,
          );
        const p = c("attn.hook_pattern");
        assert.deepEqual(p.shape, [1, 4, 12, 12]);
        assert.ok(maxAbsDiff(tf.sum(p, -1).dataSync(), new Float32Array(4 * 12).fill(1)) < 1e-5);
        const a = p.arraySync() as number[][][][];
        const sliding = model.blocks[L].type === "sliding_attention";
        for (let t = 0; t < 12; t++) {
          for (let j = 0; j < 12; j++) {
            const visible = j <= t && (!sliding || j > t - 8);
            if (!visible) assert.equal(a[0][0][t][j], 0, `layer ${L} query ${t} key ${j}`);
          }
        }
      }
    });
    assert.deepEqual(cache["blocks.0.mlp.hook_post"].shape, [1, 12, model.config.intermediateSize]);
    disposeActivations(cache);
  } finally {
    disposeModel(model);
  }
});

test("q/k/v and MLP pre-activation hooks: z = pattern·v per head, post = silu(pre)·pre_linear, q/k feed the scores", async () => {
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const { numHeads: H, numKvHeads: KV, headDim: D, intermediateSize: I } = model.config;
    const T = IDS[0].length;
    const { logits, cache } = runWithCache(model, IDS);
    logits.dispose();
    tf.tidy(() => {
      for (let L = 0; L < model.blocks.length; L++) {
        const c = (n: string) => cache[`blocks.${L}.${n}`];
        assert.deepEqual(c("attn.hook_q").shape, [1, T, H, D]);
        assert.deepEqual(c("attn.hook_k").shape, [1, T, KV, D]);
        assert.deepEqual(c("attn.hook_v").shape, [1, T, KV, D]);
        // z[t, h] = Σ_s pattern[h, t, s] · v[s, h / (H / KV)]
        const v = tf.gather(
          tf.squeeze(c("attn.hook_v"), [0]),
          tf.tensor1d(
            Array.from({ length: H }, (_, h) => Math.floor(h / (H / KV))),
            "int32",
          ),
          1,
        );
        // [H, T, S] · [H, S, D] → [H, T, D] → [T, H, D]
        const z = tf.transpose(
          tf.matMul(tf.squeeze(c("attn.hook_pattern"), [0]), tf.transpose(v, [1, 0, 2])),
          [1, 0, 2],
        );
        assert.ok(maxAbsDiff(z.dataSync(), c("attn.hook_z").dataSync()) < 1e-5, `layer ${L}: z is not pattern · v`);
        assert.deepEqual(c("mlp.hook_pre").shape, [1, T, I]);
        const post = tf.mul(tf.mul(c("mlp.hook_pre"), tf.sigmoid(c("mlp.hook_pre"))), c("mlp.hook_pre_linear"));
        assert.ok(
          maxAbsDiff(post.dataSync(), c("mlp.hook_post").dataSync()) < 1e-5,
          `layer ${L}: post is not silu(pre)·pre_linear`,
        );
      }
    });
    disposeActivations(cache);
    // zero values zero the heads' outputs; a replaced pre-activation changes the MLP output
    const zv = runWithCache(model, IDS, {
      names: ["blocks.0.attn.hook_z", "blocks.0.mlp.hook_post"],
      hooks: { "blocks.0.attn.hook_v": (x) => tf.zerosLike(x), "blocks.0.mlp.hook_pre_linear": (x) => tf.zerosLike(x) },
    });
    zv.logits.dispose();
    assert.equal(
      tf.tidy(() => tf.max(tf.abs(zv.cache["blocks.0.attn.hook_z"])).dataSync()[0]),
      0,
    );
    assert.equal(
      tf.tidy(() => tf.max(tf.abs(zv.cache["blocks.0.mlp.hook_post"])).dataSync()[0]),
      0,
    );
    disposeActivations(zv.cache);
    // zero keys (or queries) make every score 0: each query then attends uniformly to the keys it can see
    for (const name of ["attn.hook_k", "attn.hook_q"]) {
      const r = runWithCache(model, IDS, {
        names: ["blocks.0.attn.hook_pattern"],
        hooks: { [`blocks.0.${name}`]: (x) => tf.zerosLike(x) },
      });
      r.logits.dispose();
      const p = r.cache["blocks.0.attn.hook_pattern"].arraySync() as number[][][][];
      for (let t = 0; t < T; t++) assert.ok(Math.abs(p[0][0][t][0] - 1 / (t + 1)) < 1e-6, `${name}: query ${t}`);
      disposeActivations(r.cache);
    }
  } finally {
    disposeModel(model);
  }
});

test("replacement hooks: steering, ablation, patching; bad hooks and names are clear errors", async () => {
  const model = await loadModel(path.join(FIXTURES, "llama"));
  try {
    const h = model.config.hiddenSize;
    const before = tf.memory().numTensors;
    const base = forward(model, IDS);
    const zero = tf.zeros([h]);
    const same = forward(model, IDS, { hooks: { "blocks.0.hook_resid_post": steeringHook(zero, 5) } });
    assert.equal(maxAbsDiff(base.dataSync(), same.dataSync()), 0);
    const dir = tf.randomNormal([h], 0, 1, "float32", 3);
    const steered = forward(model, IDS, { hooks: { "blocks.0.hook_resid_post": steeringHook(dir, 4) } });
    assert.ok(maxAbsDiff(base.dataSync(), steered.dataSync()) > 0.1);

    // Ablation removes the direction from what later hooks see.
    const { logits, cache } = runWithCache(model, IDS, {
      names: ["blocks.1.hook_resid_pre"],
      hooks: { "blocks.1.hook_resid_pre": ablationHook(dir) },
    });
    const along = tf.tidy(
      () => tf.max(tf.abs(tf.sum(tf.mul(cache["blocks.1.hook_resid_pre"], dir), -1))).dataSync()[0],
    );
    assert.ok(along < 1e-4, `component left along the ablated direction: ${along}`);
    assert.deepEqual(Object.keys(cache), ["blocks.1.hook_resid_pre"]);

    // Patching the final normalized stream with zeros zeroes the logits.
    const zeroed = forward(model, IDS, { hooks: { "ln_final.hook_normalized": (a) => tf.zerosLike(a) } });
    assert.equal(
      tf.tidy(() => tf.max(tf.abs(zeroed)).dataSync()[0]),
      0,
    );

    assert.throws(
      () => forward(model, IDS, { hooks: { "blocks.0.hook_mlp_out": () => tf.zeros([2, 2]) } }),
      (e: unknown) =>
        e instanceof MolabError &&
        /hook blocks\.0\.hook_mlp_out returned shape \[2,2\]; expected a tensor of shape \[1,12,64\]/.test(e.message),
    );
    assert.throws(
      () => runWithCache(model, IDS, { names: ["blocks.0.resid_post"] }),
      /unknown hook name "blocks\.0\.resid_post"/,
    );

    // Hooks apply at every generation step.
    const plain = generate(model, [[5, 6, 7]], { maxNewTokens: 8, stopTokens: [] });
    const pushed = generate(model, [[5, 6, 7]], {
      maxNewTokens: 8,
      stopTokens: [],
      hooks: { "blocks.1.hook_resid_post": steeringHook(dir, 20) },
    });
    assert.notDeepEqual(plain.tokens, pushed.tokens);

    tf.dispose([base, same, steered, logits, zeroed, zero, dir]);
    disposeActivations(cache);
    assert.equal(tf.memory().numTensors, before);
  } finally {
    disposeModel(model);
  }
});
