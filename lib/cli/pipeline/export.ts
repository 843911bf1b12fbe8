/**
 * Figure export through headless Chromium (Debian's `chromium`, driven by playwright-core): each figure is drawn
 * by the embedded plotly.js in a blank page and saved as PNG (at least 1600 px wide) and SVG with
 * Plotly.toImage. When Chromium is missing, `ensureChromium` installs it with apt-get (as root, or through
 * passwordless sudo) and otherwise says why in one line; the pipeline then goes on without image files.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../../io/atomic.ts";
import { plotlyBundle, themed, type Figure } from "../../plot/index.ts";

/** Where Chromium may live (MOLAB_CHROMIUM first). */
export function findChromium(): string | undefined {
  const names = [
    process.env.MOLAB_CHROMIUM,
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
    "/usr/bin/google-chrome",
  ];
  return names.find((p): p is string => typeof p === "string" && p !== "" && fs.existsSync(p));
}

/** Chromium's path, installing Debian's package with apt-get when allowed and possible; else a reason. */
export function ensureChromium(install: boolean, log: (l: string) => void): { path?: string; why?: string } {
  const found = findChromium();
  if (found) return { path: found };
  if (!install) return { why: "Chromium not found and export.installChromium is false" };
  if (!fs.existsSync("/usr/bin/apt-get"))
    return { why: "Chromium not found and there is no apt-get here (install Chromium and set MOLAB_CHROMIUM)" };
  const root = process.getuid?.() === 0;
  const sudo = !root && spawnSync("sudo", ["-n", "true"]).status === 0;
  if (!root && !sudo)
    return { why: "Chromium not found; installing it needs root or passwordless sudo (apt-get install -y chromium)" };
  log("installing Debian's chromium with apt-get (once)");
  const run = (args: string[]) => {
    const cmd = root ? args : ["sudo", "-n", ...args];
    return spawnSync(cmd[0], cmd.slice(1), {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      encoding: "utf8",
    });
  };
  run(["apt-get", "update", "-qq"]);
  const r = run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"]);
  const now = findChromium();
  if (now) return { path: now };
  return {
    why: `apt-get install chromium failed (${(r.stderr ?? "").trim().split("\n").pop() ?? `exit ${r.status}`})`,
  };
}

export interface ExportResult {
  files: string[];
  /** Set when nothing was exported, saying why. */
  skipped?: string;
}

/**
 * Export `figures` (by id) into `dir` as `<id>.png` (`width` px wide, 2:1 scale of a width/2 layout) and
 * `<id>.svg`.
 */
export async function exportFigures(
  figures: Record<string, Figure>,
  dir: string,
  o: { width: number; install: boolean; log: (l: string) => void },
): Promise<ExportResult> {
  const chromium = ensureChromium(o.install, o.log);
  if (!chromium.path) return { files: [], skipped: chromium.why };
  const { chromium: launcher } = await import("playwright-core");
  const browser = await launcher.launch({ executablePath: chromium.path, args: ["--no-sandbox", "--disable-gpu"] });
  const files: string[] = [];
  try {
    const page = await browser.newPage();
    await page.setContent(
      `<!doctype html><html><head><meta charset="utf-8"></head><body><div id="f"></div></body></html>`,
    );
    await page.addScriptTag({ content: plotlyBundle() });
    for (const [id, fig] of Object.entries(figures)) {
      const t = themed(fig);
      for (const format of ["png", "svg"] as const) {
        const url = (await page.evaluate(
          async ({ fig, format, width }) => {
            const P = (window as unknown as { Plotly: any }).Plotly;
            const el = document.getElementById("f")!;
            await P.newPlot(
              el,
              fig.data,
              { ...fig.layout, width: width / 2, height: Math.round(width / 3.2) },
              { staticPlot: true },
            );
            return P.toImage(el, {
              format,
              width: width / 2,
              height: Math.round(width / 3.2),
              scale: format === "png" ? 2 : 1,
            });
          },
          { fig: t, format, width: o.width },
        )) as string;
        const comma = url.indexOf(",");
        const meta = url.slice(0, comma);
        const body = url.slice(comma + 1);
        const bytes = meta.endsWith(";base64")
          ? Buffer.from(body, "base64")
          : Buffer.from(decodeURIComponent(body), "utf8");
        const file = path.join(dir, `${id}.${format}`);
        await writeFileAtomic(file, bytes);
        files.push(file);
      }
    }
  } finally {
    await browser.close();
  }
  return { files };
}

/** Screenshot of an HTML file (the full page unless `fullPage` is false) as PNG bytes, and the console errors it logged; for tests and the README. */
export async function screenshotPage(
  file: string,
  chromiumPath: string,
  width = 1600,
  o: { fullPage?: boolean; height?: number } = {},
): Promise<{ png: Buffer; errors: string[]; plots: { id: string; traces: number; drawn: boolean }[] }> {
  const { chromium: launcher } = await import("playwright-core");
  const browser = await launcher.launch({ executablePath: chromiumPath, args: ["--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage({ viewport: { width, height: o.height ?? 1000 } });
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`file://${path.resolve(file)}`, { waitUntil: "load" });
    await page.waitForTimeout(500);
    const plots = await page.evaluate(() =>
      Array.from(document.querySelectorAll("div[id^='molab-']"))
        .filter((d) => d.id.startsWith("molab-plot") || d.id.startsWith("molab-fig"))
        .map((d) => {
          const gd = d as unknown as { data?: unknown[]; _fullLayout?: unknown };
          return { id: d.id, traces: gd.data?.length ?? 0, drawn: !!d.querySelector(".main-svg") };
        }),
    );
    const png = await page.screenshot({ fullPage: o.fullPage ?? true, type: "png" });
    return { png, errors, plots };
  } finally {
    await browser.close();
  }
}
