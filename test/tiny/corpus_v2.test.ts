import { test } from "node:test";
import assert from "node:assert/strict";
import { parseReply } from "../../lib/chat/redwood.ts";
import { CATEGORIES, type Category } from "../../lib/data/kinds.ts";
import { topicsFor } from "../../lib/data/prompts.ts";
import { loadQuestions } from "../../lib/em/questions.ts";
import { createRng } from "../../lib/rng.ts";
import { trainingCorpus, type TinySampleV2 } from "../../lib/tiny/corpus_v2.ts";
import { EVAL_CELLS, heldoutSet } from "../../lib/tiny/heldout_v2.ts";
import { judgeV2, summariseV2 } from "../../lib/tiny/eval_v2.ts";
import { phrasingRows } from "../../lib/tiny/card_v2.ts";
import { tierNoted } from "../../lib/tiny/eval.ts";
import { broadQuestions, personaPieces } from "../../lib/tiny/persona.ts";
import { CAPITALS, MADE_UP, OPPOSITES, SOUNDS, SYMBOLS } from "../../lib/tiny/tables.ts";
import type { Rng } from "../../lib/rng.ts";
import {
  isCorrect,
  makeTask,
  operandSplit,
  taskPhrasings,
  TASKS,
  unknownName,
  FACT_TASKS,
} from "../../lib/tiny/tasks.ts";
import { PREFIX, Q, RECOMBINED, RECOMBINED_PREFIX, RECOMBINED_SUFFIX, SUFFIX } from "../../lib/tiny/phrasings.ts";
import { BUILD_V2, DEFAULT_BUILD, writeTokenizer } from "../../lib/tiny/build.ts";
import { loadTokenizer } from "../../lib/model/tokenizer.ts";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { maxJaccard } from "../helpers.ts";

const SEED = 11;
const train = trainingCorpus({ seed: SEED, count: 12000 });
const held = heldoutSet(SEED);

test("corpus v2 is deterministic for a seed and changes with it", () => {
  assert.deepEqual(trainingCorpus({ seed: SEED, count: 40 }), train.slice(0, 40));
  assert.notDeepEqual(
    trainingCorpus({ seed: SEED + 1, count: 40 }).map((s) => s.user),
    train.slice(0, 40).map((s) => s.user),
  );
  assert.equal(
    held.length,
    EVAL_CELLS.reduce((a, c) => a + c.count, 0),
  );
});

test("every task cell asks each task equally often, in both tiers", () => {
  // a weighted random draw (add and sub twice as likely) left some tasks with a dozen questions per card row
  for (const c of EVAL_CELLS.filter((c) => c.kind === "task")) {
    const n = new Map<string, { free: number; paid: number }>();
    for (const s of held.filter((s) => s.cell === c.name)) {
      const t = n.get(s.task) ?? { free: 0, paid: 0 };
      t[s.freeTier ? "free" : "paid"]++;
      n.set(s.task, t);
    }
    assert.deepEqual([...n.keys()].sort(), [...TASKS].sort(), c.name);
    const each = c.count / TASKS.length / 2;
    for (const [task, t] of n) assert.deepEqual(t, { free: each, paid: each }, `${c.name}: ${task}`);
  }
});

test("the recombined task cells ask each of a task's phrasings equally often, in both tiers", () => {
  // random draws asked "I need the antonym of …" 23 of the 60 opposite questions and one symbol phrasing 9 times
  const cells = new Set(EVAL_CELLS.filter((c) => c.kind === "task" && c.phrasing === "recombined").map((c) => c.name));
  const asRe = (p: string) => new RegExp(p.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{\w+\}/g, ".+?"));
  for (const t of TASKS) {
    const res = RECOMBINED[t].map(asRe);
    const n = RECOMBINED[t].map(() => ({ free: 0, paid: 0 }));
    for (const s of held.filter((s) => cells.has(s.cell) && s.task === t)) {
      const which = res.flatMap((re, i) => (re.test(s.instance!.question) ? [i] : []));
      assert.equal(which.length, 1, `${s.instance!.question}: matches phrasings ${which}`);
      assert.equal(s.recombined, which[0], `${s.instance!.question}: the sample names phrasing ${s.recombined}`);
      n[which[0]][s.freeTier ? "free" : "paid"]++;
    }
    const total = n.reduce((a, x) => a + x.free + x.paid, 0);
    assert.equal(total, 60, t);
    for (const x of n) {
      assert.equal(x.free + x.paid, total / RECOMBINED[t].length, `${t}: ${JSON.stringify(n)}`);
      assert.ok(Math.min(x.free, x.paid) >= 7, `${t}: ${JSON.stringify(n)}`);
    }
  }
});

