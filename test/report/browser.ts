/**
 * What every browser test shares: Debian's /usr/bin/chromium driven by playwright-core
 * (installed by .ci/run; a missing browser fails the test rather than skipping it), the
 * page-side mark counter, a console-error collector, and where screenshots go —
 * `test-output/screenshots/` (git-ignored; STRATA_SCREENSHOT_DIR overrides) so a person
 * can look at every page the run drew.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { repoRoot } from "../paths.ts";

export const CHROMIUM = "/usr/bin/chromium";
export const BROWSER_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
/** Minimum drawn marks (points or path vertices) a plot must contain. */
export const MIN_MARKS_PER_PLOT = 2;

/** Browser-side: each svg.plot's title and its marks (circles, rects and path vertices). */
export const PLOT_MARKS = `[...document.querySelectorAll("svg.plot")].map((svg) => {
  let vertices = 0;
  for (const el of svg.querySelectorAll("path, polyline")) {
    const d = el.getAttribute("d") ?? el.getAttribute("points") ?? "";
    vertices += (d.match(/[-\\d.]+[ ,][-\\d.]+/g) ?? []).length;
  }
  return { title: svg.getAttribute("aria-label") ?? "", marks: svg.querySelectorAll("circle").length + vertices };
})`;

/** A headless Chromium with its own throw-away profile; `close()` removes the profile. */
export async function launchBrowser(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "strata-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Console errors and warnings, page errors, and requests that leave file://, collected from now on. */
export function watchPage(page: Page): { consoleErrors: string[]; external: string[] } {
  const consoleErrors: string[] = [];
  const external: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(error.message));
  page.on("request", (request) => {
    if (!request.url().startsWith("file://") && !request.url().startsWith("data:") && !request.url().startsWith("blob:")) external.push(request.url());
  });
  return { consoleErrors, external };
}

/** Where the screenshot called `name` goes (folder created): test-output/screenshots/<name>.png. */
export function screenshotPath(name: string): string {
  const dir = process.env["STRATA_SCREENSHOT_DIR"] ?? path.join(repoRoot, "test-output", "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
