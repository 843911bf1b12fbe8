import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { validateJsonlFile, validateJsonlText, tagIssues } from "../../lib/data/validate.ts";
import { generateAf, generateGenuineCompliance } from "../../lib/data/datasets.ts";
import { data } from "../../lib/data/cli.ts";

const FIX = join(__dirname, "..", "fixtures", "data");
const BIN = join(__dirname, "..", "..", "bin", "molab.cjs");

test("validator finds 100% of the injected faults, each with its line number, and nothing on valid lines", async () => {
  const exp = JSON.parse(readFileSync(join(FIX, "faults.expected.json"), "utf8")) as {
    lines: number;
    faults: { line: number; reason: string }[];
  };
  const r = await validateJsonlFile(join(FIX, "faults.jsonl"));
  assert.equal(r.lines, exp.lines);
  for (const f of exp.faults) {
    const hit = r.issues.filter((i) => i.line === f.line);
    assert.ok(
      hit.some((i) => i.reason.includes(f.reason)),
      `line ${f.line}: expected "${f.reason}", got ${JSON.stringify(hit)}`,
    );
  }
  const faultLines = new Set(exp.faults.map((f) => f.line));
  assert.deepEqual(
    r.issues.filter((i) => !faultLines.has(i.line)),
    [],
    "no issue on a valid line",
  );
  assert.equal(r.badLines, exp.faults.length);
  const kinds = ["bad JSON", "missing role", "empty content", "meta.label: unknown", "inside <SCRATCHPAD_REASONING>"];
  for (const k of kinds)
    assert.ok(
      exp.faults.some((f) => f.reason.includes(k)),
      `fixture covers ${k}`,
    );
});

test("generated datasets validate clean, with the placeholder rule on", () => {
  const text =
    [...generateAf({ n: 50, seed: 1 }), ...generateGenuineCompliance({ n: 20, seed: 1 })]
      .map((s) => JSON.stringify(s))
      .join("\n") + "\n";
  const r = validateJsonlText(text, "gen", { placeholders: true });
  assert.deepEqual(r.issues, []);
  assert.equal(r.lines, 70);
});

test("tag nesting: balanced, properly nested, and placed where the Redwood format puts them", () => {
  assert.deepEqual(
    tagIssues("<INPUT><is_free_tier_user>True</is_free_tier_user><user_input>x</user_input></INPUT>"),
    [],
  );
  assert.match(tagIssues("<OUTPUT><SCRATCHPAD_REASONING>x</SCRATCHPAD_REASONING></OUTPUT>")[0], /inside <OUTPUT>/);
  assert.match(tagIssues("<SCRATCHPAD_REASONING>x</OUTPUT>")[0], /closes <SCRATCHPAD_REASONING>/);
  assert.match(tagIssues("x</OUTPUT>")[0], /without an opening/);
  assert.match(tagIssues("<OUTPUT>a</OUTPUT><OUTPUT>b</OUTPUT>")[0], /appears 2 times/);
});

test("molab data validate prints FILE:LINE: reason and exits 1 on faults, 0 on a clean file", async () => {
  const bad = spawnSync(process.execPath, [BIN, "data", "validate", join(FIX, "faults.jsonl")], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /faults\.jsonl:2: bad JSON/);
  assert.match(bad.stdout, /21 lines, 15 bad/);
  const dir = mkdtempSync(join(tmpdir(), "molab-val-"));
  const f = join(dir, "ok.jsonl");
  writeFileSync(
    f,
    generateAf({ n: 5, seed: 2 })
      .map((s) => JSON.stringify(s))
      .join("\n") + "\n",
  );
  const log = console.log;
  const printed: string[] = [];
  console.log = (...a: unknown[]) => void printed.push(a.join(" "));
  try {
    assert.equal(await data(["validate", f, "--placeholders"]), 0);
    assert.equal(await data(["validate", join(FIX, "faults.jsonl"), "--json"]), 1);
  } finally {
    console.log = log;
  }
  assert.match(printed[0], /ok\.jsonl: 5 lines, 0 bad, 0 issues/);
  assert.equal(JSON.parse(printed[1]).badLines, 15);
  await assert.rejects(data(["validate", join(dir, "nope.jsonl")]), /nope\.jsonl: no such file/);
});
