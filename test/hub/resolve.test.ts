/**
 * resolveModel / resolveDataset: local directories, the HF cache layout offline (a fake cache in a temp dir), and
 * downloads from a local stand-in hub (HF_ENDPOINT). No test reaches the network.
 */
import { test, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { resolveModel, resolveDataset, matchesPattern, hubCacheDir } from "../../lib/hub/index.ts";
import { FakeHub, gitOid, sha256 } from "./fake_hub.ts";
import { rejectsWith } from "../helpers.ts";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const SHA2 = "89abcdef0123456789abcdef0123456789abcdef";
const TOKEN = "hf_testtoken_ABCdef0123456789";
const ENV_KEYS = [
  "HF_HOME",
  "HF_HUB_CACHE",
  "HUGGINGFACE_HUB_CACHE",
  "XDG_CACHE_HOME",
  "HF_HUB_OFFLINE",
  "HF_ENDPOINT",
  "HF_TOKEN",
];

let tmp: string;
let saved: Record<string, string | undefined>;
const logs: string[] = [];
const log = (l: string) => logs.push(l);

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-hub-"));
  saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
  for (const k of ENV_KEYS) delete process.env[k];
  process.env.HF_HUB_CACHE = path.join(tmp, "cache");
  process.env.HF_ENDPOINT = "http://127.0.0.1:9"; // discard port: nothing listens; a test that forgets its server fails fast
  logs.length = 0;
});

