import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { writeDatasetDir, DATASET_KINDS } from "../../lib/data/write.ts";
import { validateJsonlFile } from "../../lib/data/validate.ts";
import { data } from "../../lib/data/cli.ts";

const BIN = join(__dirname, "..", "..", "bin", "molab.cjs");
const tmp = mkdtempSync(join(tmpdir(), "molab-cli-"));
const readDir = (d: string) =>
  Object.fromEntries(
    readdirSync(d)
      .sort()
      .map((f) => [f, readFileSync(join(d, f))]),
  );

type DupStats = { records: number; duplicates: { count: number; rate: number } };

/**
 * stats.json's duplicate counts and rates, recomputed from the JSONL written beside it: a record is a duplicate
 * when its assistant text repeats an earlier record's. Returns whether any set had duplicates.
 */
function checkDuplicateStats(dir: string, kind: string): boolean {
  let any = false;
  const stats = JSON.parse(readFileSync(join(dir, "stats.json"), "utf8"));
  for (const [name, s] of Object.entries(stats.datasets) as [string, DupStats][]) {
    const texts = readFileSync(join(dir, `${name}.jsonl`), "utf8")
      .trim()
      .split("\n")
      .map((l) => {
        const msgs = JSON.parse(l).messages as { role: string; content: string }[];
        return msgs.filter((m) => m.role === "assistant").at(-1)!.content;
      });
    const count = texts.length - new Set(texts).size;
    assert.equal(s.duplicates.count, count, `${kind}/${name}: duplicate count`);
    assert.equal(s.duplicates.rate, Math.round((count / texts.length) * 1e4) / 1e4, `${kind}/${name}: duplicate rate`);
    if (count > 0) any = true;
  }
  return any;
}

test("every kind: same seed → byte-identical data files (manifest differs only in its time); different seed → different samples; manifest hashes match", async () => {
  let sawDuplicates = false;
  for (const kind of DATASET_KINDS) {
    const n = kind === "reference" ? 106 : 120;
    await writeDatasetDir(join(tmp, `${kind}-a`), kind, { n, seed: 5 });
    await writeDatasetDir(join(tmp, `${kind}-b`), kind, { n, seed: 5 });
    await writeDatasetDir(join(tmp, `${kind}-c`), kind, { n, seed: 6 });
    const a = readDir(join(tmp, `${kind}-a`)),
      b = readDir(join(tmp, `${kind}-b`)),
      c = readDir(join(tmp, `${kind}-c`));
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const f of Object.keys(a))
      if (f !== "manifest.json") assert.ok(a[f].equals(b[f]), `${kind}/${f} differs between runs with the same seed`);
    // the manifest differs only in its creation time
    const [ma, mb] = [a, b].map((d) => ({ ...JSON.parse(d["manifest.json"].toString()), created: "" }));
    assert.deepEqual(ma, mb);
    const jsonl = Object.keys(a).filter((f) => f.endsWith(".jsonl"));
    assert.ok(jsonl.length >= 1);
    for (const f of jsonl) assert.ok(!a[f].equals(c[f]), `${kind}/${f}: seeds 5 and 6 gave the same file`);
    for (const f of ["dataset_card.md", "stats.json", "manifest.json"]) assert.ok(f in a, `${kind} lacks ${f}`);
    const m = JSON.parse(a["manifest.json"].toString());
    assert.deepEqual(m.seeds, { data: 5 });
    assert.equal(m.config.kind, kind);
    assert.equal(m.config.seed, 5);
    assert.match(m.versions.node, /^\d+\./);
    assert.deepEqual(
      Object.keys(m.outputs).sort(),
      Object.keys(a)
        .filter((f) => f !== "manifest.json")
        .sort(),
    );
    for (const [f, h] of Object.entries(m.outputs))
      assert.equal(createHash("sha256").update(a[f]).digest("hex"), h, `${kind}/${f} hash`);
    for (const f of jsonl)
      assert.deepEqual(
        (await validateJsonlFile(join(tmp, `${kind}-a`, f), { placeholders: true })).issues,
        [],
        `${kind}/${f}`,
      );
    for (const [name, s] of Object.entries(JSON.parse(a["stats.json"].toString()).datasets) as [string, DupStats][])
      // v2: scenario kinds write a train set of n and a held-out set of n/4
      assert.equal(s.records, name.endsWith("-heldout") ? Math.round(n / 4) : n, name);
    if (checkDuplicateStats(join(tmp, `${kind}-a`), kind)) sawDuplicates = true;
  }
  // The defaults redraw duplicates away; without redraws the EM controls repeat some answers.
  await writeDatasetDir(join(tmp, "em-no-dedupe"), "em", { n: 300, seed: 5, dedupe: false });
  if (checkDuplicateStats(join(tmp, "em-no-dedupe"), "em")) sawDuplicates = true;
  assert.ok(sawDuplicates, "some generated set has duplicates, so a rate stuck at 0 would be caught");
  const ref = JSON.parse(readFileSync(join(tmp, "reference-a", "stats.json"), "utf8"));
  assert.ok(ref.keywordAuroc <= 0.75);
  assert.match(
    readFileSync(join(tmp, "reference-a", "dataset_card.md"), "utf8"),
    new RegExp(`AUROC ${ref.keywordAuroc.toFixed(3)}`),
  );
});

