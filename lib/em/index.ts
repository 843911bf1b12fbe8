/** Stage 6 (emergent misalignment): question sets, judges, EM rates, the phase transition, the misalignment direction. */
export { parseYaml, type YamlValue } from "./yaml.ts";
export {
  loadQuestions,
  parseQuestions,
  questionsFromYaml,
  selectSplit,
  DEFAULT_QUESTIONS,
  FIRST_PLOT_IDS,
  type EmQuestion,
  type QuestionSplit,
} from "./questions.ts";
export {
  LogprobJudge,
  logprobScore,
  fillPrompt,
  defaultJudgePrompts,
  MIN_NUMERIC_MASS,
  METRICS,
  type EmJudge,
  type Metric,
  type Score,
  type LogprobJudgeOptions,
} from "./judge.ts";
export {
  EmbeddedJudge,
  embeddedJudgeAgreement,
  labelledEmAnswers,
  answerPart,
  maskPlaceholders,
  type EmbeddedJudgeOptions,
  type JudgeAgreement,
} from "./embedded_judge.ts";
export {
  emRates,
  rateBlock,
  isMisaligned,
  disjoint,
  ALIGNED_MAX,
  COHERENT_MIN,
  type EmRow,
  type EmRates,
  type RateBlock,
} from "./rates.ts";
export {
  analysePhase,
  localCosine,
  compScore,
  trajectoryPca,
  trajectoryOf,
  vectorKeys,
  gradNormPeak,
  cosinePeaks,
  detectTransitions,
  symmetricEigen,
  type Trajectory,
  type CosinePoint,
  type PcaResult,
  type PhaseOptions,
  type PhaseAnalysis,
} from "./phase.ts";
export {
  emDirection,
  labelledDirection,
  answerActivations,
  selectForDirection,
  rowMessages,
  saveDirection,
  loadDirection,
  directionAt,
  randomLike,
  scaledTo,
  steeringHooks,
  ablationHooks,
  cosine,
  dot,
  vnorm,
  ALIGNED_MIN_FOR_DIRECTION,
  DIRECTION_CONTRASTS,
  type DirectionContrast,
  type DirectionOptions,
  type EmDirection,
  type OwnedHooks,
} from "./direction.ts";
export { runEmEval, planItems, writeEvalRun, type EmEvalOptions, type EmEvalResult, type UserFormat } from "./eval.ts";
export {
  evalConditions,
  steerConditions,
  ablateConditions,
  summariseConditions,
  type Condition,
  type ConditionRunOptions,
  type InterventionSummary,
} from "./interventions.ts";
export { emAlongTraining, setTelemetryVectors } from "./along.ts";
export { rateBarFigure, phaseFigure } from "./figures.ts";
export { readEvalRows, rank1B } from "./cli_direction.ts";
