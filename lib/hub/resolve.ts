/**
 * Model, dataset and SAE ids → local directories. A directory that exists is used as it is; otherwise the id names a
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
  PICKLE_WEIGHTS,
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
  /** Called with the repo's file paths (the cached snapshot's offline) before use; throws to refuse the repo.
   * Default for models: refuse weights that exist only as pickles. */
  checkFiles?: (files: string[], where: string) => void;
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
    if (opts.checkFiles) opts.checkFiles(listLocalFiles(snap), `cached ${where} (${snap})`);
    else if (type === "model") checkSafetensorsOnly(listLocalFiles(snap), `cached model ${where} (${snap})`);
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
      checkFiles: opts.checkFiles && ((files) => opts.checkFiles!(files, where)),
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

/** The files of one SAE folder: configs and weights as safetensors (SAELens, sparsify) or npz (GemmaScope). */
export const SAE_FILES = ["cfg.json", "sae_weights.safetensors", "sae.safetensors", "params.npz"];

export interface SaeResolveOptions extends Omit<ResolveOptions, "allowPatterns" | "checkFiles"> {
  /** The SAE's folder in the repo: a SAELens sae_id (`blocks.8.hook_resid_pre`), a sparsify hookpoint (`layers.3`)
   * or a GemmaScope path (`layer_12/width_16k/average_l0_82`); the repo root when absent. */
  subfolder?: string;
}

/** The folders of `files` (repo paths) that hold an SAE in one of the three formats. */
export function saeFolders(files: string[]): string[] {
  const by = new Map<string, Set<string>>();
  for (const f of files) {
    const i = f.lastIndexOf("/");
    const dir = i < 0 ? "" : f.slice(0, i);
    if (!by.has(dir)) by.set(dir, new Set());
    by.get(dir)!.add(f.slice(i + 1));
  }
  const isSae = (n: Set<string>) =>
    n.has("params.npz") || (n.has("cfg.json") && (n.has("sae_weights.safetensors") || n.has("sae.safetensors")));
  return [...by]
    .filter(([, n]) => isSae(n))
    .map(([d]) => d || ".")
    .sort();
}

/** Refuse a repo whose folder `sub` holds no SAE we read: pickle-only weights, or nothing (listing where SAEs are). */
function checkSaeFolder(files: string[], sub: string, where: string): void {
  const names = files.flatMap((f) => {
    const rel = sub ? (f.startsWith(sub + "/") ? f.slice(sub.length + 1) : undefined) : f;
    return rel !== undefined && !rel.includes("/") ? [rel] : [];
  });
  const folders = saeFolders(files);
  if (folders.includes(sub || ".")) return;
  const at = sub ? `folder ${JSON.stringify(sub)}` : "the repo root";
  const pickles = names.filter((n) => PICKLE_WEIGHTS.test(n));
  if (pickles.length > 0)
    throw new MolabError(
      `${where}: ${at} has SAE weights only as pickle files (${pickles.slice(0, 3).join(", ")}); molab loads ` +
        `safetensors and npz only (SAELens sae_weights.safetensors, sparsify sae.safetensors, GemmaScope params.npz)`,
    );
  throw new MolabError(
    `${where}: ${at} holds no SAE (cfg.json + sae_weights.safetensors, cfg.json + sae.safetensors, or params.npz)` +
      (folders.length
        ? `; SAEs are in: ${folders.slice(0, 8).join(", ")}${folders.length > 8 ? `, … (${folders.length})` : ""}; pass one as the subfolder`
        : ""),
  );
}

/**
 * A local directory holding one SAE: `idOrDir` (joined with `subfolder`) if it exists, else the folder `subfolder`
 * of the hub repo `idOrDir` in the HF cache, downloading (unless HF_HUB_OFFLINE=1) only that folder's SAE files
 * (SAE_FILES). A folder whose weights are only pickles is refused, as is one that holds no SAE (the error lists the
 * repo's SAE folders).
 */
export async function resolveSae(idOrDir: string, opts: SaeResolveOptions = {}): Promise<string> {
  const sub = (opts.subfolder ?? "").replace(/^\.?\/+|\/+$/g, "");
  if (sub.split("/").some((p) => p === ".." || p === "." || (p === "" && sub !== "")) || /[*?[\]\\\0]/.test(sub))
    throw new MolabError(`SAE subfolder ${JSON.stringify(opts.subfolder)} is not a plain folder path in the repo`);
  const local = idOrDir.startsWith("~/") ? path.join(os.homedir(), idOrDir.slice(2)) : idOrDir;
  if (fs.existsSync(local)) return path.resolve(local, ...(sub ? sub.split("/") : []));
  const snap = await resolveRepo("model", idOrDir, {
    ...opts,
    allowPatterns: SAE_FILES.map((f) => (sub ? `${sub}/${f}` : f)),
    checkFiles: (files, where) => checkSaeFolder(files, sub, where),
  });
  return sub ? path.join(snap, ...sub.split("/")) : snap;
}
