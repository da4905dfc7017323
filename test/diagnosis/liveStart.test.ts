/**
 * The live diagnosis's `start` option (issue 19 part 3, `strata serve --start`): on a
 * simulated X-ray through-electrolyte campaign in the learned estimator's domain
 * (test/diagnosis/families.ts), a live engine started with `auto` fits the first scans into
 * the truth's basin as the default (global) engine does, keeps the option in its document, and
 * an engine resumed from that document keeps it too.
 * Kind: statistics on Strata's own simulator fitted by Strata's own model (the plumbing and the
 * first fits, not physics).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { LiveDiagnosis } from "../../src/diagnosis/live.ts";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { xrayElectrolyteScenario } from "./families.ts";

/** Each scan's per-scan SEI thickness within this of the simulated truth (Å; a wrong basin is tens of Å off). */
const THICKNESS_A = 3;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-start-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("live diagnosis --start", () => {
  it("auto: the first scans land in the truth's basin, and the option is kept in the document and on resuming", async () => {
    const { damage: _damage, ...scenario } = xrayElectrolyteScenario(4, "parabolic");
    // two scans (the simulator's minimum): per-scan fits only, before the first posterior
    const truth = simulateCampaign({ ...scenario, scans: { ...(scenario["scans"] as object), count: 2 } }, tmp) as unknown as { cells: { A: { scans: { thickness_A: number }[] } } };
    const campaign = await loadCampaign(tmp, { presentOnly: true });
    const live = new LiveDiagnosis({ start: "auto" });
    const document = await live.update(campaign);
    expect(document.options.start).toBe("auto");
    const timeline = document.cells[0].timeline;
    expect(timeline).toHaveLength(2);
    timeline.forEach((entry, k) => {
      expect(entry.independent_A, entry.scan).not.toBeNull();
      expect(Math.abs(entry.independent_A!.value - truth.cells.A.scans[k].thickness_A), entry.scan).toBeLessThanOrEqual(THICKNESS_A);
    });
    const resumed = LiveDiagnosis.fromDocument(JSON.parse(JSON.stringify(document)) as typeof document);
    expect((await resumed.update(campaign)).options.start).toBe("auto");
  }, 120_000);
});
