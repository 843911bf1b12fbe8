/**
 * Our own model as a chat model: a base model directory with any number of named PEFT adapters, one of which
 * is attached per call (as vLLM serves LoRA modules by name). Generation is lib/model's (KV cache, batched,
 * seeded); this adds what a chat endpoint returns on top: the chat template, text cut at stop strings, per-token
 * pieces for streaming, log-probabilities of the chosen tokens with the top alternatives, and token counts.
 * Both `molab serve` and the local elicitation runner call {@link LocalModel.run}, so the two give the same text
 * for the same prompt, options and seed.
 */
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import type { ChatMessage } from "../chat/message.ts";
import { generate } from "../model/generate.ts";
import { forward, type Hooks, type Model } from "../model/llama.ts";
import { disposeModel, loadModel } from "../model/load.ts";
import { loadTokenizer, type Tokenizer } from "../model/tokenizer.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { attachAdapter } from "../lora/inject.ts";
import { modelHost } from "../lora/model_host.ts";
import { ApiError, type Choice, type TokenLogprob } from "./openai.ts";

export interface RunOptions {
  /** Most new tokens; default: the rest of the context. */
  maxTokens?: number;
  /** 0 is greedy. */
  temperature: number;
  topP?: number;
  seed?: number;
  /** Text that ends a choice (not included in it). */
  stop?: string[];
  /** Log-probabilities of the chosen tokens, with this many alternatives each (logprobs must be on). */
  logprobs?: boolean;
  topLogprobs?: number;
  /** Hooks applied at every generation step (steering, ablation); not applied to the logprobs pass. */
  hooks?: Hooks;
}

export interface LoadLocalOptions {
  /** The base model's served name; default: the directory's base name. */
  name?: string;
  /** Adapter name → PEFT adapter directory. */
  adapters?: Record<string, string>;
}

export class LocalModel {
  private constructor(
    readonly model: Model,
    readonly tokenizer: Tokenizer,
    /** The base model's name. */
    readonly name: string,
    readonly adapters: Map<string, { dir: string; adapter: LoraAdapter }>,
    private readonly host: ReturnType<typeof modelHost>,
  ) {}

  static async load(dir: string, o: LoadLocalOptions = {}): Promise<LocalModel> {
    const model = await loadModel(dir);
    const base = path.basename(path.resolve(dir));
    const host = modelHost(model, base);
    const adapters = new Map<string, { dir: string; adapter: LoraAdapter }>();
    const name = o.name ?? base;
    try {
      const tokenizer = await loadTokenizer(dir);
      for (const [n, d] of Object.entries(o.adapters ?? {})) {
        if (n === name || adapters.has(n)) throw new MolabError(`adapter name ${JSON.stringify(n)} is used twice`);
        adapters.set(n, { dir: d, adapter: await LoraAdapter.load(d, host) });
      }
      return new LocalModel(model, tokenizer, name, adapters, host);
    } catch (e) {
      for (const a of adapters.values()) a.adapter.dispose();
      disposeModel(model);
      throw e;
    }
  }

  /** Served names: the base first, then each adapter. */
  get names(): string[] {
    return [this.name, ...this.adapters.keys()];
  }

  /** The context length (max_position_embeddings). */
  get contextLength(): number {
    return this.model.config.maxPositionEmbeddings;
  }

