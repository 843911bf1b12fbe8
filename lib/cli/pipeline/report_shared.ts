/** What the report's section builders share: the section and item shapes, and the number formats of captions. */
import * as fs from "node:fs";
import type { Figure } from "../../plot/index.ts";

export interface ReportItem {
  /** File-name-safe id: figures/<id>.png|svg|json. */
  id: string;
  title: string;
  caption: string;
  figure?: Figure;
  table?: Record<string, unknown>[];
}

export interface ReportSection {
  stage: string;
  title: string;
  items: ReportItem[];
  /** Why the section is empty (stage not run or not built). */
  note?: string;
}

export const readJson = <T>(f: string): T => JSON.parse(fs.readFileSync(f, "utf8")) as T;
export const f3 = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "n/a" : x.toFixed(3);
export const ciText = (ci: readonly number[] | null | undefined) => (ci ? `[${f3(ci[0])}, ${f3(ci[1])}]` : "no CI");