afterEach(() => {
  for (const k of ENV_KEYS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A cache entry as huggingface_hub writes it: blobs, a snapshot of relative symlinks, refs/main. */
function fakeCache(cache: string, folder: string, commit: string, files: Record<string, string>, ref = "main"): string {
  const storage = path.join(cache, folder);
  const snap = path.join(storage, "snapshots", commit);
  for (const [rel, content] of Object.entries(files)) {
    const blob = path.join(storage, "blobs", gitOid(Buffer.from(content)));
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    fs.writeFileSync(blob, content);
    const pointer = path.join(snap, rel);
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
  }
  fs.mkdirSync(path.join(storage, "refs"), { recursive: true });
  fs.writeFileSync(path.join(storage, "refs", ref), commit);
  return snap;
}

test("an existing local directory is returned as is; missing paths and bad ids are clear errors", async () => {
  const d = path.join(tmp, "my-model");
  fs.mkdirSync(d);
  assert.equal(await resolveModel(d), d);
  assert.equal(await resolveModel(path.relative(process.cwd(), d)), d);
  fs.writeFileSync(path.join(tmp, "file.json"), "{}");
  await rejectsWith(resolveModel(path.join(tmp, "file.json")), /is a file; expected a model directory/);
  await rejectsWith(resolveModel(path.join(tmp, "nope")), /model directory .*nope does not exist/);
  await rejectsWith(resolveModel("./nope"), /does not exist/);
  await rejectsWith(
    resolveModel("org/na--me"),
    /not a valid hub repo id|neither an existing directory nor a valid hub repo id/,
  );
  await rejectsWith(resolveModel("org/name with space"), /valid hub repo id/);
  await rejectsWith(resolveModel("org/name", { revision: "../x" }), /revision "..\/x" is not a valid/);
});

test("offline: a cached snapshot is found through refs/main and by commit hash", async () => {
  process.env.HF_HUB_OFFLINE = "1";
  const cache = process.env.HF_HUB_CACHE!;
  const snap = fakeCache(cache, "models--org--tiny", SHA, {
    "config.json": '{"model_type":"llama"}',
    "model.safetensors": "x",
    "sub/a.json": "{}",
  });
  assert.equal(await resolveModel("org/tiny"), snap);
  assert.equal(await resolveModel("org/tiny", { revision: SHA }), snap);
  assert.equal(fs.readFileSync(path.join(snap, "config.json"), "utf8"), '{"model_type":"llama"}');
  await rejectsWith(
    resolveModel("org/tiny", { revision: "dev" }),
    /org\/tiny@dev is not in the hub cache .* HF_HUB_OFFLINE is set/,
  );
  await rejectsWith(resolveModel("org/other"), /org\/other@main is not in the hub cache/);
  const dsnap = fakeCache(cache, "datasets--org--data", SHA2, { "data.jsonl": '{"a":1}\n' });
  assert.equal(await resolveDataset("org/data"), dsnap);
  await rejectsWith(resolveModel("org/data"), /not in the hub cache/);
});

test("offline: HF_HOME and XDG_CACHE_HOME locate the cache when HF_HUB_CACHE is unset", async () => {
  delete process.env.HF_HUB_CACHE;
  process.env.HF_HUB_OFFLINE = "true";
  process.env.HF_HOME = path.join(tmp, "hfhome");
  assert.equal(hubCacheDir(), path.join(tmp, "hfhome", "hub"));
  const snap = fakeCache(path.join(tmp, "hfhome", "hub"), "models--gpt2", SHA, { "model.safetensors": "x" });
  assert.equal(await resolveModel("gpt2"), snap);
  delete process.env.HF_HOME;
  process.env.XDG_CACHE_HOME = path.join(tmp, "xdg");
  assert.equal(hubCacheDir(), path.join(tmp, "xdg", "huggingface", "hub"));
});

test("offline: a cached model with only pickle weights is refused", async () => {
  process.env.HF_HUB_OFFLINE = "1";
  fakeCache(process.env.HF_HUB_CACHE!, "models--org--old", SHA, { "config.json": "{}", "pytorch_model.bin": "pickle" });
  await rejectsWith(
    resolveModel("org/old"),
    /weights only as pickle files \(pytorch_model\.bin\); molab loads safetensors only/,
  );
});

test("allow patterns match like fnmatch", () => {
  assert.ok(matchesPattern("model-00001-of-00002.safetensors", "*.safetensors"));
  assert.ok(matchesPattern("sub/dir/x.json", "*.json"));
  assert.ok(matchesPattern("tokenizer.model", "tokenizer*"));
  assert.ok(matchesPattern("layers.16/cfg.json", "layers.16/"));
  assert.ok(matchesPattern("a1.txt", "a[0-9].txt"));
  assert.ok(!matchesPattern("pytorch_model.bin", "*.safetensors"));
  assert.ok(!matchesPattern("xjson", "*.json"));
  assert.ok(!matchesPattern("ab.txt", "a[!b].txt"));
});

const CONFIG = '{"model_type":"llama","vocab_size":32}';
const WEIGHTS = Buffer.concat([Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{}      "), Buffer.alloc(3000, 7)]);

function tinyRepo(over: Partial<import("./fake_hub.ts").FakeRepo> = {}) {
  return {
    type: "model" as const,
    id: "org/tiny",
    sha: SHA,
    files: {
      "config.json": CONFIG,
      "model.safetensors": WEIGHTS,
      "tokenizer.json": '{"model":{}}',
      "tokenizer_config.json": '{"chat_template":"x"}',
      "chat_template.jinja": "{{ messages }}",
      "sub/extra.json": "{}",
      "pytorch_model.bin": "pickle bytes",
      "README.md": "# tiny",
      "original/consolidated.pth": "pickle",
    },
    lfs: ["model.safetensors"],
    ...over,
  };
}

test("download: wanted files land in the HF cache layout, verified, linked, refs recorded, token only in headers", async () => {
  const hub = new FakeHub([tinyRepo({ token: TOKEN })]);
  process.env.HF_ENDPOINT = await hub.start();
  process.env.HF_TOKEN = TOKEN;
  try {
    const cache = process.env.HF_HUB_CACHE!;
    const dir = await resolveModel("org/tiny", { log });
    const storage = path.join(cache, "models--org--tiny");
    assert.equal(dir, path.join(storage, "snapshots", SHA));
    const got = fs.readdirSync(dir).sort();
    assert.deepEqual(got, [
      "chat_template.jinja",
      "config.json",
      "model.safetensors",
      "sub",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
    assert.deepEqual(fs.readdirSync(path.join(dir, "sub")), ["extra.json"]);
    assert.equal(fs.readFileSync(path.join(dir, "config.json"), "utf8"), CONFIG);
    assert.deepEqual(fs.readFileSync(path.join(dir, "model.safetensors")), WEIGHTS);
    // Snapshot entries are relative links to content-addressed blobs, as huggingface_hub makes them.
    assert.equal(fs.readlinkSync(path.join(dir, "model.safetensors")), path.join("..", "..", "blobs", sha256(WEIGHTS)));
    assert.equal(
      fs.readlinkSync(path.join(dir, "sub", "extra.json")),
      path.join("..", "..", "..", "blobs", gitOid(Buffer.from("{}"))),
    );
    assert.equal(fs.readFileSync(path.join(storage, "refs", "main"), "utf8"), SHA);
    assert.ok(
      !hub.downloads().some((u) => /\.bin|\.pth|README/.test(u)),
      "pickles and unmatched files are not fetched",
    );
    assert.ok(
      hub.requests.length > 0 && hub.requests.every((r) => r.auth === `Bearer ${TOKEN}`),
      "every request carries the token",
    );
    assert.equal(logs.length, 6);
    assert.ok(
      logs.every((l) => !l.includes(TOKEN)),
      "the token is never logged",
    );
    for (const f of fs.readdirSync(storage, { recursive: true }) as string[]) {
      const p = path.join(storage, f);
      if (fs.statSync(p).isFile()) assert.ok(!fs.readFileSync(p, "utf8").includes(TOKEN), `token written to ${f}`);
    }

    // Second call: the cache already has every file; nothing is downloaded again.
    const n = hub.downloads().length;
    assert.equal(await resolveModel("org/tiny", { log }), dir);
    assert.equal(hub.downloads().length, n);
    // By commit hash, and offline with no request at all.
    assert.equal(await resolveModel("org/tiny", { revision: SHA, log }), dir);
    const before = hub.requests.length;
    process.env.HF_HUB_OFFLINE = "1";
    assert.equal(await resolveModel("org/tiny"), dir);
    assert.equal(hub.requests.length, before);
  } finally {
    await hub.stop();
  }
});

test("download: allowPatterns narrows the files", async () => {
  const hub = new FakeHub([tinyRepo()]);
  process.env.HF_ENDPOINT = await hub.start();
  try {
    const dir = await resolveModel("org/tiny", { allowPatterns: ["config.json", "tokenizer*"], log });
    assert.deepEqual(fs.readdirSync(dir).sort(), ["config.json", "tokenizer.json", "tokenizer_config.json"]);
    assert.ok(
      hub.requests.every((r) => r.auth === undefined),
      "no token, no Authorization header",
    );
  } finally {
    await hub.stop();
  }
});

test("download: a repo with only .bin weights is refused before anything is fetched", async () => {
  const hub = new FakeHub([
    { type: "model", id: "org/old", sha: SHA, files: { "config.json": "{}", "pytorch_model.bin": "pickle" } },
  ]);
  process.env.HF_ENDPOINT = await hub.start();
  try {
    await rejectsWith(
      resolveModel("org/old", { log }),
      /model org\/old@main has weights only as pickle files \(pytorch_model\.bin\); molab loads safetensors only/,
    );
    assert.equal(hub.downloads().length, 0);
  } finally {
    await hub.stop();
  }
});

test("download: private repo without a token, unknown repo and unknown revision are clear errors", async () => {
  const hub = new FakeHub([tinyRepo({ token: TOKEN })]);
  process.env.HF_ENDPOINT = await hub.start();
  try {
    await rejectsWith(resolveModel("org/tiny", { log }), /org\/tiny@main: access denied .*HTTP 401.*set HF_TOKEN/);
    process.env.HF_TOKEN = TOKEN;
    await rejectsWith(resolveModel("org/missing", { log }), /org\/missing@main: not found .*HTTP 404/);
    await rejectsWith(resolveModel("org/tiny", { revision: "v9", log }), /org\/tiny@v9: not found/);
    process.env.HF_TOKEN = "not-a-token";
    await rejectsWith(resolveModel("org/tiny", { log }), /HF_TOKEN is set but does not look like a hub token/);
  } finally {
    await hub.stop();
  }
});

test("download: content that does not match the listed hash is rejected and leaves no blob", async () => {
  const bad = Buffer.from(WEIGHTS);
  bad[100] ^= 1;
  const hub = new FakeHub([tinyRepo({ corrupt: { "model.safetensors": bad } })]);
  process.env.HF_ENDPOINT = await hub.start();
  try {
    await rejectsWith(
      resolveModel("org/tiny", { allowPatterns: ["*.safetensors"], log }),
      /model\.safetensors: sha256 [0-9a-f]{64} does not match the hub's/,
    );
    const blobs = path.join(process.env.HF_HUB_CACHE!, "models--org--tiny", "blobs");
    assert.deepEqual(fs.existsSync(blobs) ? fs.readdirSync(blobs) : [], []);
  } finally {
    await hub.stop();
  }
});

test("download: dataset repos use datasets--org--name", async () => {
  const hub = new FakeHub([
    {
      type: "dataset",
      id: "org/data",
      sha: SHA2,
      files: { "train.jsonl": '{"text":"a"}\n', "model.bin": "x", "README.md": "d" },
    },
  ]);
  process.env.HF_ENDPOINT = await hub.start();
  try {
    const dir = await resolveDataset("org/data", { log });
    assert.equal(dir, path.join(process.env.HF_HUB_CACHE!, "datasets--org--data", "snapshots", SHA2));
    assert.deepEqual(fs.readdirSync(dir).sort(), ["README.md", "train.jsonl"]);
  } finally {
    await hub.stop();
  }
});

test("an unreachable hub falls back to the cached snapshot, else says how to go offline", async () => {
  process.env.HF_ENDPOINT = "http://127.0.0.1:9";
  await rejectsWith(resolveModel("org/tiny", { log }), /cannot reach http:\/\/127\.0\.0\.1:9 .*HF_HUB_OFFLINE=1/);
  const snap = fakeCache(process.env.HF_HUB_CACHE!, "models--org--tiny", SHA, { "model.safetensors": "x" });
  assert.equal(await resolveModel("org/tiny", { log }), snap);
  assert.match(logs.at(-1)!, /using the cached snapshot/);
});
