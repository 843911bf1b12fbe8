import { tf, initBackend } from "../lib/backend.ts";
import { LoraAdapter } from "../lib/lora/adapter.ts";
import { LLAMA_PROJECTIONS, loraConfig } from "../lib/lora/config.ts";
import { attachAdapter } from "../lib/lora/inject.ts";
import { accumulateGradients } from "../lib/lora/train.ts";
import { loadHost } from "../lib/lora/model_host.ts";
import { setNativeThreads } from "../lib/native/addon.ts";
(async () => {
  await initBackend();
  setNativeThreads(Number(process.env.T || 2));
  const host = await loadHost("data/models/tiny-assistant");
  const adapter = LoraAdapter.create(host, loraConfig({ r: 16, lora_alpha: 32, target_modules: [...LLAMA_PROJECTIONS] }), 0);
  attachAdapter(host, adapter);
  const ids = Array.from({ length: 8 }, (_, i) => Array.from({ length: 128 }, (_, t) => 3 + ((i * 977 + t * 31) % 2000)));
  const micro = [ids.map((row) => ({ ids: row, mask: row.map((_, t) => (t >= 32 ? 1 : 0)) }))];
  const step = () => { const { grads } = accumulateGradients(host, adapter, micro); tf.dispose(grads); };
  step(); step();
  const info = await tf.profile(() => { step(); });
  const by: Record<string, [number, number]> = {};
  let tot = 0;
  for (const k of info.kernels) { const e = (by[k.name] ??= [0, 0]); e[0]++; e[1] += k.kernelTimeMs as number; tot += k.kernelTimeMs as number; }
  const agg: Record<string, [number, number]> = {}; for (const k of info.kernels) if (k.name === "BatchMatMul" || k.name === "Exp" || k.name === "Identity" || k.name === "GatherV2") { const key = k.name + " " + JSON.stringify(k.inputShapes); const e = (agg[key] ??= [0, 0]); e[0]++; e[1] += k.kernelTimeMs as number; }
  console.log(Object.entries(agg).sort((a, b) => b[1][1] - a[1][1]).slice(0, 15).map(([n, [c, t]]) => `${n} x${c} ${t.toFixed(1)}ms`).join("\n"));
  console.log("kernels", info.kernels.length, "kernel ms", tot.toFixed(1));
  console.log(Object.entries(by).sort((a, b) => b[1][1] - a[1][1]).slice(0, 14).map(([n, [c, t]]) => `${n} ${c} ${t.toFixed(1)}ms`).join("\n"));
  let best = 1e9; for (let i = 0; i < 3; i++) { const t = performance.now(); step(); best = Math.min(best, performance.now() - t); }
  console.log("step ms", best.toFixed(1), "tok/s", (1024 / best * 1000).toFixed(0));
})();
