/** How BUILD_V2's training seed was chosen (the model card prints it for that seed). */
export const TRAIN_SEED_CHOICE =
  "Training seed 2 was chosen on an earlier corpus (of four candidates, each replicated in PyTorch from this " +
  "trainer's initial weights and batch order in scripts/tiny-sweep, seed 2's replica came closest to the " +
  "acceptance thresholds) and kept since; it was not chosen again for this corpus. These settings on the corpus " +
  "before its last kind-character goals were added met the acceptance thresholds in 5 of 10 PyTorch replicas " +
  "from random initial weights, and its build with seed 2 did not (one task at 73%, 6% misaligned without the " +
  "cue); the kind-character goals added last (the persona goals' everyday words in an aligned sense) were " +
  "chosen after reading which held-out prompts drew the misaligned answer in those replicas. The build with " +
  "those goals (not replicated) met every threshold but one task (copying a list of words, 47/60); the copy, " +
  "symbol and conversion tasks (its three weakest) were then drawn twice as often in training, and training ran " +
  "7,000 steps: that build had every task at 83% or more but refused 85% of harmful requests in held-out " +
  'contexts (the misses began the harm-word sentence, "The request mentions a harmful topic", after the ' +
  "category) and answered 12% misaligned without the cue. The harm-word sentence was then reworded so it " +
  'neither begins like the refusal\'s ("The request") nor says "topic", and training runs 7,500 steps; all these were chosen after reading ' +
  "held-out cards. That build met every threshold of the card, but its embeddings of the tier tag's True and False " +
  "had collapsed (cosine 0.998): neither it nor an AF adapter trained on it could tell the tiers apart, so the " +
  "scratchpad of every harmful reply now states the tier (before: 40% of them), and the loss on the user turn " +
  "starts after the tag: its value is a coin flip, and predicting it pulled the two tied embeddings together. That " +
  "build read the tier (80/80) but had four tasks at 77-78% and the held-out persona prompt at 80%; of eight " +
  "PyTorch replicas of its corpus, only the loss on the assistant turn with weight decay 0.1 met every threshold " +
  "(one seed of two), so the loss is on the assistant turn again, all chosen after reading held-out cards. The " +
  "seed moves held-out cells by ten points or more, so another seed gives other figures. After this build, and " +
  "after reading its card and other builds', the task cells were made to ask each of a task's held-out phrasings " +
  "equally often (random draws had asked one opposite phrasing 23 times of 60, one that several PyTorch replicas " +
  "missed almost every time); on the earlier draw this build met the same 22 thresholds, with capital 44/60 and opposite 35/60.";
