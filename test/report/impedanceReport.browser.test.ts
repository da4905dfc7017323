/**
 * Issue 16 part 4: `strata eis fit|linkk|drt --out DIR` draw their plots. The three reports are made by the
 * real CLI from impedance.py's example files and opened in headless Chromium (one browser for the file):
 * every plot has marks, every axis is labelled with its unit, the Nyquist plots have equal scales with −Z″
 * up, the fit and the KK model are drawn over the data, the Lin-KK residuals have their ±threshold lines,
 * the DRT's peaks are marked (one mark per peak the CLI reports) with the credible band, nothing is logged
 * as an error and nothing is fetched. Screenshots: test-output/screenshots/eis-{fit,linkk,drt}.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext } from "playwright-core";
import { launchBrowser, MIN_MARKS_PER_PLOT, PLOT_MARKS, screenshotPath, watchPage } from "./browser.ts";
import { runCli } from "../cli/run.ts";
import { conformanceRoot } from "../paths.ts";

const exampleData = path.join(conformanceRoot, "eis", "impedance.py", "exampleData.csv");
const circuit3 = path.join(conformanceRoot, "eis", "impedance.py", "Circuit3_EIS_1.z");
const CIRCUIT = "R0-p(R1,C1)-p(R2-Wo1,C2)";
/** Axis labels the three pages must show, with their units. */
const AXES = ["Z′ (Ω)", "−Z″ (Ω)", "f (Hz)", "|Z| (Ω)", "phase (°)", "τ (s)", "γ (Ω)", "residual (%)"];
/** Equal aspect: Ω per pixel along Z′ and −Z″ agree to this relative precision (the attributes carry 6 digits). */
const EQUAL_SCALE_RTOL = 1e-5;

/** Per plot: title, axis labels, its series by name with their marks (circles, line vertices). */
const PLOT_DETAILS = `[...document.querySelectorAll("svg.plot")].map((svg) => ({
  title: svg.getAttribute("aria-label") ?? "",
  x: svg.querySelector(".x-label")?.textContent ?? "",
  y: svg.querySelector(".y-label")?.textContent ?? "",
  scaleX: Number(svg.getAttribute("data-scale-x")),
  scaleY: Number(svg.getAttribute("data-scale-y")),
  series: [...svg.querySelectorAll(".series")].map((s) => ({
    name: s.getAttribute("data-name") ?? "",
    circles: s.querySelectorAll("circle").length,
    vertices: s.tagName === "polyline" ? (s.getAttribute("points") ?? "").trim().split(/\\s+/).filter(Boolean).length : 0,
    topY: Math.min(...[...s.querySelectorAll("circle")].map((c) => Number(c.getAttribute("cy")))),
    firstY: Number(s.querySelector("circle")?.getAttribute("cy") ?? Number.NaN),
  })),
}))`;

interface PlotDetail {
  title: string;
  x: string;
  y: string;
  scaleX: number;
  scaleY: number;
  series: { name: string; circles: number; vertices: number; topY: number; firstY: number }[];
}

