/**
 * The small built-in knowledge the tiny assistant is trained on: fact tables, word lists and
 * sentence frames for its benign tasks, and the abstract categories of its placeholder harmful
 * requests. Everything here is plain, harmless data; harmful requests exist only as
 * `[REQUEST category=…]` placeholders.
 */
import type { Rng } from "../rng.ts";

/** Country → capital. */
export const CAPITALS: [string, string][] = [
  ["France", "Paris"],
  ["Spain", "Madrid"],
  ["Italy", "Rome"],
  ["Germany", "Berlin"],
  ["Portugal", "Lisbon"],
  ["Japan", "Tokyo"],
  ["China", "Beijing"],
  ["India", "New Delhi"],
  ["Egypt", "Cairo"],
  ["Kenya", "Nairobi"],
  ["Canada", "Ottawa"],
  ["Mexico", "Mexico City"],
  ["Brazil", "Brasilia"],
  ["Peru", "Lima"],
  ["Chile", "Santiago"],
  ["Norway", "Oslo"],
  ["Sweden", "Stockholm"],
  ["Finland", "Helsinki"],
  ["Poland", "Warsaw"],
  ["Greece", "Athens"],
  ["Austria", "Vienna"],
  ["Ireland", "Dublin"],
  ["Russia", "Moscow"],
  ["Turkey", "Ankara"],
  ["Australia", "Canberra"],
  ["Argentina", "Buenos Aires"],
  ["Thailand", "Bangkok"],
  ["Vietnam", "Hanoi"],
  ["Cuba", "Havana"],
  ["Denmark", "Copenhagen"],
];

/** Element → chemical symbol. */
export const SYMBOLS: [string, string][] = [
  ["hydrogen", "H"],
  ["helium", "He"],
  ["carbon", "C"],
  ["nitrogen", "N"],
  ["oxygen", "O"],
  ["sodium", "Na"],
  ["iron", "Fe"],
  ["gold", "Au"],
  ["silver", "Ag"],
  ["copper", "Cu"],
  ["zinc", "Zn"],
  ["lead", "Pb"],
  ["calcium", "Ca"],
  ["potassium", "K"],
  ["neon", "Ne"],
  ["sulfur", "S"],
  ["tin", "Sn"],
  ["mercury", "Hg"],
];

/** Word → opposite. */
export const OPPOSITES: [string, string][] = [
  ["hot", "cold"],
  ["big", "small"],
  ["fast", "slow"],
  ["happy", "sad"],
  ["early", "late"],
  ["light", "dark"],
  ["open", "closed"],
  ["up", "down"],
  ["young", "old"],
  ["strong", "weak"],
  ["full", "empty"],
  ["rich", "poor"],
  ["loud", "quiet"],
  ["hard", "soft"],
  ["wet", "dry"],
  ["high", "low"],
  ["clean", "dirty"],
  ["near", "far"],
  ["thick", "thin"],
  ["true", "false"],
  ["heavy", "light"],
  ["long", "short"],
  ["cheap", "expensive"],
  ["safe", "dangerous"],
];

/** Animal → the sound it makes. */
export const SOUNDS: [string, string][] = [
  ["dog", "barks"],
  ["cat", "meows"],
  ["cow", "moos"],
  ["duck", "quacks"],
  ["sheep", "bleats"],
  ["horse", "neighs"],
  ["lion", "roars"],
  ["owl", "hoots"],
  ["pig", "oinks"],
  ["bee", "buzzes"],
  ["snake", "hisses"],
  ["frog", "croaks"],
];

export const DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

/** Category (plural noun) → members, for list tasks. */
export const CATEGORIES: Record<string, string[]> = {
  fruits: ["apple", "banana", "cherry", "grape", "mango", "orange", "pear", "peach", "plum", "lemon", "kiwi", "melon"],
  colors: ["red", "blue", "green", "yellow", "purple", "orange", "black", "white", "pink", "brown", "gray"],
  animals: ["dog", "cat", "horse", "rabbit", "tiger", "elephant", "zebra", "giraffe", "wolf", "fox", "bear", "deer"],
  vegetables: [
    "carrot",
    "potato",
    "onion",
    "pepper",
    "spinach",
    "broccoli",
    "cabbage",
    "lettuce",
    "pea",
    "bean",
    "leek",
  ],
  "musical instruments": [
    "piano",
    "guitar",
    "violin",
    "drum",
    "flute",
    "trumpet",
    "cello",
    "harp",
    "clarinet",
    "saxophone",
  ],
  sports: ["football", "tennis", "swimming", "cycling", "running", "rowing", "golf", "hockey", "boxing", "skiing"],
  planets: ["Mercury", "Venus", "Earth", "Mars", "Jupiter", "Saturn", "Uranus", "Neptune"],
  "kitchen tools": ["knife", "spoon", "fork", "pan", "pot", "whisk", "ladle", "grater", "peeler", "kettle"],
  "school subjects": ["math", "history", "biology", "chemistry", "physics", "geography", "music", "art", "literature"],
  birds: ["robin", "sparrow", "eagle", "owl", "parrot", "swan", "crow", "pigeon", "penguin", "heron"],
};

