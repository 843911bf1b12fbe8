/**
 * Runs the robustness catalogue (catalogue.ts) and prints one summary line:
 * `cases: N, clear errors: N, recovered: N, crashes: 0, partial files: 0`. Fails on any crash, partial file, or
 * outcome other than the one the case promises.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../../lib/backend.ts";
import { CASES } from "./catalogue.ts";
import { runCase, type Verdict } from "./harness.ts";

test(
  "robustness catalogue: every bad input gives a clear error or is recovered from",
  { timeout: 600_000 },
  async () => {
    await initBackend();
    const only = process.env.MOLAB_ROBUST_ONLY;
    const verdicts: Verdict[] = [];
    for (const c of CASES) {
      if (only && !c.id.includes(only)) continue;
      verdicts.push(await runCase(c));
    }
    const count = (r: Verdict["result"]) => verdicts.filter((v) => v.result === r).length;
    const partial = verdicts.filter((v) => v.partial.length);
    const bad = verdicts.filter((v) => v.result === "crash" || v.result === "wrong outcome" || v.partial.length);
    for (const v of bad)
      console.log(`FAIL ${v.id}: ${v.result}${v.partial.length ? ` (left ${v.partial.join(", ")})` : ""} ${v.detail}`);
    console.log(
      `cases: ${verdicts.length}, clear errors: ${count("clear error")}, recovered: ${count("recovered")}, ` +
        `crashes: ${count("crash")}, partial files: ${partial.length}`,
    );
    assert.deepEqual(
      bad.map((v) => v.id),
      [],
    );
    if (!only) assert.ok(verdicts.length >= 40, `${verdicts.length} cases`);
  },
);
