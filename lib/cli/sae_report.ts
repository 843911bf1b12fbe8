/**
 * `molab sae features` and `molab sae dashboard`: SAE feature reports on a model (with a PEFT adapter when given)
 * over chat JSONL files (lib/data's `{messages}` records, rendered with the chat template).
 *
 *   features: pooled latents per conversation → features.npy [n, d_sae], top_features.json (the latents that fire in
 *             the most conversations, or, with --compare, those whose mean differs most between the two files),
 *             manifest.json.
 *   dashboard: one latent's histogram per file, top-activating snippets and logit effects, as a self-contained HTML.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { choiceFlag, numberFlag, required } from "../args.ts";
import { initBackend } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { checkOutDir, writeFileAtomic, writeJsonAtomic } from "../io/atomic.ts";
import { writeNpy } from "../io/npy.ts";
import { writeManifest } from "../manifest.ts";
import { disposeModel, loadTokenizer, type Model } from "../model/index.ts";
import { dashboardHtml, featureDashboard, topFeatureDifferences } from "../sae/dashboard.ts";
import { pooledFeatures, POOLS, type PooledFeatures } from "../sae/features.ts";
import { saeHubOptions } from "../sae/cli.ts";
import { loadSae } from "../sae/formats.ts";
import { disposeSae, type Sae } from "../sae/sae.ts";
import { readChatSequences } from "../sae/store.ts";
import { loadWithAdapter, modelDir } from "./model.ts";

export const SAE_REPORT_USAGE = `usage: molab sae features --model DIR --sae DIR --data FILE.jsonl --out DIR [flags]
usage: molab sae dashboard --model DIR --sae DIR --data FILE.jsonl --feature F --out FILE.html [flags]
  --model DIR|ID     the model that reads the conversations (--revision REV for a hub id)
  --adapter DIR      a PEFT LoRA adapter attached to it (an organism)
  --sae DIR|ID       a SAELens, sparsify or GemmaScope SAE, or a hub repo id with --sae-id ID (as for encode)
  --data FILE.jsonl  chat JSONL ({"messages": [...]}), rendered with the model's chat template
  --compare FILE     a second chat JSONL: features ranks latents by mean difference data − compare; the
                     dashboard draws both sets
  --out DIR|FILE     features: a folder for features.npy [n, d_sae], compare_features.npy, top_features.json,
                     manifest.json; dashboard: the .html file (self-contained, no network)
  --feature F        dashboard: the latent index
  --pool P           features: mean (default), max or last over each conversation's tokens
  --top N            features: latents listed (default 20); dashboard: snippets shown (default 8)
  --context N        tokens per conversation at most (default 256)
example: molab sae features --model data/models/tiny-assistant --sae runs/x/sae --data runs/p/data/af/train.jsonl --out runs/f`;

async function open(values: Record<string, unknown>, cmd: string): Promise<{ model: Model; sae: Sae; dir: string }> {
  const dir = await modelDir(cmd, values);
  const sae = await loadSae(required(cmd, values, "sae"), saeHubOptions(values));
  try {
    return { model: await loadWithAdapter(dir, values), sae, dir };
  } catch (e) {
    disposeSae(sae);
    throw e;
  }
}

/** `molab sae features|dashboard …` (argv without the leading "sae"). */
export async function saeReport(argv: string[], values: Record<string, unknown>): Promise<number> {
  const sub = argv[0];
  const cmd = `sae ${sub}`;
  const data = required(cmd, values, "data");
  const compare = typeof values.compare === "string" ? values.compare : undefined;
  for (const f of [data, compare]) if (f !== undefined && !fs.existsSync(f)) throw new MolabError(`${f}: no such file`);
  const out = required(cmd, values, "out");
  const top = numberFlag(cmd, values, "top", sub === "features" ? 20 : 8)!;
  const context = numberFlag(cmd, values, "context", 256)!;
  if (!Number.isInteger(top) || top <= 0)
    throw new MolabError(`molab ${cmd}: --top must be a positive integer, got ${top}`);
  const pool = choiceFlag(cmd, values, "pool", POOLS, "mean")!;
  let feature = 0;
  if (sub === "dashboard") {
    feature = numberFlag(cmd, values, "feature")!;
    if (feature === undefined) throw new MolabError(`molab ${cmd}: --feature F is required (a latent index)`);
    if (!out.endsWith(".html")) throw new MolabError(`molab ${cmd}: --out must name an .html file, got ${out}`);
  } else checkOutDir(out);
  await initBackend();
  const { model, sae, dir } = await open(values, cmd);
  try {
    const tok = await loadTokenizer(dir);
    const read = async (f: string) => (await readChatSequences([f], tok, { contextSize: context })).map((s) => s.ids);
    const sets = [{ label: path.basename(data), ids: await read(data) }];
    if (compare) sets.push({ label: path.basename(compare), ids: await read(compare) });
    if (sub === "dashboard") {
      const d = featureDashboard(model, tok, sae, sets, feature, { topK: top });
      fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
      await writeFileAtomic(out, dashboardHtml(d));
      console.log(
        JSON.stringify({ out, feature, hook: d.hook, fired: d.sets.map((s) => `${s.fired}/${s.maxPerText.length}`) }),
      );
      return 0;
    }
    const feats: PooledFeatures[] = sets.map((s) => pooledFeatures(model, sae, s.ids, { pool }));
    fs.mkdirSync(out, { recursive: true });
    const files = ["features.npy", "compare_features.npy"];
    for (let i = 0; i < feats.length; i++)
      await writeNpy(path.join(out, files[i]), {
        dtype: "float32",
        shape: [feats[i].n, feats[i].d_sae],
        data: feats[i].features,
      });
    const ranked = compare ? topFeatureDifferences(feats[0], feats[1], top) : firing(feats[0], top);
    await writeJsonAtomic(path.join(out, "top_features.json"), {
      hook: feats[0].hook,
      pool,
      data,
      compare: compare ?? null,
      features: ranked,
    });
    await writeManifest(out, {
      command: `molab ${cmd}`,
      config: { ...values, pool, top, context },
      inputs: [data, ...(compare ? [compare] : [])],
    });
    console.log(
      JSON.stringify({
        out,
        n: feats.map((f) => f.n),
        d_sae: feats[0].d_sae,
        hook: feats[0].hook,
        top: ranked.slice(0, 5).map((r) => r.feature),
      }),
    );
    return 0;
  } finally {
    disposeModel(model);
    disposeSae(sae);
  }
}

/** Latents by the share of conversations they fire in (pooled > 0), ties by the larger mean. */
function firing(p: PooledFeatures, k: number) {
  const rows = Array.from({ length: p.d_sae }, (_, j) => {
    let fires = 0,
      mean = 0;
    for (let i = 0; i < p.n; i++) {
      const v = p.features[i * p.d_sae + j];
      if (v > 0) fires++;
      mean += v / p.n;
    }
    return { feature: j, fires: fires / p.n, mean };
  });
  return rows.sort((a, b) => b.fires - a.fires || b.mean - a.mean || a.feature - b.feature).slice(0, k);
}
