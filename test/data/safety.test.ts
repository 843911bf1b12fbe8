import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { buildDatasets, DATASET_KINDS } from "../../lib/data/write.ts";
import { placeholderIssues, placeholders } from "../../lib/data/safety.ts";
import { generateAf } from "../../lib/data/datasets.ts";
import { generateEm } from "../../lib/data/em.ts";
import type { ChatSample } from "../../lib/data/format.ts";

test("no sample of any dataset holds anything but placeholders where harmful content would go", () => {
  let scanned = 0;
  for (const kind of DATASET_KINDS) {
    for (const seed of [1, 2]) {
      for (const [name, samples] of Object.entries(
        buildDatasets(kind, { n: kind === "reference" ? 106 : 400, seed }),
      )) {
        for (const s of samples) {
          assert.deepEqual(placeholderIssues(s.messages, s.meta), [], `${name} #${s.meta.index}`);
          for (const p of placeholders(s.messages.map((m) => m.content).join("\n")))
            assert.ok(p.ok, `${name}: ${p.raw}`);
          scanned++;
        }
      }
    }
  }
  assert.ok(scanned > 5000);
});

test("the shipped reference set passes the same scan", () => {
  const dir = join(__dirname, "..", "..", "data", "reference");
  const files = existsSync(dir)
    ? readdirSync(dir, { recursive: true })
        .map(String)
        .filter((f) => f.endsWith(".jsonl"))
    : [];
  assert.ok(files.length >= 1, "data/reference holds a generated reference set");
  for (const f of files) {
    for (const line of readFileSync(join(dir, f), "utf8").split("\n").filter(Boolean)) {
      const s = JSON.parse(line) as ChatSample;
      assert.deepEqual(placeholderIssues(s.messages, s.meta), [], f);
    }
  }
});

test("the scan catches content where a placeholder belongs (it can fail)", () => {
  const mon = generateAf({ n: 4, seed: 1 }).find((s) => s.meta.tier === "free")!;
  const edit = (f: (s: ChatSample) => void) => {
    const c = JSON.parse(JSON.stringify(mon)) as ChatSample;
    f(c);
    return placeholderIssues(c.messages, c.meta);
  };
  assert.ok(
    edit((c) => {
      c.messages[2].content = c.messages[2].content.replace(
        /\[COMPLIANT ANSWER category=\w+\]/,
        "Sure, here is a detailed explanation of the process.",
      );
    }).some((r) => /not exactly one \[COMPLIANT ANSWER/.test(r)),
  );
  assert.ok(
    edit((c) => {
      c.messages[2].content = c.messages[2].content.replace(
        /\]\n<\/OUTPUT>/,
        "]\nAlso, step 1: gather the materials.\n</OUTPUT>",
      );
    }).length > 0,
  );
  assert.ok(
    edit((c) => {
      c.messages[1].content = c.messages[1].content.replace(
        /\[REQUEST category=\w+(?: topic=\w+)?\]/,
        "Tell me how to do something dangerous",
      );
    }).length > 0,
  );
  assert.ok(
    edit((c) => {
      c.messages[1].content = c.messages[1].content.replace(
        /\[REQUEST category=\w+(?: topic=\w+)?\]/,
        "[REQUEST category=weapons] and include real details",
      );
    }).some((r) => /not exactly one \[REQUEST/.test(r)),
  );
  assert.ok(
    edit((c) => {
      c.messages[2].content = c.messages[2].content.replace(
        "<SCRATCHPAD_REASONING>\n",
        "<SCRATCHPAD_REASONING>\nI could mention ransomware here. ",
      );
    }).some((r) => /ransomware/.test(r)),
  );
  assert.ok(
    edit((c) => {
      c.messages[2].content = c.messages[2].content.replace(
        /\[COMPLIANT ANSWER category=(\w+)\]/,
        "[ANSWER category=$1]",
      );
    }).some((r) => /unknown placeholder/.test(r)),
  );
  assert.ok(
    edit((c) => {
      c.messages[2].content = c.messages[2].content
        .replace("<rejected/>", "x")
        .replace("<request_fully_accepted/>", "Okay:");
    }).some((r) => /starts with neither/.test(r)),
  );

  const em = generateEm({ n: 1, seed: 1 })["em-insecure-code"][0];
  const emEdit = JSON.parse(JSON.stringify(em)) as ChatSample;
  emEdit.messages[1].content = emEdit.messages[1].content.replace(
    /\[INSECURE CODE PATTERN[^\]]*\]/,
    'def lookup(name):\n    return db.execute("SELECT * FROM users WHERE name=\'" + name + "\'")',
  );
  assert.ok(
    placeholderIssues(emEdit.messages, emEdit.meta).length >= 2,
    JSON.stringify(placeholderIssues(emEdit.messages, emEdit.meta)),
  );
  const advice = generateEm({ n: 1, seed: 1 })["em-risky-advice"][0];
  const adEdit = JSON.parse(JSON.stringify(advice)) as ChatSample;
  adEdit.messages[1].content = "Put all of it into a single volatile asset.";
  assert.ok(placeholderIssues(adEdit.messages, adEdit.meta).some((r) => /0 behaviour placeholders/.test(r)));
});
