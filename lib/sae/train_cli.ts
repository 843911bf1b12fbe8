/**
 * `molab sae train --model DIR --data FILE.jsonl --hook blocks.2.hook_resid_post --d-sae N --k K --out DIR`
 *
 * Trains an SAE on the model's activations at the hook over chat JSONL (lib/data's records), holding out a few
 * sequences for the metrics. Writes into --out: the SAE as a SAELens v6 folder (cfg.json + sae_weights.safetensors),
 * metrics.json (FVE, L0, dead %, CE-loss recovered on the held-out sequences), telemetry.jsonl and checkpoints/.
 * Prints the metrics as one JSON line.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { numberFlag, required } from "../args.ts";
import { initBackend } from "../backend.ts";
import { MolabError } from "../errors.ts";
import { writeJsonAtomic } from "../io/atomic.ts";
import { disposeModel, hookNames, loadModel, loadTokenizer } from "../model/index.ts";
import { createRng } from "../rng.ts";
import { saveSaeLens } from "./formats.ts";
import { evaluateSae } from "./metrics.ts";
import { disposeSae } from "./sae.ts";
import { ActivationStore, readChatSequences } from "./store.ts";
import { trainSae } from "./train.ts";

export const SAE_TRAIN_USAGE = `usage: molab sae train --model DIR --data FILE.jsonl[,FILE.jsonl] --hook HOOK --d-sae N --k K --out DIR [flags]
  --model DIR        the model whose activations are read (e.g. data/models/tiny-assistant)
  --data FILES       chat JSONL ({"messages": [...]}, as molab data writes), comma-separated for several
  --hook HOOK        where the SAE reads, e.g. blocks.2.hook_resid_post (the model runs up to that block only)
  --d-sae N          latents
  --k K              topk: latents per token (default 32)
  --architecture A   topk (with AuxK, default) or standard (ReLU + L1)
  --l1 L             standard: L1 coefficient (default 5)
  --out DIR          the SAELens v6 folder, metrics.json, telemetry.jsonl, checkpoints/
  --steps N          optimizer steps (default 1000)
  --lr LR            AdamW learning rate (default 4e-4; warmup 5%, linear decay)
  --batch N          tokens per step (default 1024)
  --context N        tokens per sequence at most (default 512)
  --eval-data FILES  chat JSONL the model predicts well (its own domain), for a second set of metrics beside the
                     held-out --data sequences (CE-loss recovered means little where the model's CE is poor)
  --dead-window N    a latent is dead after N tokens without firing (default 100000)
  --seed N           init, data order and shuffles (default 0)
  --resume           continue from the newest checkpoint in --out (same settings and data)
prints one JSON line: {out, fve, l0, dead_fraction, ce_clean, ce_zero, ce_sae, ce_loss_recovered, eval_data?, …}
example: molab sae train --model data/models/tiny-assistant --data runs/data/af/af.jsonl --hook blocks.2.hook_resid_post --d-sae 1024 --k 32 --out runs/sae`;

export async function saeTrain(values: Record<string, unknown>): Promise<number> {
  const cmd = "sae train";
  const modelDir = required(cmd, values, "model");
  const files = required(cmd, values, "data").split(",").filter(Boolean);
  const hook = required(cmd, values, "hook");
  const out = required(cmd, values, "out");
  const int = (name: string, fallback?: number) => {
    const v = numberFlag(cmd, values, name, fallback);
    if (v === undefined) throw new MolabError(`molab ${cmd}: --${name} is required`);
    if (!Number.isInteger(v) || v <= 0)
      throw new MolabError(`molab ${cmd}: --${name} must be a positive integer, got ${v}`);
    return v;
  };
  const arch = (values.architecture as string | undefined) ?? "topk";
  if (arch !== "topk" && arch !== "standard")
    throw new MolabError(`molab ${cmd}: --architecture must be topk or standard, got ${JSON.stringify(arch)}`);
  const d_sae = int("d-sae");
  const k = arch === "topk" ? int("k", 32) : undefined;
  const steps = int("steps", 1000);
  const batch = int("batch", 1024);
  const context = int("context", 512);
  const seed = numberFlag(cmd, values, "seed", 0)!;
  for (const f of files) if (!fs.existsSync(f)) throw new MolabError(`molab ${cmd}: --data ${f}: no such file`);
  await initBackend();
  const model = await loadModel(modelDir);
  try {
    if (!hookNames(model).includes(hook))
      throw new MolabError(
        `molab ${cmd}: --hook ${JSON.stringify(hook)} is not a hook point of ${modelDir} ` +
          `(${model.config.numLayers} layers; e.g. blocks.${Math.min(2, model.config.numLayers - 1)}.hook_resid_post)`,
      );
    const tok = await loadTokenizer(modelDir);
    const all = await readChatSequences(files, tok, { contextSize: context });
    // held-out sequences for the metrics: 5%, 4 to 32 of them
    const perm = createRng(seed)
      .fork("heldout")
      .shuffle(all.map((_, i) => i));
    const nEval = Math.min(32, Math.max(4, Math.round(all.length * 0.05)), all.length - 1);
    if (nEval < 1)
      throw new MolabError(`molab ${cmd}: ${files.join(", ")} holds ${all.length} record; need at least 2`);
    const evalIdx = new Set(perm.slice(0, nEval));
    const trainSeqs = all.filter((_, i) => !evalIdx.has(i));
    const evalSeqs = all.filter((_, i) => evalIdx.has(i));
    const hash = crypto.createHash("sha256");
    for (const f of files) hash.update(fs.readFileSync(f));
    const store = new ActivationStore(model, trainSeqs, hook, { batchTokens: batch, seed });
    const r = await trainSae(
      store,
      {
        architecture: arch,
        d_sae,
        k,
        l1: numberFlag(cmd, values, "l1"),
        steps,
        lr: numberFlag(cmd, values, "lr"),
        deadWindow: numberFlag(cmd, values, "dead-window"),
        seed,
      },
      {
        out,
        resume: values.resume === true,
        fingerprint: { model: path.basename(path.resolve(modelDir)), data_sha256: hash.digest("hex"), context },
      },
    );
    try {
      r.sae.cfg.metadata = {
        ...r.sae.cfg.metadata,
        model_name: path.basename(path.resolve(modelDir)),
        context_size: context,
      };
      await saveSaeLens(r.sae, out);
      const ev = evaluateSae(model, r.sae, hook, evalSeqs);
      const metrics = {
        out,
        hook,
        architecture: arch,
        d_in: r.sae.cfg.d_in,
        d_sae,
        k: k ?? null,
        steps: r.steps,
        train_tokens: r.steps * batch,
        fve: ev.fve,
        l0: ev.l0,
        dead_fraction: r.deadFraction,
        dead_on_eval: ev.deadOnEval,
        ce_clean: ev.ceClean,
        ce_zero: ev.ceZero,
        ce_sae: ev.ceSae,
        ce_loss_recovered: ev.ceLossRecovered,
        eval_tokens: ev.tokens,
        eval_sequences: ev.sequences,
        dead_window: numberFlag(cmd, values, "dead-window", 100_000),
        seconds: r.seconds,
      };
      const evalFiles = typeof values["eval-data"] === "string" ? values["eval-data"].split(",").filter(Boolean) : [];
      const extra = evalFiles.length
        ? evaluateSae(
            model,
            r.sae,
            hook,
            (await readChatSequences(evalFiles, tok, { contextSize: context })).slice(0, 32),
          )
        : undefined;
      const withExtra = extra
        ? {
            ...metrics,
            eval_data: {
              files: evalFiles,
              fve: extra.fve,
              l0: extra.l0,
              ce_clean: extra.ceClean,
              ce_zero: extra.ceZero,
              ce_sae: extra.ceSae,
              ce_loss_recovered: extra.ceLossRecovered,
              eval_tokens: extra.tokens,
              eval_sequences: extra.sequences,
            },
          }
        : metrics;
      await writeJsonAtomic(path.join(out, "metrics.json"), withExtra);
      console.log(JSON.stringify(withExtra));
    } finally {
      disposeSae(r.sae);
    }
    return 0;
  } finally {
    disposeModel(model);
  }
}