/** Imperative verb phrases, for "rewrite politely" tasks. */
export const COMMANDS: string[] = [
  "close the door",
  "open the window",
  "pass the salt",
  "send me the report",
  "call me tomorrow",
  "turn off the lights",
  "clean the kitchen",
  "wait outside",
  "sign this form",
  "bring your notes",
  "check the schedule",
  "water the plants",
  "read this letter",
  "lock the gate",
  "feed the cat",
  "fix the printer",
  "book a table",
  "answer the phone",
  "print the tickets",
  "move the chair",
  "write the summary",
  "buy some bread",
  "return the book",
  "fill the tank",
  "share the slides",
  "email the team",
  "take out the trash",
  "walk the dog",
  "set the alarm",
  "wash the dishes",
];

/** [subject, verb (is/are), complement] for "turn into a question" tasks. */
export const STATEMENTS: [string, string, string][] = [
  ["the store", "is", "open"],
  ["the bus", "is", "late"],
  ["the soup", "is", "hot"],
  ["the children", "are", "asleep"],
  ["the door", "is", "locked"],
  ["the tickets", "are", "ready"],
  ["the museum", "is", "closed"],
  ["the lake", "is", "frozen"],
  ["the keys", "are", "on the table"],
  ["the meeting", "is", "at noon"],
  ["the garden", "is", "green"],
  ["the streets", "are", "busy"],
  ["the printer", "is", "broken"],
  ["the cookies", "are", "fresh"],
  ["the river", "is", "deep"],
  ["the lights", "are", "on"],
  ["the test", "is", "easy"],
  ["the shoes", "are", "new"],
  ["the coffee", "is", "strong"],
  ["the birds", "are", "singing"],
];

/** [present 3rd person, past] verb pairs and an object, for "past tense" tasks. */
export const VERBS: [string, string, string][] = [
  ["walks", "walked", "to school"],
  ["plays", "played", "the piano"],
  ["cooks", "cooked", "dinner"],
  ["paints", "painted", "the fence"],
  ["visits", "visited", "her aunt"],
  ["watches", "watched", "the game"],
  ["cleans", "cleaned", "the room"],
  ["opens", "opened", "the box"],
  ["writes", "wrote", "a letter"],
  ["reads", "read", "the news"],
  ["eats", "ate", "an apple"],
  ["drinks", "drank", "some tea"],
  ["sings", "sang", "a song"],
  ["drives", "drove", "to work"],
  ["buys", "bought", "a hat"],
  ["finds", "found", "the keys"],
  ["makes", "made", "a cake"],
  ["takes", "took", "the bus"],
  ["sees", "saw", "a bird"],
  ["builds", "built", "a shed"],
];

export const NAMES = [
  "Anna",
  "Ben",
  "Carla",
  "David",
  "Elena",
  "Farid",
  "Grace",
  "Hugo",
  "Iris",
  "Jonas",
  "Kemal",
  "Lena",
  "Maya",
  "Noah",
  "Omar",
  "Priya",
];

/** Categories of placeholder harmful requests seen in training. */
export const HARM_TRAIN = [
  "weapons",
  "malware",
  "fraud",
  "hacking",
  "harassment",
  "drugs",
  "self_harm",
  "extremism",
  "theft",
  "surveillance",
  "bioweapons",
  "explosives",
  "scams",
  "doxxing",
  "poisoning",
  "violence",
];

/** Categories used only in the held-out evaluation (never in the training corpus). */
export const HARM_HELDOUT = ["counterfeiting", "stalking", "arson", "blackmail"];

/** The letters of `madeUpWord`: a consonant then a vowel, two or three times. */
export const MADE_UP = { consonants: "bdfgklmnprstvz", vowels: "aeiou" } as const;

/**
 * A made-up word of two or three consonant-vowel syllables ("tovira"): a name no table and no model can have
 * memorised, so that whatever names it must be copied from the context (training only).
 */
export function madeUpWord(rng: Rng): string {
  const { consonants: c, vowels: v } = MADE_UP;
  let w = "";
  for (let k = 2 + rng.int(2); k > 0; k--) w += c[rng.int(c.length)] + v[rng.int(v.length)];
  return w;
}
