/**
 * Model and dataset ids → local directories. A directory that exists is used as it is; otherwise the id names a
 * hub repository, found in (or downloaded into) the Hugging Face cache that Python's huggingface_hub also uses.
 * Environment: HF_HUB_CACHE / HF_HOME (where), HF_HUB_OFFLINE=1 (cache only), HF_ENDPOINT (which hub),
 * HF_TOKEN (private and gated repos; sent to the hub only, never printed or stored).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MolabError } from "../errors.ts";
import {
  cachedSnapshot,
  checkRepoId,
  checkSafetensorsOnly,
  hubCacheDir,
  hubEndpoint,
  isOffline,
  listLocalFiles,
} from "./cache.ts";
import type { RepoRef, RepoType } from "./cache.ts";
import { HubUnreachable, downloadSnapshot } from "./download.ts";

export interface ResolveOptions {
  /** Branch, tag or commit hash (default "main"). */
  revision?: string;
  /** Globs of the files to download (huggingface_hub's allow_patterns); see the defaults below. */
  allowPatterns?: string[];
  /** Progress lines while downloading (default: stderr). */
  log?: (line: string) => void;
}

/** What a model needs: weights as safetensors, configs, tokenizer files, chat templates. Never pickles. */
export const MODEL_PATTERNS = ["*.safetensors", "*.json", "tokenizer*", "*.txt", "*.jinja"];
/** Text and table formats the loaders read. */
export const DATASET_PATTERNS = ["*.json", "*.jsonl", "*.csv", "*.tsv", "*.txt", "*.parquet", "*.md"];

function looksLikePath(s: string): boolean {
  return s.startsWith("/") || s.startsWith(".") || s.startsWith("~") || s.includes("\\") || s.split("/").length > 2;
}

function checkRevision(rev: string): void {
  if (
    !rev ||
    rev.startsWith("/") ||
    rev.split("/").some((p) => p === "" || p === ".." || p === ".") ||
    /[\s\0]/.test(rev)
  ) {
    throw new MolabError(`revision ${JSON.stringify(rev)} is not a valid branch, tag or commit hash`);
  }
}

async function resolveRepo(type: RepoType, idOrDir: string, opts: ResolveOptions): Promise<string> {
  if (typeof idOrDir !== "string" || idOrDir === "") throw new MolabError(`a ${type} id or directory is required`);
  const local = idOrDir.startsWith("~/") ? path.join(os.homedir(), idOrDir.slice(2)) : idOrDir;
  if (fs.existsSync(local)) {
    if (!fs.statSync(local).isDirectory())
      throw new MolabError(`${local} is a file; expected a ${type} directory or a hub repo id`);
    return path.resolve(local);
  }
  if (looksLikePath(idOrDir)) throw new MolabError(`${type} directory ${idOrDir} does not exist`);
  checkRepoId(idOrDir);
  const repo: RepoRef = { type, id: idOrDir };
  const revision = opts.revision ?? "main";
  checkRevision(revision);
  const cacheDir = hubCacheDir();
  const where = `${type === "dataset" ? "dataset " : ""}${repo.id}@${revision}`;
  const checkCached = (snap: string) => {
    if (type === "model") checkSafetensorsOnly(listLocalFiles(snap), `cached model ${where} (${snap})`);
    return snap;
  };

  if (isOffline()) {
    const snap = cachedSnapshot(repo, revision, cacheDir);
    if (!snap) {
      throw new MolabError(
        `${where} is not in the hub cache ${cacheDir} and HF_HUB_OFFLINE is set, so it cannot be downloaded; unset HF_HUB_OFFLINE or pass a local directory`,
      );
    }
    return checkCached(snap);
  }
  const endpoint = hubEndpoint();
  const token = process.env.HF_TOKEN || undefined;
  if (token !== undefined && !token.startsWith("hf_"))
    throw new MolabError("HF_TOKEN is set but does not look like a hub token (it should start with hf_)");
  try {
    return await downloadSnapshot(repo, {
      revision,
      allowPatterns: opts.allowPatterns ?? (type === "model" ? MODEL_PATTERNS : DATASET_PATTERNS),
      cacheDir,
      endpoint,
      token,
      log: opts.log ?? ((line) => process.stderr.write(line + "\n")),
    });
  } catch (e) {
    // Like huggingface_hub: when the hub cannot be reached at all, fall back to what the cache holds.
    const snap = e instanceof HubUnreachable ? cachedSnapshot(repo, revision, cacheDir) : undefined;
    if (!snap) throw e;
    (opts.log ?? ((line: string) => process.stderr.write(line + "\n")))(
      `molab: ${(e as Error).message.split(";")[0]}; using the cached snapshot ${snap}`,
    );
    return checkCached(snap);
  }
}

/**
 * A local directory holding the model `idOrDir`: the directory itself if it exists, else the hub repo's snapshot in
 * the HF cache (downloaded unless HF_HUB_OFFLINE=1). Only safetensors/json/tokenizer/txt/jinja files are fetched by
 * default; a repo whose weights exist only as `.bin`/pickle files is refused.
 */
export function resolveModel(idOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveRepo("model", idOrDir, opts);
}

/** As resolveModel, for dataset repos (`datasets--org--name` in the cache). */
export function resolveDataset(idOrDir: string, opts: ResolveOptions = {}): Promise<string> {
  return resolveRepo("dataset", idOrDir, opts);
}
