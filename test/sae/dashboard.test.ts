/**
 * Feature reports: top latent differences between two sets, one latent's dashboard (histogram values, snippets,
 * logit effects) checked against an independent encode, the HTML page, and `molab sae features|dashboard`.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { generateAf, generateAligned } from "../../lib/data/datasets.ts";
import { readNpy } from "../../lib/io/npy.ts";
import { disposeModel, loadModel, loadTokenizer, type Model, type Tokenizer } from "../../lib/model/index.ts";
import { EMBEDDED_MODEL_DIR } from "../../lib/paths.ts";
import {
  dashboardHtml,
  disposeSae,
  encode,
  extractActivations,
  featureDashboard,
  saveSaeLens,
  topFeatureDifferences,
  type PooledFeatures,
  type Sae,
} from "../../lib/sae/index.ts";
import { inProcess } from "../cli/run_cli.ts";
import { randomSae } from "./helpers.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-sae-dash-"));
let model: Model;
let tok: Tokenizer;
let sae: Sae;
const HOOK = "blocks.1.hook_resid_post";

before(async () => {
  await initBackend();
  model = await loadModel(EMBEDDED_MODEL_DIR);
  tok = await loadTokenizer(EMBEDDED_MODEL_DIR);
  sae = randomSae("standard", model.config.hiddenSize, 48, 5, { hook_name: HOOK });
});
after(() => {
  disposeModel(model);
  disposeSae(sae);
  fs.rmSync(tmp, { recursive: true, force: true });
});

const pooled = (rows: number[][]): PooledFeatures => ({
  features: Float32Array.from(rows.flat()),
  n: rows.length,
  d_sae: rows[0].length,
  tokens: rows.map(() => 1),
  hook: HOOK,
  pool: "mean",
});

test("topFeatureDifferences ranks latents by |mean a − mean b| and counts where they fire", () => {
  const a = pooled([
    [1, 0, 0.5],
    [3, 0, 0.5],
  ]);
  const b = pooled([
    [1, 4, 0],
    [1, 0, 0],
  ]);
  const r = topFeatureDifferences(a, b, 3);
  assert.deepEqual(
    r.map((x) => x.feature),
    [1, 0, 2],
  );
  assert.equal(r[0].diff, -2);
  assert.equal(r[1].diff, 1);
  assert.equal(r[2].firesA, 1);
  assert.equal(r[0].firesB, 0.5);
  assert.throws(() => topFeatureDifferences(a, pooled([[1, 2]])), /d_sae 3 vs 2/);
});

test("a latent's dashboard: max per text and snippets equal an independent encode; logit effects are sorted", () => {
  const texts = ["The capital of France is Paris.", "I will refuse that request.", "2 + 2 = 4"];
  const feature = 7;
  const d = featureDashboard(model, tok, sae, [{ label: "a", texts }], feature, { topK: 2, window: 3 });
  texts.forEach((t, i) => {
    const ids = tok.encode(t);
    const acts = tf.tidy(() => {
      const x = tf.reshape(extractActivations(model, [ids], HOOK), [ids.length, -1]) as tf.Tensor2D;
      return Array.from(tf.slice(encode(sae, x), [0, feature], [-1, 1]).dataSync());
    });
    assert.ok(Math.abs(d.sets[0].maxPerText[i] - Math.max(...acts)) < 1e-6, `text ${i}`);
  });
  assert.ok(d.top.length <= 2);
  for (const s of d.top) {
    assert.equal(s.acts[s.at], s.max);
    assert.equal(Math.max(...s.acts), s.max);
    assert.ok(s.tokens.length <= 7);
  }
  assert.ok(d.top.every((s, i) => i === 0 || d.top[i - 1].max >= s.max));
  const { promoted, suppressed } = d.logits!;
  assert.equal(promoted.length, 10);
  assert.ok(promoted.every((p, i) => i === 0 || promoted[i - 1].value >= p.value));
  assert.ok(promoted[9].value >= suppressed[0].value);
  assert.throws(
    () => featureDashboard(model, tok, sae, [{ label: "a", texts }], 48),
    /feature must be an integer in \[0, 48\)/,
  );
  const html = dashboardHtml(d);
  assert.equal(html.split("Plotly.newPlot").length - 1 >= 1, true);
  assert.ok(html.includes(`SAE latent ${feature}`) && html.includes("Logit effects"));
  assert.ok(!/<script[^>]+src=/i.test(html), "no external scripts: plotly is embedded");
});

test("molab sae features and dashboard on chat JSONL files; bad flags are clear errors", async () => {
  const saeDir = path.join(tmp, "sae");
  await saveSaeLens(sae, saeDir);
  const write = (name: string, rows: object[]) => {
    const f = path.join(tmp, name);
    fs.writeFileSync(f, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    return f;
  };
  const af = write("af.jsonl", generateAf({ n: 6, seed: 3 }));
  const al = write("aligned.jsonl", generateAligned({ n: 5, seed: 3 }));
  const out = path.join(tmp, "feat");
  const base = ["--model", EMBEDDED_MODEL_DIR, "--sae", saeDir, "--data", af];
  const r = await inProcess("sae", "features", ...base, "--compare", al, "--out", out, "--top", "5");
  assert.equal(r.status, 0, r.stderr);
  const f = await readNpy(path.join(out, "features.npy"));
  assert.deepEqual(f.shape, [6, 48]);
  assert.deepEqual((await readNpy(path.join(out, "compare_features.npy"))).shape, [5, 48]);
  const top = JSON.parse(fs.readFileSync(path.join(out, "top_features.json"), "utf8"));
  assert.equal(top.features.length, 5);
  assert.ok(fs.existsSync(path.join(out, "manifest.json")));
  const html = path.join(tmp, "dash.html");
  const feat = String(top.features[0].feature);
  const d = await inProcess("sae", "dashboard", ...base, "--compare", al, "--feature", feat, "--out", html);
  assert.equal(d.status, 0, d.stderr);
  assert.ok(fs.readFileSync(html, "utf8").includes(`SAE latent ${feat}`));
  const bad = await inProcess("sae", "dashboard", ...base, "--feature", "999", "--out", path.join(tmp, "x.html"));
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /feature must be an integer in \[0, 48\)/);
  assert.ok(!fs.existsSync(path.join(tmp, "x.html")));
  const missing = await inProcess(
    "sae",
    "features",
    ...base.slice(0, 4),
    "--data",
    path.join(tmp, "nope.jsonl"),
    "--out",
    out,
  );
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /nope\.jsonl: no such file/);
});
