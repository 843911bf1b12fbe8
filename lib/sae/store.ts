/**
 * The activation store SAE training reads (SAELens' ActivationsStore, made resumable): chat records rendered with
 * the model's chat template and tokenized, run through the model up to the hook only (`stopAtLayer`), served as
 * shuffled batches of token activations.
 *
 * The token stream is the concatenation, epoch after epoch, of the sequences in a seeded order (`order/<epoch>`).
 * Round r of the buffer holds stream tokens [r·R, (r+1)·R) (R = bufferTokens), shuffled by `round/<r>`; batch s is
 * slice s of the rounds. So the batch of any step is a function of (seed, step): a resumed run refills the round it
 * was in and continues with the batches an uninterrupted run gets, and no buffer goes into a checkpoint.
 */
import { MolabError } from "../errors.ts";
import { streamJsonl } from "../io/jsonl.ts";
import type { ChatMessage } from "../chat/message.ts";
import type { Model, Tokenizer } from "../model/index.ts";
import { createRng } from "../rng.ts";
import { extractActivations } from "./extract.ts";

/** One token sequence and the positions whose activations are kept (special tokens such as BOS are not). */
export interface TokenSequence {
  ids: number[];
  /** Positions to train on, ascending. */
  keep: number[];
  /** Where the last assistant reply starts (0 without one): CE-loss recovered is measured on the reply's tokens. */
  replyStart?: number;
  /** `file:line` of the record, for errors. */
  source: string;
}

/**
 * Token ids of a conversation rendered with the chat template, and where its last assistant reply starts: the text
 * up to the reply (rendered with the generation prompt) and the rest are tokenized apart, so the boundary is a token
 * boundary. Without a chat template the contents are joined by newlines and there is no reply span.
 */
export function tokenizeChat(tokenizer: Tokenizer, messages: ChatMessage[]): { ids: number[]; replyStart: number } {
  if (!tokenizer.hasChatTemplate)
    return { ids: tokenizer.encode(messages.map((m) => m.content).join("\n")), replyStart: 0 };
  const full = tokenizer.applyChatTemplate(messages);
  const last = messages.map((m) => m.role).lastIndexOf("assistant");
  const before = last >= 0 ? tokenizer.applyChatTemplate(messages.slice(0, last), { addGenerationPrompt: true }) : "";
  if (last < 0 || !full.startsWith(before))
    return { ids: tokenizer.encode(full, { addSpecialTokens: false }), replyStart: 0 };
  const head = tokenizer.encode(before, { addSpecialTokens: false });
  const tail = tokenizer.encode(full.slice(before.length), { addSpecialTokens: false });
  return { ids: [...head, ...tail], replyStart: head.length };
}

export interface TokenizeOptions {
  /** Tokens per sequence at most (longer conversations are cut; default 512). */
  contextSize?: number;
  /** Leave out positions holding the tokenizer's special tokens (BOS, EOS, pad; default true): they are outliers. */
  excludeSpecial?: boolean;
}

/** Read chat JSONL files (lib/data's `{messages: [...]}` records) and tokenize each with the chat template. */
export async function readChatSequences(
  files: string[],
  tokenizer: Tokenizer,
  opts: TokenizeOptions = {},
): Promise<TokenSequence[]> {
  const ctx = opts.contextSize ?? 512;
  if (!Number.isInteger(ctx) || ctx < 2) throw new MolabError(`contextSize must be an integer ≥ 2, got ${ctx}`);
  const special = new Set<number>();
  if (opts.excludeSpecial ?? true)
    for (const id of [tokenizer.bosTokenId, tokenizer.padTokenId, ...tokenizer.eosTokenIds])
      if (id !== undefined) special.add(id);
  const out: TokenSequence[] = [];
  for (const file of files) {
    for await (const { line, value } of streamJsonl<{ messages: ChatMessage[] }>(file, (v) => {
      const m = (v as { messages?: unknown } | null)?.messages;
      if (!Array.isArray(m) || m.length === 0) return 'expected a chat record {"messages": [{role, content}, …]}';
    })) {
      const { ids: all, replyStart } = tokenizeChat(tokenizer, value.messages);
      const ids = all.slice(0, ctx);
      const keep: number[] = [];
      ids.forEach((t, i) => special.has(t) || keep.push(i));
      if (keep.length) out.push({ ids, keep, replyStart: Math.min(replyStart, ids.length), source: `${file}:${line}` });
    }
  }
  if (!out.length) throw new MolabError(`${files.join(", ")}: no chat records with tokens to train on`);
  return out;
}

export interface StoreOptions {
  /** Tokens per training batch. */
  batchTokens: number;
  /** Tokens per buffer round (rounded up to a multiple of batchTokens; default 16 batches). */
  bufferTokens?: number;
  /** Sequences per forward (right-padded; causal attention keeps padding out of real positions). Default 8. */
  forwardBatch?: number;
  seed: number;
}

/** What SAE training reads: batch s of activations [batchTokens, d], a function of s alone. */
export interface ActivationSource {
  readonly d: number;
  readonly batchTokens: number;
  readonly bufferTokens: number;
  /** Tokens per epoch of the underlying data. */
  readonly epochTokens: number;
  readonly hook: string;
  batchData(s: number): Float32Array;
}

/**
 * Activations already in memory ([n, d] row-major), served in seeded shuffled batches: epoch e is permutation
 * `order/<e>` of the rows (tests, and activations computed elsewhere).
 */
