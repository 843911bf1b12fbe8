/** lib/train: what every trainer shares — AdamW and schedules, weighted cross-entropy, atomic fingerprinted checkpoints and resume, telemetry, progress. */
export { AdamW, clipGradNorm, lrMultiplier, type AdamWOptions, type AdamWState, type ScheduleName } from "./optim.ts";
export { weightedCrossEntropy, batchTargets } from "./loss.ts";
export {
  STATE_FILE,
  checkpointsDir,
  writeCheckpointDir,
  listCheckpoints,
  removePartialCheckpoints,
  readCheckpointState,
  resumeFrom,
  type CheckpointState,
  type ResumeOptions,
} from "./checkpoint.ts";
export { appendTelemetry, readTelemetry, truncateTelemetry, type TelemetryLine } from "./telemetry.ts";
export { ProgressBar, formatDuration, type ProgressStream } from "./progress.ts";
