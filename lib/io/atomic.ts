/**
 * Atomic file writes: write a temp file beside the target, fsync it, rename it over the target,
 * fsync the directory. A reader sees the old file or the new one, never half of either; a crash
 * leaves at most a `*.tmp-*` file behind, never a truncated target.
 */
import * as fs from "node:fs";
import * as fsp from "node:fs/promises";
import * as path from "node:path";
import { MolabError } from "../errors.ts";

function tempPath(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`,
  );
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const d = await fsp.open(dir, "r");
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* some filesystems cannot fsync a directory; the rename is still atomic */
  }
}

/** A failed write as a MolabError naming the target (a full disk said in words); other errors pass through. */
function writeError(target: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== "string" || e instanceof MolabError) return e;
  if (code === "EISDIR" || code === "ENOTEMPTY")
    return new MolabError(`${target}: is a folder; expected the path of a file to write`, { cause: e });
  const why = code === "ENOSPC" ? "the disk is full" : code === "EDQUOT" ? "the disk quota is exceeded" : code;
  return new MolabError(`${target}: cannot write (${why}); nothing was written to it`, { cause: e });
}

/**
 * Write through a file handle to a temp file, then atomically move it to `target`.
 * `fill` may write any number of chunks; if it throws, the temp file is removed and the target untouched.
 */
export async function writeAtomicWith(target: string, fill: (fh: fsp.FileHandle) => Promise<void>): Promise<void> {
  await fsp.mkdir(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPath(path.resolve(target));
  const fh = await fsp.open(tmp, "w");
  try {
    await fill(fh);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true });
    throw writeError(target, e);
  }
  await fh.close();
  try {
    await fsp.rename(tmp, target);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw writeError(target, e);
  }
  await fsyncDir(path.dirname(path.resolve(target)));
}

/** Write `data` to `target` atomically (temp file + fsync + rename). Creates parent directories. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  await writeAtomicWith(target, async (fh) => {
    await fh.writeFile(data);
  });
}

/** Synchronous variant, for exit handlers and small files. */
export function writeFileAtomicSync(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPath(path.resolve(target));
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw writeError(target, e);
  }
  fs.closeSync(fd);
  try {
    fs.renameSync(tmp, target);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw writeError(target, e);
  }
}

/** Write a JSON value atomically, pretty-printed, with a trailing newline. */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, 2) + "\n");
}

/** An output folder must be a folder (or not exist yet): a MolabError naming it and its flag otherwise. */
export function checkOutDir(dir: string, flag = "--out"): void {
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
    throw new MolabError(`${dir}: not a folder; ${flag} must name a folder (new or existing), not a file`);
}

function onlyEmptyFolders(dir: string): boolean {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .every((e) => e.isDirectory() && onlyEmptyFolders(path.join(dir, e.name)));
}

/**
 * Run `f`, which writes into the folder `dir`; if `f` fails and `dir` did not exist before and holds no file,
 * remove it, so a failed command leaves no empty output folder behind.
 */
export async function cleanOutDirOnFailure<T>(dir: string, f: () => Promise<T>): Promise<T> {
  checkOutDir(dir);
  const existed = fs.existsSync(dir);
  try {
    return await f();
  } catch (e) {
    if (!existed && fs.existsSync(dir) && onlyEmptyFolders(dir)) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
