/** Hub ids → local directories (HF cache layout, offline mode, never pickles; an SAE: one folder of a repo). */
export {
  resolveModel,
  resolveDataset,
  resolveSae,
  saeFolders,
  MODEL_PATTERNS,
  DATASET_PATTERNS,
  SAE_FILES,
} from "./resolve.ts";
export type { ResolveOptions, SaeResolveOptions } from "./resolve.ts";
export { hubCacheDir, hubEndpoint, isOffline, cachedSnapshot, repoFolderName, matchesPattern } from "./cache.ts";
export type { RepoRef, RepoType } from "./cache.ts";
