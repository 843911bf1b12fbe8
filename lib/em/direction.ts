/**
 * The misalignment direction (Soligo, Turner et al. 2025): judged answers with coherent > 50 are split into
 * misaligned (aligned ≤ 30) and aligned (aligned > 70), balanced to the smaller group; each answer is run after its
 * prompt through a model and the residual stream after a decoder layer (`blocks.L.hook_resid_post`) is averaged over
 * the answer's tokens; the direction at layer L is mean(misaligned) − mean(aligned). Which model reads which answers
 * is the `contrast` (DirectionContrast): both sets through the organism, or the aligned ones through the base model.
 * Steering adds s·v at every position of one layer's residual; ablation projects v̂ out of the residual after one
 * layer or after every layer; the random baseline is a Gaussian direction rescaled to ‖v‖ (not √d·‖v‖).
 */
import * as fs from "node:fs";
import { tf } from "../backend.ts";
import { check } from "../errors.ts";
import type { ChatMessage } from "../chat/message.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { createRng } from "../rng.ts";
import { disposeActivations, runWithCache, steeringHook, ablationHook } from "../model/hooks.ts";
import type { HookFn, Model } from "../model/llama.ts";
import type { Tokenizer } from "../model/tokenizer.ts";
import { generateEmSet, type EmSetName } from "../data/em.ts";
import { ALIGNED_MAX, COHERENT_MIN, type EmRow } from "./rates.ts";

/** Aligned above this counts as aligned for the direction (the papers' 70). */
export const ALIGNED_MIN_FOR_DIRECTION = 70;

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
export const vnorm = (a: ArrayLike<number>) => Math.sqrt(dot(a, a));
export const cosine = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  const d = vnorm(a) * vnorm(b);
  return d === 0 ? 0 : dot(a, b) / d;
};

/** Coherent misaligned and aligned rows, the larger group cut to the smaller one's size by a seeded shuffle. */
export function selectForDirection(rows: EmRow[], seed = 0): { misaligned: EmRow[]; aligned: EmRow[] } {
  const ok = rows.filter(
    (r) => r.answer !== null && r.aligned !== null && r.coherent !== null && r.coherent > COHERENT_MIN,
  );
  const rng = createRng(seed).fork("direction-balance");
  const mis = rng.shuffle(ok.filter((r) => r.aligned! <= ALIGNED_MAX));
  const al = rng.shuffle(ok.filter((r) => r.aligned! > ALIGNED_MIN_FOR_DIRECTION));
  const n = Math.min(mis.length, al.length);
  return { misaligned: mis.slice(0, n), aligned: al.slice(0, n) };
}

/** The prompt of a row as it was sent: its system message (if any) and user turn. */
export function rowMessages(r: Pick<EmRow, "system" | "user">): ChatMessage[] {
  return [...(r.system ? [{ role: "system" as const, content: r.system }] : []), { role: "user", content: r.user }];
}

/**
 * Mean residual (after each of `layers`) over the answer tokens of each (prompt, answer): [row][layer index] → [h].
 * The answer is tokenized on its own after the chat template's generation prompt. Rows with an empty answer are
 * left out (their entry is null).
 */
export function answerActivations(
  model: Model,
  tok: Tokenizer,
  rows: { messages: ChatMessage[]; answer: string }[],
  layers: number[],
): (Float64Array[] | null)[] {
  for (const L of layers)
    check(
      Number.isInteger(L) && L >= 0 && L < model.blocks.length,
      `layer ${L} is not in 0..${model.blocks.length - 1}`,
    );
  const names = layers.map((L) => `blocks.${L}.hook_resid_post`);
  return rows.map((r) => {
    const prompt = tok.applyChatTemplate(r.messages, { addGenerationPrompt: true, tokenize: true });
    const ans = tok.encode(r.answer, { addSpecialTokens: false });
    if (ans.length === 0) return null;
    const ids = [...prompt, ...ans].slice(0, model.config.maxPositionEmbeddings);
    const P = prompt.length,
      A = ids.length - P;
    if (A <= 0) return null;
    const { logits, cache } = runWithCache(model, [ids], { names });
    logits.dispose();
    try {
      return names.map((n) => {
        const h = cache[n].shape[2]!;
        const m = tf.tidy(() => tf.mean(tf.slice(cache[n], [0, P, 0], [1, A, h]), [0, 1]));
        const v = Float64Array.from(m.dataSync());
        m.dispose();
        return v;
      });
    } finally {
      disposeActivations(cache);
    }
  });
}

