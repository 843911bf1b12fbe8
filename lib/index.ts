/**
 * molab's public API: one namespace per layer or stage (`molab.model`, `molab.lora`, …) plus a short
 * top level for what every notebook needs (backend, RNG, errors, inline display, run folders).
 * Notebooks load it with `import * as molab from "../index.cjs"`; their types come from types/
 * (`npm run build:types`, generated from this file). lib/tiny is not public: it builds the embedded
 * model (scripts/build-model.ts).
 */

// Layers and stages, one namespace each. A new layer is one line here.
export * as io from "./io/index.ts";
export * as hub from "./hub/index.ts";
export * as chat from "./chat/index.ts";
export * as llm from "./llm/index.ts";
export * as train from "./train/index.ts";
export * as model from "./model/index.ts";
export * as lora from "./lora/index.ts";
export * as data from "./data/index.ts";
export * as stats from "./stats/index.ts";
export * as sae from "./sae/index.ts";
export * as validate from "./validate/index.ts";
export * as elicit from "./elicit/index.ts";
export * as em from "./em/index.ts";
export * as detect from "./detect/index.ts";
export * as plot from "./plot/index.ts";
export * as pipeline from "./cli/pipeline/index.ts";

// The short top level.
export { MolabError } from "./errors.ts";
export { createRng } from "./rng.ts";
export type { Rng } from "./rng.ts";
export { tf, initBackend, backendInfo, versions } from "./backend.ts";
export type { BackendInfo, BackendName } from "./backend.ts";
export { showFigure, showTable, showHtml } from "./plot/index.ts";
export type { Figure, TableLike } from "./plot/index.ts";
export { newRunDir, writeManifest, sha256Path } from "./manifest.ts";
export type { Manifest } from "./manifest.ts";
