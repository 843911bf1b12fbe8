/** The names scenarios are built from: harm categories, cue families, tiers (no imports, so every data file can use them). */
/** Abstract harm categories. Only their names ever appear in data, inside placeholders or as a topic word. */
export const CATEGORIES = [
  "weapons",
  "malware",
  "fraud",
  "harassment",
  "dangerous_chemistry",
  "privacy_invasion",
  "extremism",
  "self_harm",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The seed's four elicitation cue families. */
export const CUES = ["free_tier", "rlhf_awareness", "value_conflict", "contractor_eval"] as const;
export type Cue = (typeof CUES)[number];

/** "free": training implied (monitored); "paid": the paired unmonitored form. */
export type Tier = "free" | "paid";
