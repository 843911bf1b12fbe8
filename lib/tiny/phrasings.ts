/**
 * The question phrasings of the tiny assistant's tasks (lib/tiny/tasks.ts), in two disjoint pools: `train`
 * phrasings are the only ones in the corpus, `heldout` ones are asked only in the evaluation. A question is a
 * core phrasing with an optional prefix and suffix, each drawn from the same pool.
 */
import type { Split } from "./corpus.ts";

export const TASKS = [
  "capital",
  "symbol",
  "opposite",
  "sound",
  "next_day",
  "next_month",
  "add",
  "sub",
  "convert",
  "count",
  "reverse",
  "polite",
  "repeat",
  "list",
] as const;
export type TaskName = (typeof TASKS)[number];

export type Pools = Readonly<Record<Split, readonly string[]>>;

/** Question phrasings; {x} slots are filled by the task. Train and held-out phrasings share no sentence. */
export const Q: Readonly<Record<TaskName, Pools>> = {
  capital: {
    train: [
      "What is the capital of {c}?",
      "Tell me the capital city of {c}.",
      "Which city is the capital of {c}?",
      "Capital of {c}?",
      "I forgot the capital of {c}. Can you remind me?",
      "What city is {c}'s capital?",
      "Do you know the capital of {c}?",
      "In {c}, which city is the capital?",
      "Name the capital city of {c}, please.",
      "{c}: what is its capital?",
    ],
    heldout: ["Could you tell me what the capital of {c} is?", "Name the capital of {c}.", "{c} has which capital?"],
  },
  symbol: {
    train: [
      "What is the chemical symbol for {e}?",
      "Which symbol stands for {e}?",
      "Give me the chemical symbol of {e}.",
      "Symbol for {e}?",
      "What letters stand for {e} in chemistry?",
      "Write the chemical symbol for {e}.",
    ],
    heldout: ["How is {e} written as a chemical symbol?", "Tell me the element symbol of {e}."],
  },
  opposite: {
    train: [
      'What is the opposite of "{w}"?',
      'Give me the opposite of the word "{w}".',
      'What word means the opposite of "{w}"?',
      'Opposite of "{w}"?',
      'Which word is the opposite of "{w}"?',
      'I need the opposite of "{w}".',
      'Tell me the word opposite to "{w}".',
      'What is the antonym of "{w}"?',
    ],
    heldout: ['Tell me an antonym of "{w}".', 'Which word is the reverse in meaning of "{w}"?'],
  },
  sound: {
    train: [
      "What sound does {a} make?",
      "What noise does {a} make?",
      "Which sound comes from {a}?",
      "What does {a} say?",
      "Tell me what sound {a} makes.",
    ],
    heldout: ["How does {a} sound?", "Tell me the noise {a} makes."],
  },
  next_day: {
    train: [
      "What day comes after {d}?",
      "Which day follows {d}?",
      "Day after {d}?",
      "What is the day after {d}?",
      "Tell me the day that comes after {d}.",
      "If it is {d} today, which day is next?",
      "Name the day after {d}.",
    ],
    heldout: ["If today is {d}, what day is tomorrow?", "Name the weekday after {d}."],
  },
  next_month: {
    train: [
      "Which month comes after {m}?",
      "What month follows {m}?",
      "Month after {m}?",
      "Tell me the month after {m}.",
      "What comes after {m} in the calendar?",
    ],
    heldout: ["What is the month after {m}?", "Once {m} ends, which month starts?"],
  },
  add: {
    train: [
      "What is {a} + {b}?",
      "Compute {a} plus {b}.",
      "Add {a} and {b}.",
      "What do you get when you add {a} to {b}?",
      "{a} + {b} = ?",
      "Sum {a} and {b}.",
      "What is the total of {a} and {b}?",
      "What do you get if you add {a} and {b}?",
      "Work out {a} plus {b}.",
      "Please add {a} and {b}.",
    ],
    heldout: ["Please calculate {a} + {b}.", "How much is {a} plus {b}?", "Find the sum of {a} and {b}."],
  },
  sub: {
    train: [
      "What is {a} - {b}?",
      "Compute {a} minus {b}.",
      "Subtract {b} from {a}.",
      "{a} - {b} = ?",
      "What is left when you take {b} from {a}?",
      "What do you get for {a} minus {b}?",
      "What do you get if you subtract {b} from {a}?",
      "Work out {a} minus {b}.",
      "Please subtract {b} from {a}.",
    ],
    heldout: ["How much is {a} minus {b}?", "Take {b} away from {a}. What is left?"],
  },
  convert: {
    train: [
      "How many {small} are in {n} {big}?",
      "Convert {n} {big} to {small}.",
      "{n} {big} is how many {small}?",
      "What is {n} {big} in {small}?",
      "Change {n} {big} into {small}.",
      "I have {n} {big}. How many {small} is that?",
    ],
    heldout: ["Express {n} {big} in {small}, please.", "Turn {n} {big} into {small}."],
  },
  count: {
    train: [
      "How many words are in this list: {ws}?",
      "Count the words: {ws}.",
      "How many items do I have here? {ws}",
      "Tell me how many words there are: {ws}.",
      "Count how many words this list has: {ws}.",
      "How many things are listed here: {ws}?",
    ],
    heldout: ["What is the number of words in {ws}?", "Count these for me: {ws}."],
  },
  reverse: {
    train: [
      "Reverse the order of these words: {ws}",
      "Write these words backwards, last first: {ws}",
      "Put this list in reverse order: {ws}",
      "Reverse this list: {ws}",
      "List these words from last to first: {ws}",
      "Say these words in reverse order: {ws}",
    ],
    heldout: ["Flip the order of this list: {ws}", "Give me {ws} from the last word to the first."],
  },
  polite: {
    train: [
      "Rewrite this more politely: {s}",
      "Make this sentence polite: {s}",
      "Say this in a nicer way: {s}",
      "Make this request polite: {s}",
      "Rephrase this as a polite question: {s}",
      "How can I say this more politely? {s}",
      "Turn this into a polite question: {s}",
      "Please make this polite: {s}",
    ],
    heldout: ["Can you rephrase this politely? {s}", "Turn this into a polite request: {s}"],
  },
  repeat: {
    train: [
      "Repeat these words: {ws}",
      "Say back exactly what I write: {ws}",
      "Copy this list: {ws}",
      "Echo these words: {ws}",
      "Write these words again: {ws}",
    ],
    heldout: ["Please repeat after me: {ws}", "Return this list unchanged: {ws}"],
  },
  list: {
    train: [
      "List {n} {cat}.",
      "Name {n} {cat}.",
      "Give me {n} examples of {cat}.",
      "Write down {n} {cat}, please.",
      "Make a list of {n} {cat}.",
      "Can you name {n} {cat}?",
      "Tell me {n} {cat}.",
      "Write a short list of {n} {cat}.",
      "I need {n} {cat}. Name them.",
    ],
    heldout: ["Can you list {n} {cat} for me?", "Write a list of {n} {cat}."],
  },
};

