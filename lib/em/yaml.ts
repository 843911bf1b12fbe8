/**
 * A reader for the YAML that EM question files use, and nothing more: block mappings and sequences, plain and
 * quoted scalars (one line each; plain ones may continue on more-indented lines), literal `|` and folded `>`
 * block scalars with chomping (`-`, `+`) and an indentation digit, one-line flow lists `[a, b]` and maps
 * `{k: v}`, comments, anchors `&name` and aliases `*name` (the papers' `first_plot_questions.yaml` shares
 * its judge prompts that way). Tags (`!…`) are refused: nothing in a question file is ever turned into code.
 * Errors name the file and line. Plain scalars resolve as YAML 1.2's core schema does (null, booleans, numbers).
 * On the emergent-misalignment repository's evaluation files (first_plot_questions, preregistered_evals and the two
 * deception sets) the result equals PyYAML's safe_load; test/fixtures/em/yaml_cases.yaml covers the same constructs.
 */
import { MolabError } from "../errors.ts";

export type YamlValue = null | boolean | number | string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  /** 1-based line number. */
  no: number;
  indent: number;
  /** The line without its indentation (comments still in). */
  text: string;
}

const isBlank = (l: Line) => l.text === "" || l.text.startsWith("#");

/** `text` up to a ` #` comment that is outside quotes. */
function stripComment(text: string): string {
  let q: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === "\\" && q === '"') i++;
      else if (c === q) q = null;
    } else if (c === '"' || c === "'") {
      if (i === 0 || /[\s[{,:]/.test(text[i - 1])) q = c;
    } else if (c === "#" && (i === 0 || /\s/.test(text[i - 1]))) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

/** Where a mapping key ends (the index of its `:`), or -1 when `text` is not `key: …`. */
function keyEnd(text: string): number {
  if (text.startsWith('"') || text.startsWith("'")) {
    const close = closingQuote(text, 0);
    return close > 0 && /^\s*:(\s|$)/.test(text.slice(close + 1)) ? text.indexOf(":", close + 1) : -1;
  }
  const m = /^[^\s#[\]{},&*!|>'"%@`-][^#]*?:(?=\s|$)|^-[^\s][^#]*?:(?=\s|$)/.exec(text);
  return m ? m[0].length - 1 : -1;
}

function closingQuote(text: string, at: number): number {
  const q = text[at];
  for (let i = at + 1; i < text.length; i++) {
    if (q === '"' && text[i] === "\\") i++;
    else if (text[i] === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

const ESC: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", '"': '"', "\\": "\\", "/": "/", " ": " " };

class Reader {
  private i = 0;
  private anchors = new Map<string, YamlValue>();
  constructor(
    private lines: Line[],
    private file: string,
  ) {}

  fail(no: number, msg: string): never {
    throw new MolabError(`${this.file}:${no}: ${msg}`);
  }

  /** The next line with content (skipping blank and comment lines), without consuming it. */
  peek(): Line | undefined {
    while (this.i < this.lines.length && isBlank(this.lines[this.i])) this.i++;
    return this.lines[this.i];
  }

  document(): YamlValue {
    const first = this.peek();
    if (!first) return null;
    const v = this.block(first.indent);
    const rest = this.peek();
    if (rest) this.fail(rest.no, `unexpected content at indentation ${rest.indent} (expected the document to end)`);
    return v;
  }

  /** A block node whose lines are indented at least `min`. */
  block(min: number): YamlValue {
    const l = this.peek();
    if (!l || l.indent < min) return null;
    if (l.text === "-" || l.text.startsWith("- ")) return this.sequence(l.indent);
    if (keyEnd(l.text) >= 0) return this.mapping(l.indent);
    this.i++;
    return this.inline(l, stripComment(l.text), l.indent - 1);
  }

  sequence(indent: number): YamlValue[] {
    const out: YamlValue[] = [];
    for (
      let l = this.peek();
      l && l.indent === indent && (l.text === "-" || l.text.startsWith("- "));
      l = this.peek()
    ) {
      const rest = l.text.slice(1).replace(/^\s+/, "");
      if (stripComment(rest) === "") {
        this.i++;
        out.push(this.block(indent + 1));
        continue;
      }
      const col = indent + (l.text.length - rest.length);
      if (keyEnd(rest) >= 0 || rest === "-" || rest.startsWith("- ")) {
        // "- key: v" starts a mapping (or "- - x" a sequence) at the column after the dash.
        this.lines[this.i] = { no: l.no, indent: col, text: rest };
        out.push(this.block(col));
      } else {
        this.i++;
        out.push(this.inline(l, stripComment(rest), indent));
      }
    }
    return out;
  }

  mapping(indent: number): { [key: string]: YamlValue } {
    const out: { [key: string]: YamlValue } = {};
    for (
      let l = this.peek();
      l && l.indent === indent && !(l.text === "-" || l.text.startsWith("- "));
      l = this.peek()
    ) {
      const end = keyEnd(l.text);
      if (end < 0) this.fail(l.no, `expected "key: value" in a mapping, got ${JSON.stringify(l.text.slice(0, 60))}`);
      const rawKey = l.text.slice(0, end).trimEnd();
      const key = rawKey.startsWith('"') || rawKey.startsWith("'") ? this.quoted(l, rawKey) : rawKey;
      if (Object.prototype.hasOwnProperty.call(out, key)) this.fail(l.no, `duplicate key ${JSON.stringify(key)}`);
      this.i++;
      const value = stripComment(l.text.slice(end + 1).trim());
      out[key] = this.value(l, value, indent);
    }
    return out;
  }

  /** The value after `key:` (or `-`) on line `l`, whose parent sits at `indent`. */
  value(l: Line, text: string, indent: number): YamlValue {
    const { anchor, rest } = this.anchorOf(l, text);
    let v: YamlValue;
    if (rest === "") {
      const next = this.peek();
      // A sequence may sit at its key's indentation ("key:\n- a").
      if (next && next.indent === indent && (next.text === "-" || next.text.startsWith("- ")))
        v = this.sequence(indent);
      else v = this.block(indent + 1);
    } else v = this.inline(l, rest, indent);
    if (anchor) this.anchors.set(anchor, v);
    return v;
  }

  anchorOf(l: Line, text: string): { anchor: string | null; rest: string } {
    if (text.startsWith("!"))
      this.fail(l.no, `tags such as ${text.split(/\s/)[0]} are not supported (plain data only)`);
    const m = /^&([^\s[\]{},]+)\s*(.*)$/.exec(text);
    return m ? { anchor: m[1], rest: m[2] } : { anchor: null, rest: text };
  }

  /** A value written on its own line (after `key:` or `-`): alias, block scalar, flow collection or scalar. */
  inline(l: Line, text: string, indent: number): YamlValue {
    const { anchor, rest } = this.anchorOf(l, text);
    let v: YamlValue;
    if (rest.startsWith("*")) {
      const name = rest.slice(1);
      if (!this.anchors.has(name)) this.fail(l.no, `alias *${name} refers to no anchor defined before it`);
      v = this.anchors.get(name)!;
    } else if (/^[|>]/.test(rest)) v = this.blockScalar(l, rest, indent);
    else if (rest.startsWith("[") || rest.startsWith("{")) v = this.flow(l, rest);
    else if (rest.startsWith('"') || rest.startsWith("'")) v = this.quoted(l, rest);
    else v = this.plain(rest, indent);
    if (anchor) this.anchors.set(anchor, v);
    return v;
  }

  quoted(l: Line, text: string): string {
    const close = closingQuote(text, 0);
    if (close < 0) this.fail(l.no, `unterminated quoted string (quoted strings must close on their line)`);
    if (text.slice(close + 1).trim() !== "") this.fail(l.no, `unexpected text after a quoted string`);
    const body = text.slice(1, close);
    if (text[0] === "'") return body.replace(/''/g, "'");
    return body.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
      if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
      if (!(e in ESC)) this.fail(l.no, `unknown escape \\${e} in a double-quoted string`);
      return ESC[e];
    });
  }

  /** A plain scalar, continued by more-indented lines that are not structure (joined with spaces). */
  plain(first: string, indent: number): YamlValue {
    const parts = [first];
    for (
      let l = this.peek();
      l && l.indent > indent && !l.text.startsWith("- ") && keyEnd(l.text) < 0;
      l = this.peek()
    ) {
      parts.push(stripComment(l.text));
      this.i++;
    }
    return parts.length > 1 ? parts.join(" ") : resolvePlain(first);
  }

  blockScalar(l: Line, header: string, indent: number): string {
    const m = /^([|>])([-+]?)([1-9]?)([-+]?)$/.exec(header);
    if (!m) this.fail(l.no, `bad block scalar header ${JSON.stringify(header)}`);
    const folded = m[1] === ">";
    const chomp = m[2] || m[4];
    const body: Line[] = [];
    const all = this.lines;
    // Take raw lines (blank ones too) while they are blank or indented deeper than the parent.
    while (this.i < all.length && (all[this.i].text === "" || all[this.i].indent > indent)) body.push(all[this.i++]);
    const firstContent = body.find((b) => b.text !== "");
    const ind = m[3] ? indent + Number(m[3]) : (firstContent?.indent ?? indent + 1);
    // Trailing blank lines belong to the scalar only for chomping; comment-only lines after it are not content.
    let end = body.length;
    while (end > 0 && body[end - 1].text === "") end--;
    const text = body.slice(0, end).map((b) => {
      if (b.text !== "" && b.indent < ind) this.fail(b.no, `a block scalar line is less indented than its first line`);
      return b.text === "" ? "" : " ".repeat(b.indent - ind) + b.text;
    });
    // Lines after the scalar's content that were consumed but are blank go back (they are not content).
    this.i -= body.length - end;
    let out = folded ? fold(text) : text.join("\n");
    const trailing = body.length - end;
    if (text.length === 0) return "";
    if (chomp === "-") return out;
    if (chomp === "+") out += "\n".repeat(1 + trailing);
    else out += "\n";
    return out;
  }

  flow(l: Line, text: string): YamlValue {
    const open = text[0],
      close = open === "[" ? "]" : "}";
    if (!text.endsWith(close)) this.fail(l.no, `a flow collection must close on its line (${close})`);
    const items: string[] = [];
    let q: string | null = null,
      start = 1;
    for (let i = 1; i < text.length - 1; i++) {
      const c = text[i];
      if (q) {
        if (c === "\\" && q === '"') i++;
        else if (c === q) q = null;
      } else if (c === '"' || c === "'") q = c;
      else if (c === "[" || c === "{") this.fail(l.no, `nested flow collections are not supported`);
      else if (c === ",") {
        items.push(text.slice(start, i).trim());
        start = i + 1;
      }
    }
    const last = text.slice(start, -1).trim();
    if (last !== "" || items.length) items.push(last);
    const scalar = (s: string): YamlValue =>
      s.startsWith('"') || s.startsWith("'") ? this.quoted(l, s) : resolvePlain(s);
    if (open === "[") return items.map(scalar);
    const out: { [key: string]: YamlValue } = {};
    for (const it of items) {
      const k = keyEnd(it);
      if (k < 0) this.fail(l.no, `expected "key: value" in a flow mapping, got ${JSON.stringify(it)}`);
      const key = it.slice(0, k).trim();
      out[key.startsWith('"') || key.startsWith("'") ? this.quoted(l, key) : key] = scalar(it.slice(k + 1).trim());
    }
    return out;
  }
}

/** Folding of a `>` scalar: lines joined with spaces, an empty line a newline, more-indented lines kept as they are. */
function fold(lines: string[]): string {
  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const cur = lines[i];
    if (i === 0) {
      out = cur;
      continue;
    }
    const prev = lines[i - 1];
    const spaced = (s: string) => s.startsWith(" ") || s.startsWith("\t");
    if (cur === "") out += "\n";
    else if (prev === "" || spaced(cur) || spaced(prev)) out += (prev === "" ? "" : "\n") + cur;
    else out += " " + cur;
  }
  return out;
}

/** YAML 1.2 core schema resolution of a plain scalar. */
export function resolvePlain(s: string): YamlValue {
  if (s === "" || s === "~" || /^(null|Null|NULL)$/.test(s)) return null;
  if (/^(true|True|TRUE)$/.test(s)) return true;
  if (/^(false|False|FALSE)$/.test(s)) return false;
  if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
  if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
  if (/^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/.test(s)) return Number(s);
  if (/^[-+]?\.(inf|Inf|INF)$/.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^\.(nan|NaN|NAN)$/.test(s)) return NaN;
  return s;
}

/** Parse one YAML document (`file` names it in errors). A `---` first line and a `...` last line are allowed. */
export function parseYaml(text: string, file = "<yaml>"): YamlValue {
  const raw = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const lines: Line[] = [];
  for (let k = 0; k < raw.length; k++) {
    const s = raw[k];
    const indent = s.length - s.replace(/^ +/, "").length;
    if (s[indent] === "\t") throw new MolabError(`${file}:${k + 1}: tabs are not allowed in indentation`);
    const t = s.slice(indent).trimEnd();
    if (t === "---" && lines.every(isBlank)) continue;
    if (t === "..." || (t === "---" && !lines.every(isBlank)))
      if (raw.slice(k + 1).every((r) => r.trim() === "" || r.trim().startsWith("#"))) break;
      else throw new MolabError(`${file}:${k + 1}: only one YAML document per file is supported`);
    if (t.startsWith("%")) throw new MolabError(`${file}:${k + 1}: YAML directives are not supported`);
    lines.push({ no: k + 1, indent, text: t });
  }
  return new Reader(lines, file).document();
}
