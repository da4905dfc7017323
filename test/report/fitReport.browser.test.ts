/**
 * Issue 16 part 4 for `strata fit`: report.html, made by the real CLI from real data — the
 * SNS Cu/Ti/THF OCV1 state (examples/sns-cu-thf-2025, three angles, 13 parameters, started
 * at the authors' refl1d best values) with a short MCMC chain — renders in headless
 * Chromium: every plot has marks, axes carry units, the SLD profile has its 95 % posterior
 * band, corner and trace plots are there, the parameter table says what each uncertainty
 * is, nothing is logged as an error and nothing is fetched outside file://.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { launchBrowser, MIN_MARKS_PER_PLOT, PLOT_MARKS, screenshotPath, watchPage } from "./browser.ts";
import { runCli } from "../cli/run.ts";
import { authorsByName, exampleDir, exampleProblem } from "../realdata/snsCuThf.ts";

/** Walkers (2·13 parameters, the fewest the sampler takes), kept and burn-in steps: a chain of a second or two. */
const WALKERS = 26;
const STEPS = 60;
const BURN = 30;
/** Datasets of the OCV1 state (three angles) and its free parameters. */
const DATASETS = 3;
const PARAMETERS = 13;
/** Depth points of a profile (report/fitReport's PROFILE_POINTS): the band's outline has both edges. */
const PROFILE_POINTS = 400;

