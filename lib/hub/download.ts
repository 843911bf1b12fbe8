/**
 * Download one revision of a hub repository into the Hugging Face cache layout with @huggingface/hub:
 * the revision's commit (model/dataset info), its file list (listFiles), then each wanted file (downloadFile),
 * streamed to `blobs/<etag>` while its sha256 (LFS files) or git blob sha1 (small files) is checked, and linked
 * from `snapshots/<commit>/<path>`; `refs/<revision>` records the commit for offline use. Files already in the
 * cache are not fetched again. The token is sent as a bearer header only, never printed or written.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { datasetInfo, downloadFile, listFiles, modelInfo, HubApiError } from "@huggingface/hub";
import type { ListFileEntry } from "@huggingface/hub";
import { MolabError } from "../errors.ts";
import { writeAtomicWith, writeFileAtomic } from "../io/atomic.ts";
import { COMMIT_HASH, PICKLE_WEIGHTS, checkSafetensorsOnly, matchesPattern, repoFolderName } from "./cache.ts";
import type { RepoRef } from "./cache.ts";

export interface DownloadOptions {
  revision: string;
  /** Globs (huggingface_hub's allow_patterns) of the files to fetch. Pickle files are never fetched. */
  allowPatterns: string[];
  cacheDir: string;
  endpoint: string;
  token?: string;
  /** Progress lines (default: stderr). */
  log: (line: string) => void;
  /** Called with every file path of the revision before anything is fetched; throws to refuse the repo. Default for
   * models: refuse weights that exist only as pickles. */
  checkFiles?: (files: string[]) => void;
}

/** The hub could not be reached at all (as opposed to answering with an error). */
export class HubUnreachable extends MolabError {}

function describe(repo: RepoRef, revision: string): string {
  return `${repo.type === "dataset" ? "dataset " : ""}${repo.id}@${revision}`;
}

