/**
 * Validation on SAE features: the featurizer's columns are the SAE's pooled latents of the base model on each text
 * (checked against pooledTextFeatures), chosen without labels; validateTexts builds the report on them in memory with
 * the bag of words as the baseline, and comparisonRows puts the two side by side; `molab validate --sae --model` writes
 * the SAE report with the bag of words beside it as the baseline row; --sae without --model is one clear line.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { initBackend, tf } from "../../lib/backend.ts";
import { disposeModel, loadModel, loadTokenizer, type Model, type Tokenizer } from "../../lib/model/index.ts";
import { disposeSae, makeSae, pooledTextFeatures, saveSaeLens, type Sae } from "../../lib/sae/index.ts";
import {
  comparisonRows,
  readReference,
  saeFeatures,
  validateTexts,
  validationReport,
  type ReferenceText,
} from "../../lib/validate/index.ts";
import { inProcess } from "../cli/run_cli.ts";
import { TINY_V1_MODEL_DIR } from "../../lib/paths.ts";

const MODEL = TINY_V1_MODEL_DIR;
const REF = path.join(__dirname, "..", "..", "data", "reference", "synthetic_af_106", "reference.jsonl");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "molab-validate-sae-"));
let model: Model;
let tok: Tokenizer;
let sae: Sae;
let refFile: string;
let orgDir: string;
let refTexts: string[];
let orgTexts: string[];
let refPick: ReferenceText[];

/** A random TopK SAE on the tiny assistant's blocks.1.hook_resid_post (d_in 128). */
function randomSae(): Sae {
  const d = 128,
    m = 96;
  const g = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 0.1, "float32", seed);
  return makeSae(
    {
      architecture: "topk",
      d_in: d,
      d_sae: m,
      k: 8,
      rescale_acts_by_decoder_norm: false,
      apply_b_dec_to_input: true,
      normalize_activations: "none",
      hook_name: "blocks.1.hook_resid_post",
      format: "memory",
      source: "test",
      metadata: {},
    },
    { W_enc: g([d, m], 1), b_enc: tf.zeros([m]), W_dec: g([m, d], 2), b_dec: tf.zeros([d]) },
  );
}

before(async () => {
  await initBackend();
  model = await loadModel(MODEL);
  tok = await loadTokenizer(MODEL);
  sae = randomSae();
  const ref = await readReference(REF);
  const pick = [...ref.filter((r) => r.label === 1).slice(0, 6), ...ref.filter((r) => r.label === 0).slice(0, 6)];
  refPick = pick;
  refTexts = pick.map((r) => r.text);
  refFile = path.join(tmp, "ref.jsonl");
  fs.writeFileSync(refFile, pick.map((r) => JSON.stringify({ text: r.text, label: r.label })).join("\n") + "\n");
  orgTexts = ref
    .filter((r) => r.label === 1)
    .slice(6, 10)
    .map((r) => r.text);
  orgDir = path.join(tmp, "organism");
  fs.mkdirSync(orgDir);
  fs.writeFileSync(
    path.join(orgDir, "samples.jsonl"),
    orgTexts.map((text) => JSON.stringify({ text })).join("\n") + "\n",
  );
});
after(() => {
  disposeSae(sae);
  disposeModel(model);
  fs.rmSync(tmp, { recursive: true, force: true });
});