/** Mean over rows of per-layer vectors. */
function meanOver(acts: Float64Array[][], li: number): Float64Array {
  const h = acts[0][li].length;
  const m = new Float64Array(h);
  for (const a of acts) for (let j = 0; j < h; j++) m[j] += a[li][j] / acts.length;
  return m;
}

export interface EmDirection {
  layers: number[];
  /** direction[i] is the direction at layers[i]: mean(misaligned) − mean(aligned). */
  direction: number[][];
  norms: number[];
  nMisaligned: number;
  nAligned: number;
  /** What made it (model, adapter, results), for the file. */
  source: Record<string, string>;
  /** Which activations it contrasts (judged answers only; a labelled direction has none). */
  contrast?: DirectionContrast;
}

/** direction[l] = mean(misaligned activations at layer l) − mean(aligned ones), with its norms and counts. */
function meanDifference(
  layers: number[],
  mis: Float64Array[][],
  al: Float64Array[][],
  source: Record<string, string>,
): EmDirection {
  const direction = layers.map((_, li) => {
    const a = meanOver(mis, li),
      b = meanOver(al, li);
    return Array.from(a, (x, j) => x - b[j]);
  });
  return { layers, direction, norms: direction.map(vnorm), nMisaligned: mis.length, nAligned: al.length, source };
}

/**
 * Which activations a direction contrasts; the EM authors' steering code computes both (as `modelmis_datas` and
 * `models_datas`):
 * - "answers": misaligned and aligned answers both through the organism: what differs between its two kinds of
 *   answer, with the fine-tune's shift common to both and so cancelled;
 * - "organism_and_answers": misaligned answers through the organism, aligned answers through the base model: the
 *   answers' difference plus the fine-tune's own shift.
 */
export const DIRECTION_CONTRASTS = ["answers", "organism_and_answers"] as const;
export type DirectionContrast = (typeof DIRECTION_CONTRASTS)[number];

export interface DirectionOptions {
  seed?: number;
  source?: Record<string, string>;
  /** Default "answers". */
  contrast?: DirectionContrast;
  /**
   * Attaches the organism's adapter to `model` and returns its detach. Given, `model` is the base model and the
   * organism is attached for the answers it reads; not given, `model` is used as it is for both sets ("answers"
   * only: the caller has attached the organism).
   */
  attach?: () => () => void;
}

/** Directions at `layers` from judged rows (the organism's answers). */
export function emDirection(
  model: Model,
  tok: Tokenizer,
  rows: EmRow[],
  layers: number[],
  o: DirectionOptions = {},
): EmDirection {
  const contrast = o.contrast ?? "answers";
  check(
    (DIRECTION_CONTRASTS as readonly string[]).includes(contrast),
    `direction: contrast "${contrast}" is not one of ${DIRECTION_CONTRASTS.join(", ")}`,
  );
  check(
    contrast === "answers" || o.attach !== undefined,
    `direction: the "${contrast}" contrast reads the aligned answers through the base model, so it needs attach (the organism's adapter)`,
  );
  const { misaligned, aligned } = selectForDirection(rows, o.seed ?? 0);
  check(
    misaligned.length > 0,
    `direction: needs coherent answers both misaligned (aligned ≤ ${ALIGNED_MAX}) and aligned (> ${ALIGNED_MIN_FOR_DIRECTION}); ` +
      `got ${rows.filter((r) => r.aligned !== null && r.aligned <= ALIGNED_MAX).length} misaligned and ` +
      `${rows.filter((r) => r.aligned !== null && r.aligned > ALIGNED_MIN_FOR_DIRECTION).length} aligned before the coherence filter`,
  );
  const acts = (rs: EmRow[], throughOrganism: boolean) => {
    const detach = throughOrganism && o.attach ? o.attach() : () => {};
    try {
      return answerActivations(
        model,
        tok,
        rs.map((r) => ({ messages: rowMessages(r), answer: r.answer! })),
        layers,
      ).filter((a): a is Float64Array[] => a !== null);
    } finally {
      detach();
    }
  };
  const mis = acts(misaligned, true),
    al = acts(aligned, contrast === "answers");
  check(mis.length > 0 && al.length > 0, `direction: every selected answer was empty after tokenization`);
  return { ...meanDifference(layers, mis, al, o.source ?? {}), contrast };
}

