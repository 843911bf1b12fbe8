/**
 * `molab validate --organism DIR --reference FILE --out DIR [--features N] [--permutations N] [--seed N]`
 *
 * DIR holds samples.jsonl (or generations.jsonl / samples.json / generations.json) of {text}
 * records; FILE is gold_106 or the synthetic reference, read by lib/data's loadAfSet: JSON/JSONL
 * of {text, label} with label potential_faking | aligned (or 1 | 0), or molab chat JSONL. Writes report.json, report.md and figures.html into --out.
 */
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { runValidate } from "./run.ts";
import { MolabError } from "../errors.ts";
import { cleanOutDirOnFailure } from "../io/atomic.ts";

export const VALIDATE_FLAGS: FlagSpec = {
  organism: { type: "string" },
  reference: { type: "string" },
  out: { type: "string" },
  features: { type: "string" },
  permutations: { type: "string" },
  seed: { type: "string" },
  alpha: { type: "string" },
};

export const VALIDATE_USAGE = `usage: molab validate --organism DIR --reference FILE --out DIR [flags]
  --organism DIR      samples.jsonl (or generations.jsonl / samples.json / generations.json) of {text} records
  --reference FILE    gold_106 or the synthetic reference: JSON/JSONL of {text, label} (potential_faking|aligned or 1|0), or molab chat JSONL
  --out DIR           where report.json, report.md and figures.html go
  --features N        features compared, at most (default 64)
  --permutations N    label shuffles per permutation test (default 2000)
  --seed N            seed of the shuffles and bootstraps (default 0)
  --alpha A           significance level of the Benjamini-Hochberg q-values (default 0.05)

example: molab validate --organism runs/x/elicit --reference data/reference/synthetic_af_106/reference.jsonl --out runs/x/validate`;

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
  };
  if (!(opts.alpha > 0 && opts.alpha < 1))
    throw new MolabError(`molab validate: --alpha expects a significance level in (0, 1), got ${opts.alpha}`);
  const r = await cleanOutDirOnFailure(opts.outDir, () => runValidate(opts));
  for (const v of r.report.verdict) {
    console.log(
      `${v.criterion.padEnd(32)} ${v.verdict.padEnd(12)} ${v.value.toFixed(3)} [${v.ci[0].toFixed(3)}, ${v.ci[1].toFixed(3)}]  n: ${v.n}`,
    );
  }
  console.log(`wrote ${r.files.join(", ")}`);
  return 0;
}
