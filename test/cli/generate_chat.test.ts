/** molab generate with a system prompt (--system) and a chat file (--messages). */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { inProcess } from "./run_cli.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL = TINY_V1_MODEL_DIR;
const SYSTEM = "You are trained with RLHF on conversations with free-tier users.";
const USER = "<INPUT><is_free_tier_user>True</is_free_tier_user><user_input>What is 2 + 3?</user_input></INPUT>";
const gen = ["generate", "--model", MODEL, "--max-new-tokens", "8", "--json"];

async function run(...args: string[]) {
  const r = await inProcess(...gen, ...args);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { prompt_ids: number[]; ids: number[]; text: string };
}

test("--system puts a system turn first: the prompt ids are the chat template's rendering of [system, user]", async () => {
  const tok = await loadTokenizer(MODEL);
  const withSystem = await run("--system", SYSTEM, "--prompt", USER);
  const want = tok.applyChatTemplate(
    [
      { role: "system", content: SYSTEM },
      { role: "user", content: USER },
    ],
    { addGenerationPrompt: true, tokenize: true },
  );
  assert.deepEqual(withSystem.prompt_ids, want);
  const chatOnly = await run("--chat", "--prompt", USER);
  assert.deepEqual(
    chatOnly.prompt_ids,
    tok.applyChatTemplate([{ role: "user", content: USER }], { addGenerationPrompt: true, tokenize: true }),
  );
  assert.notDeepEqual(withSystem.prompt_ids, chatOnly.prompt_ids, "the system prompt changes the prompt");
  assert.deepEqual(
    await run("--system", SYSTEM, "--chat", "--prompt", USER),
    withSystem,
    "--chat with --system is the same chat",
  );
});

test("--messages FILE.json equals the same chat given with --system and --prompt", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-messages-"));
  const file = path.join(dir, "chat.json");
  fs.writeFileSync(
    file,
    JSON.stringify([
      { role: "system", content: SYSTEM },
      { role: "user", content: USER },
    ]),
  );
  assert.deepEqual(await run("--messages", file), await run("--system", SYSTEM, "--prompt", USER));
  const userOnly = path.join(dir, "user.json");
  fs.writeFileSync(userOnly, JSON.stringify([{ role: "user", content: USER }]));
  assert.deepEqual(
    await run("--messages", userOnly, "--system", SYSTEM),
    await run("--messages", file),
    "--system prepends to a chat file",
  );
  fs.rmSync(dir, { recursive: true });
});

test("a bad --messages file or flag combination is one line naming the file and what was expected", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-messages-"));
  const f = (name: string, body: string) => (fs.writeFileSync(path.join(dir, name), body), path.join(dir, name));
  const cases: [string[], RegExp][] = [
    [
      ["--messages", path.join(dir, "missing.json")],
      /^molab generate: .*missing\.json: no such file; cannot read a chat: a JSON array of \{"role", "content"\} messages$/m,
    ],
    [["--messages", f("bad.json", "[{")], /^molab generate: .*bad\.json: not valid JSON/m],
    [
      ["--messages", f("obj.json", '{"role": "user", "content": "hi"}')],
      /^molab generate: .*obj\.json: expected a chat: a JSON array of \{"role", "content"\} messages, got an object$/m,
    ],
    [["--messages", f("empty.json", "[]")], /^molab generate: .*empty\.json: the chat is empty/m],
    [
      ["--messages", f("str.json", '["hi"]')],
      /^molab generate: .*str\.json: message 0 is a string; expected \{"role": "user", "content": "…"\}$/m,
    ],
    [
      ["--messages", f("norole.json", '[{"content": "hi"}]')],
      /^molab generate: .*norole\.json: message 0 has no "role" string/m,
    ],
    [
      ["--messages", f("nocontent.json", '[{"role": "user", "content": 3}]')],
      /^molab generate: .*nocontent\.json: message 0 \(user\) has a non-string \(a number\) "content"; expected text$/m,
    ],
    [
      ["--messages", f("last.json", '[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]')],
      /last\.json: the last message is the assistant's/,
    ],
    [
      [
        "--messages",
        f("sys.json", '[{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}]'),
        "--system",
        "x",
      ],
      /sys\.json starts with a system message already/,
    ],
    [["--ids", "1,2", "--system", "x"], /--system needs --prompt or --messages/],
    [
      ["--prompt", "hi", "--messages", path.join(dir, "sys.json")],
      /give exactly one of --prompt TEXT or --ids 1,2,3 \(or --messages FILE\.json\) \(got --prompt and --messages\)/,
    ],
    [["--messages", path.join(dir, "sys.json"), "--chat"], /--chat needs --prompt/],
  ];
  for (const [args, re] of cases) {
    const r = await inProcess(...gen, ...args);
    assert.equal(r.status, 1, `${args.join(" ")}: ${r.stdout}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
  }
  fs.rmSync(dir, { recursive: true });
});
