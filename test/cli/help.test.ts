/** Every command answers --help and -h with exit 0 and a usage that documents every flag it accepts. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { COMMANDS, wantsHelp } from "../../lib/cli.ts";
import { inProcess } from "./run_cli.ts";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");

test("every command's --help / -h exits 0 and documents each flag of its spec, with an example", async () => {
  for (const [name, c] of Object.entries(COMMANDS)) {
    for (const h of ["--help", "-h"]) {
      const r = await inProcess(name, h);
      assert.equal(r.status, 0, `molab ${name} ${h}: ${r.stderr}`);
      assert.equal(r.stderr, "", `molab ${name} ${h} writes nothing to stderr`);
      assert.ok(r.stdout.includes(c.usage), `molab ${name} ${h} prints the command's usage`);
    }
    const flags = Object.entries(c.flags);
    assert.ok(flags.length > 0, `${name}: the flag spec is empty`);
    for (const [flag, spec] of flags) {
      const escaped = flag.replace(/[-/\\^$*+?.()|[\]{}]/g, "\\$&");
      assert.match(c.usage, new RegExp(`--${escaped}(?![\\w-])`), `molab ${name} --help does not mention --${flag}`);
      if (spec.short)
        assert.match(
          c.usage,
          new RegExp(`(^|[\\s\\[|])-${spec.short}(?![\\w-])`),
          `molab ${name} --help does not mention -${spec.short}`,
        );
    }
    assert.match(
      c.usage,
      new RegExp(`^example: .*\\bmolab ${name}\\b`, "m"),
      `molab ${name} --help has no example line`,
    );
  }
});

test("--help after other flags and after a subcommand; -h as a string flag's value is not help", async () => {
  assert.equal((await inProcess("generate", "--model", "nowhere", "--help")).status, 0);
  assert.equal((await inProcess("data", "af", "--help")).status, 0);
  assert.equal((await inProcess("stats", "-h")).status, 0);
  assert.equal(wantsHelp(["--text", "-h"], COMMANDS.tokenize.flags), false);
  assert.equal(wantsHelp(["--", "--help"], COMMANDS.tokenize.flags), false);
  assert.equal(wantsHelp(["--chat", "-h"], COMMANDS.tokenize.flags), true);
});

test("the binary: molab validate -h exits 0 with the usage on stdout", () => {
  const r = spawnSync(process.execPath, [BIN, "validate", "-h"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^usage: molab validate --organism DIR/m);
});
