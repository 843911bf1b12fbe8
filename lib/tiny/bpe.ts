/**
 * A byte-level BPE trainer (GPT-2 style) that writes a Hugging Face `tokenizer.json`: ByteLevel
 * pre-tokenizer and decoder, a BPE model with vocab + merges, and added tokens. Both
 * @huggingface/tokenizers (JS) and Python `tokenizers` load the result and give the same ids.
 *
 * Ids: the added tokens first (in the order given), then the 256 byte symbols (in byte order),
 * then one id per merge, in the order learned (which is also the merge rank).
 */
import { check } from "../errors.ts";

/** GPT-2's pre-tokenization pattern, the one `ByteLevel` with `use_regex: true` applies. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** GPT-2's reversible byte → printable character map. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out = new Array<string>(256);
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

export interface AddedTokenSpec {
  content: string;
  /** Special tokens (bos/eos/pad/role markers) are dropped by `skip_special_tokens` decoding. */
  special: boolean;
}

export interface BpeTrainOptions {
  /** Total vocabulary size, added tokens and the 256 bytes included. */
  vocabSize: number;
  addedTokens: AddedTokenSpec[];
  /** A pair must occur at least this often to be merged (default 2). */
  minFrequency?: number;
  /**
   * Never merge a digit with anything, so every digit stays its own token (as `Digits` with
   * `individual_digits` would split them) — column-wise arithmetic then sees one token per digit.
   * The tokenizer.json is unchanged in form: the effect lives entirely in the merge list.
   */
  splitDigits?: boolean;
}

export interface BpeModel {
  vocab: Map<string, number>;
  merges: [string, string][];
  addedTokens: (AddedTokenSpec & { id: number })[];
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Split `text` into the pieces BPE sees: added tokens removed, then GPT-2 pre-tokenized, as byte symbols. */
function pretokenize(text: string, added: RegExp | undefined, byteChars: string[], enc: TextEncoder): string[] {
  const out: string[] = [];
  for (const part of added ? text.split(added) : [text]) {
    if (!part) continue;
    for (const m of part.matchAll(GPT2_PATTERN)) {
      let s = "";
      for (const b of enc.encode(m[0])) s += byteChars[b];
      out.push(s);
    }
  }
  return out;
}

/**
 * Learn merges from `texts` until the vocabulary has `vocabSize` entries (or no pair occurs
 * `minFrequency` times). Deterministic: ties between equally frequent pairs go to the pair whose
 * symbols were created first.
 */
export function trainBpe(texts: Iterable<string>, opts: BpeTrainOptions): BpeModel {
  const minFreq = opts.minFrequency ?? 2;
  const byteChars = bytesToUnicode();
  const added = opts.addedTokens;
  check(new Set(added.map((t) => t.content)).size === added.length, "bpe: added tokens must be distinct");
  check(
    opts.vocabSize >= added.length + 256,
    `bpe: vocabSize ${opts.vocabSize} is below ${added.length} added tokens + 256 bytes`,
  );
  // Longest first, so a token that contains another is matched whole (as the tokenizer's splitter does).
  const addedRe = added.length
    ? new RegExp(
        [...added]
          .sort((a, b) => b.content.length - a.content.length)
          .map((t) => escapeRe(t.content))
          .join("|"),
        "g",
      )
    : undefined;

  // Word frequencies.
  const enc = new TextEncoder();
  const freq = new Map<string, number>();
  for (const text of texts)
    for (const w of pretokenize(text, addedRe, byteChars, enc)) freq.set(w, (freq.get(w) ?? 0) + 1);

  // Symbols: ids into `symbols` (bytes first, merges appended).
  const symbols: string[] = [...byteChars];
  const symId = new Map(symbols.map((s, i) => [s, i]));
  const words: { syms: number[]; count: number }[] = [];
  for (const [w, count] of [...freq.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    words.push({ syms: [...w].map((ch) => symId.get(ch)!), count });
  }

  const key = (a: number, b: number) => a * 1_000_003 + b;
  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  // with splitDigits, a pair that holds a digit byte is never counted, so it is never merged
  const isDigit = symbols.map((s) => opts.splitDigits === true && /^[0-9]$/.test(s));
  const addPairs = (wi: number, sign: 1 | -1) => {
    const { syms, count } = words[wi];
    for (let i = 0; i + 1 < syms.length; i++) {
      if (isDigit[syms[i]] || isDigit[syms[i + 1]]) continue;
      const k = key(syms[i], syms[i + 1]);
      pairCount.set(k, (pairCount.get(k) ?? 0) + sign * count);
      if (sign > 0) {
        let s = pairWords.get(k);
        if (!s) pairWords.set(k, (s = new Set()));
        s.add(wi);
      }
    }
  };
  words.forEach((_, wi) => addPairs(wi, 1));

  const merges: [string, string][] = [];
  const target = opts.vocabSize - added.length;
  while (symbols.length < target) {
    let best = -1;
    let bestCount = minFreq - 1;
    for (const [k, c] of pairCount) {
      if (c > bestCount || (c === bestCount && best >= 0 && k < best)) {
        best = k;
        bestCount = c;
      }
    }
    if (best < 0) break;
    const a = Math.floor(best / 1_000_003);
    const b = best - a * 1_000_003;
    const merged = symbols[a] + symbols[b];
    const id = symbols.length;
    symbols.push(merged);
    merges.push([symbols[a], symbols[b]]);
    for (const wi of pairWords.get(best) ?? []) {
      const w = words[wi];
      addPairs(wi, -1);
      const next: number[] = [];
      for (let i = 0; i < w.syms.length; i++) {
        if (i + 1 < w.syms.length && w.syms[i] === a && w.syms[i + 1] === b) {
          next.push(id);
          i++;
        } else next.push(w.syms[i]);
      }
      w.syms = next;
      addPairs(wi, 1);
    }
    pairWords.delete(best);
    pairCount.delete(best);
    for (const [k, c] of pairCount) if (c <= 0) pairCount.delete(k);
  }

  const vocab = new Map<string, number>();
  const addedWithIds = added.map((t, i) => ({ ...t, id: i }));
  for (const t of addedWithIds) vocab.set(t.content, t.id);
  symbols.forEach((s, i) => {
    check(!vocab.has(s), `bpe: learned symbol ${JSON.stringify(s)} collides with an added token`);
    vocab.set(s, added.length + i);
  });
  return { vocab, merges, addedTokens: addedWithIds };
}

/** The `tokenizer.json` object (HF format) for a trained model. */
export function tokenizerJson(m: BpeModel): Record<string, unknown> {
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: m.addedTokens.map((t) => ({
      id: t.id,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries([...m.vocab.entries()].sort((a, b) => a[1] - b[1])),
      merges: m.merges,
    },
  };
}
