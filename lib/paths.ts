/** Paths inside the molab checkout, on the ground floor so that every layer may name them. */
import * as path from "node:path";

/** The checkout's root (package.json, lib/, data/). */
export const REPO_ROOT = path.join(__dirname, "..");

/** The embedded default model, data/models/tiny-assistant (written by `npm run build:model`). */
export const EMBEDDED_MODEL_DIR = path.join(REPO_ROOT, "data", "models", "tiny-assistant");

/** The first (corpus-v1) tiny assistant, data/models/tiny-assistant-v1 (`npm run build:model -- --corpus-version 1`). */
export const TINY_V1_MODEL_DIR = path.join(REPO_ROOT, "data", "models", "tiny-assistant-v1");
