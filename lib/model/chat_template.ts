/**
 * Chat templates as Hugging Face transformers renders them (`apply_chat_template(..., tokenize=False)`):
 * the Jinja source comes from `chat_template.jinja` (transformers ≥ 4.50 writes it there) or from
 * `tokenizer_config.json` field `chat_template` (a string, or a list of `{name, template}`), plus any
 * `additional_chat_templates/<name>.jinja`; it is rendered with @huggingface/jinja under the same variables
 * transformers passes: `messages`, `tools`, `documents`, `add_generation_prompt`, the special-token strings
 * (`bos_token`, `eos_token`, …), any extra keyword arguments, and the globals `raise_exception` and
 * `strftime_now` (trim_blocks and lstrip_blocks on, one trailing newline of the source dropped).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Environment, Template } from "@huggingface/jinja";
import type { ChatMessage } from "../chat/message.ts";
import { MolabError } from "../errors.ts";

export interface ChatTemplateOptions {
  /** Append the header that starts the assistant's turn (transformers' `add_generation_prompt`). */
  addGenerationPrompt?: boolean;
  /**
   * Leave the last message open so generation continues it (transformers' `continue_final_message`), e.g. to
   * prefill the start of an assistant turn. A string names the field to continue instead of `content`.
   */
  continueFinalMessage?: boolean | string;
  /** A named template of this tokenizer (e.g. "tool_use"), or a Jinja source to use instead of the tokenizer's. */
  template?: string;
  /** Tool schemas (JSON objects), passed to the template as `tools`. */
  tools?: unknown[] | null;
  /** Retrieval documents, passed to the template as `documents`. */
  documents?: unknown[] | null;
  /** Extra template variables, e.g. `{ enable_thinking: false }` for Qwen3. */
  extra?: Record<string, unknown>;
}

/** The chat templates of one tokenizer directory: a single source, or named sources. */
export interface ChatTemplates {
  /** Where they were read from, for messages. */
  source: string;
  /** A single template, or named ones (the one called "default" is used unless another is asked for). */
  templates: string | Record<string, string>;
}

/**
 * Read the chat templates of `dir`; `config` is the parsed tokenizer_config.json (or undefined when absent).
 * Returns undefined when the tokenizer has none.
 */
export function readChatTemplates(dir: string, config: Record<string, unknown> | undefined): ChatTemplates | undefined {
  const cfgFile = path.join(dir, "tokenizer_config.json");
  let templates: string | Record<string, string> | undefined;
  let source = cfgFile;
  const raw = config?.chat_template;
  if (typeof raw === "string") {
    templates = raw;
  } else if (Array.isArray(raw)) {
    const named: Record<string, string> = {};
    raw.forEach((t, i) => {
      const o = t as { name?: unknown; template?: unknown };
      if (!o || typeof o.name !== "string" || typeof o.template !== "string") {
        throw new MolabError(`${cfgFile}: chat_template[${i}] must be {"name": string, "template": string}`);
      }
      named[o.name] = o.template;
    });
    templates = named;
  } else if (raw && typeof raw === "object") {
    const named: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (typeof v !== "string") throw new MolabError(`${cfgFile}: chat_template.${k} must be a string`);
      named[k] = v;
    }
    templates = named;
  } else if (raw !== undefined && raw !== null) {
    throw new MolabError(
      `${cfgFile}: field chat_template must be a string or a list of {name, template}, got ${typeof raw}`,
    );
  }
  const jinjaFile = path.join(dir, "chat_template.jinja");
  if (fs.existsSync(jinjaFile)) {
    const text = fs.readFileSync(jinjaFile, "utf8");
    source = jinjaFile;
    templates = typeof templates === "object" ? { ...templates, default: text } : text;
  }
  const extraDir = path.join(dir, "additional_chat_templates");
  if (fs.existsSync(extraDir) && fs.statSync(extraDir).isDirectory()) {
    const named: Record<string, string> =
      typeof templates === "object" ? { ...templates } : templates !== undefined ? { default: templates } : {};
    for (const f of fs.readdirSync(extraDir).sort()) {
      if (f.endsWith(".jinja")) named[f.slice(0, -".jinja".length)] = fs.readFileSync(path.join(extraDir, f), "utf8");
    }
    templates = named;
  }
  return templates === undefined ? undefined : { source, templates };
}

/**
 * Jinja (Python) prints booleans as True/False; @huggingface/jinja prints true/false. Templates that print a
 * boolean (`{{ flag }}`, `flag|string`, `list|join`) must render as transformers does, so booleans get Python's
 * spelling. The class is not exported; it is reached through a value the library itself creates.
 */
function usePythonBooleans(): void {
  const probe = new Environment();
  const proto = Object.getPrototypeOf(probe.set("b", true)) as { toString(this: { value: boolean }): string };
  proto.toString = function (this: { value: boolean }) {
    return this.value ? "True" : "False";
  };
}
usePythonBooleans();

const compiled = new Map<string, Template>();

function compile(src: string, where: string): Template {
  let t = compiled.get(src);
  if (!t) {
    try {
      t = new Template(src);
    } catch (e) {
      throw new MolabError(`chat template from ${where} does not parse: ${(e as Error).message}`);
    }
    if (compiled.size > 64) compiled.clear();
    compiled.set(src, t);
  }
  return t;
}

