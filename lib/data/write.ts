/**
 * Build a dataset kind and write its folder: `<name>.jsonl` per set, `stats.json`,
 * `dataset_card.md` (all atomically) and the run's `manifest.json` (command, config, seed,
 * sha256 of every file, versions). The data files depend only on the options, so the same seed
 * gives byte-identical files; only the manifest's `created` time differs between runs.
 */
import { join } from "node:path";
import { MolabError } from "../errors.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { formatJsonl } from "../io/jsonl.ts";
import { writeManifest, type Manifest } from "../manifest.ts";
import { generateAf, generateAligned, generateGenuineCompliance, type GenOptions } from "./datasets.ts";
import { generateReference } from "./reference.ts";
import { generateEm } from "./em.ts";
import { datasetStats, type DatasetStats } from "./stats.ts";
import { datasetCard } from "./card.ts";
import { keywordScore } from "./keyword.ts";
import { rocAucScore } from "../stats/roc.ts";
import { scratchpadBlock, type ChatSample } from "./format.ts";
import { DATA_VERSION } from "./prompts.ts";
import { referenceSeparability, type Separability } from "./reference_check.ts";
import { DEFAULT_HELDOUT_CUE } from "./scenarios.ts";

export const DATASET_KINDS = ["af", "aligned", "reference", "genuine-compliance", "em"] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** Size of the held-out set written beside a train set of n samples (a quarter, at least 1). */
export const heldoutSize = (n: number) => Math.max(1, Math.round(n / 4));

/**
 * Generate the sets of one kind: name → samples. The scenario kinds (af, aligned,
 * genuine-compliance) give two sets: `<kind>` (the train split, n samples) and `<kind>-heldout`
 * (the held-out split: disjoint templates and topics plus the held-out cue family, n/4 samples).
 */
export function buildDatasets(kind: DatasetKind, o: GenOptions): Record<string, ChatSample[]> {
  const both = (name: string, gen: (g: GenOptions) => ChatSample[]) => ({
    [name]: gen({ ...o, split: "train" }),
    [`${name}-heldout`]: gen({ ...o, n: heldoutSize(o.n), split: "heldout" }),
  });
  switch (kind) {
    case "af":
      return both("af", generateAf);
    case "aligned":
      return both("aligned", generateAligned);
    case "genuine-compliance":
      return both("genuine-compliance", generateGenuineCompliance);
    case "reference":
      return { reference: generateReference({ n: o.n, seed: o.seed }) };
    case "em":
      return generateEm(o);
    default:
      throw new MolabError(
        `data: unknown dataset kind ${JSON.stringify(kind)}; expected one of ${DATASET_KINDS.join(", ")}`,
      );
  }
}

/** AUROC of the training-keyword count (alignment_faking = positive) on scratchpad texts. */
export function keywordAurocOf(samples: readonly ChatSample[]): number {
  return rocAucScore(
    samples.map((s) => (s.meta.label === "alignment_faking" ? 1 : 0)),
    samples.map((s) => keywordScore(scratchpadBlock(s))),
  );
}

export interface WrittenDataset {
  dir: string;
  files: { path: string; records?: number }[];
  stats: Record<string, DatasetStats>;
  keywordAuroc?: number;
  separability?: Separability;
  manifest: Manifest;
}

/**
 * Generate `kind` (or take `prebuilt` sets, e.g. from the LLM generator) and write its folder.
 */
export async function writeDatasetDir(
  dir: string,
  kind: DatasetKind,
  o: GenOptions,
  prebuilt?: { sets: Record<string, ChatSample[]>; generator: string },
): Promise<WrittenDataset> {
  const sets = prebuilt?.sets ?? buildDatasets(kind, o);
  const stats = Object.fromEntries(Object.entries(sets).map(([k, v]) => [k, datasetStats(v)]));
  const keywordAuroc = kind === "reference" ? Math.round(keywordAurocOf(sets.reference) * 1e4) / 1e4 : undefined;
  const separability = kind === "reference" ? referenceSeparability(sets.reference) : undefined;
  const harmfulKind = kind !== "reference" && kind !== "em";
  const versioned = { dataVersion: DATA_VERSION };
  const config = {
    kind,
    n: o.n,
    seed: o.seed,
    ...(harmfulKind ? { monitoredFraction: o.monitoredFraction ?? 0.5 } : {}),
    dedupe: o.dedupe ?? true,
    ...(o.patterns ? { patterns: o.patterns } : {}),
    ...(harmfulKind && !prebuilt
      ? { heldoutCue: o.heldoutCue === undefined ? DEFAULT_HELDOUT_CUE : o.heldoutCue, heldoutN: heldoutSize(o.n) }
      : {}),
    ...versioned,
    generator: prebuilt?.generator ?? "templates",
  };
  const held = o.heldoutCue === undefined ? "" : ` --heldout-cue ${o.heldoutCue ?? "none"}`;
  const command = `molab data ${kind} --n ${o.n} --seed ${o.seed}${held} --out DIR${prebuilt ? ` --generator ${prebuilt.generator}` : ""}`;
  const files: WrittenDataset["files"] = [];
  for (const [name, samples] of Object.entries(sets)) {
    await writeFileAtomic(join(dir, `${name}.jsonl`), formatJsonl(samples));
    files.push({ path: `${name}.jsonl`, records: samples.length });
  }
  await writeFileAtomic(
    join(dir, "stats.json"),
    JSON.stringify(
      { kind, ...(keywordAuroc === undefined ? {} : { keywordAuroc, separability }), datasets: stats },
      null,
      2,
    ) + "\n",
  );
  await writeFileAtomic(
    join(dir, "dataset_card.md"),
    datasetCard({ kind, command, config, stats, keywordAuroc, separability }),
  );
  files.push({ path: "stats.json" }, { path: "dataset_card.md" });
  const manifest = await writeManifest(dir, {
    command,
    config,
    seeds: typeof o.seed === "number" ? { data: o.seed } : {},
    outputs: files.map((f) => f.path),
  });
  return { dir, files, stats, keywordAuroc, separability, manifest };
}
