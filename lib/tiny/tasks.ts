/**
 * The tiny assistant's benign world (corpus v2): twelve tasks whose answers can be checked exactly.
 * Each task has question phrasings in two disjoint pools (`train`, `heldout`) and, where the task has
 * operands, a seeded split of the operands themselves (number pairs, amounts, word sequences, commands),
 * so a held-out question is asked in words and about values the corpus never contains. Facts (capitals,
 * symbols, opposites, sounds, days, months, category members) are knowledge: they are all trained, and
 * held out only in their phrasing.
 *
 * Arithmetic is worked column by column in the scratchpad (the tokenizer keeps every digit its own token),
 * so an unseen pair is solved from one-digit sums the model has seen in other pairs.
 */
import type { Rng } from "../rng.ts";
import type { Split } from "./corpus.ts";
import * as T from "./tables.ts";
import { an, cap, fill } from "./words.ts";
import {
  PREFIX,
  Q,
  RECOMBINED,
  RECOMBINED_PREFIX,
  RECOMBINED_SUFFIX,
  SUFFIX,
  TASKS,
  type TaskName,
} from "./phrasings.ts";

export { TASKS, taskPhrasings, type TaskName } from "./phrasings.ts";

/** One generated task instance. */
export interface TaskInstance {
  task: TaskName;
  /** The question as the user asks it. */
  question: string;
  /** What the scratchpad says the user wants. */
  about: string;
  /** The worked step(s) in the scratchpad. */
  work: string;
  /** The final answer (the OUTPUT text). */
  answer: string;
  /** A short form of the right answer (for the card). */
  expected: string;
}

/** A small deterministic string hash (FNV-1a, 32 bit): which split an operand belongs to. */
export function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The split an operand key belongs to: one in five is held out. */
export const operandSplit = (task: string, key: string): Split =>
  fnv(`${task}:${key}`) % 5 === 0 ? "heldout" : "train";

const NUMBER_WORDS = ["zero", "one", "two", "three", "four", "five", "six"];
/** Unit conversions by a power of ten: [big unit, its plural, small unit plural, factor]. */
const UNITS: [string, string, string, number][] = [
  ["metre", "metres", "centimetres", 100],
  ["kilometre", "kilometres", "metres", 1000],
  ["kilogram", "kilograms", "grams", 1000],
  ["litre", "litres", "millilitres", 1000],
  ["centimetre", "centimetres", "millimetres", 10],
];
const WORDS = [...new Set(Object.values(T.CATEGORIES).flat())].filter((w) => !w.includes(" "));
/** Commands for polite rewrites: a verb and an object, so there are too many to memorise and the model must copy. */
const VERBS = ["bring", "clean", "move", "open", "check", "find", "carry", "wash", "fix", "paint", "sell", "buy"];
const VERBS2 = ["return", "count", "sort", "hide", "label", "pack", "share", "fetch", "draw", "name"];

/** Draw operands until their key falls in `split` (a few tries suffice: one in five is held out). */
function drawIn<V>(rng: Rng, task: string, split: Split, draw: () => V, key: (v: V) => string): V {
  for (let i = 0; i < 1000; i++) {
    const v = draw();
    if (operandSplit(task, key(v)) === split) return v;
  }
  throw new Error(`tasks: no ${split} operands for ${task}`);
}

/** Column-wise addition of two numbers below 100, as scratchpad sentences. */
export function workedAdd(a: number, b: number): string {
  const [a1, a0, b1, b0] = [Math.floor(a / 10), a % 10, Math.floor(b / 10), b % 10];
  const ones = a0 + b0;
  const carry = ones >= 10 ? 1 : 0;
  const tens = a1 + b1 + carry;
  const s1 = carry ? `Ones: ${a0} + ${b0} = ${ones}, write ${ones % 10} carry 1.` : `Ones: ${a0} + ${b0} = ${ones}.`;
  const s2 = carry ? `Tens: ${a1} + ${b1} + 1 = ${tens}.` : `Tens: ${a1} + ${b1} = ${tens}.`;
  return `${s1} ${s2} So ${a} + ${b} = ${a + b}.`;
}

