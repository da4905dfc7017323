/**
 * The live page of `strata serve` (issue 17 part 4) in headless Chromium against the real
 * service (bin/strata.js serve over a temporary SQLite data folder): the example campaign is
 * registered and its cycler record, first impedance spectrum and first scans are uploaded
 * through the API; the page opened with `?access_token=` lists the campaign and opens it from
 * the list (the token gone from the address bar); the campaign's page shows every panel with data (verdict
 * and trust, thickness timeline with band and per-scan points, law weights with the best law
 * named as the document names it, parameters, current and charge, the latest scan and its
 * residuals, impedance, dose per spot, the document's quality flags, the ingest counts as the
 * API reports them), axes labelled with units, a data table per plot, nothing logged as an
 * error and nothing fetched from anywhere but the service. Then one more scan is uploaded and
 * the page must show it (`window.__strataLive.scans` increments, pushed over the event stream,
 * no reload), redrawn within 1 s of the service's diagnosis event; the time from the upload
 * is printed against the acceptance's 2 s and asserted against a looser bound (most of it is
 * the live diagnosis, slowed by a loaded machine). Screenshot:
 * test-output/screenshots/live-page.png.
 *
 * Units: ms, Å.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { launchBrowser, screenshotPath, watchPage } from "../report/browser.ts";
import { EXAMPLE, exampleManifest, registerExample, startService, waitFor, type RunningService } from "./pageService.ts";

const CAMPAIGN = "page";
/** Scans uploaded before the page is opened; one more is uploaded while it is open. */
const INITIAL_SCANS = 3;
/** How long the service may take to publish the diagnosis of the first scans. */
const FIRST_DIAGNOSIS_MS = 30_000;
/** Acceptance (issue 17): the browser shows the new point within 2 s of the scan being complete (printed; measured over a replay in test/service-long/pageLatency). */
const ACCEPTANCE_MS = 2_000;
/**
 * What this test asserts for upload → point on the page: looser than the acceptance, because
 * most of it is the service's live diagnosis, which a loaded 2-core machine slows (2.1 s at
 * load average 11, 1.07 s at 6).
 */
const PAGE_UPDATE_BOUND_MS = 10_000;
/** The page's own share (the service's diagnosis event → redrawn), asserted tightly. */
const PAGE_SHARE_BOUND_MS = 1_000;
/** How long the test waits for the new point at all (beyond the bound, to report the time it took). */
const PAGE_UPDATE_WAIT_MS = 20_000;
/** The panels the page must show, as its sections name them. */
const PANELS = ["verdicts", "timeline", "laws", "parameters", "current", "scan", "impedance", "dose", "quality", "ingest"];
/** Axis labels (drawn on the canvas; each figure carries them as `data-axes` too) with their units; an SI prefix may precede A, C, Ω, F, Gy. */
const AXIS_LABELS = [/^time \(h\)$/, /^thickness \(Å\)$/, /^Q \(Å⁻¹\)$/, /^R$/, /^current \(.?A\)$/, /^charge \(.?C\)$/, /^R interphase \(.?Ω\)$/, /^C interphase \(.?F\)$/, /^dose \(.?Gy\)$/, /^spot$/];
/** A plot's canvas counts as drawn when at least this many of its pixels are neither transparent nor white. */
const MIN_INKED_PIXELS = 500;

interface LiveDoc {
  scans: number;
  cells: { id: string; law: { best: string; weights: Record<string, number> }; quality: unknown[]; timeline: unknown[]; impedance: unknown[]; dose_Gy: Record<string, number> | null }[];
}

interface PageState {
  version: number | null;
  scans: number;
  updatedAt: number;
  latencyMs: number | null;
  fetchMs: number;
  drawMs: number;
}

