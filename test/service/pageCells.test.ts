/**
 * The live page with a campaign of two cells, which the example campaign (one cell) does not
 * exercise: served by the FIXTURE server (test/service/fixtures/fixtureServer.ts — a hand-made
 * strata-live/1 document on the routes the page reads; the real service is what page.test.ts
 * uses). Both cells get a verdict with their trust level and a band with per-scan points in the
 * one timeline; the cell selector switches the detail panels (latest scan, parameters) to the
 * other cell; quality flags are listed newest first with warnings before info when seen at the
 * same time; the rejected file is listed with its reason; a pushed update adds a point. The
 * built page is one file under 120 kB that fetches nothing but the API.
 *
 * Units: ms, Å.
 */
import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { launchBrowser, watchPage } from "../report/browser.ts";
import { startFixtureServer } from "./fixtures/fixtureServer.ts";
import { ensurePageBuilt, PAGE_HTML } from "./pageService.ts";

/** Scans per cell in the fixture document. */
const FIXTURE_SCANS_PER_CELL = 12;
const UPDATE_WAIT_MS = 5_000;
/** The built page (one file, uPlot ≈ 50 kB of it) stays small. */
const MAX_PAGE_BYTES = 120_000;

const text = (page: Page, selector: string): Promise<string> => page.evaluate<string>(`document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`);
const number = (page: Page, expression: string): Promise<number> => page.evaluate<number>(`Number(${expression})`);

describe("the live page with two cells (fixture document)", () => {
  let server: Awaited<ReturnType<typeof startFixtureServer>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let watched: ReturnType<typeof watchPage>;

  beforeAll(async () => {
    ensurePageBuilt();
    server = await startFixtureServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize({ width: 1360, height: 900 });
    watched = watchPage(page);
    await page.goto(`${server.url}campaigns/fixture`);
    await page.waitForFunction("(window.__strataLive?.scans ?? 0) > 0", undefined, { timeout: 10_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("is one small self-contained file: no script, style sheet, font or image fetched", () => {
    const html = fs.readFileSync(PAGE_HTML, "utf8");
    expect(html.length).toBeLessThanOrEqual(MAX_PAGE_BYTES);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+rel="stylesheet"|@font-face|@import|url\(http/);
    // every request the page made went to its own origin (the API), none for an asset
    expect(watched.external.filter((url) => !url.startsWith(server.url) || !/\/(api\/|campaigns\/fixture$)/.test(url))).toEqual([]);
  });

  it("draws both cells in the timeline and switches the detail panels with the selector", async () => {
    expect(await number(page, `document.querySelectorAll(".verdict").length`)).toBe(2);
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll(".trust")].map((t) => t.textContent)`)).toEqual(["trustworthy", "qualified"]);
    // median and per-scan value for every scan of both cells
    expect(await number(page, `document.querySelector('figure[data-plot="timeline"]').dataset.points`)).toBe(2 * 2 * FIXTURE_SCANS_PER_CELL);
    expect(await text(page, 'figure[data-plot="scan"] figcaption')).toContain("Scan A0012");
    await page.selectOption("#cell-select", "B");
    await page.waitForFunction(`document.querySelector('figure[data-plot="scan"] figcaption')?.textContent.includes("Scan B0012")`, undefined, { timeout: UPDATE_WAIT_MS });
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll('section[data-panel="parameters"] tbody td:nth-child(2)')].map((td) => td.textContent)`)).toEqual(["18", "0.03"]);
    expect(await page.evaluate<string[]>(`[...document.querySelectorAll("ul.flags li")].map((li) => li.dataset.severity)`)).toEqual(["warning", "info"]);
    expect(await text(page, 'section[data-panel="ingest"] table')).toContain("expected 4 numeric columns, found 3");
  });

  it("adds the pushed point without a reload", async () => {
    const before = await number(page, "window.__strataLive.scans");
    const response = await fetch(`${server.url}next`, { method: "POST" });
    expect(response.status).toBe(200);
    await page.waitForFunction(`window.__strataLive.scans > ${before}`, undefined, { timeout: UPDATE_WAIT_MS });
    expect(await number(page, `document.querySelector('figure[data-plot="timeline"]').dataset.points`)).toBe(2 * (2 * FIXTURE_SCANS_PER_CELL + 1));
    expect(await number(page, "window.__strataLive.version")).toBe(2);
    expect(watched.consoleErrors).toEqual([]);
  });
});