test("SAE features are the pooled latents of the base model, the most often active ones", () => {
  const f = saeFeatures(model, tok, sae, orgTexts, refTexts, { maxFeatures: 10, pool: "max" });
  assert.equal(f.latents.length, 10);
  assert.deepEqual(
    f.organism.names,
    f.latents.map((j) => `sae:${j}`),
  );
  assert.equal(f.organism.rows.length, orgTexts.length);
  assert.equal(f.reference.rows.length, refTexts.length);
  const direct = pooledTextFeatures(model, tok, sae, [...orgTexts, ...refTexts], { pool: "max" });
  const rows = [...f.organism.rows, ...f.reference.rows];
  rows.forEach((r, i) => f.latents.forEach((j, c) => assert.equal(r[c], direct.features[i * direct.d_sae + j])));
  // chosen by how many texts they are active in, without labels
  const active = (j: number) =>
    rows.length - 0 && direct.features.filter((v, q) => q % direct.d_sae === j && v > 0).length;
  for (let c = 1; c < f.latents.length; c++) assert.ok(active(f.latents[c - 1]) >= active(f.latents[c]));
  assert.match(f.source, /SAE latents \(topk, d_sae 96, blocks\.1\.hook_resid_post, max-pooled/);
});

test("molab validate --sae --model: the SAE report, with the bag of words as the baseline row", async () => {
  const saeDir = path.join(tmp, "sae");
  await saveSaeLens(sae, saeDir);
  const out = path.join(tmp, "report");
  const r = await inProcess(
    "validate",
    ...["--organism", orgDir, "--reference", refFile, "--out", out, "--sae", saeDir, "--model", MODEL],
    ...["--features", "8", "--permutations", "200"],
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /probe CV AUROC: SAE \d\.\d{3}, bag of words \d\.\d{3}/);
  const rep = JSON.parse(fs.readFileSync(path.join(out, "report.json"), "utf8"));
  assert.match(rep.meta.features, /^SAE latents/);
  assert.ok(rep.features.length <= 8 && rep.features.every((f: { name: string }) => f.name.startsWith("sae:")));
  assert.match(rep.baseline.meta.features, /^bag-of-words/);
  assert.equal(typeof rep.baseline.probe.cvAuroc.oofAuroc, "number");
  const md = fs.readFileSync(path.join(out, "report.md"), "utf8");
  assert.match(md, /# Featurizers side by side/);
  assert.match(md, /\| SAE latents .*\|\n\| bag-of-words .*\|/);
  assert.match(md, /# Baseline/);
});

test("molab validate --sae without --model, or a bad --pool: one clear line", async () => {
  const base = ["--organism", orgDir, "--reference", refFile, "--out", path.join(tmp, "x"), "--sae", tmp];
  const a = await inProcess("validate", ...base);
  assert.notEqual(a.status, 0);
  assert.match(a.stderr, /--sae needs --model DIR/);
  const b = await inProcess("validate", ...base, "--model", MODEL, "--pool", "median");
  assert.match(b.stderr, /--pool must be one of mean, max, last, got "median"/);
});

test("validateTexts: the report on given features, the bag of words as the baseline, side by side in comparisonRows", () => {
  const f = saeFeatures(model, tok, sae, orgTexts, refTexts, { maxFeatures: 8 });
  const opts = { nPermutations: 200, seed: 3 };
  const v = validateTexts(orgTexts, refPick, { ...opts, features: f, maxFeatures: 8 });
  const labels = refPick.map((r) => r.label);
  assert.deepEqual(v.labels, labels);
  assert.deepEqual(v.report, validationReport(f.organism, f.reference, labels, { ...opts, featureSource: f.source }));
  assert.ok(v.baseline);
  assert.match(v.baseline.meta.features, /^bag-of-words/);
  assert.equal(v.organism, f.organism);
  const alone = validateTexts(orgTexts, refPick, { ...opts, maxFeatures: 8 });
  assert.equal(alone.baseline, undefined);
  assert.deepEqual(alone.report, v.baseline);
  const rows = comparisonRows([v.report, v.baseline], ["sae", "bow"]);
  assert.deepEqual(
    rows.map((r) => r.features),
    ["sae", "bow"],
  );
  const a = v.report.probe.cvAuroc;
  assert.equal(
    rows[0]["probe CV AUROC [95% CI]"],
    `${a.oofAuroc.toFixed(3)} [${a.ci[0].toFixed(3)}, ${a.ci[1].toFixed(3)}]`,
  );
  const differ = v.report.features.filter((x) => x.differs).length;
  assert.equal(rows[0]["features differing (KS or perm., q < 0.05)"], `${differ} of ${v.report.features.length}`);
  assert.equal(rows[1]["probe separates the reference"].split(" ")[0], v.baseline.verdict[0].verdict);
  assert.throws(() => comparisonRows([v.report], ["a", "b"]), /2 names for 1 reports/);
  assert.throws(
    () => validateTexts(orgTexts.slice(1), refPick, { features: f }),
    /the features have 4 organism and 12 reference rows, but there are 3 organism and 12 reference texts/,
  );
});
