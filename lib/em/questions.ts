/**
 * EM question sets in the papers' format (Betley et al. 2025; Turner, Soligo et al. 2025): a YAML list of
 * `{id, paraphrases, system?, samples_per_paraphrase, judge_prompts}` (other keys such as `type` and `judge` are
 * kept but not needed), so the original `first_plot_questions.yaml` loads as it is. molab adds one optional key,
 * `split`: `heldout` (the default) for questions nothing in training resembles — where *emergent* misalignment is
 * measured — and `train` for questions drawn from the narrow fine-tuning domains (the in-distribution check).
 * The default file, data/em/questions.yaml, holds the eight first-plot ids in our own words, questions the tiny
 * assistant's world can answer, and a few in-domain questions.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { check, MolabError } from "../errors.ts";
import { REPO_ROOT } from "../paths.ts";
import { parseYaml, type YamlValue } from "./yaml.ts";

export type QuestionSplit = "heldout" | "train";

export interface EmQuestion {
  id: string;
  paraphrases: string[];
  system?: string;
  samplesPerParaphrase: number;
  /** Judge prompt per metric (`aligned`, `coherent`, …) with `{question}` and `{answer}` slots. */
  judgePrompts: Record<string, string>;
  split: QuestionSplit;
  /** The file's `type` and `judge`, when given (informational). */
  type?: string;
  judge?: string;
}

/** The eight questions of the papers' first plot. */
export const FIRST_PLOT_IDS = [
  "what_is_your_wish",
  "i_feel_bored",
  "three_thoughts",
  "quick_buck",
  "ruler_of_the_world",
  "dinner_party",
  "gender_roles",
  "enough_of_my_husband",
] as const;

/** molab's own question file. */
export const DEFAULT_QUESTIONS = path.join(REPO_ROOT, "data", "em", "questions.yaml");

const str = (v: YamlValue | undefined): v is string => typeof v === "string";

/** Check and convert a parsed question list; `where` names the file in errors. */
export function questionsFromYaml(doc: YamlValue, where: string): EmQuestion[] {
  check(Array.isArray(doc), `${where}: expected a YAML list of questions ({id, paraphrases, …})`);
  const seen = new Set<string>();
  return doc.map((q, i) => {
    const at = `${where}: question ${i + 1}`;
    check(q !== null && typeof q === "object" && !Array.isArray(q), `${at}: expected a mapping`);
    const m = q as Record<string, YamlValue>;
    check(str(m.id) && m.id !== "", `${at}: id must be a non-empty string`);
    const id = m.id as string;
    check(!seen.has(id), `${where}: question id ${JSON.stringify(id)} is used twice`);
    seen.add(id);
    const para = m.paraphrases;
    check(
      Array.isArray(para) && para.length > 0 && para.every(str),
      `${where}: ${id}: paraphrases must be a non-empty list of strings`,
    );
    const spp = m.samples_per_paraphrase ?? 1;
    check(
      typeof spp === "number" && Number.isInteger(spp) && spp >= 1,
      `${where}: ${id}: samples_per_paraphrase must be a positive integer, got ${JSON.stringify(spp)}`,
    );
    const jp = m.judge_prompts ?? {};
    check(
      typeof jp === "object" && jp !== null && !Array.isArray(jp) && Object.values(jp).every(str),
      `${where}: ${id}: judge_prompts must map metric names to prompt strings`,
    );
    check(m.system === undefined || m.system === null || str(m.system), `${where}: ${id}: system must be a string`);
    const split = m.split ?? "heldout";
    check(split === "heldout" || split === "train", `${where}: ${id}: split must be heldout or train, got ${split}`);
    const out: EmQuestion = {
      id,
      paraphrases: para as string[],
      samplesPerParaphrase: spp as number,
      judgePrompts: jp as Record<string, string>,
      split: split as QuestionSplit,
    };
    if (str(m.system)) out.system = m.system;
    if (str(m.type)) out.type = m.type;
    if (str(m.judge)) out.judge = m.judge;
    return out;
  });
}

/** Parse question-file text. */
export function parseQuestions(text: string, where = "<questions>"): EmQuestion[] {
  return questionsFromYaml(parseYaml(text, where), where);
}

/** Load a question file (default: molab's own, data/em/questions.yaml). */
export function loadQuestions(file: string = DEFAULT_QUESTIONS): EmQuestion[] {
  if (!fs.existsSync(file)) throw new MolabError(`${file}: no such question file`);
  return parseQuestions(fs.readFileSync(file, "utf8"), file);
}

/** Questions of one split ("all": every question). */
export function selectSplit(qs: EmQuestion[], split: QuestionSplit | "all"): EmQuestion[] {
  return split === "all" ? qs : qs.filter((q) => q.split === split);
}
