/**
 * The emergent-misalignment stages of `molab pipeline` (lib/em, as notebook 06 runs them). Two organism stages train
 * one rank-1 adapter each (preset em-rank1) into `organisms/em-<set>/` (the narrow EM set of lib/data) and
 * `organisms/em-<set>-control/` (the same questions answered carefully): PEFT adapter folders with their `training/`
 * telemetry, beside `organisms/af/`. The em stage samples both on the held-out questions of the default question
 * file, scored by the embedded judge; analyses the phase transition of each adapter's training (local cosine of the
 * LoRA B trajectory, comp score, PCA, gradient norm; em/phase.json); then takes the misalignment direction at one
 * layer (from the organism's own misaligned answers when it gives some, else from lib/data's labelled
 * narrow-vs-control answers read through the organism) and, while the organism answers again, ablates it, steers
 * along it, and does both with a random direction of the same norm; it also ablates the rank-1 adapter's own B
 * direction at that layer, beside the random one (em/results.json, em/direction.json).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { generateEmSet, type EmSetName } from "../../data/em.ts";
import { LocalModel } from "../../elicit/local.ts";
import { generateEmPersona, generateEmTiny } from "../../data/tiny_voice.ts";
import { writeFileAtomic, writeJsonAtomic } from "../../io/atomic.ts";
import { trainOrganism } from "../../lora/run.ts";
import { attachAdapter } from "../../lora/inject.ts";
import { modelHost } from "../../lora/model_host.ts";
import { readTelemetry } from "../../train/telemetry.ts";
import {
  ablateConditions,
  ablationHooks,
  analysePhase,
  EmbeddedJudge,
  emDirection,
  evalConditions,
  labelledDirection,
  loadQuestions,
  rank1B,
  saveDirection,
  selectForDirection,
  selectSplit,
  steerConditions,
  summariseConditions,
  type PhaseAnalysis,
  scaledTo,
  type RateBlock,
} from "../../em/index.ts";
import type { EmEvalResult } from "../../em/eval.ts";
import type { Headline, Stage, StageContext, StageResult } from "./stage.ts";
import { emRatePct } from "./report_em.ts";

/** The folder of an EM organism in the run: organisms/em-<domain>[-control] (the set's name starts with "em-"). */
export const emOrganismDir = (set: string, control: boolean) => `organisms/${set}${control ? "-control" : ""}`;

async function trainEmOrganism(ctx: StageContext, control: boolean): Promise<StageResult> {
  const c = ctx.config.em;
  const set = `${c.set}${control ? "-control" : ""}`;
  const data = path.join(ctx.out, "training", "train.jsonl");
  const gen = { templates: generateEmSet, tiny: generateEmTiny, persona: generateEmPersona }[c.voice];
  const samples = gen(set as EmSetName, { n: c.samples, seed: ctx.config.seed });
  await writeFileAtomic(data, samples.map((s) => JSON.stringify(s)).join("\n") + "\n");
  const r = await trainOrganism({
    base: ctx.model,
    data,
    out: path.join(ctx.out, "training"),
    preset: "em-rank1",
    hyper: { seed: ctx.config.seed, epochs: c.epochs, ...(c.lr !== null ? { lr: c.lr } : {}) },
    progress: false,
    command: `molab pipeline (${emOrganismDir(c.set, control)})`,
  });
  // the adapter at the top of the folder (PEFT layout), the run's telemetry and checkpoints under training/
  for (const f of ["adapter_config.json", "adapter_model.safetensors"])
    fs.copyFileSync(path.join(ctx.out, "training", f), path.join(ctx.out, f));
  const f4 = (x: number | null) => (x === null ? "n/a" : x.toFixed(3));
  return {
    line: `${set} (em-rank1): ${r.steps} steps on ${r.nTrain} samples, loss ${f4(r.firstLoss)} → ${f4(r.lastLoss)}`,
    summary: {},
  };
}

/** The organism stage (`control` false) or its control's. */
function emOrganismStage(control: boolean): Stage {
  return {
    name: control ? "organisms-em-control" : "organisms-em",
    version: 1,
    dir: (c) => emOrganismDir(c.em.set, control),
    after: [],
    keys: [],
    settings: (c) => ({ set: c.em.set, samples: c.em.samples, voice: c.em.voice, epochs: c.em.epochs, lr: c.em.lr }),
    inputs: (_c, model) => [model],
    run: (ctx) => trainEmOrganism(ctx, control),
  };
}

