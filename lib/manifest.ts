/**
 * `manifest.json`: what every run writes beside its outputs so it can be reproduced —
 * the command, the config, the seeds, sha256 of every input and output file, package versions
 * and the backend.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { versions, backendInfo } from "./backend.ts";
import { writeJsonAtomic } from "./io/atomic.ts";

export interface Manifest {
  command: string;
  created: string;
  config: unknown;
  seeds: Record<string, number>;
  /** sha256 of input files, by path as given. */
  inputs: Record<string, string>;
  /** sha256 of output files, by path relative to the run folder. */
  outputs: Record<string, string>;
  versions: Record<string, string>;
  backend?: string;
}

/** sha256 of a file (streamed) or of every file under a directory (sorted, path-qualified). */
export async function sha256Path(p: string): Promise<string> {
  const h = createHash("sha256");
  const stat = fs.statSync(p);
  if (stat.isDirectory()) {
    for (const f of fs.readdirSync(p, { recursive: true }).map(String).sort()) {
      const full = path.join(p, f);
      if (fs.statSync(full).isFile()) h.update(`${f}\0${await sha256Path(full)}\n`);
    }
    return h.digest("hex");
  }
  for await (const chunk of fs.createReadStream(p)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/**
 * Write `<dir>/manifest.json` atomically. `outputs` are paths relative to `dir`; when omitted, every
 * file already in `dir` (except the manifest) is hashed.
 */
export async function writeManifest(
  dir: string,
  m: { command: string; config: unknown; seeds?: Record<string, number>; inputs?: string[]; outputs?: string[] },
): Promise<Manifest> {
  const outs =
    m.outputs ??
    fs
      .readdirSync(dir, { recursive: true })
      .map(String)
      .filter((f) => f !== "manifest.json" && fs.statSync(path.join(dir, f)).isFile())
      .sort();
  const manifest: Manifest = {
    command: m.command,
    created: new Date().toISOString(),
    config: m.config,
    seeds: m.seeds ?? {},
    inputs: Object.fromEntries(await Promise.all((m.inputs ?? []).map(async (f) => [f, await sha256Path(f)] as const))),
    outputs: Object.fromEntries(
      await Promise.all(outs.map(async (f) => [f, await sha256Path(path.join(dir, f))] as const)),
    ),
    versions: versions(),
    backend: (await backendInfo())?.backend,
  };
  await writeJsonAtomic(path.join(dir, "manifest.json"), manifest);
  return manifest;
}

/** A fresh run folder `runs/<UTC timestamp>-<name>/` under `root` (default: ./runs). */
export function newRunDir(name: string, root = "runs"): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-").replace(/Z$/, "");
  const dir = path.join(root, `${stamp}-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
