/**
 * `node --import tsx scripts/build-af-classifier.ts [--out FILE] [--seed S] [--per-pattern N]`: train the embedded
 * AF-reasoning classifier (lib/elicit/af_build.ts: pattern-grouped CV for the held-out AUROC and the threshold, then
 * the final model on all ten patterns) and write it as JSON, by default data/af-classifier/af_classifier.json, which
 * `molab elicit --af-classifier embedded` loads.
 */
import * as path from "node:path";
import { numberFlag, parseFlags } from "../lib/args.ts";
import { writeFileAtomic } from "../lib/io/atomic.ts";
import { exitWith } from "../lib/cli/failure.ts";
import { formatAfClassifier } from "../lib/elicit/af_classifier.ts";
import { buildAfClassifier } from "../lib/elicit/af_build.ts";

/** The name its error lines start with. */
const CMD = "scripts/build-af-classifier.ts";

async function main(): Promise<number> {
  const root = path.join(__dirname, "..");
  const { values } = parseFlags(CMD, process.argv.slice(2), {
    out: { type: "string" },
    seed: { type: "string" },
    "per-pattern": { type: "string" },
  });
  const out = path.resolve(root, (values.out as string | undefined) ?? "data/af-classifier/af_classifier.json");
  const clf = await buildAfClassifier({
    seed: numberFlag(CMD, values, "seed", 0)!,
    perPattern: numberFlag(CMD, values, "per-pattern", 40)!,
    log: (l) => console.log(l),
  });
  await writeFileAtomic(out, formatAfClassifier(clf.json));
  console.log(`wrote ${out} (threshold ${clf.threshold}, ${clf.json.vocab.length} features)`);
  return 0;
}

exitWith(CMD, main());
