/**
 * The live diagnosis (issue 17 part 3) on the example campaign fed one scan at a time:
 * `loadCampaign(…, { presentOnly })` semantics; the final cheap update (no full re-run), refined
 * once as the service does when the campaign is quiet, agrees with the batch `strata diagnose`
 * of the finished campaign (issue 17's agreement acceptance: each law parameter's and every
 * scan's thickness median within MEDIAN_TOLERANCE_SD batch posterior sd, 95 % widths within
 * WIDTH_TOLERANCE, each law's weight within LAW_WEIGHT_TOLERANCE); a live
 * diagnosis resumed from a stored document makes the same next two documents as the
 * uninterrupted one (determinism from scratch: test/service-long/liveAgreement.test.ts).
 *
 * Both sides compare all five growth laws. In this potentiostatic hold the charge law is the
 * parabolic law in other words (the current follows the growth) and the mixed law nests the
 * parabolic one, so the batch cannot tell them apart (charge 42 %, parabolic 42 %, mixed 15 %):
 * each law's weight must agree within LAW_WEIGHT_TOLERANCE, and when the live posterior
 * follows a law tied with the batch's (its ΔAICc within INDISTINGUISHABLE_DELTA_IC), its
 * parameters and every scan's thickness are compared with the batch restricted to that law
 * (parameters of different laws are different quantities).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument } from "../../src/diagnosis/live.ts";
import { repoRoot } from "../paths.ts";
import { agreementWithBatch, batchDiagnose, LAW_WEIGHT_TOLERANCE, MEDIAN_TOLERANCE_SD, ProgressiveCampaign, WIDTH_TOLERANCE, withoutTime } from "./liveFeed.ts";

const EXAMPLE = path.join(repoRoot, "examples", "campaign");
/** The scan after which the stored document is resumed. */
const RESUME_AT = 12;

const cleanup: (() => void)[] = [];
afterAll(() => cleanup.forEach((f) => f()));

describe("loadCampaign presentOnly", () => {
  it("leaves files not there yet out, lists them in manifest order, and still refuses a missing file without it", async () => {
    const feed = new ProgressiveCampaign(EXAMPLE, { cycler: false });
    cleanup.push(() => feed.remove());
    feed.addScan();
    feed.addScan();
    await expect(loadCampaign(feed.dir)).rejects.toThrow(/scans\[2\]\.file: file not found: xrr\/A0003\.ort/);
    const campaign = await feed.load();
    expect(campaign.cells[0].scans.map((s) => s.id)).toEqual(["A0001", "A0002"]);
    expect(campaign.manifest.scans.map((s) => s.id)).toEqual(["A0001", "A0002"]);
    expect(campaign.cells[0].cycler).toBeUndefined();
    expect(campaign.cells[0].spectra.map((s) => s.id ?? s.file)).toEqual(["eis/A_0001.csv"]);
    const manifest = JSON.parse(fs.readFileSync(path.join(EXAMPLE, "campaign.json"), "utf8")) as { scans: { file: string }[]; electrochemistry: { file: string }[]; impedance: { file: string }[] };
    expect(campaign.pending).toEqual([...manifest.scans.slice(2).map((s) => s.file), ...manifest.electrochemistry.map((e) => e.file), ...manifest.impedance.slice(1).map((e) => e.file)]);
    // a complete folder: nothing pending
    const full = await loadCampaign(EXAMPLE, { presentOnly: true });
    expect(full.pending).toEqual([]);
    expect(full.cells[0].scans).toHaveLength(24);
    // without presentOnly there is no pending list at all
    expect((await loadCampaign(EXAMPLE)).pending).toBeUndefined();
  });
});

