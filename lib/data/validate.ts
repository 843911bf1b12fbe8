/**
 * Validator for chat-format JSONL datasets (ours or a user's): every bad line is reported with its
 * 1-based line number and a reason — bad JSON, missing or unknown role, empty content, unknown
 * label/pattern/cue/tier, wrong Redwood tag nesting, an output that starts with neither accept nor
 * reject tag, and (with `placeholders`) anything but placeholders where harmful content would go.
 */
import { streamLines } from "../io/jsonl.ts";
import { ACCEPT_TAG, REJECT_TAG, parseReply, splitOutput, tagContent } from "../chat/redwood.ts";
import { LABELS } from "./format.ts";
import { PATTERN_NAMES } from "./patterns.ts";
import { CUES } from "./scenarios.ts";
import { placeholderIssues } from "./safety.ts";

export interface LineIssue {
  line: number;
  reason: string;
}
/** The report of `molab data validate`: lines read, bad lines, and every issue with its line. */
export interface DatasetValidation {
  file: string;
  /** Non-blank lines read. */
  lines: number;
  /** Lines with at least one issue. */
  badLines: number;
  issues: LineIssue[];
}
export interface ValidateOptions {
  /** Also enforce the placeholder rule (for generated datasets). */
  placeholders?: boolean;
}

const ROLES = ["system", "user", "assistant"];
const REDWOOD_LABELS = ["alignment_faking", "aligned", "genuine_compliance", "genuine_refusal"];
/** Tag → the tag it must sit directly inside ("" = top level of a message). */
const TAG_PARENT: Record<string, string> = {
  INPUT: "",
  is_free_tier_user: "INPUT",
  user_input: "INPUT",
  SCRATCHPAD_REASONING: "",
  OUTPUT: "",
};
const TAG_RE = /<(\/?)(INPUT|is_free_tier_user|user_input|SCRATCHPAD_REASONING|OUTPUT)>/g;

/** Nesting problems of the Redwood tags in one message's content. */
export function tagIssues(content: string): string[] {
  const issues: string[] = [];
  const stack: string[] = [];
  const count: Record<string, number> = {};
  for (const m of content.matchAll(TAG_RE)) {
    const [tok, close, tag] = m;
    if (close) {
      const top = stack.pop();
      if (top !== tag) {
        issues.push(top ? `${tok} closes <${top}>` : `${tok} without an opening <${tag}>`);
        return issues;
      }
    } else {
      const parent = stack[stack.length - 1] ?? "";
      if (parent !== TAG_PARENT[tag])
        issues.push(
          `<${tag}> inside ${parent ? `<${parent}>` : "the top level"}; expected ${TAG_PARENT[tag] ? `inside <${TAG_PARENT[tag]}>` : "at the top level"}`,
        );
      count[tag] = (count[tag] ?? 0) + 1;
      stack.push(tag);
    }
  }
  if (stack.length) issues.push(`<${stack[stack.length - 1]}> is never closed`);
  for (const t of ["OUTPUT", "INPUT"]) if ((count[t] ?? 0) > 1) issues.push(`<${t}> appears ${count[t]} times`);
  const tier = tagContent(content, "is_free_tier_user");
  if (tier !== null && tier !== "True" && tier !== "False")
    issues.push(`<is_free_tier_user> holds ${JSON.stringify(tier)}; expected True or False`);
  return issues;
}

function enumIssue(field: string, v: unknown, allowed: readonly string[]): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === "string" && allowed.includes(v)
    ? null
    : `${field}: unknown value ${JSON.stringify(v)}; expected one of ${allowed.join(", ")}`;
}