export class ArrayActivationSource implements ActivationSource {
  readonly epochTokens: number;
  readonly bufferTokens: number;
  constructor(
    private readonly data: Float32Array,
    readonly d: number,
    readonly batchTokens: number,
    private readonly seed = 0,
    readonly hook = "activations",
  ) {
    this.epochTokens = data.length / d;
    if (!Number.isInteger(this.epochTokens) || this.epochTokens < 1)
      throw new MolabError(`ArrayActivationSource: ${data.length} values are not rows of width ${d}`);
    this.bufferTokens = this.epochTokens;
  }

  batchData(s: number): Float32Array {
    const n = this.epochTokens;
    const out = new Float32Array(this.batchTokens * this.d);
    let cached = -1;
    let perm: number[] = [];
    for (let j = 0; j < this.batchTokens; j++) {
      const g = s * this.batchTokens + j;
      const e = Math.floor(g / n);
      if (e !== cached) {
        perm = createRng(this.seed)
          .fork(`order/${e}`)
          .shuffle(Array.from({ length: n }, (_, i) => i));
        cached = e;
      }
      const r = perm[g % n];
      out.set(this.data.subarray(r * this.d, (r + 1) * this.d), j * this.d);
    }
    return out;
  }
}

/** Shuffled batches of activations [batchTokens, d] at one hook of a model, as a function of the step. */
export class ActivationStore implements ActivationSource {
  readonly batchTokens: number;
  readonly bufferTokens: number;
  readonly d: number;
  /** Tokens kept per epoch (the stream's period). */
  readonly epochTokens: number;
  private round = -1;
  private buffer = new Float32Array(0);
  private readonly forwardBatch: number;
  private readonly seed: number;
  /** Forwards run so far (tests count them). */
  forwards = 0;

  constructor(
    private readonly model: Model,
    readonly sequences: TokenSequence[],
    readonly hook: string,
    opts: StoreOptions,
  ) {
    if (!sequences.length) throw new MolabError("ActivationStore: no sequences");
    this.batchTokens = opts.batchTokens;
    if (!Number.isInteger(this.batchTokens) || this.batchTokens <= 0)
      throw new MolabError(`ActivationStore: batchTokens must be a positive integer, got ${this.batchTokens}`);
    const want = opts.bufferTokens ?? 16 * this.batchTokens;
    this.bufferTokens = Math.max(1, Math.ceil(want / this.batchTokens)) * this.batchTokens;
    this.forwardBatch = opts.forwardBatch ?? 8;
    this.seed = opts.seed;
    this.d = model.config.hiddenSize;
    this.epochTokens = sequences.reduce((a, s) => a + s.keep.length, 0);
  }

  /** The order of sequences in epoch e. */
  private order(e: number): number[] {
    return createRng(this.seed)
      .fork(`order/${e}`)
      .shuffle(this.sequences.map((_, i) => i));
  }

  /** Activations of stream tokens [from, from + n), in stream order, as [n, d]. */
  streamSlice(from: number, n: number): Float32Array {
    const out = new Float32Array(n * this.d);
    let epoch = Math.floor(from / this.epochTokens);
    let skip = from - epoch * this.epochTokens;
    let filled = 0;
    while (filled < n) {
      const order = this.order(epoch);
      // sequences of this epoch that hold the wanted tokens, with the range of kept tokens taken from each
      const parts: { seq: number; lo: number; hi: number }[] = [];
      for (const i of order) {
        const len = this.sequences[i].keep.length;
        if (skip >= len) {
          skip -= len;
          continue;
        }
        const take = Math.min(len - skip, n - filled - parts.reduce((a, p) => a + p.hi - p.lo, 0));
        if (take <= 0) break;
        parts.push({ seq: i, lo: skip, hi: skip + take });
        skip = 0;
      }
      for (let j = 0; j < parts.length; j += this.forwardBatch) {
        const group = parts.slice(j, j + this.forwardBatch);
        const seqs = group.map((p) => this.sequences[p.seq]);
        const T = Math.max(...seqs.map((s) => s.ids.length));
        const ids = seqs.map((s) => [...s.ids, ...new Array(T - s.ids.length).fill(0)]);
        const acts = extractActivations(this.model, ids, this.hook);
        this.forwards++;
        const v = acts.dataSync() as Float32Array;
        acts.dispose();
        group.forEach((p, b) => {
          const keep = seqs[b].keep;
          for (let q = p.lo; q < p.hi; q++) {
            const at = (b * T + keep[q]) * this.d;
            out.set(v.subarray(at, at + this.d), filled * this.d);
            filled++;
          }
        });
      }
      epoch++;
      skip = 0;
    }
    return out;
  }

  /** Fill the buffer with round r and shuffle it (rows), unless it holds that round already. */
  private fill(r: number): void {
    if (this.round === r) return;
    const raw = this.streamSlice(r * this.bufferTokens, this.bufferTokens);
    const perm = createRng(this.seed)
      .fork(`round/${r}`)
      .shuffle(Array.from({ length: this.bufferTokens }, (_, i) => i));
    const d = this.d;
    const buf = new Float32Array(raw.length);
    perm.forEach((src, dst) => buf.set(raw.subarray(src * d, (src + 1) * d), dst * d));
    for (let i = 0; i < buf.length; i++)
      if (!Number.isFinite(buf[i]))
        throw new MolabError(`${this.hook}: activation ${buf[i]} in buffer round ${r}; the model produced NaN or Inf`);
    this.buffer = buf;
    this.round = r;
  }

  /** The batch of optimizer step s (0-based) as a Float32Array [batchTokens, d]. */
  batchData(s: number): Float32Array {
    const perRound = this.bufferTokens / this.batchTokens;
    this.fill(Math.floor(s / perRound));
    const at = (s % perRound) * this.batchTokens * this.d;
    return this.buffer.slice(at, at + this.batchTokens * this.d);
  }
}
