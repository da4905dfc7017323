/**
 * Issue 6 acceptance: the diagnosis report renders in headless Chromium (Debian's
 * /usr/bin/chromium driven by playwright-core) with every plot drawn and no console
 * errors, and it is self-contained (no request leaves file://). The report is made by
 * the real CLI from the committed example campaign (short MCMC to keep the test quick).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type BrowserContext } from "playwright-core";
import { BROWSER_ARGS, CHROMIUM, MIN_MARKS_PER_PLOT, PLOT_MARKS, screenshotPath } from "./browser.ts";
import { runCli } from "../cli/run.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { repoRoot } from "../paths.ts";

describe("diagnosis report in headless Chromium", () => {
  let dir = "";
  let profile = "";
  let context: BrowserContext;

  beforeAll(async () => {
    // .ci/run installs Debian's chromium; without it this test fails rather than skips
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-report-"));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "strata-chromium-"));
    const result = runCli(["diagnose", path.join(repoRoot, "examples", "campaign"), "--out", dir, "--walkers", "12", "--steps", "60", "--burn", "20", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: BROWSER_ARGS });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(profile, { recursive: true, force: true });
  });

  it("draws every plot, shows the verdict first, switches scans, logs no errors and fetches nothing", async () => {
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    const external: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    page.on("request", (request) => {
      if (!request.url().startsWith("file://")) external.push(request.url());
    });
    await page.goto(`file://${path.join(dir, "report.html")}`);
    // (browser-side code as strings: the project's type-check has no DOM library)
    await page.waitForFunction('typeof window.__plotsDone === "number"');
    const plots = await page.evaluate<number>("window.__plotsDone");
    expect(plots).toBeGreaterThan(10);

    // every plot has marks: points (circles) or line vertices
    const marks = await page.evaluate<{ title: string; marks: number }[]>(PLOT_MARKS);
    expect(marks.length).toBe(plots);
    for (const plot of marks) expect(plot.marks, plot.title).toBeGreaterThanOrEqual(MIN_MARKS_PER_PLOT);

    // visible plots have a real size on the page
    const visible = await page.evaluate<number>(`[...document.querySelectorAll("svg.plot")].filter((s) => s.getBoundingClientRect().width > 100 && s.getBoundingClientRect().height > 100).length`);
    expect(visible).toBeGreaterThan(6);

    // the verdict comes before any plot
    const order = await page.evaluate<number>(`document.querySelector(".verdict").compareDocumentPosition(document.querySelector("svg.plot")) & Node.DOCUMENT_POSITION_FOLLOWING`);
    expect(order).toBeTruthy();
    expect(await page.textContent(".verdict")).toMatch(/Cell A: the SEI grew from [\d.]+ Å to [\d.]+ Å \[95 %/);

    // the scan selector shows exactly the chosen scan's reflectivity
    const select = page.locator("select.scan-select");
    await select.selectOption("A0003");
    const shown = await page.evaluate<string[]>(`[...document.querySelectorAll(".scan.selected")].map((el) => el.dataset.scan)`);
    expect(shown).toEqual(["A0003"]);
    const box = await page.locator('.scan[data-scan="A0003"] svg.plot').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);

    for (const heading of ["Quality flags", "Through time", "Growth law", "Beam damage", "Reflectivity per scan", "Impedance", "Do the modalities agree?"]) {
      expect(await page.locator("h3", { hasText: heading }).count(), heading).toBeGreaterThan(0);
    }
    await page.screenshot({ path: screenshotPath("diagnosis-report"), fullPage: true });
    expect(fs.statSync(screenshotPath("diagnosis-report")).size).toBeGreaterThan(10_000);
    expect(consoleErrors).toEqual([]);
    expect(external).toEqual([]);
  }, 60_000);

  it("draws the beam-damage and population sections of a 3-cell campaign with fresh spots and injected damage", async () => {
    const campaign = path.join(dir, "damage-campaign");
    simulateCampaign(
      {
        seed: 4,
        probe: "xray",
        law: { name: "linear", parameters: { L0: 20, k: 8e-4 } },
        cells: 3,
        population: { k: 0.2 },
        damage: { model: "linear", rate_A_per_Gy: 0.5, fresh: [2, 5] },
        scans: { count: 6, interval_s: 2700, exposure_s: 300, qMin: 0.012, qMax: 0.28, points: 60, dqOverQ_fwhm: 0.05, incident: 1e5, background: 0 },
      },
      campaign,
    );
    const out = path.join(dir, "damage-out");
    const result = runCli(["diagnose", campaign, "--out", out, "--laws", "linear", "--walkers", "12", "--steps", "60", "--burn", "20", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Population of 3 cells \(linear law, chosen by the pooled evidence of all cells\): .*k: median/m);
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") consoleErrors.push(message.text());
    });
    page.on("pageerror", (error) => consoleErrors.push(error.message));
    await page.goto(`file://${path.join(out, "report.html")}`);
    await page.waitForFunction('typeof window.__plotsDone === "number"');
    const marks = await page.evaluate<{ title: string; marks: number }[]>(PLOT_MARKS);
    for (const plot of marks) expect(plot.marks, plot.title).toBeGreaterThanOrEqual(MIN_MARKS_PER_PLOT);
    const titles = marks.map((m) => m.title);
    expect(titles.filter((t) => /Accumulated dose/.test(t)).length).toBe(3);
    expect(titles.filter((t) => /observed at each spot vs zero dose/.test(t)).length).toBe(3);
    expect(titles.some((t) => /^k per cell/.test(t))).toBe(true);
    expect(await page.locator("h2", { hasText: "Population across cells" }).count()).toBe(1);
    // the law's choice: pooled evidence per law, and each cell's own preference beside it
    expect(await page.locator("th", { hasText: "pooled ΔAICc" }).count()).toBe(1);
    expect(await page.locator("th", { hasText: "its own law" }).count()).toBe(1);
    expect(await page.locator("p.bad", { hasText: "Beam damage detected" }).count()).toBe(3);
    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
