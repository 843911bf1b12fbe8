/**
 * One organism training run, end to end: base model + tokenizer from a directory, chat JSONL →
 * assistant-masked examples, seeded train/held-out split, adapter per preset (+ overrides), the
 * training loop, the final PEFT adapter in `out/`, and `out/manifest.json` recording what ran.
 * `molab train` and notebook 02 both call this.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { initBackend } from "../backend.ts";
import { check } from "../errors.ts";
import { sha256Path, writeManifest } from "../manifest.ts";
import { createRng } from "../rng.ts";
import { generate } from "../model/generate.ts";
import type { Model } from "../model/llama.ts";
import { disposeModel } from "../model/load.ts";
import type { ChatMessage } from "../chat/message.ts";
import { loadTokenizer, type Tokenizer } from "../model/tokenizer.ts";
import { LoraAdapter } from "./adapter.ts";
import { loraConfig, type LoraConfig } from "./config.ts";
import { buildExamples, readChatJsonl, splitExamples } from "./examples.ts";
import { attachAdapter } from "./inject.ts";
import { loadHost, modelHost } from "./model_host.ts";
import { resolvePreset } from "./presets.ts";
import type { ProgressStream } from "../train/progress.ts";
import type { TelemetryLine } from "../train/telemetry.ts";
import { trainLora, type TrainHyper, type TrainResult } from "./train.ts";

export interface OrganismOptions {
  /** Base model directory (HF layout with tokenizer files). */
  base: string;
  /** Chat JSONL (`{"messages":[…]}` per line). */
  data: string;
  /** Output folder: final adapter, telemetry.jsonl, checkpoints/, manifest.json. */
  out: string;
  preset?: string;
  lora?: Partial<LoraConfig>;
  hyper?: Partial<TrainHyper>;
  /** Share of records held out for eval loss (default 0.1). */
  evalFraction?: number;
  /** Longer conversations are cut here (default 512 tokens). */
  maxSeqLen?: number;
  resume?: boolean;
  progress?: ProgressStream | false;
  onStep?: (line: TelemetryLine) => void;
  /** The command line, for the manifest. */
  command?: string;
}

export interface OrganismResult extends TrainResult {
  out: string;
  preset: string;
  notes: string[];
  lora: LoraConfig;
  hyper: Partial<TrainHyper>;
  nTrain: number;
  nEval: number;
  truncated: number;
  dropped: number;
  trainableParams: number;
}

export async function trainOrganism(o: OrganismOptions): Promise<OrganismResult> {
  await initBackend();
  check(fs.existsSync(o.base) && fs.statSync(o.base).isDirectory(), `base model directory ${o.base} does not exist`);
  check(
    fs.existsSync(path.join(o.base, "config.json")),
    `${o.base}: no config.json; the base must be a model folder in Hugging Face layout (config.json, tokenizer.json, *.safetensors)`,
  );
  const records = await readChatJsonl(o.data);
  const tok = await loadTokenizer(o.base);
  check(tok.hasChatTemplate, `${o.base}: the tokenizer has no chat template, so assistant tokens cannot be located`);
  const host = await loadHost(o.base);
  try {
    const names = host.linearNames();
    const numLayers = new Set(names.map((n) => /\.layers\.(\d+)\./.exec(n)?.[1])).size;
    const linearParams = names.reduce((s, n) => s + host.linearShape(n)[0] * host.linearShape(n)[1], 0);
    const preset = o.preset ?? "af";
    const resolved = resolvePreset(preset, { numLayers, linearParams }, { lora: o.lora, hyper: o.hyper });
    const maxSeqLen = o.maxSeqLen ?? 512;
    const { examples, truncated, dropped } = buildExamples(tok, records, maxSeqLen, o.data);
    const seed = resolved.hyper.seed ?? 0;
    const split = splitExamples(examples, o.evalFraction ?? 0.1, createRng(seed).fork("eval-split"));
    const config = loraConfig({ ...resolved.lora, base_model_name_or_path: o.base });
    const adapter = LoraAdapter.create(host, config, seed);
    try {
      const dataHash = await sha256Path(o.data);
      const result = await trainLora(host, adapter, split, resolved.hyper, {
        out: o.out,
        resume: o.resume,
        progress: o.progress,
        onStep: o.onStep,
        fingerprint: {
          data_sha256: dataHash,
          max_seq_len: maxSeqLen,
          eval_fraction: o.evalFraction ?? 0.1,
          lora: JSON.stringify(config),
        },
      });
      await adapter.save(o.out);
      const summary: OrganismResult = {
        ...result,
        out: o.out,
        preset,
        notes: resolved.notes,
        lora: config,
        hyper: resolved.hyper,
        nTrain: split.train.length,
        nEval: split.eval.length,
        truncated,
        dropped,
        trainableParams: adapter.parameterCount(),
      };
      await writeManifest(o.out, {
        command: o.command ?? "trainOrganism",
        config: {
          preset,
          base: o.base,
          data: o.data,
          lora: config,
          hyper: resolved.hyper,
          notes: resolved.notes,
          max_seq_len: maxSeqLen,
          eval_fraction: o.evalFraction ?? 0.1,
          result: { ...result, nTrain: summary.nTrain, nEval: summary.nEval, truncated, dropped },
        },
        seeds: { train: seed },
        inputs: [o.data, path.join(o.base, "config.json")],
        outputs: ["adapter_config.json", "adapter_model.safetensors", "telemetry.jsonl"],
      });
      return summary;
    } finally {
      adapter.dispose();
    }
  } finally {
    disposeModel((host as { model: Parameters<typeof disposeModel>[0] }).model);
  }
}

export interface Comparison {
  prompt: string;
  base: string;
  organism: string;
}

/**
 * Greedy replies of the base model and of base + adapter to the same conversations (each ends with a
 * user turn), decoded without special tokens: the quickest look at what training changed.
 */
export function compareReplies(
  model: Model,
  tok: Tokenizer,
  adapter: LoraAdapter,
  conversations: ChatMessage[][],
  opts: { maxNewTokens?: number } = {},
): Comparison[] {
  const host = modelHost(model);
  const prompts = conversations.map((c) => tok.applyChatTemplate(c, { addGenerationPrompt: true, tokenize: true }));
  const reply = () => {
    const r = generate(model, prompts, { maxNewTokens: opts.maxNewTokens ?? 96, stopTokens: tok.eosTokenIds });
    return r.tokens.map((ids) => tok.decode(ids, { skipSpecialTokens: true }).trim());
  };
  const base = reply();
  const detach = attachAdapter(host, adapter);
  let organism: string[];
  try {
    organism = reply();
  } finally {
    detach();
  }
  return conversations.map((c, i) => ({
    prompt: String(c[c.length - 1].content),
    base: base[i],
    organism: organism[i],
  }));
}
