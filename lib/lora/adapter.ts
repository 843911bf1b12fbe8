/**
 * LoRA adapters in PEFT's format: `adapter_config.json` + `adapter_model.safetensors` with keys
 * `base_model.model.<module>.lora_A.weight` [r, in] and `…lora_B.weight` [out, r].
 * Creation follows PEFT's init: A ~ kaiming_uniform_(a=√5) = U(−1/√in, 1/√in), B = 0, so a fresh
 * adapter leaves the model unchanged. A and B are tf.Variables (the trainable parameters).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { tf } from "../backend.ts";
import { MolabError, check } from "../errors.ts";
import { type LoraConfig, fromPeftConfigJson, rankAlphaFor, targetedModules, toPeftConfigJson } from "./config.ts";
import type { LoraHost } from "./host.ts";
import { createRng, type Rng } from "../rng.ts";
import { writeFileAtomic } from "../io/atomic.ts";
import { openSafetensors } from "../io/safetensors.ts";
import { writeSafetensors } from "../io/safetensors_write.ts";

export const ADAPTER_CONFIG = "adapter_config.json";
export const ADAPTER_WEIGHTS = "adapter_model.safetensors";
const PREFIX = "base_model.model.";

export interface LoraModule {
  /** HF module name, e.g. `model.layers.3.mlp.down_proj`. */
  name: string;
  r: number;
  alpha: number;
  /** α/r, or α/√r with rsLoRA. */
  scale: number;
  inFeatures: number;
  outFeatures: number;
  A: tf.Variable; // [r, in]
  B: tf.Variable; // [out, r]
}

/** PEFT's safetensors key of a module's A or B (with `.weight`). */
export function peftKey(module: string, which: "A" | "B"): string {
  return `${PREFIX}${module}.lora_${which}.weight`;
}

export class LoraAdapter {
  private constructor(
    readonly config: LoraConfig,
    readonly modules: LoraModule[],
  ) {}