describe("strata fit report.html in headless Chromium", () => {
  let tmp = "";
  let out = "";
  let browser: { context: BrowserContext; close: () => Promise<void> } | undefined;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-fit-report-"));
    const { json } = exampleProblem("PROBLEM-ocv1.json");
    const authors = authorsByName();
    for (const [name, spec] of Object.entries(json.parameters)) spec.value = authors.get(name)!.best;
    json.datasets = json.datasets.map((d) => ({ ...d, file: path.join(exampleDir, d.file) }));
    json["fit"] = { method: "mcmc", seed: 1, mcmc: { walkers: WALKERS, steps: STEPS, burn: BURN } };
    const problem = path.join(tmp, "ocv1.json");
    fs.writeFileSync(problem, JSON.stringify(json));
    out = path.join(tmp, "out");
    const result = runCli(["--quiet", "fit", problem, "--method", "mcmc", "--min-ess", "0", "--tau-factor", "0", "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("draws data, fits, residuals, the SLD profile with its band, corner and traces; labels units; no errors, no network", async () => {
    expect(fs.readdirSync(out).sort()).toEqual(["curve0.dat", "curve1.dat", "curve2.dat", "report.html", "result.json", "samples.csv"]);
    const page = await browser!.context.newPage();
    const watch = watchPage(page);
    await page.goto(`file://${path.join(out, "report.html")}`);
    // (browser-side code as strings: the project's type-check has no DOM library)
    await page.waitForFunction('typeof window.__plotsDone === "number"');

    const marks = await page.evaluate<{ title: string; marks: number }[]>(PLOT_MARKS);
    for (const plot of marks) expect(plot.marks, plot.title).toBeGreaterThanOrEqual(MIN_MARKS_PER_PLOT);
    const titles = marks.map((m) => m.title);
    for (let k = 1; k <= DATASETS; k++) {
      for (const prefix of ["Reflectivity", "R·Q⁴", "Normalised residuals"]) expect(titles, `${prefix}, dataset ${k}`).toContain(`${prefix}, dataset ${k}`);
    }
    // the three angles share one stack: one profile plot names all three models
    expect(titles.filter((t) => t.startsWith("SLD profile"))).toEqual(["SLD profile, models OCV1_angle1, OCV1_angle2, OCV1_angle3 (same stack)"]);
    expect(titles.filter((t) => t.startsWith("Trace: "))).toHaveLength(PARAMETERS);
    expect(titles.filter((t) => t.startsWith("Corner plot"))).toHaveLength(1);
    // 1 + 3 × 3 + 1 + 13 plots, each of them at a real size on the page
    const sized = await page.evaluate<number>(`[...document.querySelectorAll("svg.plot")].filter((s) => s.getBoundingClientRect().width > 100 && s.getBoundingClientRect().height > 100).length`);
    expect(sized).toBe(marks.length);
    expect(marks.length).toBe(3 * DATASETS + 1 + 1 + PARAMETERS);

    // axis labels with units, per kind of plot
    const texts = (selector: string): Promise<string[][]> => page.evaluate<string[][]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((svg) => [...svg.querySelectorAll("text")].map((t) => t.textContent))`);
    const byTitle = async (prefix: string): Promise<string[][]> => {
      const all = await texts("svg.plot");
      return all.filter((_, i) => titles[i].startsWith(prefix));
    };
    for (const labels of await byTitle("Reflectivity")) expect(labels).toEqual(expect.arrayContaining(["Q (Å⁻¹)", "R"]));
    for (const labels of await byTitle("R·Q⁴")) expect(labels).toEqual(expect.arrayContaining(["Q (Å⁻¹)", "R·Q⁴ (Å⁻⁴)"]));
    for (const labels of await byTitle("Normalised residuals")) expect(labels).toEqual(expect.arrayContaining(["Q (Å⁻¹)", "(R − fit)/dR"]));
    const [profileLabels] = await byTitle("SLD profile");
    expect(profileLabels).toEqual(expect.arrayContaining(["z (Å), beam side at left", "SLD (10⁻⁶ Å⁻²)"]));
    for (const labels of await byTitle("Trace: ")) expect(labels).toContain("step (burn-in included)");
    const [cornerLabels] = await byTitle("Corner plot");
    // shared parameters get the units of the model field they stand for; a scale has none
    expect(cornerLabels).toEqual(expect.arrayContaining(["OCV1_Cu_d (Å)", "THF_sld (10⁻⁶ Å⁻²)", "I_386_1", "least-squares best fit"]));

    // the 95 % band: one closed outline of both edges, and it has a width somewhere
    const band = await page.evaluate<{ vertices: number; height: number }[]>(
      `[...document.querySelectorAll("svg.band-plot path.band")].map((p) => ({ vertices: (p.getAttribute("d").match(/[-\\d.]+,[-\\d.]+/g) ?? []).length, height: p.getBBox().height }))`,
    );
    expect(band).toHaveLength(1);
    expect(band[0].vertices).toBe(2 * PROFILE_POINTS);
    expect(band[0].height).toBeGreaterThan(0);

    // corner: a histogram per parameter on the diagonal, a scatter per pair below it
    expect(await page.locator("svg.corner g.corner-diagonal path.histogram").count()).toBe(PARAMETERS);
    expect(await page.locator("svg.corner g.corner-pair path.draws").count()).toBe((PARAMETERS * (PARAMETERS - 1)) / 2);
    // traces: every walker drawn, the burn-in marked
    expect(await page.locator("svg.trace polyline.walker").count()).toBe(PARAMETERS * WALKERS);
    expect(await page.locator("svg.trace rect.burn-in").count()).toBe(PARAMETERS);
    expect(await page.locator("svg.trace text", { hasText: `burn-in ${BURN} steps (not stored)` }).count()).toBe(PARAMETERS);

    // the parameter table says what each uncertainty is
    const headers = await page.locator("table.parameters th").allTextContents();
    expect(headers).toEqual(expect.arrayContaining(["posterior median", "95 % credible interval", "LM standard error, unscaled (dR taken as the true σ)"]));
    expect(headers.some((h) => /^LM standard error, scaled by √χ²_red = [\d.]+$/.test(h))).toBe(true);
    expect(await page.locator("table.parameters tbody tr").count()).toBe(PARAMETERS);

    await page.screenshot({ path: screenshotPath("fit-report"), fullPage: true });
    expect(fs.statSync(screenshotPath("fit-report")).size).toBeGreaterThan(10_000);
    expect(watch.consoleErrors).toEqual([]);
    expect(watch.external).toEqual([]);
  }, 60_000);
});
