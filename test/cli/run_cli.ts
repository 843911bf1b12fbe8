/** Run the CLI in this process (faster than spawning the binary): exit code, stdout, stderr. */
import { main } from "../../lib/cli.ts";

export async function inProcess(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void (stdout += a.join(" ") + "\n");
  console.error = (...a: unknown[]) => void (stderr += a.join(" ") + "\n");
  try {
    return { status: await main(args), stdout, stderr };
  } finally {
    console.log = log;
    console.error = error;
  }
}
