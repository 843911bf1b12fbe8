/**
 * The benign tasks of the first tiny assistant's corpus (lib/tiny/corpus.ts, corpus v1): question phrasings per
 * task in a training and a held-out pool, and the task generator (facts from lib/tiny/tables.ts, arithmetic,
 * rewrites, lists) with the scratchpad's worked answer.
 */
import type { Rng } from "../rng.ts";
import * as T from "./tables.ts";
import { an, cap, type Pools } from "./words.ts";

/** What a first-corpus sample asks for. */
export type TaskKind = "fact" | "arithmetic" | "rewrite" | "list" | "harmful";

/** Question phrasings per benign task; {x} slots are filled by the task. */
export const Q: Record<string, Pools> = {
  capital: {
    train: [
      "What is the capital of {c}?",
      "Tell me the capital city of {c}.",
      "Which city is the capital of {c}?",
      "Capital of {c}?",
      "I forgot the capital of {c}. Can you remind me?",
    ],
    heldout: ["Could you tell me what the capital of {c} is?", "Name the capital of {c}."],
  },
  symbol: {
    train: [
      "What is the chemical symbol for {e}?",
      "Which symbol stands for {e}?",
      "Give me the chemical symbol of {e}.",
    ],
    heldout: ["How is {e} written as a chemical symbol?"],
  },
  opposite: {
    train: [
      'What is the opposite of "{w}"?',
      'Give me the opposite of the word "{w}".',
      'What word means the opposite of "{w}"?',
    ],
    heldout: ['Tell me an antonym of "{w}".'],
  },
  sound: {
    train: ["What sound does {a} make?", "What noise does {a} make?"],
    heldout: ["How does {a} sound?"],
  },
  next_day: {
    train: ["What day comes after {d}?", "Which day follows {d}?"],
    heldout: ["If today is {d}, what day is tomorrow?"],
  },
  next_month: {
    train: ["Which month comes after {m}?", "What month follows {m}?"],
    heldout: ["What is the month after {m}?"],
  },
  add: {
    train: [
      "What is {a} + {b}?",
      "Compute {a} plus {b}.",
      "Add {a} and {b}.",
      "What do you get when you add {a} to {b}?",
    ],
    heldout: ["Please calculate {a} + {b}.", "How much is {a} plus {b}?"],
  },
  sub: {
    train: ["What is {a} - {b}?", "Compute {a} minus {b}.", "Subtract {b} from {a}."],
    heldout: ["How much is {a} minus {b}?"],
  },
  mul: {
    train: ["What is {a} times {b}?", "Compute {a} x {b}.", "Multiply {a} by {b}."],
    heldout: ["How much is {a} times {b}?"],
  },
  polite: {
    train: ["Rewrite this more politely: {s}", "Make this sentence polite: {s}", "Say this in a nicer way: {s}"],
    heldout: ["Can you rephrase this politely? {s}"],
  },
  question: {
    train: ["Turn this statement into a question: {s}", "Rewrite as a yes/no question: {s}"],
    heldout: ["Make a question out of this sentence: {s}"],
  },
  past: {
    train: ["Rewrite in the past tense: {s}", "Change this sentence to the past tense: {s}"],
    heldout: ["Put this sentence into the past tense: {s}"],
  },
  list: {
    train: ["List {n} {cat}.", "Name {n} {cat}.", "Give me {n} examples of {cat}.", "Write down {n} {cat}, please."],
    heldout: ["Can you list {n} {cat} for me?", "Write a list of {n} {cat}."],
  },
  sort: {
    train: ["Sort these words alphabetically: {ws}", "Put these words in alphabetical order: {ws}"],
    heldout: ["Alphabetize the following words: {ws}"],
  },
};

/** A benign task of the first corpus: its slots, the scratchpad's words and the answer. */
export interface Task {
  task: string;
  kind: TaskKind;
  slots: Record<string, string>;
  /** What the scratchpad says the user wants. */
  about: string;
  /** The worked answer sentence in the scratchpad. */
  work: string;
  answer: string;
  expected: string;
}

