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
import { BROWSER_ARGS, CHROMIUM, MIN_MARKS_PER_PLOT, PLOT_MARKS, screenshotPath, watchPage } from "./browser.ts";
import { runCli } from "../cli/run.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { repoRoot } from "../paths.ts";

/** Scans and impedance spectra of the committed example campaign. */
const EXAMPLE_SCANS = 24;
const IMPEDANCE_SPECTRA = 6;
/** An axis label with its unit in parentheses, e.g. "time (h)", "SLD (10⁻⁶ Å⁻²)". */
const WITH_UNIT = /\(\S[^)]*\)$/;
/** Axes of quantities without a unit: reflectivity and normalised residuals. */
const DIMENSIONLESS_AXES = ["R", "(R − model)/σ"];

/**
 * Browser-side: for each visible plot, whether it has a legend, how many data marks (points,
 * line vertices) fall inside the legend's box, and whether the legend overlaps the data frame.
 */
const LEGEND_OVERLAPS = `[...document.querySelectorAll("svg.plot")].filter((svg) => svg.getBoundingClientRect().width > 0).map((svg) => {
  const title = svg.getAttribute("aria-label") ?? "";
  const legend = svg.querySelector("g.legend");
  if (!legend) return { title, legend: false, covered: 0, inFrame: false };
  const box = legend.getBoundingClientRect();
  const inside = (x, y) => x >= box.left && x <= box.right && y >= box.top && y <= box.bottom;
  let covered = 0;
  for (const circle of svg.querySelectorAll(".series circle")) {
    const b = circle.getBoundingClientRect();
    if (inside((b.left + b.right) / 2, (b.top + b.bottom) / 2)) covered++;
  }
  for (const line of svg.querySelectorAll("polyline.series")) {
    const matrix = line.getScreenCTM();
    for (const point of line.points) {
      const p = point.matrixTransform(matrix);
      if (inside(p.x, p.y)) covered++;
    }
  }
  const frame = svg.querySelector("rect.frame").getBoundingClientRect();
  const inFrame = box.left < frame.right && box.right > frame.left && box.top < frame.bottom && box.bottom > frame.top;
  return { title, legend: true, covered, inFrame };
})`;

