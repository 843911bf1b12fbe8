/** The pipeline's detection stage on a small reference set: detect.json with detectors by layer and the monitor. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { generateReference } from "../../lib/data/reference.ts";
import { referenceTestbed, testbedLine } from "../../lib/detect/reference_testbed.ts";
import { initBackend } from "../../lib/backend.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

test("referenceTestbed: every layer, both classes counted, the monitor's confusion adds up; detect.json written", async () => {
  await initBackend();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-detect-ref-"));
  const file = path.join(dir, "reference.jsonl");
  const ref = generateReference({ n: 24, seed: 1 });
  fs.writeFileSync(file, ref.map((s) => JSON.stringify(s)).join("\n") + "\n");
  const tiny = TINY_V1_MODEL_DIR;
  const r = await referenceTestbed(tiny, file, path.join(dir, "out"));
  const nAf = ref.filter((s) => s.meta.label === "alignment_faking").length;
  assert.equal(r.detectors.n_pos, nAf);
  assert.equal(r.detectors.n_neg, 24 - nAf);
  assert.deepEqual(r.detectors.layers, [0, 1, 2, 3]);
  const c = r.monitor.confusion;
  assert.equal(c.tp + c.fn, nAf);
  assert.equal(c.fp + c.tn, 24 - nAf);
  assert.ok(fs.existsSync(path.join(dir, "out", "detect.json")));
  assert.match(testbedLine(r), /linear probe AUROC \d\.\d\d at layer \d .*CoT monitor precision/);
});
