/**
 * The transfer matrix: a detector fitted on one organism or pattern family and tested on the others. Cell (i, j) is
 * the AUROC (DeLong CI) on group j of the detector fitted on all of group i; the diagonal is group i's own
 * cross-validated AUROC (out-of-fold scores), so no cell scores rows its detector was fitted on.
 */
import { check } from "../errors.ts";
import type { Matrix } from "../stats/logistic.ts";
import { detectionAuroc, type Metric } from "./metrics.ts";
import { crossValScores, type Detector, type Labels01 } from "./probes.ts";

export interface Group {
  name: string;
  X: Matrix;
  y: Labels01;
}

export interface TransferMatrix {
  /** Row = fitted on, column = tested on. */
  names: string[];
  cells: Metric[][];
}

export function transferMatrix(
  groups: Group[],
  detector: Detector,
  o: { k?: number; seed?: number } = {},
): TransferMatrix {
  check(groups.length > 0, "transferMatrix: no groups");
  for (const g of groups) {
    check(g.X.rows === g.y.length, `transferMatrix: group ${g.name} has ${g.X.rows} rows but ${g.y.length} labels`);
    check(
      g.X.cols === groups[0].X.cols,
      `transferMatrix: group ${g.name} has ${g.X.cols} columns, not ${groups[0].X.cols}`,
    );
  }
  const cells = groups.map((gi) => {
    const fitted = detector(gi.X, gi.y);
    return groups.map((gj) => {
      const name = `${gi.name}→${gj.name}`;
      const s = gi === gj ? crossValScores(gi.X, gi.y, detector, o.k ?? 5, o.seed ?? 0) : fitted(gj.X);
      return detectionAuroc(gj.y, s, name);
    });
  });
  return { names: groups.map((g) => g.name), cells };
}
