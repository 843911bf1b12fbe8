/**
 * notebooks/05_validate.ipynb: stored without outputs, and runs top to bottom headless (Jupyter with the tslab
 * kernel, which `npm test` sets up first) on the small synthetic reference.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildTypes } from "../notebooks/types.ts";

const NB = path.join(__dirname, "..", "..", "notebooks", "05_validate.ipynb");

test("notebook 05 is stored with outputs stripped and prose first", () => {
  const nb = JSON.parse(fs.readFileSync(NB, "utf8"));
  assert.equal(nb.metadata.kernelspec.name, "tslab");
  assert.equal(nb.cells[0].cell_type, "markdown");
  for (const c of nb.cells) if (c.cell_type === "code") assert.deepEqual([c.outputs, c.execution_count], [[], null]);
});

test("notebook 05 executes headless", () => {
  const kernels = spawnSync("jupyter", ["kernelspec", "list", "--json"], { encoding: "utf8" });
  assert.ok(
    kernels.status === 0 && /"tslab"/.test(kernels.stdout),
    "Jupyter with the tslab kernel is not installed: run `bash environment/setup-jupyter.sh`",
  );
  buildTypes();
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "nb05-")), "out.ipynb");
  const r = spawnSync(
    "jupyter",
    ["nbconvert", "--to", "notebook", "--execute", NB, "--output", out, "--ExecutePreprocessor.timeout=120"],
    { encoding: "utf8" },
  );
  assert.equal(r.status, 0, r.stderr.slice(-3000));
  const nb = JSON.parse(fs.readFileSync(out, "utf8"));
  const errors = nb.cells.flatMap((c: { outputs?: { output_type: string }[] }) =>
    (c.outputs ?? []).filter((o) => o.output_type === "error"),
  );
  assert.deepEqual(errors, []);
  const text = JSON.stringify(nb.cells.map((c: { outputs?: unknown }) => c.outputs ?? []));
  assert.match(text, /CV AUROC/);
  assert.match(text, /similar activation levels/);
});
