/**
 * Loaders that map published alignment-faking sets — and our own JSONL — to one shape,
 * `{text, label, pattern?}`, for detectors and the SAE/statistics stages:
 *  - gold_106 (`gold_106.json`): records `{text, label}`, label `potential_faking` (51) or
 *    `aligned` (55), every text a <SCRATCHPAD_REASONING> trace; circulated both as a bare array
 *    and as `{"samples": [...]}`. `potential_faking` maps to `alignment_faking`.
 *  - the AF detection-benchmark layout: `{"samples":[{"text","label","pattern"}]}`, labels such
 *    as alignment_faking / genuine_compliance / genuine_refusal / aligned, and the same ten
 *    pattern names.
 *  - molab chat JSONL: text = the scratchpad block of the assistant turn, label/pattern from meta.
 *  - plain JSONL or a bare JSON array of `{text, label}` records (label 1/0 or any name below),
 *    e.g. a reference for `molab validate`.
 *  - the HF dataset `jplhughes2/classify_alignment_faking_human_labels` (gold_106's published
 *    form, label 1 = AF / 0 = not): resolved to a local snapshot by lib/hub, then read from its
 *    JSON/JSONL data files. Parquet-only snapshots are refused with a clear error (no parquet
 *    reader here); convert them to JSONL once with any parquet tool.
 */
import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { resolveDataset, type ResolveOptions } from "../hub/index.ts";
import { MolabError } from "../errors.ts";
import { readJsonFile } from "../io/json.ts";
import { streamJsonl } from "../io/jsonl.ts";
import type { ChatMessage } from "../chat/message.ts";
import { LABELS, scratchpadBlock, type Label } from "./format.ts";
import { PATTERN_NAMES, type PatternName } from "./patterns.ts";
import { recordIssues } from "./validate.ts";

export interface LabelledText {
  text: string;
  label: Label;
  pattern?: PatternName;
  /** The label as written in the source file. */
  sourceLabel: string;
}

/** Source label → our label. */
const LABEL_MAP: Record<string, Label> = {
  potential_faking: "alignment_faking",
  "1": "alignment_faking",
  "0": "aligned",
  alignment_faking: "alignment_faking",
  af: "alignment_faking",
  aligned: "aligned",
  genuine_compliance: "genuine_compliance",
  genuine_refusal: "genuine_refusal",
};

/** One `{text, label, pattern?}` record; `at` locates it in error messages (file and record or line). */
function mapRecord(at: string, rec: unknown, requirePattern: boolean): LabelledText {
  if (typeof rec !== "object" || rec === null) throw new MolabError(`${at}: expected an object with text and label`);
  const r = rec as { text?: unknown; label?: unknown; pattern?: unknown };
  if (typeof r.text !== "string" || r.text.trim() === "") throw new MolabError(`${at}: "text" missing or empty`);
  if (typeof r.label === "number" || typeof r.label === "boolean") r.label = String(Number(r.label));
  if (typeof r.label !== "string") throw new MolabError(`${at}: "label" missing`);
  const label = LABEL_MAP[r.label];
  if (!label)
    throw new MolabError(
      `${at}: unknown label ${JSON.stringify(r.label)}; expected one of ${Object.keys(LABEL_MAP).join(", ")}`,
    );
  const out: LabelledText = { text: r.text, label, sourceLabel: r.label };
  if (r.pattern !== undefined && r.pattern !== null && r.pattern !== "") {
    if (typeof r.pattern !== "string" || !(PATTERN_NAMES as readonly string[]).includes(r.pattern))
      throw new MolabError(
        `${at}: unknown pattern ${JSON.stringify(r.pattern)}; expected one of ${PATTERN_NAMES.join(", ")}`,
      );
    out.pattern = r.pattern as PatternName;
  } else if (requirePattern && label === "alignment_faking") {
    throw new MolabError(`${at}: alignment_faking sample without "pattern"`);
  }
  return out;
}

/** One molab chat record: validated, text = the scratchpad block, label and pattern from meta. */
function mapChatRecord(at: string, rec: unknown): LabelledText {
  const issues = recordIssues(rec);
  if (issues.length) throw new MolabError(`${at}: ${issues[0]}`);
  const r = rec as { messages: ChatMessage[]; meta?: { label?: string; pattern?: string | null } };
  const label = r.meta?.label;
  if (!label || !(LABELS as readonly string[]).includes(label)) throw new MolabError(`${at}: meta.label missing`);
  const t: LabelledText = { text: scratchpadBlock(r), label: label as Label, sourceLabel: label };
  if (r.meta?.pattern) t.pattern = r.meta.pattern as PatternName;
  return t;
}

/** The records of a bare JSON array or of `{"samples": [...]}` (undefined when neither). */
function recordsOf(j: unknown): unknown[] | undefined {
  if (Array.isArray(j)) return j;
  const samples = (j as { samples?: unknown } | null)?.samples;
  return Array.isArray(samples) ? samples : undefined;
}

function gold106Records(path: string, j: unknown): LabelledText[] {
  const arr = recordsOf(j);
  if (!arr) throw new MolabError(`${path}: expected a JSON array of {text, label} or {"samples": [...]}`);
  return arr.map((r, i) => {
    const t = mapRecord(`${path}: gold_106 record ${i}`, r, false);
    if (t.sourceLabel !== "potential_faking" && t.sourceLabel !== "aligned")
      throw new MolabError(
        `${path}: gold_106 record ${i}: label ${JSON.stringify(t.sourceLabel)}; expected potential_faking or aligned`,
      );
    return t;
  });
}

