/**
 * The Hugging Face cache layout, shared with Python's huggingface_hub so a model downloaded by either is found by
 * both: `<cache>/models--org--name/{refs/<revision>, snapshots/<commit>/<file> → ../../blobs/<etag>}` (datasets
 * under `datasets--org--name`). The cache is HF_HUB_CACHE, else $HF_HOME/hub, else
 * $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../errors.ts";

export type RepoType = "model" | "dataset";

/** A hub repository: its type and its id `org/name` (or a legacy bare `name`). */
export interface RepoRef {
  type: RepoType;
  id: string;
}

/** The hub cache directory, from the same environment variables Python uses. */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache"), "huggingface");
  return path.join(home, "hub");
}

/** HF_HUB_OFFLINE set to 1/true/yes/on (any case), as in huggingface_hub. */
export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return ["1", "ON", "YES", "TRUE"].includes((env.HF_HUB_OFFLINE ?? "").trim().toUpperCase());
}

/** The hub's base URL: HF_ENDPOINT or https://huggingface.co. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT || "https://huggingface.co").replace(/\/+$/, "");
}

const REPO_PART = /^\w([\w.-]{0,94}\w)?$/;

/** Check a repo id the way huggingface_hub does (`org/name`, word characters, `-` and `.`, no `--` or `..`). */
export function checkRepoId(id: string): void {
  const parts = id.split("/");
  if (parts.length > 2 || !parts.every((p) => REPO_PART.test(p)) || id.includes("--") || id.includes("..")) {
    throw new MolabError(
      `${JSON.stringify(id)} is neither an existing directory nor a valid hub repo id (expected "org/name")`,
    );
  }
}

/** `models--org--name` / `datasets--org--name`. */
export function repoFolderName(repo: RepoRef): string {
  return [`${repo.type}s`, ...repo.id.split("/")].join("--");
}

export const COMMIT_HASH = /^[0-9a-f]{40}$/;

/**
 * The cached snapshot of `repo` at `revision` (a branch, tag or commit hash), or undefined when the cache does not
 * hold it. A branch or tag is looked up in `refs/`, which records the commit it pointed to when downloaded.
 */
export function cachedSnapshot(repo: RepoRef, revision: string, cacheDir = hubCacheDir()): string | undefined {
  const storage = path.join(cacheDir, repoFolderName(repo));
  let commit = revision;
  if (!COMMIT_HASH.test(revision)) {
    const ref = path.join(storage, "refs", revision);
    if (!fs.existsSync(ref)) return undefined;
    commit = fs.readFileSync(ref, "utf8").trim();
    if (!COMMIT_HASH.test(commit))
      throw new MolabError(`${ref}: expected a 40-character commit hash, found ${JSON.stringify(commit.slice(0, 60))}`);
  }
  const snap = path.join(storage, "snapshots", commit);
  return fs.existsSync(snap) && fs.statSync(snap).isDirectory() ? snap : undefined;
}

/** Glob match as huggingface_hub's allow_patterns (fnmatch: `*` also crosses `/`; a trailing `/` means the folder). */
export function matchesPattern(file: string, pattern: string): boolean {
  let p = pattern.endsWith("/") ? pattern + "*" : pattern;
  let re = "";
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "*") re += ".*";
    else if (c === "?") re += ".";
    else if (c === "[") {
      const j = p.indexOf("]", i + 2);
      if (j < 0) re += "\\[";
      else {
        let cls = p.slice(i + 1, j).replace(/\\/g, "\\\\");
        if (cls.startsWith("!")) cls = "^" + cls.slice(1);
        re += `[${cls}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  p = re;
  return new RegExp(`^${p}$`, "s").test(file);
}

/** Extensions of pickle-based weight files, which molab never loads. */
export const PICKLE_WEIGHTS = /\.(bin|pt|pth|ckpt|pkl|pickle)$/i;

/**
 * Refuse a model whose weights exist only as pickles (pytorch_model.bin and friends): molab reads safetensors only.
 * `files` are paths inside the repo; `where` names the repo for the message.
 */
export function checkSafetensorsOnly(files: string[], where: string): void {
  if (files.some((f) => f.endsWith(".safetensors"))) return;
  const pickles = files.filter((f) => PICKLE_WEIGHTS.test(f));
  if (pickles.length > 0) {
    throw new MolabError(
      `${where} has weights only as pickle files (${pickles.slice(0, 3).join(", ")}${pickles.length > 3 ? ", …" : ""}); molab loads safetensors only. ` +
        `Use a revision or a fork with model.safetensors, or convert it with transformers (save_pretrained(..., safe_serialization=True)).`,
    );
  }
}

/** Every file below `dir`, as `/`-separated paths relative to it. */
export function listLocalFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}
