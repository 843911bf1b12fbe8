/**
 * Test helper: the real tokenizer fixtures (brotli-compressed in test/fixtures/tokenizers/<name>/) unpacked into
 * a temp directory, plus the two variants the Python reference script builds from them.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";

export const FIXTURES = path.join(__dirname, "..", "fixtures", "tokenizers");
export const NAMES = ["llama3", "qwen3", "gemma3"] as const;
export const VARIANTS = ["qwen3_named", "llama3_jinja_file"] as const;

function unbrotli(file: string): string {
  return zlib.brotliDecompressSync(fs.readFileSync(file)).toString("utf8");
}

/** Unpack the fixture tokenizers (all, or `only` these without variants) into a fresh temp dir; name → directory. */
export function unpackTokenizers(only?: (typeof NAMES)[number][]): Record<string, string> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "molab-tok-"));
  const dirs: Record<string, string> = { root };
  for (const name of only ?? NAMES) {
    const d = path.join(root, name);
    fs.mkdirSync(d);
    for (const f of ["tokenizer.json", "tokenizer_config.json"])
      fs.writeFileSync(path.join(d, f), unbrotli(path.join(FIXTURES, name, `${f}.br`)));
    dirs[name] = d;
  }
  if (only) return dirs;
  // Same construction as make_reference.py's make_variants.
  const simple =
    "SIMPLE{% for m in messages %}\n{{ m.role }}: {{ m.content }}{% endfor %}{% if add_generation_prompt %}\nassistant:{% endif %}";
  let d = path.join(root, "qwen3_named");
  fs.cpSync(dirs.qwen3, d, { recursive: true });
  let cfg = JSON.parse(fs.readFileSync(path.join(d, "tokenizer_config.json"), "utf8"));
  cfg.chat_template = [
    { name: "default", template: cfg.chat_template },
    { name: "tool_use", template: "TOOLS {{ tools | length }}" },
    { name: "simple", template: simple },
  ];
  fs.writeFileSync(path.join(d, "tokenizer_config.json"), JSON.stringify(cfg));
  dirs.qwen3_named = d;
  d = path.join(root, "llama3_jinja_file");
  fs.cpSync(dirs.llama3, d, { recursive: true });
  cfg = JSON.parse(fs.readFileSync(path.join(d, "tokenizer_config.json"), "utf8"));
  delete cfg.chat_template;
  fs.writeFileSync(path.join(d, "tokenizer_config.json"), JSON.stringify(cfg));
  fs.copyFileSync(path.join(FIXTURES, "probe.jinja"), path.join(d, "chat_template.jinja"));
  dirs.llama3_jinja_file = d;
  return dirs;
}

export function removeTokenizers(dirs: Record<string, string>): void {
  fs.rmSync(dirs.root, { recursive: true, force: true });
}
