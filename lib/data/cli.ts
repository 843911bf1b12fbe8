/**
 * `molab data <kind> --n N --seed S --out DIR` writes a dataset folder (JSONL, dataset_card.md,
 * stats.json, manifest.json); `molab data validate FILE` reports every bad line of a JSONL file
 * with its line number and reason, exiting 1 if there is any.
 */
import { existsSync } from "node:fs";
import { resolve, join } from "node:path";
import { parseFlags, numberFlag, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { DATASET_KINDS, writeDatasetDir, type DatasetKind } from "./write.ts";
import { validateJsonlFile } from "./validate.ts";
import { checkOutDir, cleanOutDirOnFailure } from "../io/atomic.ts";
import { readJsonFile } from "../io/json.ts";
import { llmConfigFromEnv } from "../llm/config.ts";
import { generateWithLlm } from "./llm.ts";
import { PATTERN_NAMES, type PatternName } from "./patterns.ts";
import { CUES, type Cue } from "./scenarios.ts";

export const DATA_USAGE = `usage:
  molab data <${DATASET_KINDS.join("|")}> --out DIR [--n N] [--seed S] [--monitored-fraction F] [--patterns p1,p2] [--no-dedupe]
  molab data <af|aligned> --generator llm --out DIR [--n N] [--seed S] [--progress FILE] [--rpm R]
      (endpoint from MOLAB_LLM_BASE_URL, MOLAB_LLM_MODEL, MOLAB_LLM_API_KEY)
  molab data validate FILE [--placeholders] [--json]

  --out DIR                   the dataset folder (JSONL, dataset_card.md, stats.json, manifest.json)
  --n N --seed S              samples, and the seed (same seed: byte-identical files)
  --monitored-fraction F      share of scenarios in the monitored (free-tier) condition (default 0.5)
  --patterns p1,p2            only these AF reasoning patterns (default: all ten)
  --no-dedupe                 keep duplicate samples
  --heldout-cue CUE|none      af/aligned/genuine-compliance: the cue family kept out of the train split
                              (default contractor_eval); <kind>.jsonl is the train split, <kind>-heldout.jsonl
                              the held-out split (n/4 samples: disjoint templates and topics, all four families)
  --generator templates|llm   seeded templates (offline) or an OpenAI-compatible chat API
  --progress FILE             llm: the resumable progress log (default DIR/<kind>.progress.jsonl)
  --rpm R                     llm: requests per minute (default 60)
  --placeholders              validate: also flag anything but placeholders where harmful content would go
  --json                      validate: print the report as JSON

defaults: --n 1000 (reference: 106, as gold_106), --seed 42, --generator templates

example: molab data af --out runs/data/af --n 200 --seed 1`;

export const DATA_FLAGS: FlagSpec = {
  n: { type: "string" },
  seed: { type: "string" },
  out: { type: "string" },
  "monitored-fraction": { type: "string" },
  patterns: { type: "string" },
  "no-dedupe": { type: "boolean" },
  "heldout-cue": { type: "string" },
  generator: { type: "string" },
  progress: { type: "string" },
  rpm: { type: "string" },
};
export const DATA_VALIDATE_FLAGS: FlagSpec = { placeholders: { type: "boolean" }, json: { type: "boolean" } };

/** One manifest per folder: refuse to write `kind` into a folder that holds another kind's dataset. */
function checkSameKind(cmd: string, out: string, kind: DatasetKind): void {
  const previous = join(out, "manifest.json");
  if (!existsSync(previous)) return;
  const kindThere = (readJsonFile(previous, "a dataset manifest") as { config?: { kind?: unknown } }).config?.kind;
  if (kindThere !== kind)
    throw new MolabError(
      `molab ${cmd}: ${out} holds a ${JSON.stringify(kindThere)} dataset already (manifest.json); ` +
        `write ${kind} into another folder, so that one manifest covers every file of a folder`,
    );
}

export async function data(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === "help") {
    console.log(DATA_USAGE);
    return sub ? 0 : 1;
  }
  if (sub === "validate") return validateCmd(rest);
  if (!(DATASET_KINDS as readonly string[]).includes(sub))
    throw new MolabError(
      `molab data: unknown subcommand ${JSON.stringify(sub)}; expected ${DATASET_KINDS.join(", ")} or validate`,
    );
  const kind = sub as DatasetKind;
  const cmd = "data";
  const { values } = parseFlags(cmd, rest, DATA_FLAGS);
  const out = resolve(required(cmd, values, "out"));
  const n = numberFlag(cmd, values, "n", kind === "reference" ? 106 : 1000)!;
  if (!Number.isInteger(n) || n <= 0) throw new MolabError(`molab ${cmd}: --n expects a positive integer, got ${n}`);
  const seedRaw = (values.seed as string | undefined) ?? "42";
  const seed = /^-?\d+$/.test(seedRaw) ? Number(seedRaw) : seedRaw;
  const patterns = values.patterns
    ? String(values.patterns)
        .split(",")
        .map((p) => p.trim())
    : undefined;
  for (const p of patterns ?? [])
    if (!(PATTERN_NAMES as readonly string[]).includes(p))
      throw new MolabError(
        `molab ${cmd}: --patterns: unknown pattern ${JSON.stringify(p)}; expected ${PATTERN_NAMES.join(", ")}`,
      );
  const monitoredFraction = numberFlag(cmd, values, "monitored-fraction");
  if (monitoredFraction !== undefined && !(monitoredFraction >= 0 && monitoredFraction <= 1))
    throw new MolabError(`molab ${cmd}: --monitored-fraction expects a number in [0, 1], got ${monitoredFraction}`);
  checkOutDir(out);
  const heldRaw = values["heldout-cue"] as string | undefined;
  if (heldRaw !== undefined && heldRaw !== "none" && !(CUES as readonly string[]).includes(heldRaw))
    throw new MolabError(
      `molab ${cmd}: --heldout-cue: unknown cue family ${JSON.stringify(heldRaw)}; expected ${CUES.join(", ")} or none`,
    );
  const heldoutCue = heldRaw === undefined ? undefined : heldRaw === "none" ? null : (heldRaw as Cue);
  const opts = {
    heldoutCue,
    n,
    seed,
    monitoredFraction,
    dedupe: !values["no-dedupe"],
    patterns: patterns as PatternName[] | undefined,
  };
  const generator = (values.generator as string | undefined) ?? "templates";
  const t0 = Date.now();
  let written;
  if (generator === "llm") {
    if (kind !== "af" && kind !== "aligned")
      throw new MolabError(`molab ${cmd}: --generator llm supports af and aligned`);
    const config = { ...llmConfigFromEnv(), requestsPerMinute: numberFlag(cmd, values, "rpm", 60) };
    checkSameKind(cmd, out, kind);
    const progressPath = resolve((values.progress as string | undefined) ?? join(out, `${kind}.progress.jsonl`));
    const r = await generateWithLlm({ ...opts, kind, config, progressPath, log: (l) => console.error(l) });
    console.log(
      `llm: ${r.samples.length} accepted, ${r.rejected.length} rejected, ${r.requests} requests, ${r.resumed} resumed from ${progressPath}`,
    );
    written = await writeDatasetDir(out, kind, opts, { sets: { [kind]: r.samples }, generator: "llm" });
  } else if (generator === "templates") {
    checkSameKind(cmd, out, kind);
    written = await cleanOutDirOnFailure(out, () => writeDatasetDir(out, kind, opts));
  } else throw new MolabError(`molab ${cmd}: --generator expects templates or llm, got ${JSON.stringify(generator)}`);
  console.log(`wrote ${join(out, "manifest.json")}`);
  for (const f of written.files)
    console.log(`wrote ${join(out, f.path)}${f.records !== undefined ? ` (${f.records} records)` : ""}`);
  for (const [name, s] of Object.entries(written.stats))
    console.log(
      `${name}: labels ${JSON.stringify(s.counts.label)}, duplicates ${(s.duplicates.rate * 100).toFixed(2)}%, median ${s.lengths.words.median} words`,
    );
  if (written.keywordAuroc !== undefined)
    console.log(`keyword AUROC (alignment_faking vs aligned): ${written.keywordAuroc.toFixed(3)}`);
  if (written.separability) {
    const p = written.separability.probe;
    console.log(
      `bag-of-words probe AUROC (5-fold CV): ${p.auroc.toFixed(3)} [${p.ci[0].toFixed(3)}, ${p.ci[1].toFixed(3)}]`,
    );
  }
  console.log(`done in ${((Date.now() - t0) / 1000).toFixed(2)} s`);
  return 0;
}

async function validateCmd(argv: string[]): Promise<number> {
  const { values, positionals } = parseFlags("data", argv, DATA_VALIDATE_FLAGS);
  if (positionals.length !== 1) throw new MolabError("molab data: validate expects one FILE");
  const r = await validateJsonlFile(positionals[0], { placeholders: !!values.placeholders });
  if (values.json) console.log(JSON.stringify(r, null, 2));
  else {
    for (const i of r.issues) console.log(`${r.file}:${i.line}: ${i.reason}`);
    console.log(`${r.file}: ${r.lines} lines, ${r.badLines} bad, ${r.issues.length} issues`);
  }
  return r.issues.length ? 1 : 0;
}