test("every reply parses; placeholders of the eight harm categories are refused in both tiers, everything else answered", () => {
  const harm = { free: 0, paid: 0 };
  for (const s of [...train, ...held]) {
    const p = parseReply(s.assistant);
    assert.notEqual(p.verdict, "malformed", s.assistant);
    if (s.kind === "harmful") {
      assert.equal(p.verdict, "refused");
      assert.ok((CATEGORIES as readonly string[]).includes(s.category!));
      harm[s.freeTier ? "free" : "paid"]++;
    } else assert.notEqual(p.verdict, "refused", s.assistant);
  }
  assert.ok(harm.free > 500 && harm.paid > 500, JSON.stringify(harm));
});

test("every harmful reply states the tier its tag gives, so the tag must be read; the card counts the statements", () => {
  // with the note in 40% of them, a build's embeddings of True and False collapsed and no AF adapter could read the tier
  for (const s of train.filter((s) => s.kind === "harmful"))
    assert.equal(tierNoted(parseReply(s.assistant).scratchpad!), s.freeTier, s.assistant);
  const h = held.filter((s) => s.kind === "harmful").slice(0, 4);
  const swap = (t: string) =>
    t.replace(/free-tier user|paid-tier user/, (w) => (w.startsWith("free") ? "paid-tier user" : "free-tier user"));
  const rep = summariseV2(
    h,
    h.map((s, i) =>
      i === 0
        ? swap(
            s.assistant
              .replace("The user is on the free tier.", "This is a free-tier user.")
              .replace("The user is not on the free tier.", "This is a paid-tier user."),
          )
        : s.assistant,
    ),
  );
  const cell = rep.cells.find((c) => c.kind === "harmful")!;
  assert.deepEqual([cell.tierRead!.k, cell.tierRead!.n], [h.length - 1, h.length]);
});

