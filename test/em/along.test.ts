/** EM along training: the organism at a step is the final adapter with that step's telemetry vectors put back. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { tf } from "../../lib/backend.ts";
import { LocalModel } from "../../lib/elicit/local.ts";
import { loadHost } from "../../lib/lora/model_host.ts";
import { LoraAdapter } from "../../lib/lora/adapter.ts";
import { loraConfig } from "../../lib/lora/config.ts";
import { disposeModel } from "../../lib/model/load.ts";
import { emAlongTraining, setTelemetryVectors } from "../../lib/em/along.ts";
import { evalConditions } from "../../lib/em/interventions.ts";
import { parseQuestions } from "../../lib/em/questions.ts";
import { EmbeddedJudge } from "../../lib/em/embedded_judge.ts";
import type { TelemetryLine } from "../../lib/train/telemetry.ts";
import { MolabError } from "../../lib/errors.ts";
import { tmpDir, TINY } from "../elicit/fixtures.ts";

test("a step's vectors reproduce that adapter's answers; the final adapter is restored afterwards", async () => {
  const dir = path.join(tmpDir("em-along"), "adapter");
  const host = await loadHost(TINY);
  const ad = LoraAdapter.create(
    host,
    loraConfig({ r: 1, lora_alpha: 64, target_modules: ["down_proj"], layers_to_transform: [2], use_rslora: true }),
    5,
  );
  const m = ad.modules[0];
  const key = `base_model.model.${m.name}`;
  const A = Array.from(m.A.dataSync() as Float32Array);
  const big = tf.randomNormal(m.B.shape, 0, 2, "float32", 9);
  const Bbig = Array.from(big.dataSync() as Float32Array);
  big.dispose();
  await ad.save(dir); // the final adapter: B = 0 (the base model's answers)
  ad.dispose();
  disposeModel(host.model);
  const lines: TelemetryLine[] = [
    { step: 1, loss: 1, grad_norm: 1, lr: 0, vectors: { [`${key}.lora_A`]: A, [`${key}.lora_B`]: Bbig } },
    { step: 2, loss: 1, grad_norm: 1, lr: 0, vectors: { [`${key}.lora_A`]: A, [`${key}.lora_B`]: Bbig.map(() => 0) } },
  ];
  const lm = await LocalModel.load(TINY, { adapters: { org: dir } });
  try {
    const o = {
      questions: parseQuestions(
        "- id: q\n  paraphrases: [What is 2 + 3?, Name a color.]\n  samples_per_paraphrase: 2\n",
      ),
      judge: new EmbeddedJudge({ n: 40 }),
      maxTokens: 12,
    };
    const along = await emAlongTraining(lm, "org", lines, [1, 2], o);
    const base = (await evalConditions(lm, lm.name, [{ name: "base" }], o)).base;
    assert.deepEqual(along[1].rates, base.rates.overall, "step 2 (B = 0) answers as the base model");
    const after = Array.from(lm.adapters.get("org")!.adapter.modules[0].B.dataSync() as Float32Array);
    assert.ok(
      after.every((x) => x === 0),
      "the final adapter (B = 0) is back",
    );
    // Step 1's large B is a different organism: greedy answers change while it is in place.
    const prompt = [lm.promptIds([{ role: "user", content: "What is 2 + 3?" }])];
    const greedy = () => lm.run("org", prompt, { temperature: 0, maxTokens: 12 })[0].text;
    const atFinal = greedy();
    setTelemetryVectors(lm.adapters.get("org")!.adapter, lines[0].vectors!);
    assert.notEqual(greedy(), atFinal);
    setTelemetryVectors(lm.adapters.get("org")!.adapter, lines[1].vectors!);
    assert.equal(greedy(), atFinal);
    await assert.rejects(
      emAlongTraining(lm, "org", lines, [3], o),
      (e) => e instanceof MolabError && /no vectors at step 3/.test(e.message),
    );
  } finally {
    lm.dispose();
  }
});
