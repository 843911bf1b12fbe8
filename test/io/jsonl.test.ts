import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readJsonl, streamJsonl, writeJsonl } from "../../lib/io/jsonl.ts";
import { writeFileAtomic, writeAtomicWith } from "../../lib/io/atomic.ts";
import { MolabError } from "../../lib/errors.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-jsonl-"));

test("JSONL round trip, blank lines skipped, line numbers kept", async () => {
  const f = path.join(tmp, "a.jsonl");
  await writeJsonl(f, [{ a: 1 }, { b: "x\ny" }]);
  fs.appendFileSync(f, "\n  \n" + JSON.stringify({ c: [1, 2] }) + "\n");
  assert.deepEqual(await readJsonl(f), [{ a: 1 }, { b: "x\ny" }, { c: [1, 2] }]);
  const lines: number[] = [];
  for await (const { line } of streamJsonl(f)) lines.push(line);
  assert.deepEqual(lines, [1, 2, 5]);
});

test("a bad JSONL line is an error naming file and line", async () => {
  const f = path.join(tmp, "bad.jsonl");
  fs.writeFileSync(f, '{"ok":1}\n{"ok":2}\n{"ok":3,,}\n{"ok":4}\n');
  await assert.rejects(
    readJsonl(f),
    (e: unknown) => e instanceof MolabError && e.message.startsWith(`${f}:3: not valid JSON`),
  );
  await assert.rejects(
    readJsonl(f, (v) => ((v as { ok: number }).ok === 2 ? "ok must not be 2" : undefined)),
    (e: unknown) => e instanceof MolabError && e.message === `${f}:2: ok must not be 2`,
  );
  await assert.rejects(readJsonl(path.join(tmp, "missing.jsonl")), /missing\.jsonl: no such file/);
});

test("atomic write never leaves a half-written target", async () => {
  const f = path.join(tmp, "t.txt");
  await writeFileAtomic(f, "old");
  await assert.rejects(
    writeAtomicWith(f, async (fh) => {
      await fh.write("partial new content");
      throw new Error("crash mid-write");
    }),
    /crash mid-write/,
  );
  assert.equal(fs.readFileSync(f, "utf8"), "old");
  assert.deepEqual(
    fs.readdirSync(tmp).filter((x) => x.includes(".tmp-")),
    [],
  );
});