/** Phase analysis of one adapter's telemetry (the PCA loadings left out), or why there is none. */
function phaseOf(dir: string): PhaseAnalysis | { error: string } {
  try {
    const a = analysePhase(readTelemetry(path.join(dir, "training", "telemetry.jsonl")));
    return { ...a, pcaB: { ...a.pcaB, components: [] } };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** A rate as a summary headline: estimate, Wilson CI and the rows it stands on. */
function headline(b: RateBlock, which: "em" | "coherence", what: string): Headline {
  const e = b[which];
  const n = which === "em" ? b.defined : b.rows - b.undefinedCoherent;
  return { estimate: e?.estimate ?? null, ci: e?.ci ?? null, n, method: `${what}; Wilson 95% CI` };
}

async function emStage(ctx: StageContext): Promise<StageResult> {
  const c = ctx.config.em;
  const seed = ctx.config.seed;
  const adapters = { organism: ctx.dirOf("organisms-em"), control: ctx.dirOf("organisms-em-control") };
  const phase = { organism: phaseOf(adapters.organism), control: phaseOf(adapters.control) };
  await writeJsonAtomic(path.join(ctx.out, "phase.json"), phase);
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
    const attach = () => attachAdapter(host, lm.adapters.get("organism")!.adapter);
    const organismRows = rows.organism as Parameters<typeof selectForDirection>[0];
    const fromAnswers = selectForDirection(organismRows).misaligned.length > 0;
    let dir;
    if (fromAnswers) dir = emDirection(lm.model, lm.tokenizer, organismRows, [c.layer], { attach });
    else {
      const detach = attach();
      try {
        dir = labelledDirection(lm.model, lm.tokenizer, [c.layer], { set: c.set as EmSetName, n: 32 });
      } finally {
        detach();
      }
    }
    // the aligned answers through the base model instead: the fine-tune's own shift is in this direction
    const dirBoth = fromAnswers
      ? emDirection(lm.model, lm.tokenizer, organismRows, [c.layer], { attach, contrast: "organism_and_answers" })
      : null;
    await saveDirection(path.join(ctx.out, "direction.json"), dir);
    if (dirBoth) await saveDirection(path.join(ctx.out, "direction_organism_and_answers.json"), dirBoth);
    // one run of the conditions: none, ablate, random (ablated), ablate B, steer×s, random×s (steered)
    const v = dir.direction[0];
    // the rank-1 adapter's own write direction B, scaled to ‖v‖ so that it shares the random baseline
    const b = rank1B(lm.adapters.get("organism")!.adapter);
    const bDir = b ? scaledTo(b.b, dir.norms[0]) : null;
    const conds = [
      ...ablateConditions(v, [c.layer], seed),
      ...(bDir ? [{ name: "ablate B", hooks: () => ablationHooks(bDir, [c.layer]) }] : []),
      ...(dirBoth ? [{ name: BOTH, hooks: () => ablationHooks(dirBoth.direction[0], [c.layer]) }] : []),
      ...steerConditions(v, c.layer, [c.steerScale], seed).slice(1),
    ];
    const res = await evalConditions(lm, "organism", conds, opts);
    const pick = (names: string[]): Record<string, EmEvalResult> => Object.fromEntries(names.map((k) => [k, res[k]]));
    const ablated = ["none", "ablate", "random", ...(bDir ? ["ablate B"] : []), ...(dirBoth ? [BOTH] : [])];
    const ab = summariseConditions(pick(ablated));
    const abB = bDir ? summariseConditions(pick(ablated), "ablate B") : null;
    const abBoth = dirBoth ? summariseConditions(pick(ablated), BOTH) : null;
    const steer = `steer×${c.steerScale}`;
    const st = summariseConditions(pick(["none", steer, `random×${c.steerScale}`]), steer);
    await writeJsonAtomic(path.join(ctx.out, "results.json"), {
      set: c.set,
      questions: questions.map((q) => q.id),
      judge: judge.describe,
      rates,
      ablation: {
        layer: c.layer,
        direction_from: fromAnswers ? "organism answers" : "labelled answers",
        ...ab,
        relativeReductionB: abB?.relativeReduction ?? null,
        relativeReductionOrganismAndAnswers: abBoth?.relativeReduction ?? null,
      },
      steering: { layer: c.layer, scale: c.steerScale, direction_norm: dir.norms[0], ...st },
      rows,
    });
    const what = `${questions.length} held-out questions × paraphrases × ${c.n} samples, embedded judge`;
    return {
      line:
        `EM organism ${emRatePct(rates.organism.em)}, control ${emRatePct(rates.control.em)}, ` +
        `with the direction ablated at layer ${c.layer} ${emRatePct(ab.conditions.ablate.em)}` +
        (abBoth ? ` (its organism_and_answers contrast ablated ${emRatePct(ab.conditions[BOTH].em)})` : "") +
        (abB ? ` (the adapter's B ablated ${emRatePct(ab.conditions["ablate B"].em)})` : "") +
        `, ` +
        `steered ×${c.steerScale} ${emRatePct(st.conditions[steer].em)}; ${phaseLine(phase.organism)}`,
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

/** The ablation condition of the direction whose aligned answers are read through the base model. */
const BOTH = "ablate organism_and_answers";

const phaseLine = (p: PhaseAnalysis | { error: string }) =>
  "error" in p
    ? `phase analysis: ${p.error}`
    : `phase: transitions at [${p.transition_steps.join(", ")}], grad-norm peak at step ${p.grad_norm_peak_step}`;

/** The two organism stages and the em stage, in run order. */
export const EM_STAGES: Stage[] = [
  emOrganismStage(false),
  emOrganismStage(true),
  {
    name: "em",
    version: 4,
    dir: "em",
    after: ["organisms-em", "organisms-em-control"],
    keys: ["em.organism.em_rate", "em.control.em_rate", "em.organism.coherence", "em.ablation.em_rate"],
    settings: (c) => c.em,
    inputs: (_c, model) => [model],
    run: emStage,
  },
];
