/**
 * The live page survives the service being killed: with the page open on a campaign, `strata
 * serve` is SIGKILLed (the status line turns to "reconnecting"), started again on the same port
 * and data folder (the page reconnects by itself — EventSource retry or the page's own
 * reopening from the last event id — and reloads the state), and a scan uploaded after the
 * restart appears on the page without a reload. Console errors other than the refused
 * connections of the outage fail the test.
 *
 * Units: ms.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { launchBrowser, screenshotPath, watchPage } from "../report/browser.ts";
import { EXAMPLE, exampleManifest, registerExample, startService, waitFor, type RunningService } from "../service/pageService.ts";

const CAMPAIGN = "reconnect";
const INITIAL_SCANS = 2;
/** How long the first diagnosis, and the one after the restart, may take. */
const DIAGNOSIS_MS = 60_000;
/** How long the page may take to notice the outage, and to reconnect after the restart. */
const NOTICE_MS = 10_000;
const RECONNECT_MS = 30_000;
/** What the browser logs while the service is down (not a page error). */
const OUTAGE_MESSAGE = /ERR_CONNECTION_REFUSED|ERR_EMPTY_RESPONSE|ERR_CONNECTION_RESET|Failed to load resource/;

describe("the live page across a SIGKILL and restart of strata serve", () => {
  let service: RunningService | undefined;
  let browser: Awaited<ReturnType<typeof launchBrowser>> | undefined;

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it("reconnects by itself and shows the scan uploaded after the restart", async () => {
    const manifest = exampleManifest();
    service = await startService(["--full-after", "3600"]);
    const running = service;
    const upload = async (rel: string): Promise<void> => {
      const response = await running.put(CAMPAIGN, rel, fs.readFileSync(path.join(EXAMPLE, rel)));
      if (response.status !== 201) throw new Error(`PUT ${rel}: ${response.status} ${await response.text()}`);
    };
    await registerExample(service, CAMPAIGN);
    await upload(manifest.electrochemistry[0].file);
    for (const scan of manifest.scans.slice(0, INITIAL_SCANS)) await upload(scan.file);
    await waitFor("the first diagnosis", DIAGNOSIS_MS, async () => ((await running.getJson<{ scans: number }>(`api/campaigns/${CAMPAIGN}/diagnosis`)).scans >= INITIAL_SCANS ? true : undefined));

    browser = await launchBrowser();
    const page = await browser.context.newPage();
    const watched = watchPage(page);
    await page.goto(`${service.url}campaigns/${CAMPAIGN}?access_token=${encodeURIComponent(service.secret)}`);
    await page.waitForFunction(`(window.__strataLive?.scans ?? 0) >= ${INITIAL_SCANS}`, undefined, { timeout: DIAGNOSIS_MS });
    await page.waitForSelector('[data-connection="connected"]', { timeout: NOTICE_MS });

    await service.crash();
    await page.waitForSelector('[data-connection="reconnecting"]', { timeout: NOTICE_MS });
    await service.restart();
    const restarted = Date.now();
    await page.waitForSelector('[data-connection="connected"]', { timeout: RECONNECT_MS });
    const reconnectMs = Date.now() - restarted;

    await upload(manifest.scans[INITIAL_SCANS].file);
    const uploaded = Date.now();
    await page.waitForFunction(`(window.__strataLive?.scans ?? 0) > ${INITIAL_SCANS}`, undefined, { timeout: DIAGNOSIS_MS });
    process.stdout.write(`live page: reconnected ${reconnectMs} ms after the restart; the scan uploaded after it shown in ${Date.now() - uploaded} ms\n`);
    await page.screenshot({ path: screenshotPath("live-page-reconnected"), fullPage: true });

    expect(await page.evaluate<number>("window.__strataLive.scans")).toBe(INITIAL_SCANS + 1);
    expect(watched.consoleErrors.filter((m) => !OUTAGE_MESSAGE.test(m))).toEqual([]);
  });
});