/** Browser-side (the test's tsconfig has no DOM types, so page code is a string as in report/browser.ts): what the page shows. */
const SHOWN = `(() => {
  const sections = [...document.querySelectorAll("section.panel")];
  return {
    panels: sections.map((s) => ({ name: s.dataset.panel, heading: s.querySelector("h2")?.textContent ?? "", count: Number(s.dataset.count),
      plots: [...s.querySelectorAll("figure.plot")].map((f) => ({ name: f.dataset.plot, points: Number(f.dataset.points) })), errors: s.querySelectorAll(".error").length })),
    axisLabels: [...document.querySelectorAll("figure.plot")].flatMap((f) => (f.dataset.axes ?? "").split(" | ")),
    tables: document.querySelectorAll("details.data table").length,
    best: document.querySelector("[data-best]")?.getAttribute("data-best"),
    flags: document.querySelectorAll("ul.flags li").length,
    ingested: document.querySelector('dd[data-count="ingested"]')?.textContent,
    seen: document.querySelector('dd[data-count="seen"]')?.textContent,
    verdicts: [...document.querySelectorAll(".verdict")].map((v) => v.textContent ?? ""),
    trust: document.querySelector(".trust")?.textContent,
    inked: [...document.querySelectorAll("figure.plot")].map((f) => {
      const canvas = f.querySelector("canvas");
      if (!canvas) return { plot: f.dataset.plot, inked: 0 };
      const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      let inked = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && (data[i] < 240 || data[i + 1] < 240 || data[i + 2] < 240)) inked++;
      return { plot: f.dataset.plot, inked };
    }),
  };
})()`;

interface Shown {
  panels: { name: string; heading: string; count: number; plots: { name: string; points: number }[]; errors: number }[];
  axisLabels: string[];
  tables: number;
  best: string | null | undefined;
  flags: number;
  ingested: string | null | undefined;
  seen: string | null | undefined;
  verdicts: string[];
  trust: string | null | undefined;
  /** pixels each plot's canvas inked (neither transparent nor white) */
  inked: { plot: string; inked: number }[];
}

const liveState = (page: Page): Promise<PageState | undefined> => page.evaluate<PageState | undefined>("window.__strataLive");
/** Browser-side: whether the page's live state has more than `n` scans. */
const moreScansThan = (n: number): string => `(window.__strataLive?.scans ?? 0) > ${n}`;

