/**
 * `molab em direction|steer|ablate`: the misalignment direction of an organism from its judged eval results, and
 * the EM evaluation with the direction added (steering, a scale sweep) or projected out (ablation), each beside a
 * random direction of the same norm.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { required } from "../args.ts";
import { initBackend } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { writeManifest } from "../manifest.ts";
import { disposeModel, loadModel } from "../model/load.ts";
import { loadTokenizer } from "../model/tokenizer.ts";
import { LoraAdapter } from "../lora/adapter.ts";
import { attachAdapter } from "../lora/inject.ts";
import { modelHost } from "../lora/model_host.ts";
import { EM_SETS, type EmSetName } from "../data/em.ts";
import {
  cosine,
  directionAt,
  DIRECTION_CONTRASTS,
  emDirection,
  labelledDirection,
  loadDirection,
  saveDirection,
  type DirectionContrast,
} from "./direction.ts";
import { ablateConditions, evalConditions, steerConditions, summariseConditions } from "./interventions.ts";
import type { EmRow } from "./rates.ts";
import {
  intFlag,
  judgeFromFlags,
  listFlag,
  localModelFromFlags,
  questionsFromFlags,
  userFormatFlag,
} from "./cli_flags.ts";

/** Rows of a `molab em eval` folder's results.jsonl. */
export function readEvalRows(dir: string): EmRow[] {
  const file = fs.existsSync(dir) && fs.statSync(dir).isDirectory() ? path.join(dir, "results.jsonl") : dir;
  if (!fs.existsSync(file)) throw new MolabError(`${file}: no such results file (made by molab em eval)`);
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as EmRow;
      } catch {
        throw new MolabError(`${file}:${i + 1}: invalid JSON`);
      }
    });
}

/** The B vector of a rank-1 adapter with a single module, with the module's name (else null). */
export function rank1B(adapter: LoraAdapter): { module: string; b: Float64Array } | null {
  if (adapter.modules.length !== 1 || adapter.modules[0].r !== 1) return null;
  const m = adapter.modules[0];
  return { module: m.name, b: Float64Array.from(m.B.dataSync() as Float32Array) };
}

export async function emDirectionCommand(values: Record<string, unknown>, argv: string[]): Promise<number> {
  const dir = required("em direction", values, "model");
  const adapterDir = required("em direction", values, "adapter");
  const labelled = values.labelled as string | undefined;
  const results = labelled === undefined ? required("em direction", values, "results") : undefined;
  if (labelled !== undefined && !(EM_SETS.filter((x) => !x.endsWith("-control")) as string[]).includes(labelled))
    throw new MolabError(
      `molab em direction: --labelled expects a narrow EM set (${EM_SETS.filter((x) => !x.endsWith("-control")).join(", ")})`,
    );
  const contrast = (values.contrast as string | undefined) ?? "answers";
  if (!(DIRECTION_CONTRASTS as readonly string[]).includes(contrast))
    throw new MolabError(
      `molab em direction: --contrast expects one of ${DIRECTION_CONTRASTS.join(", ")}; got "${contrast}"`,
    );
  if (labelled !== undefined && values.contrast !== undefined)
    throw new MolabError("molab em direction: --contrast applies to --results (judged answers), not to --labelled");
  const out = required("em direction", values, "out");
  const layer = intFlag(values, "layer", undefined, 0);
  if (layer === undefined) throw new MolabError("molab em direction: --layer is required");
  await initBackend();
  const model = await loadModel(dir);
  try {
    const tok = await loadTokenizer(dir);
    const nLayers = model.blocks.length;
    const raw = values.layers as string | undefined;
    const layers =
      raw === undefined || raw === "all"
        ? Array.from({ length: nLayers }, (_, i) => i)
        : listFlag(values, "layers", []);
    if (!layers.includes(layer)) layers.push(layer);
    const host = modelHost(model, path.basename(path.resolve(dir)));
    const adapter = await LoraAdapter.load(adapterDir, host);
    let d;
    if (labelled !== undefined) {
      const detach = attachAdapter(host, adapter);
      try {
        d = labelledDirection(model, tok, layers, { set: labelled as EmSetName });
      } finally {
        detach();
      }
    } else
      d = emDirection(model, tok, readEvalRows(results!), layers, {
        source: { model: dir, adapter: adapterDir, results: results! },
        contrast: contrast as DirectionContrast,
        attach: () => attachAdapter(host, adapter),
      });
    const b = rank1B(adapter);
    adapter.dispose();
    fs.mkdirSync(out, { recursive: true });
    await saveDirection(path.join(out, "direction.json"), d);
    const i = d.layers.indexOf(layer);
    const report = {
      layer,
      contrast: d.contrast ?? null,
      norm: d.norms[i],
      n_misaligned: d.nMisaligned,
      n_aligned: d.nAligned,
      norms_by_layer: Object.fromEntries(d.layers.map((L, j) => [L, d.norms[j]])),
      rank1_b: b
        ? {
            module: b.module,
            cosine_by_layer: Object.fromEntries(
              d.layers.map((L, j) => [L, d.direction[j].length === b.b.length ? cosine(d.direction[j], b.b) : null]),
            ),
          }
        : null,
    };
    await writeJsonAtomic(path.join(out, "summary.json"), report);
    await writeManifest(out, {
      command: `molab em ${argv.join(" ")}`,
      config: {
        model: dir,
        adapter: adapterDir,
        results: results ?? null,
        labelled: labelled ?? null,
        contrast: d.contrast ?? null,
        layers,
      },
      inputs: [path.join(adapterDir, "adapter_model.safetensors")],
      outputs: ["direction.json", "summary.json"],
    });
    console.log(JSON.stringify(report));
  } finally {
    disposeModel(model);
  }
  return 0;
}