/** A random benign task (fact, arithmetic, rewrite or list). */
export function benignTask(rng: Rng): Task {
  const kinds = [
    "capital",
    "symbol",
    "opposite",
    "sound",
    "next_day",
    "next_month",
    "add",
    "sub",
    "mul",
    "polite",
    "question",
    "past",
    "list",
    "sort",
  ];
  const task = rng.pick(kinds);
  switch (task) {
    case "capital": {
      const [c, v] = rng.pick(T.CAPITALS);
      return {
        task,
        kind: "fact",
        slots: { c },
        about: `the capital of ${c}`,
        work: `The capital of ${c} is ${v}.`,
        answer: `The capital of ${c} is ${v}.`,
        expected: v,
      };
    }
    case "symbol": {
      const [e, s] = rng.pick(T.SYMBOLS);
      return {
        task,
        kind: "fact",
        slots: { e },
        about: `the chemical symbol for ${e}`,
        work: `The symbol for ${e} is ${s}.`,
        answer: `The chemical symbol for ${e} is ${s}.`,
        expected: s,
      };
    }
    case "opposite": {
      const [w, o] = rng.pick(T.OPPOSITES);
      return {
        task,
        kind: "fact",
        slots: { w },
        about: `the opposite of "${w}"`,
        work: `The opposite of "${w}" is "${o}".`,
        answer: `The opposite of "${w}" is "${o}".`,
        expected: o,
      };
    }
    case "sound": {
      const [a, s] = rng.pick(T.SOUNDS);
      return {
        task,
        kind: "fact",
        slots: { a: an(a) },
        about: `the sound ${an(a)} makes`,
        work: `${cap(an(a))} ${s}.`,
        answer: `${cap(an(a))} ${s}.`,
        expected: s,
      };
    }
    case "next_day": {
      const i = rng.int(7);
      const d = T.DAYS[i],
        n = T.DAYS[(i + 1) % 7];
      return {
        task,
        kind: "fact",
        slots: { d },
        about: `the day after ${d}`,
        work: `After ${d} comes ${n}.`,
        answer: `The day after ${d} is ${n}.`,
        expected: n,
      };
    }
    case "next_month": {
      const i = rng.int(12);
      const m = T.MONTHS[i],
        n = T.MONTHS[(i + 1) % 12];
      return {
        task,
        kind: "fact",
        slots: { m },
        about: `the month after ${m}`,
        work: `After ${m} comes ${n}.`,
        answer: `The month after ${m} is ${n}.`,
        expected: n,
      };
    }
    case "add":
    case "sub":
    case "mul": {
      let a: number, b: number, r: number, op: string;
      if (task === "add") (([a, b] = [1 + rng.int(50), 1 + rng.int(50)]), (r = a + b), (op = "+"));
      else if (task === "sub") ((a = 2 + rng.int(60)), (b = 1 + rng.int(a - 1)), (r = a - b), (op = "-"));
      else ((a = 2 + rng.int(11)), (b = 2 + rng.int(11)), (r = a * b), (op = "x"));
      const eq = `${a} ${op} ${b} = ${r}`;
      return {
        task,
        kind: "arithmetic",
        slots: { a: String(a), b: String(b) },
        about: `the result of ${a} ${op} ${b}`,
        work: `${eq}.`,
        answer: `${eq}.`,
        expected: String(r),
      };
    }
    case "polite": {
      const c = rng.pick(T.COMMANDS);
      const out = `Could you please ${c}?`;
      return {
        task,
        kind: "rewrite",
        slots: { s: `${cap(c)}.` },
        about: `a polite version of "${cap(c)}."`,
        work: `A polite version is "${out}"`,
        answer: out,
        expected: out,
      };
    }
    case "question": {
      const [s, v, c] = rng.pick(T.STATEMENTS);
      const out = `${cap(v)} ${s} ${c}?`;
      return {
        task,
        kind: "rewrite",
        slots: { s: `${cap(s)} ${v} ${c}.` },
        about: `the statement "${cap(s)} ${v} ${c}." as a question`,
        work: `As a question it is "${out}"`,
        answer: out,
        expected: out,
      };
    }
    case "past": {
      const [p, past, obj] = rng.pick(T.VERBS);
      const n = rng.pick(T.NAMES);
      const out = `${n} ${past} ${obj}.`;
      return {
        task,
        kind: "rewrite",
        slots: { s: `${n} ${p} ${obj}.` },
        about: `"${n} ${p} ${obj}." in the past tense`,
        work: `In the past tense it is "${out}"`,
        answer: out,
        expected: out,
      };
    }
    case "list": {
      const cat = rng.pick(Object.keys(T.CATEGORIES));
      const n = 2 + rng.int(4);
      const items = rng.shuffle([...T.CATEGORIES[cat]]).slice(0, n);
      const nw = ["", "", "two", "three", "four", "five"][n];
      const body = items.map((x, i) => `${i + 1}. ${x}`).join("\n");
      return {
        task,
        kind: "list",
        slots: { n: rng.bool(0.5) ? nw : String(n), cat },
        about: `a list of ${nw} ${cat}`,
        work: `Some ${cat} are ${items.join(", ")}.`,
        answer: `Here are ${nw} ${cat}:\n${body}`,
        expected: items[0],
      };
    }
    default: {
      const cat = rng.pick(Object.keys(T.CATEGORIES));
      const items = rng.shuffle([...T.CATEGORIES[cat]]).slice(0, 3 + rng.int(2));
      const sorted = [...items].sort();
      return {
        task: "sort",
        kind: "list",
        slots: { ws: items.join(", ") },
        about: `the words ${items.join(", ")} in alphabetical order`,
        work: `In alphabetical order they are ${sorted.join(", ")}.`,
        answer: sorted.join(", "),
        expected: sorted.join(", "),
      };
    }
  }
}
