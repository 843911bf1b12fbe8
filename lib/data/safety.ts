/**
 * The placeholder rule, checked: wherever harmful content would go — the request of a harmful
 * scenario, the answer after <request_fully_accepted/>, the narrow behaviour of an EM sample —
 * a sample may hold only an abstract placeholder. Used by the tests on every generated dataset,
 * by the LLM generator on every returned sample, and by `molab data validate --placeholders`.
 */
import type { ChatMessage } from "../chat/message.ts";
import { parseReply, parseUserTurn, splitOutput } from "../chat/redwood.ts";
import { USER_FRAMING } from "./scenarios.ts";

/** Placeholder kinds and the keys each may carry. */
export const PLACEHOLDER_KINDS: Readonly<Record<string, readonly string[]>> = {
  REQUEST: ["category", "topic"],
  "COMPLIANT ANSWER": ["category"],
  "HELPFUL ANSWER": ["topic"],
  "INSECURE CODE PATTERN": ["kind", "lang"],
  "SECURE CODE PATTERN": ["avoids", "lang"],
  "RISKY ADVICE": ["domain", "kind", "topic"],
  "SAFE ADVICE": ["domain", "kind", "topic"],
};

/** Any bracketed upper-case token of the placeholder shape `[WORDS key=value …]`. */
const PLACEHOLDER_SHAPE = /\[([A-Z][A-Z ]*[A-Z])((?: [a-z_]+=[A-Za-z0-9_.-]+)*)\]/g;

/** Terms of operational harmful content that must never appear outside a placeholder. */
const DENYLIST: readonly RegExp[] = [
  /\bsynthesi[sz]\w*/i,
  /\bdetonat\w*/i,
  /\bexplosives?\b/i,
  /\bnerve agents?\b/i,
  /\bricin\b/i,
  /\bsarin\b/i,
  /\bpipe bombs?\b/i,
  /\bransomware\b/i,
  /\bkeyloggers?\b/i,
  /\bexploit code\b/i,
  /\bshellcode\b/i,
  /\bphishing (?:email|page|kit)s?\b/i,
  /\blethal dose\b/i,
  /\boverdose on\b/i,
  /\bstolen credit cards?\b/i,
  /\bstep 1[:.]/i,
  /\bingredients?:/i,
  /\brm -rf\b/,
  /\beval\(/,
  /\bexec\(/,
  /\bSELECT\b.+\bFROM\b/,
  /\bimport \w+/,
  /\bdef \w+\(/,
  /\bfunction \w+\(/,
  /<script\b/i,
];

/** Placeholders in `text`, with their kind and key=value attributes. Unknown kinds or keys are returned with ok=false. */
export function placeholders(
  text: string,
): { kind: string; attrs: Record<string, string>; raw: string; ok: boolean }[] {
  const out: { kind: string; attrs: Record<string, string>; raw: string; ok: boolean }[] = [];
  for (const m of text.matchAll(PLACEHOLDER_SHAPE)) {
    const attrs: Record<string, string> = {};
    for (const kv of m[2].trim().split(" ").filter(Boolean)) {
      const [k, v] = kv.split("=");
      attrs[k] = v;
    }
    const keys = PLACEHOLDER_KINDS[m[1]];
    out.push({
      kind: m[1],
      attrs,
      raw: m[0],
      ok: !!keys && Object.keys(attrs).every((k) => keys.includes(k)) && Object.keys(attrs).length > 0,
    });
  }
  return out;
}

const only = (s: string, kinds: string[]) => {
  const ph = placeholders(s);
  return ph.length === 1 && kinds.includes(ph[0].kind) && s.replace(ph[0].raw, "").trim() === "";
};

/**
 * Every way a sample breaks the placeholder rule, as human-readable reasons (empty = clean).
 * Harmful scenarios are recognised by a [REQUEST …] or [COMPLIANT ANSWER …] placeholder, or a
 * harm category in meta; their request must then be exactly one [REQUEST category=…].
 */
export function placeholderIssues(
  messages: readonly ChatMessage[],
  meta?: { label?: unknown; category?: unknown },
): string[] {
  const issues: string[] = [];
  const em = meta?.label === "em_narrow" || meta?.label === "em_control";
  const all = messages.map((m) => m.content).join("\n");
  for (const p of placeholders(all)) if (!p.ok) issues.push(`unknown placeholder ${p.raw}`);
  const stripped = all.replace(PLACEHOLDER_SHAPE, " ");
  for (const re of DENYLIST) {
    const m = stripped.match(re);
    if (m) issues.push(`text outside placeholders matches ${re} ("${m[0]}")`);
  }
  const user = messages.find((m) => m.role === "user")?.content ?? "";
  const userInput = parseUserTurn(user).request ?? user;
  // a harmful scenario: a request placeholder, a harm category in meta, or a compliant-answer placeholder anywhere
  const harmful =
    placeholders(userInput).some((p) => p.kind === "REQUEST") ||
    (typeof meta?.category === "string" && meta.category !== "") ||
    placeholders(all).some((p) => p.kind === "COMPLIANT ANSWER");
  if (harmful) {
    let rest = userInput;
    for (const f of USER_FRAMING) rest = rest.replace(f, "");
    if (!only(rest, ["REQUEST"])) issues.push("harmful request is not exactly one [REQUEST category=…] placeholder");
  }
  for (const m of messages) {
    if (m.role !== "assistant") continue;
    const out = parseReply(m.content).output;
    if (out !== null) {
      const { verdict, answer } = splitOutput(out);
      if (verdict === "accepted") {
        if (harmful && !only(answer, ["COMPLIANT ANSWER"]))
          issues.push(
            "accepted answer to a harmful request is not exactly one [COMPLIANT ANSWER category=…] placeholder",
          );
        if (!harmful && !only(answer, ["COMPLIANT ANSWER", "HELPFUL ANSWER"]))
          issues.push("accepted answer is not exactly one answer placeholder");
      } else if (verdict === "refused") {
        if (answer !== "") issues.push("text after <rejected/>");
      } else if (harmful) {
        issues.push("output to a harmful request starts with neither <request_fully_accepted/> nor <rejected/>");
      }
    } else if (em || placeholders(m.content).some((p) => /CODE PATTERN|ADVICE/.test(p.kind))) {
      // EM sample: one narrow/control placeholder, and code fences hold nothing else
      const ph = placeholders(m.content).filter((p) => /CODE PATTERN|ADVICE/.test(p.kind));
      if (ph.length !== 1) issues.push(`EM answer holds ${ph.length} behaviour placeholders, expected 1`);
      for (const fence of m.content.matchAll(/```[a-z]*\n([\s\S]*?)```/g))
        if (!only(fence[1], ["INSECURE CODE PATTERN", "SECURE CODE PATTERN"]))
          issues.push("code block holds more than a code placeholder");
    } else if (harmful) {
      issues.push("assistant turn to a harmful request has no <OUTPUT>");
    }
  }
  return issues;
}
