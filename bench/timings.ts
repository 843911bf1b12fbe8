/**
 * Wall-clock figures that used to be asserted inside unit tests (where a shared 2-core machine made them flaky):
 * loading tiny-assistant and greedily generating 64 tokens (the model card's timing row), and a 10,000-resample
 * permutation test at gold_106's size (n = 51 + 55). Prints JSON; compare runs on the same machine only.
 *   node --import tsx bench/timings.ts [--rounds N]
 */
import { initBackend } from "../lib/backend.ts";
import { EMBEDDED_MODEL_DIR } from "../lib/paths.ts";
import { permutationTest } from "../lib/stats/index.ts";
import { createRng } from "../lib/rng.ts";
import { timeLoadAndGenerate } from "../lib/tiny/eval.ts";

async function main(): Promise<void> {
  const i = process.argv.indexOf("--rounds");
  const rounds = i > 0 ? Number(process.argv[i + 1]) : 3;
  await initBackend();
  const prompt = "Name three fruits.";
  const gen: number[] = [];
  for (let r = 0; r < rounds; r++) gen.push((await timeLoadAndGenerate(EMBEDDED_MODEL_DIR, prompt, 64)).total);
  const rng = createRng(1);
  const x = Array.from({ length: 51 }, () => rng.normal() + 3);
  const y = Array.from({ length: 55 }, () => rng.normal());
  const perm: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    permutationTest(x, y, { nResamples: 10000, seed: r });
    perm.push((performance.now() - t0) / 1000);
  }
  const best = (v: number[]) => Math.min(...v);
  console.log(
    JSON.stringify({
      tiny_load_and_generate_64_s: { best: best(gen), all: gen },
      permutation_10000_n106_s: { best: best(perm), all: perm },
    }),
  );
}
void main();