/** Turn what @huggingface/hub or fetch throws into one clear MolabError. */
function hubError(e: unknown, repo: RepoRef, revision: string, endpoint: string, what: string): MolabError {
  if (e instanceof MolabError) return e;
  const where = describe(repo, revision);
  if (e instanceof HubApiError) {
    const s = e.statusCode;
    if (s === 401 || s === 403) {
      return new MolabError(
        `${where}: access denied by ${endpoint} (HTTP ${s}) while ${what}: the repo is private or gated, or does not exist; ` +
          `set HF_TOKEN to a token that can read it (and accept the model's licence on the hub)`,
      );
    }
    if (s === 404)
      return new MolabError(
        `${where}: not found on ${endpoint} (HTTP 404) while ${what}: check the repo id and the revision`,
      );
    return new MolabError(`${where}: ${endpoint} answered HTTP ${s} while ${what}: ${e.message}`);
  }
  const msg = (e as Error)?.message ?? String(e);
  const cause = (e as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? msg;
  if (e instanceof TypeError && /fetch failed|network|ECONN|ENOTFOUND|EAI_AGAIN/i.test(`${msg} ${detail}`)) {
    return new HubUnreachable(
      `${where}: cannot reach ${endpoint} (${detail}); set HF_HUB_OFFLINE=1 to use only the local cache`,
    );
  }
  return new MolabError(`${where}: failed while ${what}: ${msg}`);
}

function fmtBytes(n: number): string {
  return n >= 1e9
    ? `${(n / 1e9).toFixed(2)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${(n / 1e3).toFixed(1)} kB`;
}

/** Link `pointer` to `blob` with a relative symlink (as huggingface_hub does), or copy where links are refused. */
function link(blob: string, pointer: string): void {
  fs.mkdirSync(path.dirname(pointer), { recursive: true });
  fs.rmSync(pointer, { force: true });
  try {
    fs.symlinkSync(path.relative(path.dirname(pointer), blob), pointer);
  } catch {
    fs.copyFileSync(blob, pointer);
  }
}

/** Stream one file into `blob`, checking size and hash; a mismatch leaves no blob behind. */
async function fetchBlob(
  repo: RepoRef,
  commit: string,
  entry: ListFileEntry,
  blob: string,
  opts: DownloadOptions,
): Promise<void> {
  const file = await downloadFile({
    repo: { type: repo.type, name: repo.id },
    path: entry.path,
    revision: commit,
    hubUrl: opts.endpoint,
    accessToken: opts.token,
  });
  if (!file) throw new MolabError(`${describe(repo, commit)}: ${entry.path} is listed but cannot be downloaded`);
  const lfs = entry.lfs;
  const size = lfs?.size ?? entry.size;
  const hash = crypto.createHash(lfs ? "sha256" : "sha1");
  if (!lfs) hash.update(`blob ${size}\0`);
  fs.mkdirSync(path.dirname(blob), { recursive: true });
  await writeAtomicWith(blob, async (fh) => {
    let got = 0;
    for await (const chunk of Readable.fromWeb(file.stream() as unknown as WebReadableStream<Uint8Array>)) {
      const buf = chunk as Buffer;
      got += buf.length;
      hash.update(buf);
      await fh.write(buf);
    }
    if (got !== size)
      throw new MolabError(`${describe(repo, commit)}: ${entry.path}: downloaded ${got} bytes, the hub lists ${size}`);
    const digest = hash.digest("hex");
    const want = lfs ? lfs.oid : entry.oid;
    if (want && digest !== want) {
      throw new MolabError(
        `${describe(repo, commit)}: ${entry.path}: ${lfs ? "sha256" : "git sha1"} ${digest} does not match the hub's ${want}`,
      );
    }
  });
}

/** Download `repo` at `opts.revision` into the cache; returns the snapshot directory. */
export async function downloadSnapshot(repo: RepoRef, opts: DownloadOptions): Promise<string> {
  const { revision, endpoint, token } = opts;
  const storage = path.join(opts.cacheDir, repoFolderName(repo));
  let commit: string;
  try {
    const params = {
      name: repo.id,
      revision,
      hubUrl: endpoint,
      accessToken: token,
      additionalFields: ["sha"] as ["sha"],
    };
    const info = repo.type === "dataset" ? await datasetInfo(params) : await modelInfo(params);
    commit = String((info as { sha?: unknown }).sha ?? "");
  } catch (e) {
    throw hubError(e, repo, revision, endpoint, "resolving the revision");
  }
  if (!COMMIT_HASH.test(commit))
    throw new MolabError(`${describe(repo, revision)}: ${endpoint} gave no commit hash for the revision`);

  const entries: ListFileEntry[] = [];
  try {
    for await (const e of listFiles({
      repo: { type: repo.type, name: repo.id },
      recursive: true,
      revision: commit,
      hubUrl: endpoint,
      accessToken: token,
    })) {
      if (e.type === "file") entries.push(e);
    }
  } catch (e) {
    throw hubError(e, repo, commit, endpoint, "listing files");
  }
  const paths = entries.map((e) => e.path);
  if (opts.checkFiles) opts.checkFiles(paths);
  else if (repo.type === "model") checkSafetensorsOnly(paths, `model ${repo.id}@${revision}`);
  const wanted = entries.filter(
    (e) => !PICKLE_WEIGHTS.test(e.path) && opts.allowPatterns.some((p) => matchesPattern(e.path, p)),
  );
  if (wanted.length === 0) {
    throw new MolabError(
      `${describe(repo, revision)}: no file matches ${opts.allowPatterns.join(", ")} (the repo has ${entries.length} files)`,
    );
  }

  const snapshot = path.join(storage, "snapshots", commit);
  for (const e of wanted) {
    if (e.path.split("/").some((p) => p === ".." || p === ""))
      throw new MolabError(`${describe(repo, commit)}: unsafe file path ${JSON.stringify(e.path)} in the listing`);
    const pointer = path.join(snapshot, ...e.path.split("/"));
    if (fs.existsSync(pointer)) continue;
    const etag = e.lfs?.oid ?? e.oid;
    if (!etag || !/^[0-9a-f]{40,64}$/.test(etag))
      throw new MolabError(`${describe(repo, commit)}: no usable hash for ${e.path} in the listing`);
    const blob = path.join(storage, "blobs", etag);
    if (!fs.existsSync(blob)) {
      opts.log(
        `molab: downloading ${describe(repo, commit.slice(0, 8))}: ${e.path} (${fmtBytes(e.lfs?.size ?? e.size)})`,
      );
      try {
        await fetchBlob(repo, commit, e, blob, opts);
      } catch (err) {
        throw hubError(err, repo, commit, endpoint, `downloading ${e.path}`);
      }
    }
    link(blob, pointer);
  }
  fs.mkdirSync(snapshot, { recursive: true });
  if (revision !== commit) await writeFileAtomic(path.join(storage, "refs", ...revision.split("/")), commit);
  return snapshot;
}
