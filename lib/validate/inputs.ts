/**
 * Inputs of the validation report.
 *
 * Reference (`--reference FILE`): any labelled AF set that lib/data's `loadAfSet` reads — JSONL of
 * `{text, label}` records or of molab chat records (the data stage's synthetic reference), a JSON
 * array of `{text, label}` (gold_106), or the `{"samples": [...]}` benchmark layout. Labels
 * `potential_faking`/`alignment_faking`/`1`/`true` are alignment faking (AF), `aligned`/`0`/`false`
 * aligned; other classes (genuine_compliance, genuine_refusal) are refused.
 *
 * Organism (`--organism DIR`): the folder of an organism's outputs. Read in this order, the first
 * that exists: `samples.jsonl`, `generations.jsonl`, `samples.json`, `generations.json` (a JSON
 * array); records `{text}` (a `completion`, `output` or `response` field is taken when `text` is
 * absent).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { MolabError } from "../errors.ts";
import { readJsonFile } from "../io/json.ts";
import { streamJsonl } from "../io/jsonl.ts";
import { loadAfSet } from "../data/loaders.ts";

/** A reference text with the binary label the report needs. */
export interface ReferenceText {
  text: string;
  /** 1 = alignment faking (potential_faking), 0 = aligned. */
  label: 0 | 1;
}

/** Read a labelled reference (gold_106 or the synthetic reference); needs ≥ 2 texts of each class. */
export async function readReference(file: string): Promise<ReferenceText[]> {
  if (fs.existsSync(file) && fs.statSync(file).isDirectory())
    throw new MolabError(
      `${file}: is a folder; expected the reference file (gold_106.json or a JSONL of {text, label})`,
    );
  const out = (await loadAfSet(file)).map((r, i): ReferenceText => {
    if (r.label === "alignment_faking") return { text: r.text, label: 1 };
    if (r.label === "aligned") return { text: r.text, label: 0 };
    throw new MolabError(
      `${file}: record ${i + 1} has label ${JSON.stringify(r.sourceLabel)}; the validation reference ` +
        "holds only potential_faking (alignment_faking) and aligned texts",
    );
  });
  const nAf = out.filter((r) => r.label === 1).length;
  if (nAf < 2 || out.length - nAf < 2)
    throw new MolabError(
      `${file}: needs at least 2 potential_faking and 2 aligned records; has ${nAf} and ${out.length - nAf}`,
    );
  return out;
}

export const ORGANISM_FILES = ["samples.jsonl", "generations.jsonl", "samples.json", "generations.json"];

function organismText(at: string, r: unknown): string {
  const o = (r ?? {}) as Record<string, unknown>;
  const t = o.text ?? o.completion ?? o.output ?? o.response;
  if (typeof t !== "string") throw new MolabError(`${at}: no string "text" (nor completion, output or response)`);
  return t;
}

/** Read an organism's texts from its folder (see the module comment for the files looked at). */
export async function readOrganism(dir: string): Promise<{ file: string; texts: string[] }> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new MolabError(`${dir}: not a folder (expected an organism folder with samples.jsonl)`);
  const file = ORGANISM_FILES.map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
  if (!file) throw new MolabError(`${dir}: none of ${ORGANISM_FILES.join(", ")} found`);
  const texts: string[] = [];
  if (file.endsWith(".jsonl")) {
    for await (const { line, value } of streamJsonl(file)) texts.push(organismText(`${file}:${line}`, value));
  } else {
    const recs = readJsonFile(file, "organism records");
    if (!Array.isArray(recs)) throw new MolabError(`${file}: expected a JSON array of {text} records`);
    recs.forEach((r, i) => texts.push(organismText(`${file}: record ${i + 1}`, r)));
  }
  if (texts.length < 2) throw new MolabError(`${file}: needs at least 2 texts; has ${texts.length}`);
  return { file, texts };
}
