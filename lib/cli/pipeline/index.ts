/** The pipeline as an API (molab.pipeline): config, stage registry, runner and report, for notebook 08 and scripts. */
export {
  DEFAULT_CONFIG,
  DEFAULT_CONFIG_FILE,
  checkConfig,
  loadConfig,
  modelDir,
  type PipelineConfig,
} from "./config.ts";
export { STAGES, STAGE_NAMES } from "./stages.ts";
export {
  contentHash,
  readRecord,
  STAGE_FILE,
  stageDir,
  type Headline,
  type Stage,
  type StageContext,
  type StageRecord,
  type StageResult,
} from "./stage.ts";
export { parseOnly, runPipeline, type PipelineOptions, type PipelineResult, type StageState } from "./run.ts";
export { reportSections, type ReportItem, type ReportSection } from "./report_sections.ts";
export { headlineRows, reportFigures, reportHtml, reportMarkdown, writeReport, type RunSummary } from "./report.ts";
export { ensureChromium, exportFigures, findChromium, screenshotPage, type ExportResult } from "./export.ts";