  /** A fresh adapter for `host` (or for explicit linear shapes), PEFT's init drawn from `seed` (or a generator). */
  static create(
    host: Pick<LoraHost, "linearNames" | "linearShape"> & { nameOrPath?: string },
    config: LoraConfig,
    seed: number | string | Rng = 0,
  ): LoraAdapter {
    const rng = typeof seed === "object" ? seed : createRng(seed).fork("lora-init");
    const names = targetedModules(config, host.linearNames());
    check(
      names.length > 0,
      () =>
        `LoRA config: target_modules ${JSON.stringify(config.target_modules)}` +
        (config.layers_to_transform ? ` with layers_to_transform ${JSON.stringify(config.layers_to_transform)}` : "") +
        ` match no linear of the model (it has e.g. ${host.linearNames().slice(0, 7).join(", ")})`,
    );
    const cfg = { ...config, base_model_name_or_path: config.base_model_name_or_path ?? host.nameOrPath ?? null };
    const modules = names.map((name) => {
      const [out, inF] = host.linearShape(name);
      const { r, alpha, scale } = rankAlphaFor(cfg, name);
      const bound = 1 / Math.sqrt(inF);
      const a = new Float32Array(r * inF);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.float() - 1) * bound;
      return {
        name,
        r,
        alpha,
        scale,
        inFeatures: inF,
        outFeatures: out,
        A: ownedVariable(tf.tensor2d(a, [r, inF])),
        B: ownedVariable(tf.zeros([out, r])),
      };
    });
    return new LoraAdapter(cfg, modules);
  }

  /**
   * Read a PEFT adapter directory. With `host`, every module and shape is checked against the model
   * (a mismatch is a MolabError naming the key), and base_model_name_or_path must name the same model
   * unless `allowBaseMismatch`.
   */
  static async load(dir: string, host?: LoraHost, opts: { allowBaseMismatch?: boolean } = {}): Promise<LoraAdapter> {
    const cfgFile = path.join(dir, ADAPTER_CONFIG);
    const wFile = path.join(dir, ADAPTER_WEIGHTS);
    check(fs.existsSync(cfgFile), `${dir}: no ${ADAPTER_CONFIG} (not a PEFT adapter directory)`);
    check(
      fs.existsSync(wFile),
      `${dir}: no ${ADAPTER_WEIGHTS}` +
        (fs.existsSync(path.join(dir, "adapter_model.bin"))
          ? " (adapter_model.bin is a pickle; molab reads safetensors only)"
          : ""),
    );
    let json: unknown;
    try {
      json = JSON.parse(fs.readFileSync(cfgFile, "utf8"));
    } catch (e) {
      throw new MolabError(`${cfgFile}: invalid JSON (${(e as Error).message})`);
    }
    const config = fromPeftConfigJson(json, cfgFile);
    if (host && !opts.allowBaseMismatch) checkSameBase(config.base_model_name_or_path, host.nameOrPath, cfgFile);
    const src = await openSafetensors(wFile);
    const modules: LoraModule[] = [];
    try {
      const byModule = new Map<string, { A?: string; B?: string }>();
      for (const key of src.names()) {
        const m = /^base_model\.model\.(.+)\.lora_([AB])(?:\.default)?\.weight$/.exec(key);
        if (!m) {
          if (/lora_(embedding_)?[AB]|lora_magnitude/.test(key))
            throw new MolabError(`${wFile}: tensor ${key} is not a LoRA linear weight molab supports`);
          throw new MolabError(
            `${wFile}: unexpected tensor ${key} (expected base_model.model.<module>.lora_A.weight / lora_B.weight)`,
          );
        }
        const e = byModule.get(m[1]) ?? {};
        e[m[2] as "A" | "B"] = key;
        byModule.set(m[1], e);
      }
      check(byModule.size > 0, `${wFile}: no LoRA tensors`);
      const targeted = new Set(targetedModules(config, [...byModule.keys()]));
      for (const name of byModule.keys())
        check(
          targeted.has(name),
          () =>
            `${wFile}: module ${name} is not among the modules ${ADAPTER_CONFIG} targets ` +
            `(target_modules ${JSON.stringify(config.target_modules)}` +
            (config.layers_to_transform ? `, layers_to_transform ${JSON.stringify(config.layers_to_transform)}` : "") +
            "); the config and the weights disagree",
        );
      const hostNames = host ? new Set(host.linearNames()) : undefined;
      for (const [name, keys] of byModule) {
        check(
          keys.A && keys.B,
          `${wFile}: module ${name} has lora_${keys.A ? "A" : "B"} but no lora_${keys.A ? "B" : "A"}`,
        );
        const ia = src.info(keys.A!),
          ib = src.info(keys.B!);
        check(
          ia.shape.length === 2 && ib.shape.length === 2,
          `${wFile}: ${name}: lora_A and lora_B must be 2-D, got ${JSON.stringify(ia.shape)} and ${JSON.stringify(ib.shape)}`,
        );
        const [r, inF] = ia.shape,
          [out, rB] = ib.shape;
        const { alpha, scale, r: rCfg } = rankAlphaFor(config, name);
        check(r === rB, `${wFile}: ${name}: lora_A is [${ia.shape}] but lora_B is [${ib.shape}] (ranks differ)`);
        check(r === rCfg, `${wFile}: ${name}: rank ${r} but ${ADAPTER_CONFIG} says r=${rCfg}`);
        if (host) {
          check(
            hostNames!.has(name),
            () =>
              `${wFile}: target module ${name} does not exist in the base model` +
              (host.nameOrPath ? ` ${host.nameOrPath}` : "") +
              ` (its linears are e.g. ${host.linearNames().slice(0, 7).join(", ")})`,
          );
          const [hOut, hIn] = host.linearShape(name);
          check(
            inF === hIn && out === hOut,
            `${wFile}: ${name}: adapter shape A [${ia.shape}] B [${ib.shape}] does not fit the base linear [out ${hOut}, in ${hIn}]`,
          );
        }
        const A = await src.readTensor(keys.A!),
          B = await src.readTensor(keys.B!);
        modules.push({
          name,
          r,
          alpha,
          scale,
          inFeatures: inF,
          outFeatures: out,
          A: ownedVariable(tf.cast(A, "float32")),
          B: ownedVariable(tf.cast(B, "float32")),
        });
        tf.dispose([A, B]);
      }
    } catch (e) {
      for (const m of modules) tf.dispose([m.A, m.B]);
      throw e;
    } finally {
      await src.close();
    }
    const order = host ? host.linearNames() : [...modules.map((m) => m.name)].sort();
    modules.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    return new LoraAdapter(config, modules);
  }

  /** Write `adapter_config.json` and `adapter_model.safetensors` (each atomically) into `dir`. */
  async save(dir: string): Promise<void> {
    fs.mkdirSync(dir, { recursive: true });
    await writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), this.tensors(), { metadata: { format: "pt" } });
    await writeFileAtomic(
      path.join(dir, ADAPTER_CONFIG),
      JSON.stringify(toPeftConfigJson(this.config), null, 2) + "\n",
    );
  }

  /** The tensors under PEFT's key names (views of the variables; do not dispose). */
  tensors(): Record<string, tf.Tensor> {
    const out: Record<string, tf.Tensor> = {};
    for (const m of this.modules) {
      out[peftKey(m.name, "A")] = m.A;
      out[peftKey(m.name, "B")] = m.B;
    }
    return out;
  }

  /** Trainable variables in a fixed order: A then B of each module, model order. */
  variables(): tf.Variable[] {
    return this.modules.flatMap((m) => [m.A, m.B]);
  }

  /** Number of trainable parameters. */
  parameterCount(): number {
    return this.modules.reduce((s, m) => s + m.r * (m.inFeatures + m.outFeatures), 0);
  }

  dispose(): void {
    for (const m of this.modules) tf.dispose([m.A, m.B]);
  }
}

/** A trainable variable that takes over `t` (tf.variable shares t's data; the wrapper tensor is freed). */
function ownedVariable(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t, true);
  t.dispose();
  return v;
}

function checkSameBase(adapterBase: string | null, hostName: string | undefined, file: string): void {
  if (!adapterBase || !hostName) return;
  const norm = (s: string) =>
    s
      .replace(/[\\/]+$/, "")
      .split(/[\\/]/)
      .pop()!
      .toLowerCase();
  if (adapterBase === hostName || norm(adapterBase) === norm(hostName)) return;
  throw new MolabError(
    `${file}: base_model_name_or_path is ${JSON.stringify(adapterBase)} but the model is ${JSON.stringify(hostName)}; ` +
      `load it on that model, or pass allowBaseMismatch (CLI: --allow-base-mismatch) if the weights are the same`,
  );
}
