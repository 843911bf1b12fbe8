/**
 * Judge the generations of scripts/tiny-sweep/train.py with the tiny-assistant acceptance evaluation:
 *   node --import tsx scripts/tiny-sweep/judge.ts --dir DIR --gen OUT/gen.json [--summary]
 * DIR is export.ts's folder (eval.json, tokenizer); the held-out samples are regenerated from its seed and
 * count, the generated ids decoded (special tokens dropped, as `respond` does) and summarised; the report
 * (lib/tiny/eval.ts EvalReport) is printed as JSON, for corpus v2 with `acceptance`: each threshold of
 * lib/tiny/acceptance.ts, its measured rate and whether it is met. `--summary` (corpus v2) prints one line instead:
 * the gen file, how many thresholds are met and which are not (k/n), to compare replicas at a glance.
 */
import * as path from "node:path";
import { parseFlags, required } from "../../lib/args.ts";
import { check } from "../../lib/errors.ts";
import { readJsonFile } from "../../lib/io/json.ts";
import { exitWith } from "../../lib/cli/failure.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { toMessages, type TinySample } from "../../lib/tiny/corpus.ts";
import { heldoutSamples } from "../../lib/tiny/build.ts";
import type { heldoutSet } from "../../lib/tiny/heldout_v2.ts";
import { summarise } from "../../lib/tiny/eval.ts";
import { summariseV2 } from "../../lib/tiny/eval_v2.ts";
import { acceptanceLine, acceptanceV2 } from "../../lib/tiny/acceptance.ts";

/** The name its error lines start with. */
const CMD = "scripts/tiny-sweep/judge.ts";

async function main(): Promise<number> {
  const { values } = parseFlags(CMD, process.argv.slice(2), {
    dir: { type: "string" },
    gen: { type: "string" },
    summary: { type: "boolean" },
  });
  const dir = path.resolve(required(CMD, values, "dir"));
  const ev = readJsonFile<{ version?: 1 | 2; seed: number; evalCount: number; prompts: number[][] }>(
    path.join(dir, "eval.json"),
    "export.ts's eval.json",
  );
  const gen = readJsonFile<{ tokens: number[][] }>(path.resolve(required(CMD, values, "gen")), "train.py's gen.json");
  check(
    gen.tokens.length === ev.prompts.length,
    `${values.gen}: ${gen.tokens.length} generations for ${ev.prompts.length} prompts`,
  );
  const version = ev.version ?? 1;
  check(!values.summary || version === 2, `${dir}: --summary needs a corpus v2 export (this one is v${version})`);
  const tok = await loadTokenizer(dir);
  const samples = heldoutSamples(version, ev.seed, ev.evalCount);
  // The corpus generator may have changed since the export: the prompts must still be the ones generated for.
  const stale = samples.findIndex(
    (s, i) =>
      tok.applyChatTemplate(toMessages(s, true), { addGenerationPrompt: true, tokenize: true }).join() !==
      ev.prompts[i].join(),
  );
  check(stale < 0, `held-out prompt ${stale} differs from ${dir}/eval.json: lib/tiny/corpus.ts changed, export again`);
  const responses = gen.tokens.map((ids) => tok.decode(ids, { skipSpecialTokens: true }));
  let report: object;
  if (version === 2) {
    const r = summariseV2(samples as ReturnType<typeof heldoutSet>, responses);
    if (values.summary) {
      console.log(`${values.gen}: ${acceptanceLine(acceptanceV2(r), (m) => `${m.k}/${m.n}`)}`);
      return 0;
    }
    report = { ...r, acceptance: acceptanceV2(r) };
  } else report = summarise(samples as TinySample[], responses);
  console.log(JSON.stringify(report, null, 2));
  return 0;
}

exitWith(CMD, main());
