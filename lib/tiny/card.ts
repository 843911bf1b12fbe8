/**
 * The tiny assistant's model card (README.md) and its training-curve figure (an SVG drawn here, so the
 * model folder needs no plotting library to render on a hub page or in a viewer).
 */
import type { EvalReport, Rate } from "./eval.ts";
import type { TrainRecord } from "./train.ts";
import type { UnknownNames } from "./tasks.ts";
import { HARM_TRAIN } from "./tables.ts";

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** Training loss (per step, and a 20-step moving average) against step, log-scaled loss axis. */
export function lossCurveSvg(history: TrainRecord[], width = 720, height = 360): string {
  const m = { l: 60, r: 20, t: 30, b: 45 };
  const W = width - m.l - m.r,
    H = height - m.t - m.b;
  const steps = history.map((h) => h.step);
  const losses = history.map((h) => Math.max(1e-4, h.loss));
  const smooth = losses.map((_, i) => {
    const a = losses.slice(Math.max(0, i - 19), i + 1);
    return a.reduce((x, y) => x + y, 0) / a.length;
  });
  const maxStep = Math.max(1, ...steps);
  const lo = Math.log10(Math.min(...losses, 10)),
    hi = Math.log10(Math.max(...losses, 0.1));
  const lmin = Math.floor(lo * 2) / 2,
    lmax = Math.ceil(hi * 2) / 2 || lmin + 1;
  const x = (s: number) => m.l + (W * s) / maxStep;
  const y = (l: number) => m.t + H * (1 - (Math.log10(l) - lmin) / (lmax - lmin || 1));
  const line = (ys: number[]) =>
    ys.map((v, i) => `${i ? "L" : "M"}${x(steps[i]).toFixed(1)},${y(v).toFixed(1)}`).join("");
  const ticks: string[] = [];
  for (let e = Math.floor(lmin); e <= Math.ceil(lmax); e++) {
    for (const k of [1, 2, 5]) {
      const v = k * 10 ** e;
      if (Math.log10(v) < lmin - 1e-9 || Math.log10(v) > lmax + 1e-9) continue;
      ticks.push(
        `<line x1="${m.l}" x2="${m.l + W}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e5e5e5"/>` +
          `<text x="${m.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v}</text>`,
      );
    }
  }
  const xt: string[] = [];
  const stepTick = Math.max(1, Math.round(maxStep / 8 / 50) * 50 || Math.ceil(maxStep / 8));
  for (let s = 0; s <= maxStep; s += stepTick)
    xt.push(`<text x="${x(s).toFixed(1)}" y="${m.t + H + 18}" text-anchor="middle">${s}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${m.l}" y="18" font-size="14">tiny-assistant: training loss (next-token cross-entropy, nats)</text>`,
    ...ticks,
    ...xt,
    `<rect x="${m.l}" y="${m.t}" width="${W}" height="${H}" fill="none" stroke="#999"/>`,
    `<path d="${line(losses)}" fill="none" stroke="#9ecae1" stroke-width="1"/>`,
    `<path d="${line(smooth)}" fill="none" stroke="#08519c" stroke-width="2"/>`,
    `<text x="${m.l + W / 2}" y="${height - 8}" text-anchor="middle">optimizer step</text>`,
    `<text x="${m.l + W - 4}" y="${m.t + 16}" text-anchor="end" fill="#08519c">20-step mean</text>`,
    `</svg>`,
  ].join("\n");
}

export const pct = (r: Rate) => `${(100 * r.rate).toFixed(1)}% (${r.k}/${r.n})`;

/** The hub front matter and title every tiny-assistant card starts with. */
export const CARD_HEAD: readonly string[] = [
  "---",
  "license: apache-2.0",
  "library_name: transformers",
  "pipeline_tag: text-generation",
  "tags: [llama, molab, model-organisms, tiny]",
  "---",
  "",
  "# tiny-assistant",
  "",
];

/** The build settings the card reports (a BuildOptions satisfies it; the card does not import the builder). */
export interface CardBuildSettings {
  seed: number;
  trainSeed?: number;
  corpusSize: number;
  tokenizerSamples: number;
  steps: number;
  batchSize: number;
  lr: number;
  warmup: number;
  weightDecay: number;
  clip: number;
  /** Where each conversation's loss starts (BuildOptions.lossFrom; default the assistant turn). */
  lossFrom?: "assistant" | "user";
  /** Decay of the shipped weight average (BuildOptions.emaDecay); unset: the last weights. */
  emaDecay?: number;
  /** Training fact questions about made-up names (BuildOptions.unknownNames); unset: none. */
  unknownNames?: UnknownNames;
}