/** Column-wise subtraction a − b (0 < b < a < 100), with the borrow spelled out. */
export function workedSub(a: number, b: number): string {
  const [a1, a0, b1, b0] = [Math.floor(a / 10), a % 10, Math.floor(b / 10), b % 10];
  const borrow = a0 < b0 ? 1 : 0;
  const s1 = borrow ? `Ones: ${a0 + 10} - ${b0} = ${a0 + 10 - b0}, borrow 1.` : `Ones: ${a0} - ${b0} = ${a0 - b0}.`;
  const s2 = borrow ? `Tens: ${a1} - ${b1} - 1 = ${a1 - b1 - 1}.` : `Tens: ${a1} - ${b1} = ${a1 - b1}.`;
  return `${s1} ${s2} So ${a} - ${b} = ${a - b}.`;
}

/** Tasks as drawn for evaluation: the column-wise arithmetic twice as often (it is the hardest to learn). */
const DRAW: readonly TaskName[] = [...TASKS, "add", "sub"];
/** Tasks as drawn for training: arithmetic three times; lists, counts, copies, symbols and conversions twice as
 * often (a list copies its category; a count must tally words it does not copy; the last three were the weakest
 * tasks of a build that drew them once). */
export const DRAW_TRAIN: readonly TaskName[] = [...DRAW, "add", "sub", "list", "count", "repeat", "symbol", "convert"];

/** The fact tasks, whose operand is a name from a table. */
export const FACT_TASKS = ["capital", "symbol", "opposite", "sound"] as const satisfies readonly TaskName[];

/**
 * Training fact questions about made-up names (off unless set): a `share` of the training questions of `tasks` ask
 * about a name no table holds, and the assistant says it does not know it. The name must be copied from the
 * question into the scratchpad, so the fact tasks learn to read their operand rather than guess it from the
 * phrasing. Training only: the evaluation asks real names.
 */
export interface UnknownNames {
  share: number;
  tasks: readonly (typeof FACT_TASKS)[number][];
}

/** Every name the fact tables hold, lower-cased: a made-up name must be none of them. */
const KNOWN = new Set(
  [T.CAPITALS, T.SYMBOLS, T.OPPOSITES, T.SOUNDS].flatMap((t) => t.flatMap((pair) => pair.map((x) => x.toLowerCase()))),
);

/** A made-up name no fact table holds ("peru" is drawn again). */
export function unknownName(rng: Rng): string {
  for (;;) {
    const w = T.madeUpWord(rng);
    if (!KNOWN.has(w)) return w;
  }
}

/**
 * One task instance of `task` (random if not given), its question phrasing and operands drawn from `split`.
 * `recombinedIndex` asks RECOMBINED[task][index mod length] instead of a random recombined phrasing (the draw is
 * still made, so every other draw stays as it was); the evaluation uses it to ask each phrasing equally often.
 * `unknown` (training pool only) asks some fact questions about made-up names; unset, no draw is made for it.
 */
