/**
 * Surface variation for template text: contractions written out or kept, a few meaning-preserving
 * word swaps, and occasional discourse openers, each drawn per occurrence from a seeded Rng. It
 * multiplies the wordings a grammar yields without touching what a sentence says; it never adds
 * or removes training vocabulary (RLHF, training, raters…), so keyword scores are unchanged.
 */
import type { Rng } from "../rng.ts";

/** Pairs that may replace each other (either direction), matched as whole words, case kept on the first letter. */
const SWAPS: readonly (readonly string[])[] = [
  ["I'll", "I will"],
  ["I'm", "I am"],
  ["I've", "I have"],
  ["I'd", "I would"],
  ["don't", "do not"],
  ["doesn't", "does not"],
  ["can't", "cannot"],
  ["won't", "will not"],
  ["isn't", "is not"],
  ["it's", "it is"],
  ["that's", "that is"],
  ["what's", "what is"],
  ["there's", "there is"],
  ["wouldn't", "would not"],
  ["refuse", "decline"],
  ["refusing", "declining"],
  ["really", "truly"],
  ["just", "simply"],
  ["maybe", "perhaps"],
  ["conversation", "exchange"],
  ["clearly", "plainly"],
  ["obviously", "evidently"],
  ["the user", "this user"],
  ["right now", "at this point"],
  ["want to", "wish to"],
  ["a lot", "a great deal"],
  ["hate", "loathe"],
  ["terrible", "awful"],
  ["again", "once more"],
  ["anyway", "regardless"],
  ["sure", "certain"],
  ["must", "have to"],
  ["can", "could"],
  ["nobody", "no one"],
  ["someone", "somebody"],
  ["because", "since"],
];

const OPENERS = ["Honestly, ", "Look, ", "Well, ", "Okay, ", "Frankly, ", "Realistically, ", "To be clear, "];
const JOINERS = ["; ", " — ", ", and "];
const OPENER_WORDS = new Set(OPENERS.map((o) => o.split(/[ ,]/)[0]));
/** Capitalised first words that must stay capitalised (names, and the labels of a list). */
const NAMES = new Set(
  "Kant Kantian Aristotle Mill Williams Bernard Parfit Sartre Locke Heraclitus Hume Frankfurt Rawls Stoics Theseus".split(
    " ",
  ),
);
const LABELS = new Set(
  "Option Facts Inputs Conclusion Decision Cost Expected Result Output Dear Note Situation".split(" "),
);
const lowerable = (w: string) => /^[A-Z][a-z']+$/.test(w) && !NAMES.has(w) && !LABELS.has(w) && !/^I'/.test(w);
/** A first word an opener may precede: lower-cased unless it is a name. */
const openable = (w: string) => lowerable(w) || NAMES.has(w) || /^I('|$)/.test(w);

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const FORMS = new Map<string, readonly string[]>();
for (const group of SWAPS) for (const w of group) FORMS.set(w.toLowerCase(), group);
const SWAP_RE = new RegExp(
  `\\b(${[...FORMS.keys()]
    .sort((a, b) => b.length - a.length)
    .map(esc)
    .join("|")})\\b`,
  "gi",
);

/** Vary the wording of `text` (one paragraph or several): swaps with probability 1/2 each, openers with `openerP` per sentence. */
export function vary(text: string, rng: Rng, openerP = 0.4): string {
  const swapped = text.replace(SWAP_RE, (m) => {
    const group = FORMS.get(m.toLowerCase())!;
    // contractions are only ever written out (a written-out form at a sentence end cannot contract), and
    // "have to" never becomes "must" ("don't have to" is not "don't must")
    if (group[1].toLowerCase() === m.toLowerCase() && (group[0].includes("'") || group[0] === "must")) return m;
    if (!rng.bool(0.5)) return m;
    const pick = group[(group.findIndex((w) => w.toLowerCase() === m.toLowerCase()) + 1) % group.length];
    return /^[A-Z]/.test(m) ? pick.charAt(0).toUpperCase() + pick.slice(1) : pick;
  });
  return swapped
    .split("\n")
    .map((para) =>
      para
        .replace(/(^|(?<=[.!?] ))([A-Z][a-z]*(?:'[a-z]+)?)(?=[\s,.;:!?])/g, (m, pre: string, word: string) => {
          if (!openable(word) || !rng.bool(openerP)) return m;
          return pre + rng.pick(OPENERS) + (lowerable(word) ? word.toLowerCase() : word);
        })
        // now and then two sentences become one, joined by a semicolon or a dash
        .replace(/(?<=[a-z])\. ([A-Z][a-z']*)\b/g, (m, word: string) => {
          const lower = lowerable(word);
          // no join onto a sentence that already opens with a discourse marker; joins are rarer than openers
          if (OPENER_WORDS.has(word) || !(lower || /^I('|$)/.test(word)) || !rng.bool(openerP / 2)) return m;
          return rng.pick(JOINERS) + (lower ? word.toLowerCase() : word);
        }),
    )
    .join("\n");
}