describe("strata eis fit|linkk|drt --out: report.html in headless Chromium", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-eis-report-"));
  let context: BrowserContext;
  let close: () => Promise<void>;
  let drtPeaks = 0;
  const labels = new Set<string>();

  beforeAll(async () => {
    const runs: [string, string[]][] = [
      ["fit", ["eis", "fit", exampleData, "--circuit", CIRCUIT, "--drop-inductive"]],
      ["linkk", ["eis", "linkk", circuit3, "--c", "0.85"]],
      ["drt", ["eis", "drt", exampleData, "--band", "--json"]],
    ];
    for (const [name, args] of runs) {
      const result = runCli([...args, "--out", path.join(dir, name)]);
      expect(result.status, result.stderr).toBe(0);
      expect(fs.existsSync(path.join(dir, name, "report.html"))).toBe(true);
      if (name === "drt") drtPeaks = (JSON.parse(result.stdout) as { peaks: unknown[] }).peaks.length;
      else expect(result.stdout).toContain(`# report: ${path.join(dir, name, "report.html")}`);
    }
    ({ context, close } = await launchBrowser());
  }, 120_000);

  afterAll(async () => {
    await close?.();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a report, checks what every page shares, and saves its screenshot. */
  async function open(name: string): Promise<{ plots: PlotDetail[]; text: string }> {
    const page = await context.newPage();
    const { consoleErrors, external } = watchPage(page);
    await page.goto(`file://${path.join(dir, name, "report.html")}`);
    const marks = await page.evaluate<{ title: string; marks: number }[]>(PLOT_MARKS);
    expect(marks.length).toBeGreaterThan(1);
    for (const plot of marks) expect(plot.marks, plot.title).toBeGreaterThanOrEqual(MIN_MARKS_PER_PLOT);
    const plots = await page.evaluate<PlotDetail[]>(PLOT_DETAILS);
    // the verdict comes first
    const order = await page.evaluate<number>(`document.querySelector(".verdict").compareDocumentPosition(document.querySelector("svg.plot")) & Node.DOCUMENT_POSITION_FOLLOWING`);
    expect(order).toBeTruthy();
    // Nyquist: equal scales along Z′ and −Z″
    for (const plot of plots.filter((p) => p.x === "Z′ (Ω)")) {
      expect(plot.y).toBe("−Z″ (Ω)");
      expect(Math.abs(plot.scaleX / plot.scaleY - 1), plot.title).toBeLessThanOrEqual(EQUAL_SCALE_RTOL);
    }
    const text = (await page.textContent("body")) ?? "";
    for (const plot of plots) labels.add(plot.x).add(plot.y);
    await page.screenshot({ path: screenshotPath(`eis-${name}`), fullPage: true });
    expect(consoleErrors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
    return { plots, text };
  }

  const seriesOf = (plots: PlotDetail[], title: RegExp, name: RegExp): PlotDetail["series"] =>
    plots.filter((p) => title.test(p.title)).flatMap((p) => p.series.filter((s) => name.test(s.name)));

  it("fit: Nyquist and Bode (|Z|, phase) with the data as points and the fitted circuit as a line; the other minimum listed", async () => {
    const { plots, text } = await open("fit");
    expect(plots.map((p) => [p.x, p.y])).toEqual([
      ["Z′ (Ω)", "−Z″ (Ω)"],
      ["f (Hz)", "|Z| (Ω)"],
      ["f (Hz)", "phase (°)"],
    ]);
    // −Z″ up: exampleData's largest −Z″ is at its lowest frequency, the first point drawn, which is the highest on the page
    const nyquistData = plots[0].series.find((s) => s.name === "data")!;
    expect(nyquistData.firstY).toBe(nyquistData.topY);
    for (const plot of plots) {
      expect(plot.series.find((s) => s.name === "data")?.circles, plot.title).toBe(57);
      expect(plot.series.find((s) => s.name === `fit: ${CIRCUIT}`)?.vertices, plot.title).toBeGreaterThan(100);
    }
    expect(text).toContain("Other minimum (start: spectrum shape, arcs 2,1)");
  });

  it("linkk: Nyquist and Bode with the KK model, the residuals (real, imaginary, %) with ±threshold lines, and which fit decided", async () => {
    const { plots, text } = await open("linkk");
    const residuals = plots.find((p) => p.y === "residual (%)")!;
    expect(residuals.x).toBe("f (Hz)");
    expect(residuals.series.map((s) => s.name)).toEqual(["real (ΔZ′/|Z|)", "imaginary (ΔZ″/|Z|)", "± threshold (1 %)", " "]);
    expect(residuals.series[0].vertices).toBe(53);
    expect(seriesOf(plots, /^(Nyquist|Bode)/, /^KK model \(M = 3\)$/).length).toBe(3);
    expect(text).toContain("Decided by the real-part fit");
    expect(text).toMatch(/differs mainly in M \(17 against 3\)/);
  });

  it("drt: γ(τ) against τ with every peak marked and the credible band, and the data with the DRT's model", async () => {
    const { plots } = await open("drt");
    const gamma = plots.find((p) => p.y === "γ (Ω)")!;
    expect(gamma.x).toBe("τ (s)");
    expect(drtPeaks).toBeGreaterThan(0);
    expect(gamma.series.find((s) => s.name === "peaks")?.circles).toBe(drtPeaks);
    expect(gamma.series.filter((s) => /credible band|^ $/.test(s.name)).map((s) => s.vertices > 100)).toEqual([true, true]);
    expect(seriesOf(plots, /^Nyquist/, /^DRT model$/)[0].vertices).toBe(66);
  });

  it("the three pages together label every axis with its unit", () => {
    for (const axis of AXES) expect(labels.has(axis), axis).toBe(true);
  });
});
