/**
 * Every notebook type-checks against molab's library the way the tslab kernel compiles it, without
 * Jupyter, in seconds: each notebook's code cells become one module (cells in order, top-level await
 * allowed, every top-level name exported as tslab does) checked by tslab's own TypeScript with tslab's
 * compiler options. `../index.cjs` resolves to lib/index.ts itself, so the check does not depend on
 * types/ being built or fresh. A misspelled option or a renamed function fails here, not minutes into
 * the Jupyter test (notebooks.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

type TS = typeof import("typescript");

const ROOT = path.join(__dirname, "..", "..");
const NB_DIR = path.join(ROOT, "notebooks");
/** The TypeScript that tslab itself compiles cells with (5.0, not the project's). */
const ts: TS = createRequire(require.resolve("tslab/package.json"))("@tslab/typescript-for-tslab");

interface Cell {
  cell_type: string;
  source: string | string[];
}

/** One notebook as the module the checker sees, with the line where each code cell starts. */
export interface NotebookModule {
  name: string;
  text: string;
  cells: { index: number; line: number }[];
}

/** Top-level names a module declares (what tslab exports from a cell so later cells can use them). */
function topLevelNames(text: string): string[] {
  const sf = ts.createSourceFile("cells.ts", text, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const names: string[] = [];
  const bind = (n: import("typescript").BindingName) => {
    if (ts.isIdentifier(n)) names.push(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bind(e.name);
  };
  for (const s of sf.statements) {
    if (ts.isVariableStatement(s)) s.declarationList.declarations.forEach((d) => bind(d.name));
    else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s) ||
        ts.isEnumDeclaration(s)) &&
      s.name
    )
      names.push(s.name.text);
    else if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) names.push(c.name.text);
      if (c.namedBindings && ts.isNamespaceImport(c.namedBindings)) names.push(c.namedBindings.name.text);
      else if (c.namedBindings) c.namedBindings.elements.forEach((e) => names.push(e.name.text));
    }
  }
  return [...new Set(names)];
}

/** The code cells of a notebook, concatenated into one module. */
export function notebookModule(name: string, cells: Cell[]): NotebookModule {
  let text = "export {};\n";
  const starts: { index: number; line: number }[] = [];
  for (const [index, c] of cells.entries()) {
    if (c.cell_type !== "code") continue;
    const src = Array.isArray(c.source) ? c.source.join("") : c.source;
    starts.push({ index, line: text.split("\n").length - 1 });
    text += src + "\n";
  }
  const names = topLevelNames(text);
  if (names.length) text += `export { ${names.join(", ")} };\n`;
  return { name, text, cells: starts };
}

/**
 * Type-check notebook modules with tslab's compiler options (ES2022, Node10 resolution, esModuleInterop,
 * declarations, not strict) and return their diagnostics as `notebook cell N line L: message`.
 */
export function checkNotebooks(modules: NotebookModule[]): Map<string, string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "molab-nbtypes-"));
  try {
    fs.mkdirSync(path.join(dir, "notebooks"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(
      path.join(dir, "index.d.cts"),
      `export * from ${JSON.stringify(path.join(ROOT, "lib", "index.ts"))};\n`,
    );
    const files = modules.map((m) => {
      const f = path.join(dir, "notebooks", m.name.replace(/\.ipynb$/, ".ts"));
      fs.writeFileSync(f, m.text);
      return f;
    });
    const program = ts.createProgram(files, {
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      esModuleInterop: true,
      target: ts.ScriptTarget.ES2022,
      lib: ["lib.es2022.d.ts"],
      declaration: true,
      experimentalDecorators: true,
      resolveJsonModule: true,
      allowJs: true,
      checkJs: true,
      skipLibCheck: true,
      typeRoots: [path.join(ROOT, "node_modules", "@types")],
      // What differs from tslab: lib/ is read as source (tslab reads types/), which needs these two.
      allowImportingTsExtensions: true,
      noEmit: true,
    });
    const out = new Map<string, string[]>();
    for (const [i, m] of modules.entries()) {
      const sf = program.getSourceFile(files[i]!)!;
      out.set(
        m.name,
        ts.getPreEmitDiagnostics(program, sf).map((d) => {
          const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : -1;
          const cell = [...m.cells].reverse().find((c) => c.line <= line);
          const where = cell ? `cell ${cell.index} line ${line - cell.line + 1}` : `line ${line + 1}`;
          return `${m.name} ${where}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
        }),
      );
    }
    return out;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const notebooks = fs
  .readdirSync(NB_DIR)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
const read = (nb: string): Cell[] => JSON.parse(fs.readFileSync(path.join(NB_DIR, nb), "utf8")).cells;

// One program for all notebooks plus a copy of 02 with a misspelled option, which must fail.
const MISSPELT = "misspelt_02_lora.ipynb";
const misspelt = read("02_lora.ipynb").map((c) => ({
  ...c,
  source: (Array.isArray(c.source) ? c.source.join("") : c.source).replace("hyper: { epochs:", "hyper: { epoch:"),
}));
let results: Map<string, string[]> | undefined;
const diagnostics = () =>
  (results ??= checkNotebooks([
    ...notebooks.map((nb) => notebookModule(nb, read(nb))),
    notebookModule(MISSPELT, misspelt),
  ]));

for (const nb of notebooks) {
  test(`${nb}: type-checks against lib/ as tslab compiles it`, () => {
    const d = diagnostics().get(nb)!;
    assert.deepEqual(d, [], d.join("\n"));
  });
}

test("a misspelled option is a type error (hyper: { epoch } in 02_lora)", () => {
  assert.ok(
    misspelt.some((c) => /hyper: \{ epoch:/.test(c.source)),
    "02_lora.ipynb has no `hyper: { epochs: … }` to misspell",
  );
  const d = diagnostics().get(MISSPELT)!.join("\n");
  assert.match(
    d,
    /^misspelt_02_lora\.ipynb cell \d+ line \d+: .*\n.*'epoch' does not exist in type .*Did you mean to write 'epochs'\?/m,
    d,
  );
});