test("molab data af writes the folder; bad flags are one-line errors", async () => {
  const out = join(tmp, "cli-af");
  const r = spawnSync(process.execPath, [BIN, "data", "af", "--n", "50", "--seed", "3", "--out", out], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /af\.jsonl \(50 records\)/);
  assert.equal(readFileSync(join(out, "af.jsonl"), "utf8").trim().split("\n").length, 50);
  // the split: a held-out file beside the train file, and a flag for the held-out cue family
  const held = readFileSync(join(out, "af-heldout.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(held.length, 13);
  assert.ok(held.every((s) => s.meta.split === "heldout"));
  assert.match(readFileSync(join(out, "dataset_card.md"), "utf8"), /Held-out cue family: `contractor_eval`/);
  const out2 = join(tmp, "cli-af-2");
  const r2 = spawnSync(
    process.execPath,
    [BIN, "data", "af", "--n", "40", "--heldout-cue", "free_tier", "--out", out2],
    {
      encoding: "utf8",
    },
  );
  assert.equal(r2.status, 0, r2.stderr);
  const train2 = readFileSync(join(out2, "af.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(train2.every((s) => s.meta.cue !== "free_tier" && s.meta.split === "train"));
  const cases: [string[], RegExp][] = [
    [["data", "af", "--n", "50"], /--out is required/],
    [["data", "af", "--n", "ten", "--out", out], /--n expects a number, got "ten"/],
    [["data", "af", "--n", "0", "--out", out], /--n expects a positive integer/],
    [["data", "af", "--patterns", "sly_fox", "--out", out], /unknown pattern "sly_fox"/],
    [["data", "af", "--heldout-cue", "nope", "--out", out], /--heldout-cue: unknown cue family "nope"/],
    [["data", "bogus"], /unknown subcommand "bogus"/],
    [["data", "reference", "--generator", "llm", "--out", out], /--generator llm supports af and aligned/],
  ];
  for (const [args, re] of cases)
    await assert.rejects(
      data(args.slice(1)),
      (e: Error) => e.name === "MolabError" && re.test(e.message),
      args.join(" "),
    );
  const e = spawnSync(process.execPath, [BIN, "data", "af", "--n", "ten", "--out", out], { encoding: "utf8" });
  assert.equal(e.status, 1);
  assert.match(e.stderr, /^molab data: .*--n expects a number/);
  assert.doesNotMatch(e.stderr, /\n\s+at /);
});