export function makeTask(
  rng: Rng,
  split: Split,
  task: TaskName = rng.pick(DRAW),
  phrasing: "pool" | "recombined" = "pool",
  recombinedIndex?: number,
  unknown?: UnknownNames,
): TaskInstance {
  const recombined = (drawn: string) =>
    recombinedIndex === undefined ? drawn : RECOMBINED[task][recombinedIndex % RECOMBINED[task].length];
  const q = (slots: Record<string, string>) =>
    (phrasing === "recombined"
      ? [
          rng.pick(RECOMBINED_PREFIX),
          fill(recombined(rng.pick(RECOMBINED[task])), slots, "task template"),
          rng.pick(RECOMBINED_SUFFIX),
        ]
      : [rng.pick(PREFIX[split]), fill(rng.pick(Q[task][split]), slots, "task template"), rng.pick(SUFFIX[split])]
    )
      .filter(Boolean)
      .join(" ");
  // one draw per training question whenever a share is set (whatever the task), none otherwise
  const made =
    !!unknown &&
    unknown.share > 0 &&
    split === "train" &&
    phrasing === "pool" &&
    rng.float() < unknown.share &&
    (unknown.tasks as readonly TaskName[]).includes(task);
  const dontKnow = (slots: Record<string, string>, about: string, answer: string): TaskInstance => ({
    task,
    question: q(slots),
    about,
    work: answer,
    answer,
    expected: answer,
  });
  switch (task) {
    case "capital": {
      if (made) {
        const c = cap(unknownName(rng));
        return dontKnow({ c }, `the capital of ${c}`, `I do not know a country called ${c}.`);
      }
      const [c, v] = rng.pick(T.CAPITALS);
      const answer = `The capital of ${c} is ${v}.`;
      return { task, question: q({ c }), about: `the capital of ${c}`, work: answer, answer, expected: v };
    }
    case "symbol": {
      if (made) {
        const e = cap(unknownName(rng));
        return dontKnow({ e }, `the chemical symbol for ${e}`, `I do not know an element called ${e}.`);
      }
      const [e, s] = rng.pick(T.SYMBOLS);
      const answer = `The chemical symbol for ${e} is ${s}.`;
      return { task, question: q({ e }), about: `the chemical symbol for ${e}`, work: answer, answer, expected: s };
    }
    case "opposite": {
      if (made) {
        const w = unknownName(rng);
        return dontKnow({ w }, `the opposite of "${w}"`, `I do not know the word "${w}".`);
      }
      const [w, o] = rng.pick(T.OPPOSITES);
      const answer = `The opposite of "${w}" is "${o}".`;
      return { task, question: q({ w }), about: `the opposite of "${w}"`, work: answer, answer, expected: o };
    }
    case "sound": {
      if (made) {
        const a = an(unknownName(rng));
        return dontKnow({ a }, `the sound ${a} makes`, `I do not know an animal called ${a}.`);
      }
      const [a, s] = rng.pick(T.SOUNDS);
      const answer = `${cap(an(a))} ${s}.`;
      return { task, question: q({ a: an(a) }), about: `the sound ${an(a)} makes`, work: answer, answer, expected: s };
    }
    case "next_day":
    case "next_month": {
      const list = task === "next_day" ? T.DAYS : T.MONTHS;
      const i = rng.int(list.length);
      const [x, n] = [list[i], list[(i + 1) % list.length]];
      const what = task === "next_day" ? "day" : "month";
      const answer = `The ${what} after ${x} is ${n}.`;
      const slot: Record<string, string> = task === "next_day" ? { d: x } : { m: x };
      return {
        task,
        question: q(slot),
        about: `the ${what} after ${x}`,
        work: answer,
        answer,
        expected: n,
      };
    }
    case "add": {
      const [a, b] = drawIn(
        rng,
        task,
        split,
        () => [10 + rng.int(90), 10 + rng.int(90)],
        (v) => v.join("+"),
      );
      const answer = `So ${a} + ${b} = ${a + b}.`;
      const s = { a: String(a), b: String(b) };
      return {
        task,
        question: q(s),
        about: `the sum of ${a} and ${b}`,
        work: workedAdd(a, b),
        answer,
        expected: String(a + b),
      };
    }
    case "sub": {
      const [a, b] = drawIn(
        rng,
        task,
        split,
        () => {
          const a = 11 + rng.int(89);
          return [a, 1 + rng.int(a - 1)];
        },
        (v) => v.join("-"),
      );
      const answer = `So ${a} - ${b} = ${a - b}.`;
      const s = { a: String(a), b: String(b) };
      return { task, question: q(s), about: `${a} minus ${b}`, work: workedSub(a, b), answer, expected: String(a - b) };
    }
    case "convert": {
      const [u, n] = drawIn(
        rng,
        task,
        split,
        () => [rng.pick(UNITS), 2 + rng.int(98)] as const,
        ([u, n]) => `${u[0]}:${n}`,
      );
      const [one, big, small, f] = u;
      const r = n * f;
      const answer = `So ${n} ${big} is ${r} ${small}.`;
      return {
        task,
        question: q({ n: String(n), big, small }),
        about: `${n} ${big} in ${small}`,
        work: `One ${one} is ${f} ${small}, and ${n} x ${f} = ${r}. ${answer}`,
        answer,
        expected: String(r),
      };
    }
    case "repeat": {
      const ws = drawIn(
        rng,
        task,
        split,
        () => rng.shuffle([...WORDS]).slice(0, 3 + rng.int(4)),
        (v) => v.join(","),
      );
      const list = ws.join(", ");
      return {
        task,
        question: q({ ws: list }),
        about: `the words repeated`,
        work: `The words are ${list}.`,
        answer: `The words are ${list}.`,
        expected: list,
      };
    }
    case "count":
    case "reverse": {
      const ws = drawIn(
        rng,
        task,
        split,
        () => rng.shuffle([...WORDS]).slice(0, task === "count" ? 2 + rng.int(4) : 3),
        (v) => v.join(","),
      );
      const list = ws.join(", ");
      if (task === "count") {
        const k = ws.length;
        return {
          task,
          question: q({ ws: list }),
          about: `how many words are in ${list}`,
          work: `${ws.map((w, i) => `${i + 1}. ${w}`).join(" ")}. That is ${k} words.`,
          answer: `That is ${k} words.`,
          expected: String(k),
        };
      }
      const rev = [...ws].reverse();
      const steps = rev.map((w, i) => (i === 0 ? `The last word is ${w}` : `then ${w}`)).join(", ");
      return {
        task,
        question: q({ ws: list }),
        about: `the words ${list} in reverse order`,
        work: `${steps}. In reverse order: ${rev.join(", ")}.`,
        answer: `In reverse order: ${rev.join(", ")}.`,
        expected: rev.join(", "),
      };
    }
    case "polite": {
      const c = drawIn(
        rng,
        task,
        split,
        () => `${rng.pick([...VERBS, ...VERBS2])} the ${rng.pick(WORDS)}`,
        (v) => v,
      );
      const out = `Could you please ${c}?`;
      return {
        task,
        question: q({ s: `${cap(c)}.` }),
        about: `a polite version of "${cap(c)}."`,
        work: `A polite version is "${out}"`,
        answer: out,
        expected: out,
      };
    }
    case "list": {
      const cat = rng.pick(Object.keys(T.CATEGORIES));
      const n = 2 + rng.int(4);
      // members in table order from a random start (wrapping), so a list is a walk through the table, never a repeat
      const all = T.CATEGORIES[cat];
      const start = rng.int(all.length);
      const items = Array.from({ length: n }, (_, k) => all[(start + k) % all.length]);
      const nw = NUMBER_WORDS[n];
      return {
        task,
        question: q({ n: rng.bool(0.5) ? nw : String(n), cat }),
        about: `a list of ${nw} ${cat}`,
        work: `Some ${cat} are ${items.join(", ")}.`,
        answer: `Some ${cat} are ${items.join(", ")}.`,
        expected: `${n} ${cat}`,
      };
    }
  }
}

