/**
 * `molab sae encode --sae DIR --acts FILE.npy --out FILE.npy [--batch N] [--chunk N]`; `molab sae train` (train_cli.ts).
 *
 * Encodes activations f32 [n, d_in] (.npy) with an SAE — a SAELens folder, a sparsify hookpoint folder, or a
 * GemmaScope params.npz (or its folder) — into dense f32 [n, d_sae] (.npy), batch by batch and chunked over latents.
 * Prints one JSON line: {out, n, d_in, d_sae, architecture, format, hook, mean_l0}.
 */
import { numberFlag, parseFlags, required, type FlagSpec } from "../args.ts";
import { initBackend, tf } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { readNpy, writeNpy } from "../io/npy.ts";
import { encode } from "./encode.ts";
import { loadSae, type LoadSaeOptions } from "./formats.ts";
import { disposeSae } from "./sae.ts";
import { SAE_TRAIN_USAGE, saeTrain } from "./train_cli.ts";

export const SAE_FLAGS: FlagSpec = {
  sae: { type: "string" },
  acts: { type: "string" },
  out: { type: "string" },
  batch: { type: "string" },
  chunk: { type: "string" },
  model: { type: "string" },
  data: { type: "string" },
  hook: { type: "string" },
  "d-sae": { type: "string" },
  k: { type: "string" },
  architecture: { type: "string" },
  l1: { type: "string" },
  steps: { type: "string" },
  lr: { type: "string" },
  context: { type: "string" },
  "dead-window": { type: "string" },
  "eval-data": { type: "string" },
  seed: { type: "string" },
  resume: { type: "boolean" },
  adapter: { type: "string" },
  compare: { type: "string" },
  feature: { type: "string" },
  pool: { type: "string" },
  top: { type: "string" },
  revision: { type: "string" },
  "sae-id": { type: "string" },
  "sae-revision": { type: "string" },
};

/** loadSae's hub options from `--sae-id ID` (the SAE's folder in a hub repo) and `--sae-revision REV`. */
export function saeHubOptions(values: Record<string, unknown>): LoadSaeOptions {
  const str = (k: string) => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  return { subfolder: str("sae-id"), revision: str("sae-revision") };
}

const ENCODE_USAGE = `usage: molab sae encode --sae DIR|ID --acts FILE.npy --out FILE.npy [--batch N] [--chunk N]
  --sae DIR|ID       a SAELens folder (cfg.json + sae_weights.safetensors), a sparsify hookpoint folder
                     (cfg.json + sae.safetensors) or a GemmaScope params.npz (or the folder holding it); or a hub
                     repo id (HF cache; HF_HUB_OFFLINE=1 for the cache only) with --sae-id
  --sae-id ID        the SAE's folder in the repo: a SAELens sae_id (blocks.8.hook_resid_pre), a sparsify
                     hookpoint (layers.8), a GemmaScope path (layer_12/width_16k/average_l0_82); only its files
                     are downloaded (--sae-revision REV: a branch, tag or commit, default main)
  --acts FILE.npy    activations, float32 (or float64) [n, d_in]
  --out FILE.npy     dense activations, float32 [n, d_sae]
  --batch N          rows encoded at a time (default 256)
  --chunk N          latents per chunk, bounding memory (default: n × chunk ≤ 2^24 floats)
prints one JSON line: {out, n, d_in, d_sae, architecture, format, hook, mean_l0}
example: molab sae encode --sae runs/x/sae --acts acts.npy --out latents.npy
example: molab sae encode --sae EleutherAI/sae-llama-3-8b-32x --sae-id layers.16 --acts acts.npy --out latents.npy`;

export const SAE_USAGE = `${ENCODE_USAGE}\n\n${SAE_TRAIN_USAGE}`;

/**
 * `molab sae …`. `features` and `dashboard` load a model with its adapter (lib/lora, a layer above this one), so the
 * CLI passes them in as `report`.
 */
export async function saeCommand(
  argv: string[],
  report?: (positionals: string[], values: Record<string, unknown>) => Promise<number>,
): Promise<number> {
  const { values, positionals } = parseFlags("sae", argv, SAE_FLAGS);
  const sub = positionals[0];
  if (sub !== "encode" && sub !== "train" && sub !== "features" && sub !== "dashboard")
    throw new MolabError(
      `molab sae: ${sub === undefined ? "a subcommand is required" : `unknown subcommand ${JSON.stringify(sub)}`}; ` +
        "expected: encode, train, features, dashboard",
    );
  if (positionals.length > 1) throw new MolabError(`molab sae: unexpected argument ${JSON.stringify(positionals[1])}`);
  if (sub === "train") return saeTrain(values);
  if (sub === "features" || sub === "dashboard") {
    if (!report) throw new MolabError(`molab sae ${sub}: run it through the molab command`);
    return report(positionals, values);
  }
  const saeDir = required("sae", values, "sae");
  const actsFile = required("sae", values, "acts");
  const outFile = required("sae", values, "out");
  const batch = numberFlag("sae", values, "batch", 256)!;
  const chunk = numberFlag("sae", values, "chunk");
  if (!Number.isInteger(batch) || batch <= 0)
    throw new MolabError(`molab sae: --batch must be a positive integer, got ${batch}`);
  if (chunk !== undefined && (!Number.isInteger(chunk) || chunk <= 0))
    throw new MolabError(`molab sae: --chunk must be a positive integer, got ${chunk}`);
  await initBackend();
  const acts = await readNpy(actsFile);
  if (acts.dtype !== "float32" && acts.dtype !== "float64")
    throw new MolabError(`${actsFile}: activations are ${acts.dtype}; expected float32 [n, d_in]`);
  if (acts.shape.length !== 2)
    throw new MolabError(`${actsFile}: activations have shape [${acts.shape.join(", ")}]; expected [n, d_in]`);
  const [n, d] = acts.shape;
  const data = acts.data instanceof Float32Array ? acts.data : Float32Array.from(acts.data as Float64Array);
  const sae = await loadSae(saeDir, saeHubOptions(values));
  try {
    const { d_sae } = sae.cfg;
    const out = new Float32Array(n * d_sae);
    let active = 0;
    for (let r = 0; r < n; r += batch) {
      const m = Math.min(batch, n - r);
      const x = tf.tensor2d(data.subarray(r * d, (r + m) * d), [m, d]);
      try {
        const z = encode(sae, x, { chunk, source: `${actsFile} (rows ${r}..${r + m - 1})` });
        const v = z.dataSync() as Float32Array;
        z.dispose();
        out.set(v, r * d_sae);
        for (let i = 0; i < v.length; i++) if (v[i] !== 0) active++;
      } finally {
        x.dispose();
      }
    }
    await writeNpy(outFile, { dtype: "float32", shape: [n, d_sae], data: out });
    const c = sae.cfg;
    const summary = { out: outFile, n, d_in: c.d_in, d_sae, architecture: c.architecture, format: c.format };
    console.log(JSON.stringify({ ...summary, hook: c.hook_name ?? null, mean_l0: n ? active / n : 0 }));
    return 0;
  } finally {
    disposeSae(sae);
  }
}