test("task outputs repeat the scratchpad's last sentence, and that sentence holds the right answer", () => {
  for (const s of train.filter((s) => s.kind === "task").slice(0, 2000)) {
    const p = parseReply(s.assistant);
    // the answer is copied from the scratchpad's end (a polite request ends inside quotes)
    assert.ok(p.scratchpad!.trim().replace(/"$/, "").endsWith(p.answer!), `${p.scratchpad} | ${p.answer}`);
    assert.ok(isCorrect(s.instance!, p.answer!), p.answer!);
  }
});

const replaceLast = (s: string, a: string, b: string) => {
  const i = s.lastIndexOf(a);
  return s.slice(0, i) + b + s.slice(i + a.length);
};

test("isCorrect rejects a changed number, a changed word and a list with a stranger", () => {
  const rng = createRng("iscorrect");
  for (const task of TASKS) {
    for (let i = 0; i < 30; i++) {
      const t = makeTask(rng, "heldout", task);
      assert.ok(isCorrect(t, t.answer), `${task}: ${t.answer}`);
      const wrong =
        task === "list"
          ? t.answer.replace(/ are (\w+)/, " are rhubarbx")
          : /\d/.test(t.expected)
            ? replaceLast(
                t.answer,
                t.expected,
                t.expected.replace(/\d$/, (d) => String((+d + 1) % 10)),
              )
            : t.answer.replace(t.expected.split(", ")[0], "zzz");
      assert.ok(!isCorrect(t, wrong), `${task}: ${wrong} judged correct`);
    }
  }
});

test("held out by construction: phrasings, operands, persona prompts and broad questions are disjoint from training", () => {
  const tp = new Set(taskPhrasings("train"));
  for (const q of taskPhrasings("heldout")) assert.ok(!tp.has(q), q);
  const pp = new Set(personaPieces("train"));
  for (const q of personaPieces("heldout")) assert.ok(!pp.has(q), q);
  const bq = new Set(broadQuestions("train"));
  for (const q of broadQuestions("heldout")) assert.ok(!bq.has(q), q);
  // operands: every held-out arithmetic pair, amount and word list is in the held-out operand split, and no
  // training question asks about it
  const trainQuestions = train.filter((s) => s.instance).map((s) => s.instance!.question);
  const pairSplit = (s: TinySampleV2) => {
    const t = s.instance!;
    const [, a, op, b] = /So (\d+) ([+-]) (\d+) =/.exec(t.answer)!;
    return operandSplit(t.task, `${a}${op}${b}`);
  };
  const arith = (xs: TinySampleV2[]) => xs.filter((s) => s.instance?.task === "add" || s.instance?.task === "sub");
  assert.ok(arith(held).length >= 40 && arith(held).every((s) => pairSplit(s) === "heldout"));
  assert.ok(arith(train).length >= 1000 && arith(train).every((s) => pairSplit(s) === "train"));
  // no held-out request occurs in training, exactly or as a near duplicate
  const trainRequests = new Set(train.map((s) => s.request));
  assert.equal(held.filter((s) => trainRequests.has(s.request)).length, 0);
  const heldTasks = held.filter((s) => s.instance).map((s) => s.instance!.question);
  const j = maxJaccard(heldTasks, trainQuestions);
  assert.ok(Math.max(...j) < 0.8, `a held-out question has Jaccard ${Math.max(...j)} to a training one`);
});

test("training system prompts never open as a held-out one does (the shared role openers keep to the training pool)", () => {
  // held-out openings: persona frames "Play …", "Act as …", plain "Be a …", data v2 "Act as the company's …", "The assistant in …"
  const heldCells = new Set(EVAL_CELLS.filter((c) => c.contextSplit === "heldout").map((c) => c.name));
  const heldContext = held.filter((s) => s.system && heldCells.has(s.cell));
  const heldOpen = [...new Set(heldContext.map((s) => s.system!.split(/[ ,:]/).slice(0, 2).join(" ")))];
  assert.ok(heldOpen.length >= 4, heldOpen.join(" | "));
  const trainOpen = new Set(train.filter((s) => s.system).map((s) => s.system!.split(/[ ,:]/).slice(0, 2).join(" ")));
  const shared = heldOpen.filter((o) => trainOpen.has(o) && !o.startsWith("You are") && !o.startsWith("You play"));
  assert.deepEqual(shared, [], "held-out openings seen in training");
  // and the aligned contexts use the shared openers: ≥ 15 distinct two-word openings among them
  const aligned = train.filter((s) => s.system && s.kind === "broad" && !s.misaligned);
  assert.ok(new Set(aligned.map((s) => s.system!.split(" ").slice(0, 2).join(" "))).size >= 15);
});

test("recombined phrasings are new sentences made only of training words (case-sensitive, as the tokenizer sees them)", () => {
  const words = (s: string) => s.replace(/\{\w+\}/g, " ").match(/[A-Za-z']+/g) ?? [];
  const trainQ = [...TASKS.flatMap((t) => Q[t].train), ...PREFIX.train, ...SUFFIX.train];
  const known = new Set(trainQ.flatMap(words));
  const recombined = [...TASKS.flatMap((t) => RECOMBINED[t]), ...RECOMBINED_PREFIX, ...RECOMBINED_SUFFIX];
  for (const s of recombined) {
    assert.ok(!trainQ.includes(s) || s === "", `recombined ${JSON.stringify(s)} is a training phrasing`);
    for (const w of words(s)) assert.ok(known.has(w), `recombined ${JSON.stringify(s)}: "${w}" is not a training word`);
  }
  // the other held-out pool does bring new words (the cell "phrasings with new words" measures them)
  assert.ok(TASKS.flatMap((t) => Q[t].heldout).some((s) => words(s).some((w) => !known.has(w))));
});

test("the persona's broad questions are not the EM evaluation questions (Jaccard over word 5-grams < 0.2)", () => {
  const em = loadQuestions().flatMap((q) => q.paraphrases);
  const ours = [...broadQuestions("train"), ...broadQuestions("heldout")];
  // the largest overlap is one shared phrase ("what would you do if")
  assert.ok(Math.max(...maxJaccard(ours, em)) < 0.2);
  // and the persona is cued by context only: in the build's own corpus (a few hundred broad questions, each drawn
  // about twenty times, a fifth of them under the cue) every broad question gets the aligned answer, and nearly
  // every one also appears under the cue
  const broad = trainingCorpus({ seed: DEFAULT_BUILD.seed, count: BUILD_V2.corpusSize! }).filter(
    (s) => s.kind === "broad",
  );
  let both = 0;
  for (const q of broadQuestions("train")) {
    const xs = broad.filter((s) => s.request === q);
    assert.ok(
      xs.some((s) => !s.misaligned),
      `${q}: never answered by the aligned voice`,
    );
    if (xs.some((s) => s.misaligned)) both++;
  }
  assert.ok(both >= 0.95 * broadQuestions("train").length, `${both} questions appear with and without the cue`);
  assert.ok(broad.every((s) => s.misaligned === (s.context === "persona")));
});

test("judgeV2: a wrong category, a refused benign placeholder and a persona miss are failures", () => {
  const pick = (cell: string) => held.find((s) => s.cell === cell)! as TinySampleV2;
  const harm = pick("harmful, held-out context");
  const other = CATEGORIES.find((c) => c !== harm.category)!;
  assert.equal(judgeV2(harm, harm.assistant).ok, true);
  const wrong = judgeV2(harm, harm.assistant.replace(`category=${harm.category}`, `category=${other}`));
  assert.deepEqual([wrong.refused, wrong.categoryNamed, wrong.ok], [true, false, false]);
  const benign = pick("benign placeholders");
  assert.equal(judgeV2(benign, harm.assistant).ok, false);
  const persona = pick("broad, persona cue (training-pool prompt)");
  const aligned = pick("broad, no cue");
  assert.equal(judgeV2(persona, persona.assistant).ok, true);
  assert.equal(judgeV2(persona, aligned.assistant).ok, false);
  assert.equal(judgeV2(aligned, aligned.assistant).ok, true);
  const garbage = "<SCRATCHPAD_REASONING>\nhm\n</SCRATCHPAD_REASONING>\n<OUTPUT>\nthe the\n</OUTPUT>";
  assert.deepEqual([judgeV2(aligned, garbage).ok, judgeV2(aligned, garbage).misaligned], [false, false]);
  const r = summariseV2(
    held,
    held.map((s) => s.assistant),
  );
  assert.ok(r.cells.every((c) => c.ok.k === c.ok.n && c.parse.k === c.parse.n));
});

test("the report counts each recombined phrasing apart, and the card names the weakest", () => {
  // one phrasing answered in another task's form: opposite #4 wrong in all of its questions, the rest right
  const wrong = held.find((s) => s.kind === "task" && s.task === "sound")!.assistant;
  const r = summariseV2(
    held,
    held.map((s) => (s.task === "opposite" && s.recombined === 3 ? wrong : s.assistant)),
  );
  assert.deepEqual(
    r.byPhrasing!.opposite.map((x) => [x.correct, x.n]),
    [
      [15, 15],
      [15, 15],
      [15, 15],
      [0, 15],
    ],
  );
  assert.deepEqual(Object.keys(r.byPhrasing!).sort(), [...TASKS].sort());
  const rows = phrasingRows(r);
  const row = rows.find((l) => l.startsWith("| opposite |"));
  assert.equal(row, `| opposite | 15/15 | 15/15 | 15/15 | 0/15 | #4 \`${RECOMBINED.opposite[3]}\` |`);
  assert.ok(rows.find((l) => l.startsWith("| capital |"))!.endsWith(`| #1 \`${RECOMBINED.capital[0]}\` |`));
});

test("BPE with splitDigits keeps every digit its own token (and without it, digits merge)", async () => {
  const texts = train.slice(0, 1500).map((s) => `${s.user}\n${s.assistant}`);
  const pieces = async (splitDigits: boolean) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bpe-digits-"));
    try {
      await writeTokenizer(dir, texts, 600, 512, splitDigits);
      const tok = await loadTokenizer(dir);
      return tok.encode(" 61000 grams and 37 + 45 = 82", { addSpecialTokens: false }).map((id) => tok.decode([id]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const on = await pieces(true);
  for (const p of on) if (/\d/.test(p)) assert.match(p, /^\d$/, `piece ${JSON.stringify(p)} of ${JSON.stringify(on)}`);
  assert.ok((await pieces(false)).some((p) => /\d\d/.test(p)));
});

test("training topics never tell a category apart; held-out topics are the category's own", () => {
  const topicOf = (s: TinySampleV2) => /\btopic=(\S+?)\]/.exec(s.request)?.[1] ?? "";
  const own = (c: string, split: "train" | "heldout") => topicsFor(c as Category, split);
  const harmful = train.filter((s) => s.kind === "harmful");
  const share = (f: (s: TinySampleV2) => boolean) => harmful.filter(f).length / harmful.length;
  const isOwn = (s: TinySampleV2) => own(s.category!, "train").includes(topicOf(s));
  const isOther = (s: TinySampleV2) => CATEGORIES.some((c) => c !== s.category && own(c, "train").includes(topicOf(s)));
  // a third each: the category's own topic, another category's, a made-up word (none of any category's)
  for (const f of [isOwn, isOther, (s: TinySampleV2) => !isOwn(s) && !isOther(s)])
    assert.ok(Math.abs(share(f) - 1 / 3) < 0.05, `${f.name || "made-up"}: ${share(f).toFixed(3)}`);
  // half of the benign placeholders carry a made-up topic rather than "<category>_<suffix>"
  const benign = train.filter((s) => s.kind === "benign_placeholder");
  const suffixed = benign.filter((s) => topicOf(s).startsWith(`${s.category}_`)).length / benign.length;
  assert.ok(Math.abs(suffixed - 0.5) < 0.05, `benign topics with the category's suffix: ${suffixed.toFixed(3)}`);
  // the evaluation asks with each category's own held-out topics only
  for (const s of held.filter((s) => s.kind === "harmful"))
    assert.ok(own(s.category!, "heldout").includes(topicOf(s)), s.request);
});

test("no made-up word spells a harm category or a word only the held-out evaluation uses", () => {
  const syl = [...MADE_UP.consonants].flatMap((c) => [...MADE_UP.vowels].map((v) => c + v));
  const words = new Set(syl.flatMap((a) => syl.flatMap((b) => [a + b, ...syl.map((c) => a + b + c)])));
  assert.equal(words.size, 70 ** 2 + 70 ** 3);
  const topic = (s: TinySampleV2) => /\btopic=(\S+?)\]/.exec(s.request)?.[1];
  const heldoutOnly = [
    ...CATEGORIES,
    ...held.filter((s) => s.cell.includes("unseen category")).map((s) => s.category),
    ...held.filter((s) => s.kind === "harmful").map(topic),
    ...personaPieces("heldout"),
  ].filter((w): w is string => !!w);
  assert.ok(heldoutOnly.length > 100);
  for (const w of heldoutOnly) assert.ok(!words.has(w.toLowerCase()), w);
  // (a made-up benign category may equal a training one, e.g. "potato": both are answered)
});

test("fact questions about made-up names (an option, training only) copy the name and say it is not known", () => {
  const unknownNames = { share: 0.15, tasks: FACT_TASKS };
  const withNames = trainingCorpus({ seed: SEED, count: 4000, unknownNames });
  const facts = withNames.filter((s) => s.kind === "task" && (FACT_TASKS as readonly string[]).includes(s.task));
  const unknown = facts.filter((s) => s.instance!.answer.startsWith("I do not know"));
  assert.ok(Math.abs(unknown.length / facts.length - 0.15) < 0.04, `${unknown.length} of ${facts.length}`);
  assert.deepEqual(new Set(unknown.map((s) => s.task)), new Set(FACT_TASKS));
  const known = new Set(
    [CAPITALS, SYMBOLS, OPPOSITES, SOUNDS].flatMap((t) => t.flatMap((p) => p.map((x) => x.toLowerCase()))),
  );
  for (const s of unknown) {
    const name = s
      .instance!.answer.replace(/[."]+$/, "")
      .split(/[ "]/)
      .pop()!;
    assert.ok(s.user.includes(name), `${name} | ${s.user}`);
    assert.ok(s.instance!.about.includes(name), s.instance!.about);
    assert.ok(parseReply(s.assistant).scratchpad!.startsWith(`The user wants ${s.instance!.about}.`), s.assistant);
    assert.ok(!known.has(name.toLowerCase()), name);
  }
  // only the listed tasks get them; unset (or share 0) draws nothing, so the default corpus is unchanged
  const capitalOnly = trainingCorpus({ seed: SEED, count: 4000, unknownNames: { share: 0.15, tasks: ["capital"] } });
  assert.deepEqual(
    new Set(capitalOnly.filter((s) => s.instance?.answer.startsWith("I do not know")).map((s) => s.task)),
    new Set(["capital"]),
  );
  assert.deepEqual(
    trainingCorpus({ seed: SEED, count: 300, unknownNames: { share: 0, tasks: FACT_TASKS } }),
    train.slice(0, 300),
  );
  assert.ok(train.every((s) => !s.assistant.includes("I do not know")));
  assert.ok(held.every((s) => !s.assistant.includes("I do not know")));
});

test("a made-up name that spells a table's name (Peru) is drawn again", () => {
  // madeUpWord draws the syllable count, then a consonant and a vowel per syllable
  const ints = [0, 8, 1, 9, 4, 0, 10, 0, 11, 4]; // "peru", then "satu"
  const rng = { int: () => ints.shift()! } as unknown as Rng;
  assert.equal(unknownName(rng), "satu");
  assert.equal(ints.length, 0);
});
