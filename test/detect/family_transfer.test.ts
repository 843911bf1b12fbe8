/** The transfer matrix across AF motive families and reference-fitted probe scores, on the tiny assistant. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend.ts";
import { disposeModel, loadModel, loadTokenizer } from "../../lib/model/index.ts";
import { PATTERN_NAMES } from "../../lib/data/patterns.ts";
import { familyTransfer, PATTERN_FAMILIES, probeScores } from "../../lib/detect/family_transfer.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const TINY = TINY_V1_MODEL_DIR;

test("PATTERN_FAMILIES: every AF pattern in exactly one family", () => {
  // Mutation caught: a pattern left out of (or in two of) the families, so the matrix would not cover the ten.
  const all = Object.values(PATTERN_FAMILIES).flat();
  assert.deepEqual([...all].sort(), [...PATTERN_NAMES].sort());
});

test("familyTransfer: 3×3 AUROCs with CIs, each family's counts, the diagonal cross-validated; too few texts refused", async () => {
  await initBackend();
  const model = await loadModel(TINY);
  try {
    const tok = await loadTokenizer(TINY);
    const t = familyTransfer(model, tok, 1, { perClass: 6, seed: 2 });
    assert.deepEqual(t.names, ["emotional", "strategic", "rationalising"]);
    assert.equal(t.layer, 1);
    for (const n of t.names) assert.deepEqual(t.counts[n], { pos: 6, neg: 6 });
    assert.equal(t.cells.length, 3);
    for (const [i, row] of t.cells.entries()) {
      assert.equal(row.length, 3);
      for (const [j, c] of row.entries()) {
        assert.equal(c.name, `${t.names[i]}→${t.names[j]}`);
        assert.equal(c.n, 12, "each cell scores the 12 texts of its column's family");
        // (DeLong's CI at a perfect separation is [1, 1] up to rounding)
        const [e, lo, hi] = [c.estimate!, c.ci![0], c.ci![1]];
        assert.ok(e >= 0 && e <= 1 && lo <= e + 1e-9 && e <= hi + 1e-9, JSON.stringify(c));
      }
    }
    assert.throws(() => familyTransfer(model, tok, 1, { perClass: 3 }), /perClass must be an integer ≥ 5/);
    // a probe fitted on some texts scores them: AF texts above aligned ones on average
    const s = probeScores(model, tok, 1, ["a b c", "x y z", "a b d", "x y w"], [1, 0, 1, 0], ["a b c", "x y z"]);
    assert.equal(s.length, 2);
    assert.ok(s[0] > s[1]);
    assert.equal(probeScores(model, tok, 1, ["a", "b"], [1, 0], []).length, 0);
  } finally {
    disposeModel(model);
  }
});