describe("LiveDiagnosis on the example campaign, one scan at a time", () => {
  it("agrees with batch diagnose at the end without a full run, and resumes from its documents", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-batch-"));
    cleanup.push(() => fs.rmSync(out, { recursive: true, force: true }));
    // the batch runs in a child process beside the feed
    const batch = batchDiagnose(EXAMPLE, out);
    const feed = new ProgressiveCampaign(EXAMPLE);
    cleanup.push(() => feed.remove());
    const live = new LiveDiagnosis({ seed: 1 });
    const docs: LiveDocument[] = [];
    let stored: string | undefined;
    const resumed: LiveDocument[] = [];
    while (feed.addScan()) {
      const campaign = await feed.load();
      const doc = await live.update(campaign);
      docs.push(doc);
      expect(doc.format).toBe("strata-live/1");
      expect(doc.scans).toBe(docs.length);
      expect(doc.pending.filter((f) => f.startsWith("xrr/"))).toHaveLength(feed.scans - docs.length);
      if (docs.length === RESUME_AT) stored = JSON.stringify(doc);
      if (docs.length === RESUME_AT + 1 || docs.length === RESUME_AT + 2) {
        // an object resumed from the stored document (as after a restart) makes the uninterrupted object's next documents
        const resumedLive = LiveDiagnosis.fromDocument(JSON.parse(stored!) as LiveDocument);
        if (docs.length === RESUME_AT + 2) await resumedLive.update(await loadUpTo(feed.dir, RESUME_AT + 1));
        const next = await resumedLive.update(campaign);
        expect(withoutTime(next)).toEqual(withoutTime(doc));
        resumed.push(next);
      }
    }
    expect(resumed).toHaveLength(2);
    const last = docs[docs.length - 1];
    // the cheap update, not a full run: SIR with rejuvenation from the first posterior (scan 3)
    expect(docs.slice(0, 2).every((d) => d.cells[0].posterior === null)).toBe(true);
    expect(docs.slice(3).every((d) => d.method === "sir" || d.method === "chain")).toBe(true);
    expect(last.pending).toEqual([]);
    const cell = last.cells[0];
    expect(cell.timeline).toHaveLength(24);
    expect(cell.posterior!.draws.values.length).toBeLessThanOrEqual(1000);
    expect(cell.current!.time_s.length).toBeLessThanOrEqual(500);
    expect(cell.impedance.length).toBe(6);
    expect(Object.keys(cell.dose_Gy!)).toEqual(["P1"]);
    expect(cell.trust.level).not.toBe("not trustworthy");
    // the campaign quiet: the service asks for a refinement (more moves, nothing new)
    const refined = await live.update(await feed.load(), { refine: true });
    expect(refined.method).toBe("sir");
    expect(refined.cells[0].live.newScans).toEqual([]);
    expect(refined.cells[0].live.moved).toBeGreaterThan(0);
    // without `refine` an update with nothing new moves nothing
    const idle = await LiveDiagnosis.fromDocument(refined).update(await feed.load());
    expect(idle.cells[0].live.moved).toBe(0);
    const result = await agreementWithBatch(refined, EXAMPLE, await batch, out);
    expect(result.liveLaw === result.law || result.tied, `live ${result.liveLaw}, batch ${result.law}`).toBe(true);
    expect(result.weights.map((w) => w.law).sort()).toEqual(["charge", "linear", "logarithmic", "mixed", "parabolic"]);
    for (const w of result.weights) expect(Math.abs(w.live - w.batch), `${w.law} weight: live ${w.live} batch ${w.batch}`).toBeLessThanOrEqual(LAW_WEIGHT_TOLERANCE);
    for (const row of result.rows) {
      expect(row.medianSd, `${row.name}: live ${JSON.stringify(row.live)} batch ${JSON.stringify(row.batch)}`).toBeLessThanOrEqual(MEDIAN_TOLERANCE_SD);
      expect(Math.abs(row.widthError), `${row.name}: live ${JSON.stringify(row.live)} batch ${JSON.stringify(row.batch)}`).toBeLessThanOrEqual(WIDTH_TOLERANCE);
    }
  }, 300_000);
});

/** The feed folder as it was after `count` scans (a copy without the later scans). */
async function loadUpTo(dir: string, count: number): ReturnType<typeof loadCampaign> {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-upto-"));
  cleanup.push(() => fs.rmSync(copy, { recursive: true, force: true }));
  fs.cpSync(dir, copy, { recursive: true });
  const manifest = JSON.parse(fs.readFileSync(path.join(copy, "campaign.json"), "utf8")) as { scans: { file: string }[] };
  for (const scan of manifest.scans.slice(count)) fs.rmSync(path.join(copy, scan.file), { force: true });
  return loadCampaign(copy, { presentOnly: true });
}
