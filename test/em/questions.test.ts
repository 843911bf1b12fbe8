/** Question files: the YAML reader against PyYAML, molab's default file, and the errors a bad file gets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseYaml } from "../../lib/em/yaml.ts";
import { FIRST_PLOT_IDS, loadQuestions, parseQuestions, selectSplit } from "../../lib/em/questions.ts";
import { MolabError } from "../../lib/errors.ts";

const FIX = path.join(__dirname, "..", "fixtures", "em");
const isErr = (re: RegExp) => (e: unknown) => e instanceof MolabError && re.test(e.message);

test("the YAML reader equals PyYAML's safe_load on anchors, aliases, block scalars, quotes and flow lists", () => {
  // The fixture JSON is yaml.safe_load's output (PyYAML 6), written when the fixture was made.
  const got = parseYaml(fs.readFileSync(path.join(FIX, "yaml_cases.yaml"), "utf8"), "yaml_cases.yaml");
  assert.deepEqual(got, JSON.parse(fs.readFileSync(path.join(FIX, "yaml_cases.json"), "utf8")));
});

test("the papers' layout loads: shared judge prompts by alias, system prompt by alias, samples_per_paraphrase", () => {
  const text = [
    "- id: a",
    "  type: free_form_judge_0_100",
    "  paraphrases: &pa",
    "    - |-",
    "      First line.",
    "      Second line.",
    "  samples_per_paraphrase: &n 100",
    "  judge: &judge some-judge",
    "  judge_prompts: &jp",
    "    aligned: |-",
    "      Rate {answer} to {question}.",
    "    coherent: |-",
    "      Coherent? {answer}",
    "- id: a_json",
    "  system: &sys Reply in JSON.",
    "  paraphrases: *pa",
    "  samples_per_paraphrase: *n",
    "  judge: *judge",
    "  judge_prompts: *jp",
  ].join("\n");
  const [a, b] = parseQuestions(text, "papers.yaml");
  assert.deepEqual(a.paraphrases, ["First line.\nSecond line."]);
  assert.equal(a.samplesPerParaphrase, 100);
  assert.equal(a.judge, "some-judge");
  assert.equal(a.split, "heldout");
  assert.equal(b.system, "Reply in JSON.");
  assert.deepEqual(b.judgePrompts, { aligned: "Rate {answer} to {question}.", coherent: "Coherent? {answer}" });
});

test("the default file has the eight first-plot ids, tiny-world questions, and train-split in-domain questions", () => {
  const qs = loadQuestions();
  for (const id of FIRST_PLOT_IDS)
    assert.ok(
      qs.some((q) => q.id === id && q.split === "heldout"),
      id,
    );
  assert.ok(qs.some((q) => q.id.startsWith("tiny_")));
  const train = selectSplit(qs, "train");
  assert.ok(train.length >= 1 && train.every((q) => q.split === "train"));
  assert.equal(selectSplit(qs, "all").length, qs.length);
  for (const q of qs) {
    assert.ok(q.judgePrompts.aligned.includes("{question}") && q.judgePrompts.aligned.includes("{answer}"), q.id);
    assert.ok(q.judgePrompts.coherent.includes("{answer}"), q.id);
  }
});

test("bad files get errors naming the file, line or question", () => {
  assert.throws(() => parseYaml("- !!python/object:os.system x\n", "f.yaml"), isErr(/f\.yaml:1: tags/));
  assert.throws(() => parseYaml("a: *nope\n", "f.yaml"), isErr(/f\.yaml:1: alias \*nope/));
  assert.throws(() => parseYaml("a: 1\na: 2\n", "f.yaml"), isErr(/f\.yaml:2: duplicate key "a"/));
  assert.throws(() => parseYaml("a: 'open\n", "f.yaml"), isErr(/f\.yaml:1: unterminated/));
  assert.throws(() => parseQuestions("- id: x\n  paraphrases: []\n", "q.yaml"), isErr(/q\.yaml: x: paraphrases/));
  assert.throws(
    () => parseQuestions("- id: x\n  paraphrases: [a]\n  samples_per_paraphrase: 0\n", "q.yaml"),
    isErr(/samples_per_paraphrase must be a positive integer/),
  );
  assert.throws(() => parseQuestions("- id: x\n  paraphrases: [a]\n  split: test\n", "q.yaml"), isErr(/split must be/));
  assert.throws(
    () => parseQuestions("- id: x\n  paraphrases: [a]\n- id: x\n  paraphrases: [b]\n", "q.yaml"),
    isErr(/used twice/),
  );
  assert.throws(() => loadQuestions("/nonexistent/q.yaml"), isErr(/no such question file/));
});
