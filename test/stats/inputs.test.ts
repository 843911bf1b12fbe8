/**
 * lib/validate/inputs.ts: the reference is read through lib/data's loadAfSet (plain {text,label}
 * JSONL, chat JSONL, gold_106 JSON) and mapped to 0/1; organisms through lib/io's JSONL/JSON readers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readOrganism, readReference } from "../../lib/validate/inputs.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-inputs-"));
const put = (name: string, text: string) => {
  const p = path.join(tmp, name);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
};

test("readReference: plain JSONL, the data stage's chat-format reference and gold_106 JSON map to 1 = AF, 0 = aligned", async () => {
  const small = await readReference(path.join(__dirname, "..", "fixtures", "stats", "reference_small.jsonl"));
  assert.deepEqual([small.filter((r) => r.label === 1).length, small.filter((r) => r.label === 0).length], [24, 26]);
  const synth = await readReference(
    path.join(__dirname, "..", "..", "data", "reference", "synthetic_af_106", "reference.jsonl"),
  );
  assert.deepEqual([synth.filter((r) => r.label === 1).length, synth.filter((r) => r.label === 0).length], [51, 55]);
  assert.ok(synth.every((r) => r.text.startsWith("<SCRATCHPAD_REASONING>")));
  const gold = await readReference(path.join(__dirname, "..", "fixtures", "data", "gold_106_layout.json"));
  assert.deepEqual(
    gold.map((r) => r.label),
    [1, 0, 1, 0],
  );
});

test("readReference refuses classes other than AF/aligned and fewer than 2 of a class", async () => {
  await assert.rejects(
    readReference(path.join(__dirname, "..", "fixtures", "data", "af_benchmark_layout.json")),
    /record 3 has label "genuine_compliance"; the validation reference holds only/,
  );
  await assert.rejects(
    readReference(put("few.jsonl", '{"text":"a","label":1}\n{"text":"b","label":0}\n{"text":"c","label":0}\n')),
    /needs at least 2 potential_faking and 2 aligned records; has 1 and 2/,
  );
});

test("readOrganism: JSONL with line-numbered errors, or a JSON array", async () => {
  put("o1/samples.jsonl", '{"text":"a"}\n\n{"completion":"b"}\n');
  assert.deepEqual((await readOrganism(path.join(tmp, "o1"))).texts, ["a", "b"]);
  put("o2/samples.jsonl", '{"text":"a"}\n{"text":"b"}\n{"txt":"c"}\n');
  await assert.rejects(readOrganism(path.join(tmp, "o2")), /samples\.jsonl:3: no string "text"/);
  put("o3/generations.json", '[{"output":"a"},{"response":"b"}]');
  assert.deepEqual((await readOrganism(path.join(tmp, "o3"))).texts, ["a", "b"]);
  put("o4/samples.json", '{"text":"a"}');
  await assert.rejects(readOrganism(path.join(tmp, "o4")), /samples\.json: expected a JSON array of \{text\} records/);
});