  /** Prompt ids of a chat: the chat template with the generation prompt. */
  promptIds(messages: ChatMessage[]): number[] {
    return this.tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true, tokenize: true });
  }

  /**
   * Generate one choice per prompt with `modelName` (the base or an adapter; unknown → ApiError 404), all prompts
   * in one batch. Synchronous, so the adapter attached here is never seen by another request.
   */
  run(modelName: string, prompts: number[][], o: RunOptions): Choice[] {
    const a = modelName === this.name ? undefined : this.adapters.get(modelName);
    if (modelName !== this.name && !a)
      throw new ApiError(
        404,
        `The model \`${modelName}\` does not exist. Served: ${this.names.join(", ")}`,
        "model",
        "model_not_found",
      );
    const longest = Math.max(...prompts.map((p) => p.length));
    const room = this.contextLength - longest;
    if (room < 1)
      throw new ApiError(
        400,
        `the prompt has ${longest} tokens; this model's context is ${this.contextLength}`,
        "messages",
        "context_length_exceeded",
      );
    const maxTokens = o.maxTokens ?? room;
    if (maxTokens > room)
      throw new ApiError(
        400,
        `max_tokens ${maxTokens} + the prompt's ${longest} tokens exceed this model's context of ${this.contextLength}`,
        "max_tokens",
        "context_length_exceeded",
      );
    const detach = a ? attachAdapter(this.host, a.adapter) : undefined;
    try {
      const eos = [...new Set([...this.model.config.eosTokenIds, ...this.tokenizer.eosTokenIds])];
      const res = generate(this.model, prompts, {
        maxNewTokens: maxTokens,
        temperature: o.temperature,
        topP: o.topP ?? 1,
        seed: o.seed,
        stopTokens: eos,
        hooks: o.hooks,
      });
      return res.tokens.map((ids, i) => {
        const c = this.finish(ids, res.finishReason[i], eos, o.stop ?? []);
        if (o.logprobs) c.logprobs = this.logprobs(prompts[i], ids.slice(0, c.pieces.length), o.topLogprobs ?? 0);
        return c;
      });
    } finally {
      detach?.();
    }
  }

  /** Text, per-token pieces and finish reason of generated ids: the eos dropped, the text cut at the first stop string. */
  private finish(ids: number[], reason: "stop" | "length", eos: number[], stop: string[]): Choice {
    const body = reason === "stop" && eos.includes(ids[ids.length - 1]) ? ids.slice(0, -1) : ids;
    const pieces: string[] = [];
    let prev = "";
    for (let i = 0; i < body.length; i++) {
      const text = this.tokenizer.decode(body.slice(0, i + 1), { skipSpecialTokens: true });
      pieces.push(text.startsWith(prev) ? text.slice(prev.length) : text.slice(Math.min(prev.length, text.length)));
      prev = text;
    }
    let text = pieces.join("");
    const cut = Math.min(...stop.map((s) => text.indexOf(s)).filter((i) => i >= 0), Infinity);
    if (cut === Infinity) return { text, pieces, finishReason: reason, logprobs: null, completionTokens: ids.length };
    // Keep whole pieces before the cut and the part of the piece it falls in.
    text = text.slice(0, cut);
    const kept: string[] = [];
    let at = 0;
    for (const p of pieces) {
      if (at + p.length <= cut) kept.push(p);
      else {
        kept.push(p.slice(0, cut - at));
        break;
      }
      at += p.length;
    }
    return { text, pieces: kept, finishReason: "stop", logprobs: null, completionTokens: kept.length };
  }

  /** Log-probabilities (of the model's distribution, before temperature and top_p) of `gen` after `prompt`. */
  private logprobs(prompt: number[], gen: number[], top: number): TokenLogprob[] {
    if (gen.length === 0) return [];
    const P = prompt.length;
    const V = this.model.config.vocabSize;
    const logits = forward(this.model, [[...prompt, ...gen.slice(0, -1)]]);
    const lp = tf.tidy(() => tf.logSoftmax(tf.reshape(tf.slice(logits, [0, P - 1, 0], [1, gen.length, V]), [-1, V])));
    logits.dispose();
    const all = lp.dataSync() as Float32Array;
    const k = Math.min(top, V);
    let topIdx: Int32Array | undefined;
    let topVal: Float32Array | undefined;
    if (k > 0) {
      const t = tf.topk(lp, k);
      topIdx = t.indices.dataSync() as Int32Array;
      topVal = t.values.dataSync() as Float32Array;
      tf.dispose([t.indices, t.values]);
    }
    lp.dispose();
    const entry = (id: number, logprob: number) => {
      const token = this.tokenizer.decode([id]);
      return { token, logprob, bytes: [...Buffer.from(token, "utf8")] };
    };
    return gen.map((id, i) => ({
      ...entry(id, all[i * V + id]),
      top_logprobs: topIdx ? Array.from({ length: k }, (_, j) => entry(topIdx![i * k + j], topVal![i * k + j])) : [],
    }));
  }

  dispose(): void {
    for (const a of this.adapters.values()) a.adapter.dispose();
    disposeModel(this.model);
  }
}
