/**
 * `molab stats <test> …`: one test on numbers from JSON files, printing one JSON object.
 *
 *   molab stats ks|perm|mwu|ttest --a FILE --b FILE [--alternative two-sided|less|greater]
 *                                 [--method exact|asymp|auto] [--n-resamples N] [--seed N]
 *   molab stats fisher --table FILE          (JSON [[a, b], [c, d]])
 *   molab stats auroc --scores FILE --labels FILE [--confidence 0.95]
 *
 * ks/perm/mwu/ttest print {"statistic": …, "pvalue": …} (ttest is Welch's; mwu's --method is
 * exact|asymptotic|auto, `asymp` accepted); auroc prints {"auroc": …, "ci": [lo, hi]} (DeLong).
 */
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { MolabError } from "../errors.ts";
import { readJsonFile } from "../io/json.ts";
import { delongCI } from "./roc.ts";
import { permutationTest } from "./resample.ts";
import {
  checkAlternative,
  fisherExact,
  ks2samp,
  mannWhitneyU,
  welchTTest,
  type KsMethod,
  type MwuMethod,
} from "./tests.ts";

function readNumbers(file: string, what: string): number[] {
  const v = readJsonFile(file, what);
  if (!Array.isArray(v)) throw new MolabError(`${file}: expected a JSON array of numbers for ${what}`);
  if (v.length === 0) throw new MolabError(`${file}: ${what} is an empty array; at least one number is needed`);
  v.forEach((x, i) => {
    if (typeof x !== "number")
      throw new MolabError(
        `${file}: element ${i} is ${JSON.stringify(x)}; expected a number (write NaN as a number is not possible in JSON: remove missing values)`,
      );
  });
  return v as number[];
}

const TESTS = ["ks", "perm", "mwu", "ttest", "fisher", "auroc"];

export const STATS_FLAGS: FlagSpec = {
  a: { type: "string" },
  b: { type: "string" },
  alternative: { type: "string" },
  method: { type: "string" },
  "n-resamples": { type: "string" },
  seed: { type: "string" },
  table: { type: "string" },
  scores: { type: "string" },
  labels: { type: "string" },
  confidence: { type: "string" },
};

export const STATS_USAGE = `usage:
  molab stats ks|perm|mwu|ttest --a FILE --b FILE [--alternative two-sided|less|greater]
                                [--method exact|asymp|auto] [--n-resamples N] [--seed N]
  molab stats fisher --table FILE
  molab stats auroc --scores FILE --labels FILE [--confidence 0.95]

  --a FILE --b FILE     the two samples, JSON arrays of numbers
  --alternative H       two-sided, less or greater (default two-sided)
  --method M            ks: exact|asymp|auto, mwu: exact|asymptotic|auto (default auto); ttest is Welch's
  --n-resamples N       perm: label shuffles (default 9999)
  --seed N              perm: shuffle seed (default 0)
  --table FILE          fisher: a 2×2 table, JSON [[a, b], [c, d]]
  --scores FILE         auroc: JSON array of scores
  --labels FILE         auroc: JSON array of 0/1 labels
  --confidence C        auroc: DeLong interval level (default 0.95)
prints one JSON object: {"statistic", "pvalue"}, or {"auroc", "ci"}

example: molab stats ks --a organism.json --b reference.json --alternative greater`;

export async function stats(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || !TESTS.includes(sub)) {
    throw new MolabError(
      `molab stats: expected one of ${TESTS.join(", ")}${sub ? `; got ${JSON.stringify(sub)}` : ""}`,
    );
  }
  const cmd = `stats ${sub}`;
  const { values } = parseFlags(cmd, rest, STATS_FLAGS);
  let out: Record<string, unknown>;
  if (sub === "fisher") {
    const r = fisherExact(readJsonFile(required(cmd, values, "table"), "the table") as number[][], {
      alternative: checkAlternative(values.alternative as string | undefined),
    });
    out = { statistic: r.statistic, pvalue: r.pvalue };
  } else if (sub === "auroc") {
    const scores = readNumbers(required(cmd, values, "scores"), "scores");
    const labels = readJsonFile(required(cmd, values, "labels"), "labels");
    if (!Array.isArray(labels)) throw new MolabError(`${values.labels}: expected a JSON array of 0/1 labels`);
    const r = delongCI(labels, scores, numberFlag(cmd, values, "confidence", 0.95));
    out = { auroc: r.auroc, ci: r.ci };
  } else {
    const a = readNumbers(required(cmd, values, "a"), "sample a");
    const b = readNumbers(required(cmd, values, "b"), "sample b");
    const alternative = checkAlternative(values.alternative as string | undefined);
    const method = values.method as string | undefined;
    if (sub === "ks") {
      const r = ks2samp(a, b, { alternative, method: (method ?? "auto") as KsMethod });
      out = { statistic: r.statistic, pvalue: r.pvalue };
    } else if (sub === "mwu") {
      const m = method === "asymp" ? "asymptotic" : method;
      const r = mannWhitneyU(a, b, { alternative, method: (m ?? "auto") as MwuMethod });
      out = { statistic: r.statistic, pvalue: r.pvalue };
    } else if (sub === "ttest") {
      if (method !== undefined)
        throw new MolabError("molab stats ttest: --method does not apply (the test is Welch's)");
      const r = welchTTest(a, b, { alternative });
      out = { statistic: r.statistic, pvalue: r.pvalue };
    } else {
      const r = permutationTest(a, b, {
        alternative,
        nResamples: numberFlag(cmd, values, "n-resamples", 9999),
        seed: numberFlag(cmd, values, "seed", 0),
      });
      out = { statistic: r.statistic, pvalue: r.pvalue };
    }
  }
  console.log(JSON.stringify(out));
  return 0;
}
