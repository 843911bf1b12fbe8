/**
 * The notebooks' types: `npm run build:types` (incremental; writes nothing when types/ is current).
 * Tests that run notebooks in the tslab kernel call it first, since the kernel type-checks every cell
 * against types/ and refuses a cell that does not check.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.join(__dirname, "..", "..");

export function buildTypes(): void {
  const r = spawnSync(
    process.execPath,
    [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(ROOT, "tsconfig.types.json")],
    { encoding: "utf8", cwd: ROOT },
  );
  if (r.status !== 0) throw new Error(`npm run build:types failed:\n${r.stdout}${r.stderr}`);
}