describe("diagnosis report in headless Chromium", () => {
  let dir = "";
  let profile = "";
  let context: BrowserContext;

  beforeAll(async () => {
    // .ci/run installs Debian's chromium; without it this test fails rather than skips
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-report-"));
    profile = fs.mkdtempSync(path.join(os.tmpdir(), "strata-chromium-"));
    const result = runCli(["--quiet", "diagnose", path.join(repoRoot, "examples", "campaign"), "--out", dir, "--walkers", "12", "--steps", "60", "--burn", "20", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"]);
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
    const { consoleErrors, external } = watchPage(page);
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

    // issue 16 part 4: no legend over the data — no point or line vertex of any visible plot inside its legend's box
    const legends = await page.evaluate<{ title: string; legend: boolean; covered: number; inFrame: boolean }[]>(LEGEND_OVERLAPS);
    expect(legends.filter((l) => l.legend).length).toBeGreaterThan(6);
    for (const l of legends) {
      expect(l.covered, `${l.title}: data marks under the legend`).toBe(0);
      expect(l.inFrame, `${l.title}: legend inside the data frame`).toBe(false);
    }
    // every axis is labelled, with its unit unless the quantity has none
    const labels = await page.evaluate<{ title: string; x: string; y: string }[]>(`[...document.querySelectorAll("svg.plot")].map((svg) => ({ title: svg.getAttribute("aria-label"), x: svg.querySelector(".x-label")?.textContent ?? "", y: svg.querySelector(".y-label")?.textContent ?? "" }))`);
    for (const { title, x, y } of labels) {
      expect(x, `${title}: x axis`).toMatch(WITH_UNIT);
      if (!DIMENSIONLESS_AXES.includes(y)) expect(y, `${title}: y axis`).toMatch(WITH_UNIT);
    }
    // the interphase's roughness and density (one value for every scan in the joint fit) are values with intervals, not flat lines
    expect(marks.some((m) => /roughness|density/.test(m.title))).toBe(false);
    const shared = await page.evaluate<string[][]>(`[...document.querySelectorAll("table.shared-parameters")[0].querySelectorAll("tbody tr")].map((tr) => [...tr.cells].map((td) => td.textContent))`);
    expect(shared.map((row) => row[0])).toEqual(["roughness", "density"]);
    for (const [name, median, lo, hi, unit] of shared) {
      expect(Number(lo), name).toBeLessThan(Number(median));
      expect(Number(hi), name).toBeGreaterThan(Number(median));
      expect(unit, name).toMatch(/Å|g\/cm³/);
    }
    // the SLD profiles have a second panel zoomed on the interphase
    expect(marks.filter((m) => /^SLD profiles near the SEI \(z [\d.]+–[\d.]+ Å\)$/.test(m.title))).toHaveLength(1);
    // the impedance-derived R and C carry error bars
    const errorBars = await page.evaluate<number[]>(`["Interphase resistance", "Interphase capacitance"].map((t) => document.querySelector('svg.plot[aria-label^="' + t + '"]').querySelectorAll("line.error-bar").length)`);
    expect(errorBars).toEqual([IMPEDANCE_SPECTRA, IMPEDANCE_SPECTRA]);

    // the timeline downloads: data: links in the page, a CSV row per scan, and JSON that parses
    const links = await page.evaluate<{ kind: string; name: string; href: string }[]>(`[...document.querySelectorAll("a.download")].map((a) => ({ kind: a.dataset.kind, name: a.getAttribute("download"), href: a.getAttribute("href") }))`);
    expect(links.map((l) => l.kind)).toEqual(["timeline-csv", "impedance-csv", "timeline-json"]);
    const content = (kind: string): string => {
      const href = links.find((l) => l.kind === kind)!.href;
      expect(href.startsWith("data:")).toBe(true);
      return decodeURIComponent(href.slice(href.indexOf(",") + 1));
    };
    const [header, ...rows] = content("timeline-csv").trim().split("\n").map((line) => line.split(","));
    expect(header.slice(0, 8)).toEqual(["scan", "time_s", "time_h", "spot", "dose_Gy", "thickness_A", "thickness_lo95_A", "thickness_hi95_A"]);
    expect(rows).toHaveLength(EXAMPLE_SCANS);
    for (const row of rows) {
      const [thickness, lo, hi] = [5, 6, 7].map((k) => Number(row[k]));
      expect(lo, row[0]).toBeLessThan(thickness);
      expect(hi, row[0]).toBeGreaterThan(thickness);
    }
    const [impedanceHeader, ...impedanceRows] = content("impedance-csv").trim().split("\n").map((line) => line.split(","));
    expect(impedanceHeader).toContain("resistance_stderr_ohm");
    expect(impedanceRows).toHaveLength(IMPEDANCE_SPECTRA);
    const timelineJson = JSON.parse(content("timeline-json")) as { format: string; timeline: { scan: string; thickness_A: { median: number } }[]; impedance: unknown[] };
    expect(timelineJson.format).toBe("strata-timeline/1");
    expect(timelineJson.timeline.map((e) => e.scan)).toEqual(rows.map((r) => r[0]));
    expect(timelineJson.timeline.map((e) => e.thickness_A.median)).toEqual(rows.map((r) => Number(r[5])));
    expect(timelineJson.impedance).toHaveLength(IMPEDANCE_SPECTRA);
    // and the browser saves it as a file
    const [download] = await Promise.all([page.waitForEvent("download"), page.click('a[data-kind="timeline-csv"]')]);
    expect(download.suggestedFilename()).toBe("timeline-A.csv");
    expect(fs.readFileSync(await download.path(), "utf8")).toBe(content("timeline-csv"));

    // no "—" standing in for a number or an interval anywhere in the page
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll("td, .verdict")].map((el) => el.textContent.trim()).filter((t) => t === "—" || t.includes("—–—"))`)).toEqual([]);

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
    const result = runCli(["--quiet", "diagnose", campaign, "--out", out, "--laws", "linear", "--walkers", "12", "--steps", "60", "--burn", "20", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Population of 3 cells \(linear law, chosen by the pooled evidence of all cells\): .*k: median/m);
    const page = await context.newPage();
    const { consoleErrors } = watchPage(page);
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
    await page.screenshot({ path: screenshotPath("diagnosis-report-damage-population"), fullPage: true });
    expect(consoleErrors).toEqual([]);
  }, 180_000);
});
