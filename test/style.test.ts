/**
 * Code style that CI holds: every TypeScript/CommonJS source is prettier-formatted (`npm run format:check`:
 * .prettierrc.json, 120 columns), and no line in lib/ is over 160 characters (prettier does not split string literals).
 * `npm run typecheck` runs this file after tsc.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..");
const MAX_LIB_LINE = 160;

test("sources are prettier-formatted (npm run format fixes them)", () => {
  const r = spawnSync("npm", ["run", "-s", "format:check"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, `prettier --check found unformatted files:\n${(r.stdout + r.stderr).trim()}`);
});

test(`no line in lib/ is over ${MAX_LIB_LINE} characters`, () => {
  const long: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|cts|mts|js|cjs)$/.test(e.name))
        fs.readFileSync(p, "utf8")
          .split("\n")
          .forEach((l, i) => {
            if (l.length > MAX_LIB_LINE) long.push(`${path.relative(ROOT, p)}:${i + 1} (${l.length})`);
          });
    }
  };
  walk(path.join(ROOT, "lib"));
  assert.deepEqual(long, [], `lines over ${MAX_LIB_LINE} characters:\n${long.join("\n")}`);
});