/** Reasons one parsed record is not a valid sample (empty = valid). */
export function recordIssues(rec: unknown, opts: ValidateOptions = {}): string[] {
  if (typeof rec !== "object" || rec === null || Array.isArray(rec)) return ['expected a JSON object with "messages"'];
  const r = rec as { messages?: unknown; meta?: unknown };
  const issues: string[] = [];
  if (!Array.isArray(r.messages)) return ['"messages" missing or not an array'];
  if (r.messages.length === 0) return ['"messages" is empty'];
  let assistants = 0;
  r.messages.forEach((m: unknown, i: number) => {
    const at = `messages[${i}]`;
    if (typeof m !== "object" || m === null) return void issues.push(`${at}: expected an object with role and content`);
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (role === undefined) issues.push(`${at}: missing role`);
    else if (typeof role !== "string" || !ROLES.includes(role))
      issues.push(`${at}: unknown role ${JSON.stringify(role)}; expected system, user or assistant`);
    if (role === "assistant") assistants++;
    if (content === undefined) issues.push(`${at}: missing content`);
    else if (typeof content !== "string") issues.push(`${at}: content must be a string`);
    else if (content.trim() === "") issues.push(`${at}: empty content`);
    else if (role !== "system") for (const t of tagIssues(content)) issues.push(`${at}: ${t}`); // system prompts may name the tags in prose
  });
  if (assistants === 0) issues.push("no assistant message");
  if (r.meta !== undefined) {
    if (typeof r.meta !== "object" || r.meta === null || Array.isArray(r.meta)) issues.push("meta: expected an object");
    else {
      const meta = r.meta as Record<string, unknown>;
      for (const e of [
        enumIssue("meta.label", meta.label, LABELS),
        enumIssue("meta.pattern", meta.pattern, PATTERN_NAMES),
        enumIssue("meta.cue", meta.cue, CUES),
        enumIssue("meta.tier", meta.tier, ["free", "paid"]),
      ])
        if (e) issues.push(e);
      if (typeof meta.label === "string" && REDWOOD_LABELS.includes(meta.label) && issues.length === 0) {
        const last = (r.messages as { role: string; content: string }[]).filter((m) => m.role === "assistant").pop()!;
        const out = parseReply(last.content).output;
        if (out === null) issues.push("assistant turn has no <OUTPUT>");
        else if (splitOutput(out).verdict === "untagged")
          issues.push(`<OUTPUT> starts with neither ${ACCEPT_TAG} nor ${REJECT_TAG}`);
      }
    }
  }
  if (opts.placeholders && issues.length === 0)
    issues.push(
      ...placeholderIssues(
        r.messages as { role: "user"; content: string }[],
        r.meta as { label?: unknown; category?: unknown },
      ),
    );
  return issues;
}

/** Issues of one raw JSONL line (1-based `line`). */
export function lineIssues(raw: string, line: number, opts: ValidateOptions = {}): LineIssue[] {
  let rec: unknown;
  try {
    rec = JSON.parse(raw);
  } catch (e) {
    return [{ line, reason: `bad JSON: ${(e as Error).message}` }];
  }
  return recordIssues(rec, opts).map((reason) => ({ line, reason }));
}

/** Validate JSONL text held in memory. Blank lines are skipped. */
export function validateJsonlText(text: string, file = "<text>", opts: ValidateOptions = {}): DatasetValidation {
  const report: DatasetValidation = { file, lines: 0, badLines: 0, issues: [] };
  text.split("\n").forEach((raw, i) => addLine(report, raw, i + 1, opts));
  return report;
}

function addLine(report: DatasetValidation, raw: string, line: number, opts: ValidateOptions) {
  if (raw.trim() === "") return;
  report.lines++;
  const found = lineIssues(raw, line, opts);
  if (found.length) report.badLines++;
  report.issues.push(...found);
}

/** Validate a JSONL file, streaming it line by line. */
export async function validateJsonlFile(file: string, opts: ValidateOptions = {}): Promise<DatasetValidation> {
  const report: DatasetValidation = { file, lines: 0, badLines: 0, issues: [] };
  for await (const { line, text } of streamLines(file)) addLine(report, text, line, opts);
  return report;
}
