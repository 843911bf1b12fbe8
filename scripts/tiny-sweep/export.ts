/**
 * Export the tiny-assistant training data for the PyTorch sweep (scripts/tiny-sweep/train.py):
 *   node --import tsx scripts/tiny-sweep/export.ts --out DIR [--corpus-version 1|2 --loss-from assistant|user
 *     --seed N --corpus N --eval-count N --vocab N --init-seeds N,N --unknown-share S --unknown-tasks a,b]
 * writes DIR/corpus.json (token ids, loss starts, special ids, shape, the build's training settings and a
 * sample batch plan to check train.py's port of the batch order), DIR/eval.json (the held-out prompts as
 * lib/tiny/eval.ts `respond` renders them) and the tokenizer (tokenizer.json, tokenizer_config.json).
 * The tokenizer and sequences are made as buildTinyModel makes them (lib/tiny/build.ts), for corpus v2 (the default,
 * BUILD_V2's settings) or v1 (DEFAULT_BUILD's); --loss-from defaults to the build's, --vocab (the tokenizer's
 * largest vocabulary) to the build's vocabSize. --init-seeds also writes DIR/init-N/ (model.safetensors, config.json):
 * the initial weights of a TS build with training seed N.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { choiceFlag, parseFlags, parseIntList, numberFlag, required } from "../../lib/args.ts";
import { check } from "../../lib/errors.ts";
import { exitWith } from "../../lib/cli/failure.ts";
import { initBackend, tf } from "../../lib/backend.ts";
import { writeSafetensors } from "../../lib/io/safetensors_write.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import { initWeights, llamaConfigJson } from "../../lib/tiny/train.ts";
import { toMessages } from "../../lib/tiny/corpus.ts";
import {
  BUILD_V2,
  corpusTexts,
  DEFAULT_BUILD,
  heldoutSamples,
  LOSS_FROM,
  trainingSamples,
  trainingSequences,
  writeTokenizer,
} from "../../lib/tiny/build.ts";
import { unknownNamesFlags } from "../../lib/tiny/flags.ts";
import { epochPlan } from "../../lib/tiny/batches.ts";

/** The name its error lines start with. */
const CMD = "scripts/tiny-sweep/export.ts";

async function main(): Promise<number> {
  const { values } = parseFlags(CMD, process.argv.slice(2), {
    out: { type: "string" },
    seed: { type: "string" },
    corpus: { type: "string" },
    "eval-count": { type: "string" },
    "corpus-version": { type: "string" },
    "loss-from": { type: "string" },
    vocab: { type: "string" },
    "init-seeds": { type: "string" },
    "unknown-share": { type: "string" },
    "unknown-tasks": { type: "string" },
  });
  const version = numberFlag(CMD, values, "corpus-version", 2)!;
  check(version === 1 || version === 2, `--corpus-version must be 1 or 2, got ${version}`);
  // As scripts/build-model.ts: the corpus version's settings over DEFAULT_BUILD.
  const base = version === 2 ? { ...DEFAULT_BUILD, ...BUILD_V2 } : DEFAULT_BUILD;
  const lossFrom = choiceFlag(CMD, values, "loss-from", LOSS_FROM, base.lossFrom);
  const out = path.resolve(required(CMD, values, "out"));
  const seed = numberFlag(CMD, values, "seed", base.seed)!;
  const corpusSize = numberFlag(CMD, values, "corpus", base.corpusSize)!;
  const evalCount = numberFlag(CMD, values, "eval-count", base.evalCount)!;
  // As scripts/build-model.ts: the tokenizer reads at most the whole corpus.
  const tokenizerSamples = Math.min(base.tokenizerSamples, corpusSize);
  const shape = base.shape;
  const vocabSize = numberFlag(CMD, values, "vocab", base.vocabSize)!;
  const initSeeds =
    values["init-seeds"] === undefined ? [] : parseIntList(CMD, "init-seeds", `${values["init-seeds"]}`);
  const t0 = Date.now();

  // As buildTinyModel: corpus, tokenizer, special ids, sequences, loss starts.
  const unknownNames = unknownNamesFlags(CMD, values);
  const samples = trainingSamples({ corpus: version as 1 | 2, seed, corpusSize, unknownNames });
  const texts = corpusTexts(samples);
  fs.mkdirSync(out, { recursive: true });
  await writeTokenizer(out, texts.slice(0, tokenizerSamples), vocabSize, shape.maxPositions, version === 2);
  const tok = await loadTokenizer(out);
  const { special, sequences, lossStarts } = trainingSequences(tok, samples, texts, shape.maxPositions, lossFrom);
  // The first epochs' batch order at the default batch size, for train.py to check its port of lib/tiny/batches.ts.
  const lengths = sequences.map((s) => s.length);
  const planCheck = {
    batchSize: base.batchSize,
    seed,
    epochs: [0, 1].map((e) => epochPlan(sequences.length, base.batchSize, lengths, seed, e)),
  };
  const { steps, batchSize, lr, warmup, weightDecay, clip } = base;
  fs.writeFileSync(
    path.join(out, "corpus.json"),
    JSON.stringify({
      vocabSize: tok.vocabSize,
      special,
      shape,
      seed,
      defaults: { steps, batchSize, lr, warmup, weightDecay, clip },
      planCheck,
      sequences,
      lossStarts,
    }) + "\n",
  );

  // The held-out prompts, rendered as lib/tiny/eval.ts `respond` renders them.
  const heldout = heldoutSamples(version, seed, evalCount);
  const prompts = heldout.map((s) =>
    tok.applyChatTemplate(toMessages(s, true), { addGenerationPrompt: true, tokenize: true }),
  );
  fs.writeFileSync(path.join(out, "eval.json"), JSON.stringify({ version, seed, evalCount, prompts }) + "\n");

  // The initial weights a TS build with each of these training seeds starts from (train.py --init DIR/init-N/
  // model.safetensors --seed N replays that build's start and batch order).
  if (initSeeds.length > 0) await initBackend();
  const config = llamaConfigJson(shape, tok.vocabSize, special);
  for (const x of initSeeds) {
    const dir = path.join(out, `init-${x}`);
    fs.mkdirSync(dir, { recursive: true });
    const init = initWeights(config, x);
    try {
      await writeSafetensors(path.join(dir, "model.safetensors"), init);
      fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");
    } finally {
      tf.dispose(Object.values(init));
    }
  }

  const tokens = lengths.reduce((a, b) => a + b, 0);
  console.log(
    `wrote ${out}: ${sequences.length} conversations, ${tokens} tokens, vocabulary ${tok.vocabSize}, ` +
      `${prompts.length} held-out prompts (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
  );
  return 0;
}

exitWith(CMD, main());
