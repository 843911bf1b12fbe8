/** Paths inside the molab checkout, on the ground floor so that every layer may name them. */
import * as path from "node:path";

/** The checkout's root (package.json, lib/, data/). */
export const REPO_ROOT = path.join(__dirname, "..");

/** The embedded default model, data/models/tiny-assistant (written by `npm run build:model`). */
export const EMBEDDED_MODEL_DIR = path.join(REPO_ROOT, "data", "models", "tiny-assistant");
