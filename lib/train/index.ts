/** lib/train: what every trainer shares — AdamW and schedules, weighted cross-entropy, progress. */
export { AdamW, clipGradNorm, lrMultiplier, type AdamWOptions, type AdamWState, type ScheduleName } from "./optim.ts";
export { weightedCrossEntropy, batchTargets } from "./loss.ts";
export { ProgressBar, formatDuration, type ProgressStream } from "./progress.ts";
