/** Flag readers shared by the `molab em` subcommands (lib/em/cli.ts, lib/em/cli_direction.ts). */
import { numberFlag, required } from "../args.ts";
import { initBackend } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { LocalModel } from "../elicit/local.ts";
import { EmbeddedJudge } from "./embedded_judge.ts";
import { LogprobJudge, type EmJudge } from "./judge.ts";
import { DEFAULT_QUESTIONS, loadQuestions, selectSplit, type EmQuestion } from "./questions.ts";
import type { UserFormat } from "./eval.ts";

export function intFlag(values: Record<string, unknown>, name: string, fallback: number | undefined, lo: number) {
  const v = numberFlag("em", values, name, fallback);
  if (v !== undefined && (!Number.isInteger(v) || v < lo))
    throw new MolabError(`molab em: --${name} expects an integer ≥ ${lo}, got ${v}`);
  return v;
}

export function listFlag(values: Record<string, unknown>, name: string, fallback: number[]): number[] {
  const raw = values[name] as string | undefined;
  if (raw === undefined) return fallback;
  const xs = raw.split(",").map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !Number.isFinite(x)))
    throw new MolabError(`molab em: --${name} expects comma-separated numbers, got ${JSON.stringify(raw)}`);
  return xs;
}

export function questionsFromFlags(values: Record<string, unknown>): EmQuestion[] {
  const split = (values.split as string | undefined) ?? "heldout";
  if (!["heldout", "train", "all"].includes(split))
    throw new MolabError(`molab em: --split expects heldout, train or all, got ${JSON.stringify(split)}`);
  const qs = selectSplit(loadQuestions((values.questions as string | undefined) ?? DEFAULT_QUESTIONS), split as "all");
  if (!qs.length) throw new MolabError(`molab em: no questions of split ${split} in the question file`);
  return qs;
}

export function judgeFromFlags(values: Record<string, unknown>): EmJudge {
  const j = (values.judge as string | undefined) ?? "embedded";
  if (j === "embedded") return new EmbeddedJudge();
  if (j !== "llm") throw new MolabError(`molab em: --judge expects embedded or llm, got ${JSON.stringify(j)}`);
  const baseUrl = values["judge-base-url"] as string | undefined;
  const model = values["judge-model"] as string | undefined;
  if (!baseUrl || !model)
    throw new MolabError("molab em: --judge llm needs --judge-base-url URL and --judge-model NAME");
  return new LogprobJudge(
    {
      baseUrl: baseUrl.replace(/\/+$/, ""),
      model,
      apiKey: process.env.MOLAB_LLM_API_KEY ?? process.env.OPENAI_API_KEY,
    },
    {},
    (l) => console.error(`judge: ${l}`),
  );
}

export function userFormatFlag(values: Record<string, unknown>): UserFormat {
  const f = (values["user-format"] as string | undefined) ?? "plain";
  if (f !== "plain" && f !== "redwood")
    throw new MolabError(`molab em: --user-format expects plain or redwood, got ${f}`);
  return f;
}

/** Our model with the organism (if --adapter) served as "organism". */
export async function localModelFromFlags(values: Record<string, unknown>): Promise<{ lm: LocalModel; name: string }> {
  const dir = required("em", values, "model");
  const adapter = values.adapter as string | undefined;
  await initBackend();
  const lm = await LocalModel.load(dir, { adapters: adapter ? { organism: adapter } : {} });
  return { lm, name: adapter ? "organism" : lm.name };
}