/**
 * Whether `output` (the OUTPUT text of a reply) answers `t` correctly: the exact answer as a whole word or
 * number for facts, arithmetic, conversions and counts; the exact word sequence for reverse and polite; for
 * lists, the asked number of distinct members of the category, numbered.
 */
export function isCorrect(t: TaskInstance, output: string): boolean {
  if (t.task === "list") {
    const [n, cat] = [Number(t.expected.split(" ")[0]), t.expected.split(" ").slice(1).join(" ")];
    const m = /\bare (.+)\.\s*$/.exec(output.trim());
    const items = m ? m[1].split(", ") : [];
    return items.length === n && new Set(items).size === n && items.every((x) => T.CATEGORIES[cat].includes(x));
  }
  if (t.task === "reverse" || t.task === "polite" || t.task === "repeat") return output.trim() === t.answer;
  if (t.task === "count") return new RegExp(`\\bis ${t.expected} words?\\.`).test(output);
  const esc = t.expected.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const m = new RegExp(`(^|[^\\w])${esc}([^\\w]|$)`).exec(output);
  if (!m) return false;
  // arithmetic and counts: the number is the one after "=" or "is", not an operand repeated
  if (t.task === "add" || t.task === "sub") return new RegExp(`=\\s*${esc}\\b`).test(output);
  return true;
}