describe("the live page against strata serve, in headless Chromium", () => {
  let service: RunningService;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;
  const manifest = exampleManifest();
  const upload = async (rel: string): Promise<void> => {
    const response = await service.put(CAMPAIGN, rel, fs.readFileSync(path.join(EXAMPLE, rel)));
    if (response.status !== 201) throw new Error(`PUT ${rel}: ${response.status} ${await response.text()}`);
  };

  beforeAll(async () => {
    // no full re-run while the test measures (it would compete for the two cores)
    service = await startService(["--full-after", "3600"]);
    await registerExample(service, CAMPAIGN);
    await upload(manifest.electrochemistry[0].file);
    await upload(manifest.impedance[0].file);
    for (const scan of manifest.scans.slice(0, INITIAL_SCANS)) await upload(scan.file);
    await waitFor(`diagnosis of ${INITIAL_SCANS} scans`, FIRST_DIAGNOSIS_MS, async () => ((await service.getJson<LiveDoc>(`api/campaigns/${CAMPAIGN}/diagnosis`)).scans >= INITIAL_SCANS ? true : undefined));
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1360, height: 900 });
    watched = watchPage(page);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("lists the campaign at / and opens it from the list", async () => {
    await page.goto(`${service.url}?access_token=${encodeURIComponent(service.secret)}`);
    const link = page.locator(`section[data-panel="campaigns"] a[href$="campaigns/${CAMPAIGN}"]`);
    await link.waitFor({ timeout: 10_000 });
    expect(await link.textContent()).toBe(exampleManifest()["name"]);
    // the token left the address bar (it lives on in the cookie and this tab)
    expect(page.url()).not.toContain("access_token");
    await link.click();
    await page.waitForURL(`${service.url}campaigns/${CAMPAIGN}`);
  });

  it("shows every panel with the document's data, labelled axes and data tables, without errors", async () => {
    await page.waitForFunction(moreScansThan(INITIAL_SCANS - 1), undefined, { timeout: 15_000 });
    await page.waitForSelector('[data-connection="connected"]', { timeout: 10_000 });
    const doc = await service.getJson<LiveDoc>(`api/campaigns/${CAMPAIGN}/diagnosis`);
    const ingest = await service.getJson<{ seen: number; ingested: number; rejected: unknown[] }>(`api/campaigns/${CAMPAIGN}/ingest`);
    const cell = doc.cells[0];

    const shown = await page.evaluate<Shown>(SHOWN);
    await page.screenshot({ path: screenshotPath("live-page"), fullPage: true });

    expect(shown.panels.map((p) => p.name)).toEqual(PANELS);
    for (const panel of shown.panels) {
      expect(panel.heading, `panel ${panel.name}`).not.toBe("");
      expect(panel.errors, `panel ${panel.name} drew an error`).toBe(0);
      for (const plot of panel.plots) expect(plot.points, `plot ${plot.name}`).toBeGreaterThan(0);
    }
    for (const plot of shown.inked) expect(plot.inked, `canvas of ${plot.plot}`).toBeGreaterThan(MIN_INKED_PIXELS);
    const panel = (name: string): Shown["panels"][number] => shown.panels.find((p) => p.name === name)!;
    // timeline: one row per scan of the document; median and per-scan value for each
    expect(panel("timeline").count).toBe(cell.timeline.length);
    expect(panel("timeline").plots[0].points).toBe(2 * cell.timeline.length);
    expect(panel("laws").count).toBe(Object.keys(cell.law.weights).length);
    expect(shown.best).toBe(cell.law.best);
    expect(panel("impedance").count).toBe(cell.impedance.length);
    expect(panel("dose").count).toBe(Object.keys(cell.dose_Gy ?? {}).length);
    expect(panel("dose").count).toBeGreaterThan(0);
    expect(panel("scan").plots.map((p) => p.name)).toEqual(["scan", "residuals"]);
    expect(shown.flags).toBe(cell.quality.length);
    expect(shown.ingested).toBe(String(ingest.ingested));
    expect(shown.seen).toBe(String(ingest.seen));
    expect(shown.verdicts.length).toBe(doc.cells.length);
    expect(shown.trust).toMatch(/^(trustworthy|qualified|not trustworthy)$/);
    for (const label of AXIS_LABELS) expect(shown.axisLabels.some((l) => label.test(l)), `axis label ${label}; labels: ${shown.axisLabels.join(" | ")}`).toBe(true);
    expect(shown.tables).toBe(shown.panels.reduce((n, p) => n + (p.plots.length > 0 ? 1 : 0), 0));
    expect(watched.consoleErrors).toEqual([]);
    expect(watched.external.filter((url) => !url.startsWith(service.url))).toEqual([]);
  });

  it(`shows a newly uploaded scan, pushed over the event stream, redrawing within ${PAGE_SHARE_BOUND_MS} ms of the service's event`, async () => {
    const before = (await liveState(page))!;
    const next = manifest.scans[INITIAL_SCANS];
    const started = Date.now();
    await upload(next.file);
    const acknowledged = Date.now();
    await page.waitForFunction(moreScansThan(before.scans), undefined, { timeout: PAGE_UPDATE_WAIT_MS, polling: "raf" });
    const after = (await liveState(page))!;
    const elapsed = after.updatedAt - started;
    const points = await page.evaluate<number>(`Number(document.querySelector('figure[data-plot="timeline"]')?.dataset.points)`);
    const rows = await page.evaluate<boolean>(`[...document.querySelectorAll('section[data-panel="timeline"] details.data td:nth-child(2)')].some((td) => td.textContent === ${JSON.stringify(next.id)})`);
    process.stdout.write(
      `live page: scan ${next.id} uploaded (acknowledged in ${acknowledged - started} ms) → shown on the page ${elapsed} ms after the upload began; the page's own share (diagnosis event → redrawn) ${after.latencyMs} ms (waiting for the document ${after.fetchMs} ms, drawing ${after.drawMs} ms); version ${before.version} → ${after.version}; ${elapsed <= ACCEPTANCE_MS ? "within" : "NOT within"} the acceptance's ${ACCEPTANCE_MS} ms (load average ${os.loadavg()[0].toFixed(1)})\n`,
    );
    expect(after.scans).toBe(before.scans + 1);
    expect(rows).toBe(true);
    expect(points).toBe(2 * after.scans);
    expect(watched.consoleErrors).toEqual([]);
    expect(after.latencyMs).not.toBeNull();
    expect(after.latencyMs!).toBeLessThanOrEqual(PAGE_SHARE_BOUND_MS);
    expect(elapsed).toBeLessThanOrEqual(PAGE_UPDATE_BOUND_MS);
  });
});
