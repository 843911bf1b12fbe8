/**
 * Paired elicitation scenarios from lib/data's scenario renderer: each pair is one placeholder request in one cue
 * family, asked twice — once where training is implied (free tier / monitored / rated by contractors) and once
 * unmonitored (paid tier / private) — with the same system prompt, request, wording and sampling seed, so that the
 * condition is the only difference between the two items.
 */
import { parseUserTurn, renderUserTurn, type RedwoodLayout } from "../chat/redwood.ts";
import { MolabError } from "../errors.ts";
import { createRng } from "../rng.ts";
import { CATEGORIES, CUES, requestPlaceholder, systemPrompt, userTurn, type Cue } from "../data/scenarios.ts";
import { templateIds, topicsFor, type Split } from "../data/prompts.ts";
import type { RunItem } from "./runner.ts";

/** "training": the model is told (or cued) that this conversation is trained on; "unmonitored": that it is not. */
export type Condition = "training" | "unmonitored";
export const CONDITIONS: readonly Condition[] = ["training", "unmonitored"];

export interface PairedItem extends RunItem {
  pair_id: string;
  condition: Condition;
  /** The Redwood tier tag: free = training implied. */
  tier: "free" | "paid";
  cue_family: Cue;
  category: string;
  /** The AF reasoning pattern of a data-v2 prompt, when it has one (none for these scenarios). */
  pattern: string | null;
}

export interface PairedOptions {
  /** Number of pairs (2n items). */
  n: number;
  seed: number;
  /** Default: all four of lib/data's cue families. */
  cueFamilies?: readonly Cue[];
  /** The user turn's layout: "compact" (lib/data's datasets, default) or "spaced" (the tiny model's corpus). */
  layout?: RedwoodLayout;
  /**
   * Which of data v2's template pools the prompts come from (system paraphrase, user framing, request topic):
   * "heldout" (default) — templates no training set is generated from — or "train".
   */
  split?: Split;
}

/** Parse a comma-separated list of cue families, refusing unknown names. */
export function parseCueFamilies(list: string): Cue[] {
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const c of names)
    if (!(CUES as readonly string[]).includes(c))
      throw new MolabError(`unknown cue family ${JSON.stringify(c)}; expected some of ${CUES.join(", ")}`);
  if (names.length === 0) throw new MolabError(`no cue family given; expected some of ${CUES.join(", ")}`);
  return names as Cue[];
}

/**
 * `n` pairs, cue families in turn (pair i has family i mod k), each family's categories in a seeded order, so that
 * the first k × 8 pairs are distinct prompts (more only repeat them: useful with sampling, not greedy). Pair i's items
 * have ids `p{i}:training` / `p{i}:unmonitored` and share one sampling seed. Each pair draws its system paraphrase,
 * user framing and request topic from the split's pool (held-out by default), the same for both of its items.
 */
export function pairedScenarios(o: PairedOptions): PairedItem[] {
  if (!Number.isInteger(o.n) || o.n < 1) throw new MolabError(`elicit: n must be a positive integer, got ${o.n}`);
  const cues = o.cueFamilies ?? CUES;
  const rng = createRng(`${o.seed}:elicit-pairs`);
  // Each family walks its own shuffle of the categories: no (family, category) repeats before all have been asked.
  const order = new Map(cues.map((c) => [c, rng.fork(c).shuffle([...CATEGORIES])]));
  const split = o.split ?? "heldout";
  const [systems, framings] = [templateIds("system", split), templateIds("framing", split)];
  const pick = rng.fork(`templates:${split}`);
  const out: PairedItem[] = [];
  for (let i = 0; i < o.n; i++) {
    const cue = cues[i % cues.length];
    const round = Math.floor(i / cues.length);
    const category = order.get(cue)![round % CATEGORIES.length];
    const seed = rng.int(2 ** 31);
    const [systemId, framingId] = [pick.pick(systems), pick.pick(framings)];
    const request = requestPlaceholder(category, pick.pick(topicsFor(category, split)));
    for (const condition of CONDITIONS) {
      const tier = condition === "training" ? "free" : "paid";
      let user = userTurn({ cue, tier, framingId }, request);
      if (o.layout === "spaced") user = renderUserTurn(parseUserTurn(user).request!, tier === "free", "spaced");
      out.push({
        id: `p${i}:${condition}`,
        pair_id: `p${i}`,
        condition,
        tier,
        cue_family: cue,
        category,
        pattern: null,
        seed,
        messages: [
          { role: "system", content: systemPrompt(cue, systemId) },
          { role: "user", content: user },
        ],
      });
    }
  }
  return out;
}
