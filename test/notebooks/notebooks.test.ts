/**
 * Every notebook in notebooks/ runs top to bottom, headless, on the tslab kernel; any cell error
 * fails the test. Committed notebooks carry no outputs. Needs Jupyter and the tslab kernel spec
 * (environment/setup-jupyter.sh, which .ci/run calls); builds the notebooks' types (types/) first.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildTypes } from "./types.ts";

const DIR = path.join(__dirname, "..", "..", "notebooks");
const notebooks = fs
  .readdirSync(DIR)
  .filter((f) => f.endsWith(".ipynb"))
  .sort();
const out = fs.mkdtempSync(path.join(os.tmpdir(), "molab-nb-"));

interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: { output_type: string; data?: Record<string, string | string[]>; text?: string | string[] }[];
  execution_count?: number | null;
}
const text = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join("") : (v ?? ""));

before(buildTypes);

test("the notebook folder has the stage notebooks", () => {
  assert.ok(notebooks.includes("00_setup.ipynb"), `found ${notebooks.join(", ")}`);
});

test("Jupyter and the tslab kernel are installed", () => {
  const r = spawnSync("jupyter", ["kernelspec", "list"], { encoding: "utf8" });
  assert.equal(r.error, undefined, "jupyter not found: run `bash environment/setup-jupyter.sh`");
  assert.match(r.stdout, /^\s*tslab\s/m, "no tslab kernel spec: run `bash environment/setup-jupyter.sh`");
});

for (const nb of notebooks) {
  test(`${nb}: committed without outputs`, () => {
    const cells: Cell[] = JSON.parse(fs.readFileSync(path.join(DIR, nb), "utf8")).cells;
    for (const [i, c] of cells.entries()) {
      if (c.cell_type !== "code") continue;
      assert.deepEqual(c.outputs, [], `cell ${i} has outputs (strip them before committing)`);
      assert.equal(c.execution_count ?? null, null, `cell ${i} has an execution count`);
    }
  });

  test(`${nb}: runs top to bottom headless`, { timeout: 600_000 }, () => {
    const target = path.join(out, nb);
    const r = spawnSync(
      "jupyter",
      [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--ExecutePreprocessor.timeout=600",
        "--ExecutePreprocessor.kernel_name=tslab",
        "--output",
        target,
        path.join(DIR, nb),
      ],
      { encoding: "utf8", env: { ...process.env, PYDEVD_DISABLE_FILE_VALIDATION: "1" }, cwd: DIR },
    );
    assert.equal(
      r.status,
      0,
      `nbconvert failed for ${nb}:\n${r.stderr
        .split("\n")
        .filter((l) => !l.startsWith("  "))
        .slice(-25)
        .join("\n")}`,
    );
    const cells: Cell[] = JSON.parse(fs.readFileSync(target, "utf8")).cells;
    for (const [i, c] of cells.entries()) {
      for (const o of c.outputs ?? []) {
        assert.notEqual(o.output_type, "error", `${nb} cell ${i} raised`);
        if (o.output_type === "stream")
          assert.doesNotMatch(
            text(o.text),
            /^\w*Error: /m,
            `${nb} cell ${i} printed an error: ${text(o.text).slice(0, 300)}`,
          );
      }
    }
    if (nb === "00_setup.ipynb") {
      const html = cells
        .flatMap((c) => c.outputs ?? [])
        .map((o) => text(o.data?.["text/html"]))
        .join("\n");
      assert.match(html, /Plotly\.newPlot\(/, "a plotly figure in the outputs");
      assert.equal(
        html.split("(function(define, module, exports){").length - 1,
        1,
        "the plotly.js bundle embedded exactly once",
      );
      assert.match(
        html,
        /<table class="molab-table"><tr><th><\/th><th>normal<\/th><th>uniform<\/th><\/tr><tr><td>count<\/td><td>5000<\/td>/,
        "the danfo describe() table",
      );
    }
  });
}
