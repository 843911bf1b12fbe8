/** `molab info`: the backend in use, why faster ones were not, and package versions. */
import { initBackend, tf } from "../backend.ts";
import { parseFlags } from "../args.ts";
import { nativeStatus } from "../native/addon.ts";

export async function info(argv: string[]): Promise<number> {
  const { values } = parseFlags("info", argv, INFO_FLAGS);
  const b = await initBackend();
  if (values.json) {
    console.log(JSON.stringify({ ...b, tfBackend: tf.getBackend(), native: nativeStatus() }, null, 2));
    return 0;
  }
  console.log(`backend:  ${b.backend}${b.forced ? " (forced by MOLAB_BACKEND)" : ""} — ${b.description}`);
  console.log(`threads:  ${b.threads}`);
  console.log(`native:   ${nativeStatus().detail}`);
  for (const s of b.skipped) console.log(`not used: ${s.backend}: ${s.reason}`);
  if (b.backend === "cpu") console.log("note:     cpu is ~30x slower than wasm; unset MOLAB_BACKEND to use wasm");
  console.log("versions:");
  for (const [k, v] of Object.entries(b.versions)) console.log(`  ${k} ${v}`);
  return 0;
}

export const INFO_FLAGS = { json: { type: "boolean" as const } };

export const INFO_USAGE = `usage: molab info [--json]
  --json    print the backend report as JSON (backend, threads, skipped backends and why, versions)

example: molab info --json`;