/** Pick the template source the way transformers' `get_chat_template` does. */
function select(t: ChatTemplates | undefined, dir: string, opts: ChatTemplateOptions): { src: string; where: string } {
  const asked = opts.template;
  if (t && typeof t.templates === "object") {
    const named = t.templates;
    if (asked !== undefined)
      return asked in named
        ? { src: named[asked], where: `${t.source} (template "${asked}")` }
        : { src: asked, where: "the template option" };
    if (opts.tools && "tool_use" in named) return { src: named.tool_use, where: `${t.source} (template "tool_use")` };
    if ("default" in named) return { src: named.default, where: `${t.source} (template "default")` };
    throw new MolabError(
      `${t.source}: several chat templates (${Object.keys(named).join(", ")}) and none named "default"; choose one with the template option`,
    );
  }
  if (asked !== undefined) return { src: asked, where: "the template option" };
  if (t) return { src: t.templates as string, where: t.source };
  throw new MolabError(
    `${dir}: no chat template (neither chat_template in tokenizer_config.json nor chat_template.jinja); ` +
      "this is probably a base model: use a plain prompt instead of --chat",
  );
}

/**
 * Render `messages` with the tokenizer's chat template. `specialTokens` maps bos_token, eos_token, … to their
 * strings (transformers' special_tokens_map). Errors raised by the template (raise_exception) become
 * MolabErrors carrying the template's message.
 */
export function renderChatTemplate(
  t: ChatTemplates | undefined,
  dir: string,
  specialTokens: Record<string, string>,
  messages: ChatMessage<unknown>[],
  opts: ChatTemplateOptions = {},
): string {
  if (!Array.isArray(messages) || messages.length === 0)
    throw new MolabError("applyChatTemplate: messages must be a non-empty list of {role, content}");
  messages.forEach((m, i) => {
    if (!m || typeof m !== "object" || typeof m.role !== "string")
      throw new MolabError(`applyChatTemplate: messages[${i}] must be {role: string, content}`);
  });
  if (opts.addGenerationPrompt && opts.continueFinalMessage) {
    throw new MolabError("applyChatTemplate: addGenerationPrompt and continueFinalMessage cannot both be set");
  }
  for (const k of ["messages", "tools", "documents", "add_generation_prompt"]) {
    if (opts.extra && k in opts.extra)
      throw new MolabError(
        `applyChatTemplate: extra.${k} would shadow the template variable ${k}; use the dedicated option instead`,
      );
  }
  const { src, where } = select(t, dir, opts);
  const template = compile(src, where);
  const field = opts.continueFinalMessage
    ? typeof opts.continueFinalMessage === "string"
      ? opts.continueFinalMessage
      : "content"
    : undefined;
  const vars: Record<string, unknown> = {
    messages: field ? tagFinalMessage(messages, field, src) : messages,
    tools: opts.tools ?? null,
    documents: opts.documents ?? null,
    add_generation_prompt: !!opts.addGenerationPrompt,
    ...specialTokens,
    ...(opts.extra ?? {}),
  };
  let out: string;
  try {
    out = template.render(vars);
  } catch (e) {
    // Template errors, raise_exception(...) included (the library's global throws its message), land here.
    throw new MolabError(`chat template from ${where} failed: ${(e as Error).message}`);
  }
  return field ? cutAtTag(out) : out;
}

/**
 * transformers' continue_final_message: render with a marker appended to the final message's text, then end the
 * rendering where the marker is (dropping trailing whitespace when the template trimmed the text).
 */
const CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG ";

function tagFinalMessage(messages: ChatMessage<unknown>[], field: string, src: string): ChatMessage<unknown>[] {
  const copy = structuredClone(messages);
  const last = copy[copy.length - 1];
  const value = last[field];
  if (value === undefined || value === null)
    throw new MolabError(
      `applyChatTemplate: continueFinalMessage is set but the final message has no "${field}" to continue`,
    );
  if (!src.includes(field))
    throw new MolabError(
      `applyChatTemplate: continueFinalMessage is set to "${field}" but the chat template never uses that field`,
    );
  if (Array.isArray(value)) {
    const part = [...value]
      .reverse()
      .find((p) => p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string") as
      { text: string } | undefined;
    if (!part)
      throw new MolabError(
        "applyChatTemplate: continueFinalMessage is set but the final message has no text part to continue",
      );
    part.text += CONTINUE_TAG;
  } else if (typeof value === "string") {
    last[field] = value + CONTINUE_TAG;
  } else {
    throw new MolabError(
      `applyChatTemplate: continueFinalMessage needs the final message's "${field}" to be a string or a list of parts`,
    );
  }
  return copy;
}

function cutAtTag(rendered: string): string {
  const at = rendered.lastIndexOf(CONTINUE_TAG.trim());
  if (at < 0)
    throw new MolabError(
      "applyChatTemplate: continueFinalMessage is set but the final message does not appear in the rendered chat (the template drops it)",
    );
  return rendered.slice(at, at + CONTINUE_TAG.length) === CONTINUE_TAG
    ? rendered.slice(0, at)
    : rendered.slice(0, at).replace(/\s+$/, "");
}
