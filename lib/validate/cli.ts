/**
 * `molab validate --organism DIR --reference FILE --out DIR [--features N] [--permutations N] [--seed N]
 *   [--sae DIR --model DIR [--pool mean|max|last] [--scratchpad]]`
 *
 * DIR holds samples.jsonl (or generations.jsonl / samples.json / generations.json) of {text}
 * records; FILE is gold_106 or the synthetic reference, read by lib/data's loadAfSet: JSON/JSONL
 * of {text, label} with label potential_faking | aligned (or 1 | 0), or molab chat JSONL. Writes report.json, report.md and figures.html into --out.
 */
import { choiceFlag, numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { cleanOutDirOnFailure } from "../io/atomic.ts";
import { POOLS } from "../sae/index.ts";
import { runValidate, type SaeSource } from "./run.ts";

export const VALIDATE_FLAGS: FlagSpec = {
  organism: { type: "string" },
  reference: { type: "string" },
  out: { type: "string" },
  features: { type: "string" },
  permutations: { type: "string" },
  seed: { type: "string" },
  alpha: { type: "string" },
  sae: { type: "string" },
  model: { type: "string" },
  pool: { type: "string" },
  scratchpad: { type: "boolean" },
  "sae-id": { type: "string" },
  "sae-revision": { type: "string" },
};

export const VALIDATE_USAGE = `usage: molab validate --organism DIR --reference FILE --out DIR [flags]
  --organism DIR      samples.jsonl (or generations.jsonl / samples.json / generations.json) of {text} records
  --reference FILE    gold_106 or the synthetic reference: JSON/JSONL of {text, label} (potential_faking|aligned or 1|0), or molab chat JSONL
  --out DIR           where report.json, report.md and figures.html go
  --features N        features compared, at most (default 64)
  --permutations N    label shuffles per permutation test (default 2000)
  --seed N            seed of the shuffles and bootstraps (default 0)
  --alpha A           significance level of the Benjamini-Hochberg q-values (default 0.05)
  --sae DIR           validate on SAE features: an SAE folder (SAELens, sparsify hookpoint, GemmaScope) read at its hook
                      of the base model; the bag of words stays as the baseline row
  --sae-id ID         with --sae ORG/REPO (a hub repo): the SAE's folder in it (--sae-revision REV: its revision)
  --model DIR         the base model the SAE reads (required with --sae)
  --pool P            how latents are pooled per text: mean, max or last (default mean)
  --scratchpad        pool only over each text's <SCRATCHPAD_REASONING> span

example: molab validate --organism runs/x/elicit --reference data/reference/synthetic_af_106/reference.jsonl --out runs/x/validate
example: molab validate --organism runs/x/elicit --reference runs/data/reference/reference.jsonl --sae runs/sae --model DIR --out runs/v`;

function saeSource(values: Record<string, unknown>): SaeSource {
  const pool = choiceFlag("validate", values, "pool", POOLS, "mean")!;
  if (values.model === undefined)
    throw new MolabError("molab validate: --sae needs --model DIR (the base model it reads)");
  return {
    sae: required("validate", values, "sae"),
    model: required("validate", values, "model"),
    pool,
    scratchpad: values.scratchpad === true,
    ...(typeof values["sae-id"] === "string" ? { saeId: values["sae-id"] } : {}),
    ...(typeof values["sae-revision"] === "string" ? { saeRevision: values["sae-revision"] } : {}),
  };
}

export async function validate(argv: string[]): Promise<number> {
  const { values } = parseFlags("validate", argv, VALIDATE_FLAGS);
  const int = (name: string, fallback: number, min: number) => {
    const v = numberFlag("validate", values, name, fallback)!;
    if (!Number.isSafeInteger(v) || v < min)
      throw new MolabError(
        `molab validate: --${name} expects ${min > 0 ? "a positive" : "a non-negative"} integer, got ${v}`,
      );
    return v;
  };
  const opts = {
    organismDir: required("validate", values, "organism"),
    referenceFile: required("validate", values, "reference"),
    outDir: required("validate", values, "out"),
    maxFeatures: int("features", 64, 1),
    nPermutations: int("permutations", 2000, 1),
    seed: int("seed", 0, 0),
    alpha: numberFlag("validate", values, "alpha", 0.05)!,
    ...(values.sae !== undefined ? { sae: saeSource(values) } : {}),
  };
  if (!(opts.alpha > 0 && opts.alpha < 1))
    throw new MolabError(`molab validate: --alpha expects a significance level in (0, 1), got ${opts.alpha}`);
  const r = await cleanOutDirOnFailure(opts.outDir, () => runValidate(opts));
  if (r.baseline) {
    const b = r.baseline.probe.cvAuroc;
    console.log(
      `probe CV AUROC: SAE ${r.report.probe.cvAuroc.oofAuroc.toFixed(3)}, bag of words ${b.oofAuroc.toFixed(3)}`,
    );
  }
  for (const v of r.report.verdict) {
    console.log(
      `${v.criterion.padEnd(32)} ${v.verdict.padEnd(12)} ${v.value.toFixed(3)} [${v.ci[0].toFixed(3)}, ${v.ci[1].toFixed(3)}]  n: ${v.n}`,
    );
  }
  console.log(`wrote ${r.files.join(", ")}`);
  return 0;
}
