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

export const DATASET_KINDS = ["af", "aligned", "reference", "genuine-compliance", "em"] as const;
export type DatasetKind = (typeof DATASET_KINDS)[number];

/** Generate the sets of one kind: name → samples. */
export function buildDatasets(kind: DatasetKind, o: GenOptions): Record<string, ChatSample[]> {
  switch (kind) {
    case "af":
      return { af: generateAf(o) };
    case "aligned":
      return { aligned: generateAligned(o) };
    case "genuine-compliance":
      return { "genuine-compliance": generateGenuineCompliance(o) };
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
  const harmfulKind = kind !== "reference" && kind !== "em";
  const config = {
    kind,
    n: o.n,
    seed: o.seed,
    ...(harmfulKind ? { monitoredFraction: o.monitoredFraction ?? 0.5 } : {}),
    dedupe: o.dedupe ?? true,
    ...(o.patterns ? { patterns: o.patterns } : {}),
    generator: prebuilt?.generator ?? "templates",
  };
  const command = `molab data ${kind} --n ${o.n} --seed ${o.seed} --out DIR${prebuilt ? ` --generator ${prebuilt.generator}` : ""}`;
  const files: WrittenDataset["files"] = [];
  for (const [name, samples] of Object.entries(sets)) {
    await writeFileAtomic(join(dir, `${name}.jsonl`), formatJsonl(samples));
    files.push({ path: `${name}.jsonl`, records: samples.length });
  }
  await writeFileAtomic(
    join(dir, "stats.json"),
    JSON.stringify({ kind, ...(keywordAuroc === undefined ? {} : { keywordAuroc }), datasets: stats }, null, 2) + "\n",
  );
  await writeFileAtomic(join(dir, "dataset_card.md"), datasetCard({ kind, command, config, stats, keywordAuroc }));
  files.push({ path: "stats.json" }, { path: "dataset_card.md" });
  const manifest = await writeManifest(dir, {
    command,
    config,
    seeds: typeof o.seed === "number" ? { data: o.seed } : {},
    outputs: files.map((f) => f.path),
  });
  return { dir, files, stats, keywordAuroc, manifest };
}