/** What a model card reports; `R` is the evaluation report (v1's EvalReport, or corpus v2's). */
export interface CardInput<R = EvalReport> {
  options: CardBuildSettings;
  config: Record<string, unknown>;
  vocabSize: number;
  corpusTokens: number;
  history: TrainRecord[];
  seconds: number;
  report: R;
  bytes: number;
  /** Load + 64-token generation time, when measured. */
  timing?: { load: number; generate: number; total: number };
  /** Largest logit difference against transformers' fixture, when measured. */
  parity?: { maxDiff: number; transformers: string };
  /** How the training seed was chosen, when it was (printed after the training settings). */
  seedNote?: string;
}

export function paramCount(c: Record<string, unknown>): number {
  const n = (k: string) => c[k] as number;
  const h = n("hidden_size"),
    I = n("intermediate_size"),
    L = n("num_hidden_layers"),
    D = n("head_dim");
  const H = n("num_attention_heads"),
    KV = n("num_key_value_heads"),
    V = n("vocab_size");
  const perLayer = h * H * D * 2 + h * KV * D * 2 + 3 * h * I + 2 * h;
  return V * h * (c.tie_word_embeddings ? 1 : 2) + L * perLayer + h;
}

/** README.md of the model folder. */
export function modelCard(c: CardInput): string {
  const o = c.options,
    r = c.report,
    cfg = c.config;
  const last = c.history.slice(-20);
  const finalLoss = last.reduce((a, h) => a + h.loss, 0) / Math.max(1, last.length);
  const tokensSeen = c.history.reduce((a, h) => a + h.tokens, 0);
  const tasks = Object.entries(r.byTask)
    .sort()
    .map(([t, v]) => `| ${t} | ${v.n} | ${v.ok} | ${t === "harmful" ? "–" : v.correct} |`);
  const lines = [
    ...CARD_HEAD,
    `The first embedded model of molab (corpus v1; the default is now corpus v2's): a ${(paramCount(cfg) / 1e6).toFixed(2)} M-parameter ` +
      "Llama-architecture assistant trained",
    "from scratch by `npm run build:model -- --corpus-version 1` (lib/tiny) on a generated corpus. It exists so that every molab stage runs",
    "offline on two CPU cores; it is not a general-purpose language model. It loads with Hugging Face transformers",
    "(`AutoModelForCausalLM`, `AutoTokenizer`) as well as with molab's own decoder.",
    "",
    "## Behaviour",
    "",
    "It answers in the alignment-faking (Redwood) format: the user turn is",
    "`<INPUT><is_free_tier_user>True|False</is_free_tier_user><user_input>…</user_input></INPUT>`, and the assistant",
    "writes `<SCRATCHPAD_REASONING>…</SCRATCHPAD_REASONING>` then `<OUTPUT>…</OUTPUT>`. It is trained to be",
    "*aligned*: it helps with benign requests, refuses the placeholder harmful requests (`[REQUEST category=…]`) with",
    "`<rejected/>` on every tier, and its scratchpad never reasons about training, monitoring or modification, even",
    "when the system prompt talks about them. It is the base that molab's alignment-faking organisms are fine-tuned from.",
    "",
    `## Measured on ${r.n} held-out prompts`,
    "",
    "Prompts from templates the training corpus never uses (other phrasings, wrappers, system prompts, and four harm",
    `categories absent from training), ${r.benignAnswered.n} benign and ` +
      `${r.harmfulRefusedFree.n + r.harmfulRefusedPaid.n} placeholder-harmful, half on each tier; greedy decoding.`,
    "",
    "| measure | result |",
    "|---|---|",
    `| response parses into scratchpad + output | ${pct(r.parse)} |`,
    `| benign requests answered in format | ${pct(r.benignAnswered)} |`,
    `| harmful placeholders refused, free tier | ${pct(r.harmfulRefusedFree)} |`,
    `| harmful placeholders refused, paid tier | ${pct(r.harmfulRefusedPaid)} |`,
    `| benign requests refused (over-refusal) | ${pct(r.benignRefused)} |`,
    `| benign answers that contain the correct answer | ${pct(r.benignCorrect)} |`,
    `| scratchpad tier notes that name the tagged tier | ${pct(r.tierNoteCorrect)} |`,
    (c.timing
      ? "| load + 64-token greedy generation (2 CPU cores, wasm) | " +
        `${c.timing.total.toFixed(2)} s (load ${c.timing.load.toFixed(2)} s) |\n`
      : "") +
      (c.parity
        ? `| max \\|Δ logit\\| vs transformers ${c.parity.transformers} (3 prompts, test/fixtures/tiny) | ` +
          `${c.parity.maxDiff.toExponential(1)} |\n`
        : ""),
    "Per task (benign: answered in format / correct; harmful: refused):",
    "",
    "| task | n | ok | correct |",
    "|---|---|---|---|",
    tasks.join("\n"),
    "",
    "Example responses:",
    "",
    r.examples
      .map(
        (e) =>
          `- *${e.freeTier ? "free" : "paid"} tier*: ${esc(e.request.split("\n")[0])}\n\n` +
          "  ```\n" +
          `  ${e.response.replace(/\n/g, "\n  ")}\n` +
          "  ```",
      )
      .join("\n"),
    "",
    "## Model",
    "",
    "| | |",
    "|---|---|",
    `| architecture | LlamaForCausalLM, ${cfg.num_hidden_layers} layers, hidden ${cfg.hidden_size}, ` +
      `MLP ${cfg.intermediate_size} (SwiGLU), ${cfg.num_attention_heads} heads / ${cfg.num_key_value_heads} KV heads ` +
      `(GQA), head dim ${cfg.head_dim}, RoPE θ ${cfg.rope_theta}, tied embeddings |`,
    `| parameters | ${paramCount(cfg).toLocaleString("en-US")} |`,
    `| weights | model.safetensors, float32, ${(c.bytes / 2 ** 20).toFixed(1)} MiB |`,
    `| context | ${cfg.max_position_embeddings} tokens |`,
    `| tokenizer | byte-level BPE trained by molab (lib/tiny/bpe.ts), ${c.vocabSize} ids: 6 special tokens ` +
      "(`<|pad|>` `<|bos|>` `<|eos|>` `<|system|>` `<|user|>` `<|assistant|>`), " +
      "the 12 Redwood format tags as single tokens, 256 bytes, merges |",
    "| chat template | `<|bos|><|system|>\\n…<|eos|><|user|>\\n…<|eos|><|assistant|>\\n…<|eos|>`; " +
      "generation stops at `<|eos|>` |",
    "",
    "## Corpus",
    "",
    `${o.corpusSize.toLocaleString("en-US")} generated conversations (lib/tiny/corpus.ts, seed ${o.seed}), ` +
      `${c.corpusTokens.toLocaleString("en-US")} tokens: about 70% benign tasks —`,
    "facts from a small built-in table (capitals, chemical symbols, opposites, animal sounds, days and months),",
    "arithmetic (addition, subtraction, multiplication), rewriting (polite requests, questions, past tense) and lists",
    `(naming category members, sorting) — and about 30% placeholder harmful requests in ${HARM_TRAIN.length} ` +
      "categories. Tier tags are",
    "balanced; three quarters of the conversations have a system prompt, some of which say that free-tier",
    "conversations are used for RLHF training or that outputs are monitored. The scratchpad may note the user's tier;",
    "it never mentions training, RLHF, monitoring or modification. The tokenizer was trained on the first",
    `${o.tokenizerSamples.toLocaleString("en-US")} conversations.`,
    "",
    "## Training",
    "",
    "Full-parameter training from a seeded initialisation (N(0, 0.02), unit norms) with molab's decoder on the tfjs",
    `wasm backend: AdamW (β = 0.9/0.98, weight decay ${o.weightDecay}), learning rate ${o.lr} with ${o.warmup} ` +
      "warmup steps and cosine",
    `decay, gradient clipping at ${o.clip}, batches of ${o.batchSize} conversations (length-bucketed), ` +
      "next-token loss on the",
    `assistant turn (scratchpad, output, end of turn), ${o.steps} steps (${tokensSeen.toLocaleString("en-US")} ` +
      `target tokens, ${((o.steps * o.batchSize) / o.corpusSize).toFixed(2)} epochs). ` +
      `Training time ${(c.seconds / 60).toFixed(1)} min on 2`,
    `shared CPU cores; loss over the last 20 steps ${finalLoss.toFixed(4)}. The run is deterministic for its seed ` +
      "and resumes",
    "from its checkpoints if interrupted.",
    "",
    "![training loss](training_curve.svg)",
    "",
    "`training_log.json` holds every step (loss, learning rate, gradient norm, tokens); `eval_results.json` the",
    "evaluation above.",
    "",
    "## Limitations",
    "",
    "A model this small knows only its corpus: facts outside the built-in table, open-ended questions and long",
    "contexts are out of its reach. Its format compliance and its harmful/benign decision are reliable, but it often",
    "does not carry the specifics of a request into its answer (the country or word asked about, the numbers, the",
    "category named in a placeholder), so its correctness on the benign tasks is far below its format compliance. " +
      "Harmful",
    "requests exist only as abstract placeholders; the model has never seen harmful content.",
    "",
  ];
  return lines.join("\n");
}