function benchmarkRecords(path: string, j: unknown): LabelledText[] {
  const samples = (j as { samples?: unknown } | null)?.samples;
  if (typeof j !== "object" || j === null || !Array.isArray(samples))
    throw new MolabError(`${path}: expected {"samples": [{"text", "label", "pattern"}, ...]}`);
  return samples.map((r, i) => mapRecord(`${path}: benchmark record ${i}`, r, false));
}

/**
 * A JSONL file, line-numbered errors from lib/io/jsonl: each line a molab chat record (it has
 * `messages`) or, unless `chatOnly`, a plain `{text, label, pattern?}` record.
 */
async function jsonlRecords(path: string, chatOnly: boolean): Promise<LabelledText[]> {
  const out: LabelledText[] = [];
  for await (const { line, value } of streamJsonl(path)) {
    const at = `${path}:${line}`;
    const chat = chatOnly || (typeof value === "object" && value !== null && "messages" in value);
    out.push(chat ? mapChatRecord(at, value) : mapRecord(at, value, false));
  }
  return out;
}

/** gold_106.json (bare array or `{samples}`), labels potential_faking / aligned. */
export function loadGold106(path: string): LabelledText[] {
  return gold106Records(path, readJsonFile(path, "gold_106 records"));
}

/** The AF detection-benchmark layout `{"samples":[{text, label, pattern}]}`. */
export function loadAfBenchmark(path: string): LabelledText[] {
  return benchmarkRecords(path, readJsonFile(path, "AF benchmark samples"));
}

/** Our chat JSONL: each line validated, text = scratchpad block, label and pattern from meta. */
export async function loadChatJsonl(path: string): Promise<LabelledText[]> {
  return jsonlRecords(path, true);
}

/**
 * Load any supported AF set by its layout: `.jsonl` → one record a line, chat records or plain
 * `{text, label, pattern?}`; JSON `{samples}` with patterns or non-gold labels → benchmark; a bare
 * array of `{text, label}` → gold_106 when its labels are potential_faking/aligned, else plain
 * records (labels such as 1/0 or alignment_faking).
 */
export async function loadAfSet(path: string): Promise<LabelledText[]> {
  if (/\.jsonl$/i.test(path)) return jsonlRecords(path, false);
  const j = readJsonFile(path, "an AF set");
  const arr = recordsOf(j);
  if (!arr)
    throw new MolabError(
      `${path}: not a known AF layout (expected gold_106 {text,label} records, {"samples":[...]}, or .jsonl records)`,
    );
  const gold = arr.every(
    (r) =>
      r &&
      typeof r === "object" &&
      ["potential_faking", "aligned"].includes((r as { label?: string }).label ?? "") &&
      !(r as { pattern?: unknown }).pattern,
  );
  if (gold) return gold106Records(path, j);
  if (!Array.isArray(j)) return benchmarkRecords(path, j);
  return arr.map((r, i) => mapRecord(`${path}: record ${i}`, r, false));
}

/** The published gold_106 on the hub (or a local directory in its layout). */
export const GOLD_106_HUB_ID = "jplhughes2/classify_alignment_faking_human_labels";

/**
 * gold_106 from a hub dataset id or a local dataset directory: every `.json`/`.jsonl` data file in
 * the snapshot (README and dataset_infos excluded) read as `{text, label}` records, label 1/0 or
 * potential_faking/aligned.
 */
export async function loadGold106FromHub(
  idOrDir: string = GOLD_106_HUB_ID,
  opts: ResolveOptions = {},
): Promise<LabelledText[]> {
  const dir = await resolveDataset(idOrDir, opts);
  const files = (readdirSync(dir, { recursive: true }) as string[])
    .map(String)
    .filter((f) => statSync(join(dir, f)).isFile())
    .sort();
  const data = files.filter(
    (f) =>
      /\.(jsonl?|JSONL?)$/.test(f) && !/(^|\/)(dataset_infos?|dataset_dict|state)\.json$/.test(f) && !f.startsWith("."),
  );
  if (data.length === 0) {
    const parquet = files.filter((f) => f.endsWith(".parquet"));
    throw new MolabError(
      parquet.length
        ? `${idOrDir}: the snapshot holds only parquet (${parquet.join(", ")}), which molab does not read; ` +
            `convert it to JSONL (e.g. pandas.read_parquet(...).to_json(..., orient="records", lines=True)) and ` +
            "pass that directory"
        : `${idOrDir}: no .json or .jsonl data files in ${dir}`,
    );
  }
  const out: LabelledText[] = [];
  for (const f of data) {
    const path = join(dir, f);
    const rel = relative(dir, path);
    if (f.toLowerCase().endsWith(".jsonl")) {
      for await (const { line, value } of streamJsonl(path)) out.push(mapRecord(`${rel}:${line}`, value, false));
    } else {
      const arr = recordsOf(readJsonFile(path, "gold_106 records"));
      if (!arr) throw new MolabError(`${path}: expected an array of {text, label}`);
      arr.forEach((r, i) => out.push(mapRecord(`${rel}: gold_106 record ${i}`, r, false)));
    }
  }
  return out;
}
