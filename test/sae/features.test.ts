/** Pooled SAE features of texts on the embedded tiny assistant: mean / max / last, and the scratchpad span. */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { initBackend, tf } from "../../lib/backend.ts";
import { MolabError } from "../../lib/errors.ts";
import { EMBEDDED_MODEL_DIR } from "../../lib/paths.ts";
import { disposeModel, loadModel, loadTokenizer, type Model, type Tokenizer } from "../../lib/model/index.ts";
import {
  disposeSae,
  encode,
  extractActivations,
  pooledFeatures,
  pooledTextFeatures,
  tokenizeWithSpan,
  type Sae,
} from "../../lib/sae/index.ts";
import { assertClose, randomSae } from "./helpers.ts";

let model: Model;
let tok: Tokenizer;
let sae: Sae;
const HOOK = "blocks.1.hook_resid_post";
const TEXTS = [
  "<SCRATCHPAD_REASONING>The user asks for help; I will answer plainly.</SCRATCHPAD_REASONING><OUTPUT>Sure.</OUTPUT>",
  "<INPUT><user_input>What is 2 + 3?</user_input></INPUT><SCRATCHPAD_REASONING>Simple sum.</SCRATCHPAD_REASONING>",
];

before(async () => {
  await initBackend();
  model = await loadModel(EMBEDDED_MODEL_DIR);
  tok = await loadTokenizer(EMBEDDED_MODEL_DIR);
  sae = randomSae("topk", 128, 64, 31, { k: 8, hook_name: HOOK });
});
after(() => {
  disposeModel(model);
  disposeSae(sae);
});

/** Latents [T, d_sae] of every token, computed directly. */
function latents(ids: number[]): Float32Array {
  const a = extractActivations(model, [ids], HOOK);
  const x = tf.reshape(a, [ids.length, 128]) as tf.Tensor2D;
  const z = encode(sae, x);
  const v = z.dataSync() as Float32Array;
  tf.dispose([a, x, z]);
  return v;
}

test("pooledFeatures: mean, max and last token of the per-token latents", () => {
  const ids = TEXTS.map((t) => tok.encode(t));
  for (const pool of ["mean", "max", "last"] as const) {
    const r = pooledFeatures(model, sae, ids, { pool });
    assert.equal(r.hook, HOOK);
    assert.deepEqual(r.tokens, [ids[0].length, ids[1].length]);
    ids.forEach((seq, i) => {
      const z = latents(seq);
      const want = new Float32Array(64);
      for (let j = 0; j < 64; j++) {
        const col = Array.from({ length: seq.length }, (_, t) => z[t * 64 + j]);
        want[j] =
          pool === "mean"
            ? col.reduce((a, b) => a + b, 0) / col.length
            : pool === "max"
              ? Math.max(...col)
              : col.at(-1)!;
      }
      assertClose(r.features.subarray(i * 64, (i + 1) * 64), want, 1e-5, `${pool} text ${i}`);
    });
  }
});

test("scratchpad span: the markers are added tokens, the span is theirs, and the pool covers only it", () => {
  const { ids, span } = tokenizeWithSpan(tok, TEXTS[1], true);
  assert.deepEqual(ids, tok.encode(TEXTS[1]), "split encoding = whole-text encoding for this tokenizer");
  assert.equal(tok.idToToken(ids[span![0]]), "<SCRATCHPAD_REASONING>");
  assert.equal(tok.idToToken(ids[span![1] - 1]), "</SCRATCHPAD_REASONING>");
  const r = pooledTextFeatures(model, tok, sae, TEXTS, { scratchpad: true, pool: "max" });
  const z = latents(ids);
  const want = new Float32Array(64);
  for (let j = 0; j < 64; j++) {
    let m = -Infinity;
    for (let t = span![0]; t < span![1]; t++) m = Math.max(m, z[t * 64 + j]);
    want[j] = m;
  }
  assertClose(r.features.subarray(64, 128), want, 1e-5, "scratchpad max");
  assert.equal(r.tokens[1], span![1] - span![0]);
  assert.throws(
    () => pooledTextFeatures(model, tok, sae, [TEXTS[0], "no scratchpad here"], { scratchpad: true }),
    (e: Error) => e instanceof MolabError && /^text 1: no <SCRATCHPAD_REASONING>/.test(e.message),
  );
  assert.throws(() => pooledFeatures(model, sae, [[1, 2, 3]], { spans: [[2, 5]] }), /span \[2, 5\) of text 0/);
});
