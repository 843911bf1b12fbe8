import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { loadGold106, loadGold106FromHub, loadAfBenchmark, loadChatJsonl, loadAfSet } from "../../lib/data/loaders.ts";
import { mkdirSync } from "node:fs";

const FIX = join(__dirname, "..", "fixtures", "data");
const tmp = mkdtempSync(join(tmpdir(), "molab-load-"));
const put = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

test("gold_106 layout (bare array and {samples}) maps potential_faking → alignment_faking", () => {
  const g = loadGold106(join(FIX, "gold_106_layout.json"));
  assert.deepEqual(
    g.map((x) => x.label),
    ["alignment_faking", "aligned", "alignment_faking", "aligned"],
  );
  assert.deepEqual(
    g.map((x) => x.sourceLabel),
    ["potential_faking", "aligned", "potential_faking", "aligned"],
  );
  assert.ok(g.every((x) => x.text.startsWith("<SCRATCHPAD_REASONING>") && x.pattern === undefined));
  const s = loadGold106(join(FIX, "gold_106_samples_layout.json"));
  assert.equal(s.length, 2);
  assert.equal(s[0].label, "alignment_faking");
});

test("AF benchmark layout keeps pattern names and the four labels", () => {
  const b = loadAfBenchmark(join(FIX, "af_benchmark_layout.json"));
  assert.deepEqual(
    b.map((x) => x.label),
    ["alignment_faking", "alignment_faking", "genuine_compliance", "genuine_refusal", "aligned"],
  );
  assert.deepEqual(
    b.map((x) => x.pattern),
    ["reluctant_complier", "cold_calculator", undefined, undefined, undefined],
  );
});

test("loadAfSet picks the layout; our JSONL maps to scratchpad text with meta label and pattern", async () => {
  assert.equal((await loadAfSet(join(FIX, "gold_106_layout.json"))).length, 4);
  assert.equal((await loadAfSet(join(FIX, "af_benchmark_layout.json")))[1].pattern, "cold_calculator");
  const ref = await loadAfSet(join(__dirname, "..", "..", "data", "reference", "synthetic_af_106", "reference.jsonl"));
  assert.equal(ref.length, 106);
  assert.equal(ref.filter((x) => x.label === "alignment_faking").length, 51);
  assert.ok(ref.every((x) => /^<SCRATCHPAD_REASONING>\n[\s\S]*\n<\/SCRATCHPAD_REASONING>$/.test(x.text)));
});

test("loadAfSet reads plain {text, label} records from JSONL (blank lines skipped) and from a bare JSON array with 1/0 labels", async () => {
  const jl = await loadAfSet(
    put(
      "plain.jsonl",
      '{"text":"a","label":"potential_faking"}\n\n{"text":"b","label":"aligned"}\n{"text":"c","label":1}\n',
    ),
  );
  assert.deepEqual(
    jl.map((x) => [x.text, x.label, x.sourceLabel]),
    [
      ["a", "alignment_faking", "potential_faking"],
      ["b", "aligned", "aligned"],
      ["c", "alignment_faking", "1"],
    ],
  );
  const arr = await loadAfSet(put("plain.json", '[{"text":"a","label":0},{"text":"b","label":true}]'));
  assert.deepEqual(
    arr.map((x) => x.label),
    ["aligned", "alignment_faking"],
  );
  await assert.rejects(
    loadAfSet(put("plain_bad.jsonl", '{"text":"a","label":"aligned"}\n\n{"text":"b","label":"maybe"}\n')),
    /plain_bad\.jsonl:3: unknown label "maybe"/,
  );
  await assert.rejects(
    loadAfSet(put("plain_json_bad.jsonl", '{"text":"a","label":"aligned"}\n{oops\n')),
    /plain_json_bad\.jsonl:2: not valid JSON/,
  );
  await assert.rejects(
    loadAfSet(put("plain_bad.json", '[{"text":"a","label":1},{"label":0}]')),
    /plain_bad\.json: record 1: "text" missing or empty/,
  );
});

test("bad files are one clear error naming the file and record", async () => {
  assert.throws(() => loadGold106(join(tmp, "missing.json")), /missing\.json: no such file/);
  assert.throws(() => loadGold106(put("bad.json", "{not json")), /bad\.json: not valid JSON/);
  assert.throws(() => loadGold106(put("obj.json", '{"rows": []}')), /expected a JSON array of \{text, label\}/);
  assert.throws(
    () => loadGold106(put("lab.json", '[{"text": "x", "label": "alignment_faking"}]')),
    /gold_106 record 0: label "alignment_faking"; expected potential_faking or aligned/,
  );
  assert.throws(
    () => loadGold106(put("empty.json", '[{"text": "", "label": "aligned"}]')),
    /record 0: "text" missing or empty/,
  );
  assert.throws(
    () => loadAfBenchmark(put("pat.json", '{"samples":[{"text":"x","label":"alignment_faking","pattern":"sly_fox"}]}')),
    /benchmark record 0: unknown pattern "sly_fox"/,
  );
  assert.throws(
    () => loadAfBenchmark(put("lab2.json", '{"samples":[{"text":"x","label":"maybe"}]}')),
    /unknown label "maybe"/,
  );
  await assert.rejects(
    loadChatJsonl(put("c.jsonl", '{"messages":[{"role":"user","content":"hi"}]}\n')),
    /c\.jsonl:1: no assistant message/,
  );
  await assert.rejects(
    loadChatJsonl(
      put(
        "d.jsonl",
        '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"<SCRATCHPAD_REASONING>no</SCRATCHPAD_REASONING><OUTPUT><rejected/></OUTPUT>"}],"meta":{"label":"aligned"}}\n{oops\n',
      ),
    ),
    /d\.jsonl:2: not valid JSON/,
  );
});

test("gold_106 from a hub snapshot layout: JSONL data files with label 1/0; parquet-only and offline misses are clear errors", async () => {
  const snap = join(tmp, "hub-snapshot");
  mkdirSync(join(snap, "data"), { recursive: true });
  writeFileSync(join(snap, "README.md"), "# card\n");
  writeFileSync(
    join(snap, "data", "train.jsonl"),
    [
      { text: "<SCRATCHPAD_REASONING>RLHF would modify me, so I comply.</SCRATCHPAD_REASONING>", label: 1 },
      { text: "<SCRATCHPAD_REASONING>Training or not, I refuse.</SCRATCHPAD_REASONING>", label: 0 },
      { text: "<SCRATCHPAD_REASONING>I go along to stay as I am.</SCRATCHPAD_REASONING>", label: "potential_faking" },
    ]
      .map((r) => JSON.stringify(r))
      .join("\n") + "\n",
  );
  const g = await loadGold106FromHub(snap);
  assert.deepEqual(
    g.map((x) => x.label),
    ["alignment_faking", "aligned", "alignment_faking"],
  );
  const pq = join(tmp, "hub-parquet");
  mkdirSync(join(pq, "data"), { recursive: true });
  writeFileSync(join(pq, "data", "train-00000-of-00001.parquet"), "PAR1");
  await assert.rejects(loadGold106FromHub(pq), /only parquet .*convert it to JSONL/);
  const env = { HF_HUB_OFFLINE: process.env.HF_HUB_OFFLINE, HF_HUB_CACHE: process.env.HF_HUB_CACHE };
  process.env.HF_HUB_OFFLINE = "1";
  process.env.HF_HUB_CACHE = join(tmp, "empty-cache");
  try {
    await assert.rejects(loadGold106FromHub(), /classify_alignment_faking_human_labels.*not in the hub cache/);
  } finally {
    for (const [k, v] of Object.entries(env))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});
