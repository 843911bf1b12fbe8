/**
 * Command-line flags of the tiny-assistant build options that scripts/build-model.ts and
 * scripts/tiny-sweep/export.ts share.
 */
import { commandLabel, numberFlag } from "../args.ts";
import { MolabError } from "../errors.ts";
import { FACT_TASKS, type UnknownNames } from "./tasks.ts";

/**
 * BuildOptions.unknownNames from `--unknown-share S` and `--unknown-tasks a,b` (default: every fact task), for
 * scripts/build-model.ts and scripts/tiny-sweep/export.ts; neither flag: undefined.
 */
export function unknownNamesFlags(cmd: string, values: Record<string, unknown>): UnknownNames | undefined {
  const share = numberFlag(cmd, values, "unknown-share");
  const tasks = values["unknown-tasks"];
  if (share === undefined) {
    if (tasks !== undefined) throw new MolabError(`${commandLabel(cmd)}: --unknown-tasks needs --unknown-share`);
    return undefined;
  }
  if (!(share > 0 && share < 1))
    throw new MolabError(`${commandLabel(cmd)}: --unknown-share expects a share between 0 and 1, got ${share}`);
  const list =
    tasks === undefined
      ? [...FACT_TASKS]
      : String(tasks)
          .split(",")
          .map((t) => t.trim());
  const bad = list.filter((t) => !(FACT_TASKS as readonly string[]).includes(t));
  if (bad.length || !list.length)
    throw new MolabError(
      `${commandLabel(cmd)}: --unknown-tasks expects fact tasks (${FACT_TASKS.join(", ")}), got ${JSON.stringify(tasks)}`,
    );
  return { share, tasks: list as UnknownNames["tasks"] };
}