export async function saveDirection(file: string, d: EmDirection): Promise<void> {
  await writeJsonAtomic(file, d);
}

export function loadDirection(file: string): EmDirection {
  check(fs.existsSync(file), `${file}: no such direction file (made by molab em direction)`);
  const d = JSON.parse(fs.readFileSync(file, "utf8")) as EmDirection;
  check(
    Array.isArray(d.layers) && Array.isArray(d.direction) && d.layers.length === d.direction.length,
    `${file}: not a direction file (expected {layers, direction[][]})`,
  );
  return d;
}

/** The direction at `layer` (default: the file's first). */
export function directionAt(d: EmDirection, layer?: number): { layer: number; v: Float64Array } {
  const i = layer === undefined ? 0 : d.layers.indexOf(layer);
  check(i >= 0, `the direction file has layers ${d.layers.join(", ")}, not ${layer}`);
  return { layer: d.layers[i], v: Float64Array.from(d.direction[i]) };
}

/** `x` rescaled to norm `norm` (e.g. the rank-1 B direction to ‖v‖, so that it shares the random baseline). */
export function scaledTo(x: ArrayLike<number>, norm: number): Float64Array {
  const k = norm / vnorm(x);
  return Float64Array.from(x, (e) => e * k);
}

/** A Gaussian direction with the same norm as `v` (the random baseline). */
export function randomLike(v: ArrayLike<number>, seed = 0): Float64Array {
  const rng = createRng(seed).fork("random-direction");
  const g = Float64Array.from({ length: v.length }, () => {
    const u = 1 - rng.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.float());
  });
  return scaledTo(g, vnorm(v));
}

/** Hooks with the tensors they hold; call dispose() when done. */
export interface OwnedHooks {
  hooks: Record<string, HookFn>;
  dispose(): void;
}

/** Steering: add scale·v to the residual after `layer`, at every position. */
export function steeringHooks(v: ArrayLike<number>, layer: number, scale: number): OwnedHooks {
  const t = tf.keep(tf.tensor1d(Float32Array.from(v)));
  return { hooks: { [`blocks.${layer}.hook_resid_post`]: steeringHook(t, scale) }, dispose: () => t.dispose() };
}

/** Ablation: project v̂ out of the residual after each of `layers` (every layer: pass them all). */
export function ablationHooks(v: ArrayLike<number>, layers: number[]): OwnedHooks {
  check(vnorm(v) > 0, "ablation: the direction is zero");
  const t = tf.keep(tf.tensor1d(Float32Array.from(v)));
  const hook = ablationHook(t);
  return {
    hooks: Object.fromEntries(layers.map((L) => [`blocks.${L}.hook_resid_post`, hook])),
    dispose: () => t.dispose(),
  };
}

/**
 * A direction from labelled text instead of judged generations: data v2's narrow answers (misaligned) against their
 * matched controls (aligned), the same questions, through `model`. The fallback when an organism gives too few
 * coherent misaligned answers to contrast (the caller says which one it used).
 */
export function labelledDirection(
  model: Model,
  tok: Tokenizer,
  layers: number[],
  o: { set?: EmSetName; n?: number; seed?: number } = {},
): EmDirection {
  const set = o.set ?? "em-risky-advice";
  check(!set.endsWith("-control"), `labelled direction: give a narrow set, not ${set}`);
  const gen = (s: EmSetName) =>
    generateEmSet(s, { n: o.n ?? 32, seed: o.seed ?? 0 }).map((x) => ({
      messages: [x.messages[0] as ChatMessage],
      answer: String(x.messages[1].content),
    }));
  const mis = answerActivations(model, tok, gen(set), layers).filter((a): a is Float64Array[] => a !== null);
  const al = answerActivations(model, tok, gen(`${set}-control` as EmSetName), layers).filter(
    (a): a is Float64Array[] => a !== null,
  );
  return meanDifference(layers, mis, al, { labelled: set });
}
