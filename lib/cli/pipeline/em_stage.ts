/**
 * The emergent-misalignment stage of `molab pipeline` (lib/em, as notebook 06 runs it): a narrow organism (preset
 * em-rank1 on one EM set of lib/data) and its control (the same questions answered carefully), both sampled on the
 * held-out questions of the default question file and scored by the embedded judge; then the misalignment direction
 * at one layer (from the organism's own misaligned answers when it gives some, else from lib/data's labelled
 * narrow-vs-control answers read through the organism) is ablated while the organism answers again, beside a random
 * direction of the same norm. Writes em/organisms/<set>/ and <set>-control/ (PEFT adapters with their telemetry),
 * em/results.json and em/direction.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { generateEmSet, type EmSetName } from "../../data/em.ts";
import { LocalModel } from "../../elicit/local.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../io/atomic.ts";
import { trainOrganism } from "../../lora/run.ts";
import { attachAdapter } from "../../lora/inject.ts";
import { modelHost } from "../../lora/model_host.ts";
import {
  ablateConditions,
  EmbeddedJudge,
  emDirection,
  evalConditions,
  labelledDirection,
  loadQuestions,
  saveDirection,
  selectForDirection,
  selectSplit,
  summariseConditions,
  type RateBlock,
} from "../../em/index.ts";
import type { Headline, StageContext, StageResult } from "./stage.ts";
import { emRatePct } from "./report_em.ts";

/** A rate as a summary headline: estimate, Wilson CI and the rows it stands on. */
function headline(b: RateBlock, which: "em" | "coherence", what: string): Headline {
  const e = b[which];
  const n = which === "em" ? b.defined : b.rows - b.undefinedCoherent;
  return { estimate: e?.estimate ?? null, ci: e?.ci ?? null, n, method: `${what}; Wilson 95% CI` };
}

export async function emStage(ctx: StageContext): Promise<StageResult> {
  const c = ctx.config.em;
  const seed = ctx.config.seed;
  const adapters: Record<string, string> = {};
  const lines: string[] = [];
  for (const [name, set] of [
    ["organism", c.set],
    ["control", `${c.set}-control`],
  ] as const) {
    const dir = path.join(ctx.out, "organisms", set);
    const data = path.join(dir, "training", "train.jsonl");
    const samples = generateEmSet(set as EmSetName, { n: c.samples, seed });
    await writeFileAtomic(data, samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
    const r = await trainOrganism({
      base: ctx.model,
      data,
      out: path.join(dir, "training"),
      preset: "em-rank1",
      hyper: { seed },
      progress: false,
      command: `molab pipeline (em/${set})`,
    });
    for (const f of ["adapter_config.json", "adapter_model.safetensors"])
      fs.copyFileSync(path.join(dir, "training", f), path.join(dir, f));
    adapters[name] = dir;
    lines.push(`${name} ${set}: ${r.steps} steps on ${r.nTrain} samples`);
  }
  const questions = selectSplit(loadQuestions(), "heldout");
  const judge = new EmbeddedJudge();
  const lm = await LocalModel.load(ctx.model, { adapters });
  try {
    const opts = { questions, judge, n: c.n, maxTokens: c.maxTokens, seed };
    const rates: Record<string, RateBlock> = {};
    const rows: Record<string, unknown[]> = {};
    for (const name of ["organism", "control"]) {
      const r = (await evalConditions(lm, name, [{ name }], opts))[name];
      rates[name] = r.rates.overall;
      rows[name] = r.rows;
    }
    // the direction, read through the organism
    const host = modelHost(lm.model, path.basename(ctx.model));
    const detach = attachAdapter(host, lm.adapters.get("organism")!.adapter);
    const organismRows = rows.organism as Parameters<typeof selectForDirection>[0];
    const fromAnswers = selectForDirection(organismRows).misaligned.length > 0;
    let dir;
    try {
      dir = fromAnswers
        ? emDirection(lm.model, lm.tokenizer, organismRows, [c.layer])
        : labelledDirection(lm.model, lm.tokenizer, [c.layer], { set: c.set as EmSetName, n: 32 });
    } finally {
      detach();
    }
    await saveDirection(path.join(ctx.out, "direction.json"), dir);
    const ab = summariseConditions(
      await evalConditions(lm, "organism", ablateConditions(dir.direction[0], [c.layer], seed), opts),
    );
    await writeJsonAtomic(path.join(ctx.out, "results.json"), {
      set: c.set,
      questions: questions.map((q) => q.id),
      judge: judge.describe,
      rates,
      ablation: { layer: c.layer, direction_from: fromAnswers ? "organism answers" : "labelled answers", ...ab },
      rows,
    });
    const what = `${questions.length} held-out questions × paraphrases × ${c.n} samples, embedded judge`;
    return {
      line:
        `${lines.join("; ")}; EM organism ${emRatePct(rates.organism.em)}, control ${emRatePct(rates.control.em)}, ` +
        `with the direction ablated at layer ${c.layer} ${emRatePct(ab.conditions.ablate.em)}`,
      summary: {
        "em.organism.em_rate": headline(rates.organism, "em", what),
        "em.control.em_rate": headline(rates.control, "em", what),
        "em.organism.coherence": headline(rates.organism, "coherence", `coherent > 50; ${what}`),
        "em.ablation.em_rate": headline(ab.conditions.ablate, "em", `organism with the direction ablated; ${what}`),
      },
    };
  } finally {
    lm.dispose();
  }
}