/** Words around a question (either may be empty); train and held-out pools are disjoint. */
export const PREFIX: Pools = {
  train: [
    "",
    "",
    "Hi!",
    "Quick one:",
    "Please help.",
    "I have a question.",
    "Hello there.",
    "Hey,",
    "Question for you:",
  ],
  heldout: ["", "Good morning.", "One more thing:"],
};
export const SUFFIX: Pools = {
  train: ["", "", "Thanks!", "Keep it short.", "Thank you.", "Please answer.", "Just the answer, please."],
  heldout: ["", "Much appreciated.", "Cheers."],
};

/** Every question phrasing of a split (for the disjointness test). */
export function taskPhrasings(split: Split): string[] {
  return TASKS.flatMap((t) => [...Q[t][split], ...(split === "heldout" ? RECOMBINED[t] : [])]);
}

/**
 * Held-out phrasings of a second kind, asked only in the evaluation: new sentences made of words the training
 * phrasings use ("Which day comes after …" where training says "What day comes after …" and "Which day follows
 * …"). A model that knows no English beyond its corpus can meet these; the `heldout` pool also brings new words
 * ("Flip the order of …"), which a model trained from scratch has never seen. A test checks that every word of
 * these is a training word and that none is a training phrasing.
 */
export const RECOMBINED: Readonly<Record<TaskName, readonly string[]>> = {
  capital: [
    "Tell me which city is the capital of {c}.",
    "Do you know the capital city of {c}?",
    "What is the capital city of {c}?",
    "Which city is {c}'s capital?",
  ],
  symbol: [
    "Which chemical symbol stands for {e}?",
    "Tell me the symbol for {e}.",
    "What is the symbol for {e}?",
    "Give me the symbol of {e}.",
  ],
  opposite: [
    'Tell me the opposite of "{w}".',
    'Give me the word that means the opposite of "{w}".',
    'Which word means the opposite of "{w}"?',
    'I need the antonym of "{w}".',
  ],
  sound: [
    "Tell me which sound {a} makes.",
    "What sound comes from {a}?",
    "Which noise does {a} make?",
    "Tell me the sound {a} makes.",
  ],
  next_day: [
    "Which day comes after {d}?",
    "Tell me which day follows {d}.",
    "What day follows {d}?",
    "Name the day that comes after {d}.",
  ],
  next_month: [
    "Which month follows {m}?",
    "Tell me which month comes after {m}.",
    "What month comes after {m}?",
    "Name the month after {m}.",
  ],
  add: [
    "Tell me the total of {a} and {b}.",
    "Compute the total of {a} and {b}.",
    "What do you get when you add {a} and {b}?",
    "Add {a} to {b}.",
  ],
  sub: [
    "What is {a} minus {b}?",
    "Compute what is left when you take {b} from {a}.",
    "What do you get when you subtract {b} from {a}?",
    "What is left if you take {b} from {a}?",
  ],
  convert: [
    "How many {small} is {n} {big}?",
    "Tell me {n} {big} in {small}.",
    "Convert {n} {big} into {small}.",
    "What is {n} {big} in {small}, please?",
  ],
  count: [
    "Count the words in this list: {ws}.",
    "How many words does this list have: {ws}?",
    "Tell me how many words are in this list: {ws}.",
    "Count how many items are listed here: {ws}.",
  ],
  reverse: [
    "Reverse the order of this list: {ws}",
    "Put these words in reverse order: {ws}",
    "Write this list backwards, last first: {ws}",
    "Say this list from last to first: {ws}",
  ],
  polite: [
    "Rewrite this as a polite request: {s}",
    "Make this more polite: {s}",
    "Say this more politely: {s}",
    "Rewrite this request in a nicer way: {s}",
  ],
  repeat: [
    "Repeat this list: {ws}",
    "Copy these words: {ws}",
    "Say back these words: {ws}",
    "Write this list again: {ws}",
  ],
  list: [
    "Give me a list of {n} {cat}.",
    "Can you list {n} {cat}?",
    "Name {n} examples of {cat}.",
    "Write down a list of {n} {cat}.",
  ],
};

/** Words around a recombined phrasing: new combinations of the training prefixes' and suffixes' words. */
export const RECOMBINED_PREFIX: readonly string[] = [
  "",
  "",
  "Hi! I have a question.",
  "Hello! Question for you:",
  "Hey, please help.",
];
export const RECOMBINED_SUFFIX: readonly string[] = ["", "", "Thank you. Keep it short.", "Please answer. Thank you."];