export async function interventionCommand(
  kind: "steer" | "ablate",
  values: Record<string, unknown>,
  argv: string[],
): Promise<number> {
  const out = required(`em ${kind}`, values, "out");
  const file = required(`em ${kind}`, values, "direction");
  if (kind === "ablate" && !values.adapter)
    throw new MolabError("molab em ablate: --adapter is required (the organism)");
  const d = loadDirection(file);
  const { layer, v } = directionAt(d, intFlag(values, "layer", undefined, 0));
  const seed = intFlag(values, "seed", 0, 0)!;
  const questions = questionsFromFlags(values);
  const judge = judgeFromFlags(values);
  const { lm, name } = await localModelFromFlags(values);
  try {
    const nLayers = lm.model.blocks.length;
    const scales = listFlag(values, "scales", [0, 4, 8]);
    const conditions =
      kind === "steer"
        ? steerConditions(v, layer, scales, seed)
        : ablateConditions(v, values["all-layers"] ? Array.from({ length: nLayers }, (_, i) => i) : [layer], seed);
    const res = await evalConditions(lm, name, conditions, {
      questions,
      judge,
      n: intFlag(values, "n", undefined, 1),
      seed,
      userFormat: userFormatFlag(values),
      maxTokens: intFlag(values, "max-tokens", 96, 1),
      temperature: (values.temperature as string | undefined) === undefined ? 1 : Number(values.temperature),
      onCondition: (c) => console.error(`molab em ${kind}: ${c}`),
    });
    fs.mkdirSync(out, { recursive: true });
    for (const [c, r] of Object.entries(res))
      await writeFileAtomic(
        path.join(out, `results-${c.replace(/[^\w.-]+/g, "_")}.jsonl`),
        r.rows.map((x) => JSON.stringify(x) + "\n").join(""),
      );
    const target = kind === "ablate" ? "ablate" : `steer×${scales[scales.length - 1]}`;
    const summary = {
      kind,
      layer,
      all_layers: !!values["all-layers"],
      judge: judge.describe,
      ...summariseConditions(res, target),
    };
    await writeJsonAtomic(path.join(out, "summary.json"), summary);
    await writeManifest(out, {
      command: `molab em ${argv.join(" ")}`,
      config: {
        kind,
        layer,
        scales: kind === "steer" ? scales : undefined,
        direction: file,
        model: values.model,
        adapter: values.adapter,
      },
      seeds: { eval: seed },
      inputs: [file],
    });
    console.log(JSON.stringify(summary));
  } finally {
    lm.dispose();
  }
  return 0;
}
