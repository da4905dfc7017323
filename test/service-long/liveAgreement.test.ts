/**
 * Issue 17's agreement acceptance on 5 simulated seeds: the live diagnosis fed one scan at a
 * time, at its final cheap update (no full re-run) refined once as the service does when the
 * campaign is quiet, against the batch `strata diagnose` of the finished campaign — each law's
 * weight within LAW_WEIGHT_TOLERANCE, each law parameter's and every scan's thickness median
 * within MEDIAN_TOLERANCE_SD batch posterior sd, 95 % widths within WIDTH_TOLERANCE.
 *
 * This is a statistics test on Strata's own simulator, not a test of physics: the campaigns
 * are `strata simulate` of the example scenario, with each cell's stack and instrument drawn
 * away from the nominal values the manifest states (the simulator's `nuisance` draws:
 * layer thicknesses and densities ±5 %, roughnesses 3–8 Å, scale ±5 %, a residual
 * background), so what is shown is that the sequential update reaches the batch posterior of
 * the same model on the same data, not that either is right about a real cell.
 *
 * Both sides compare all five growth laws; when the live posterior follows a law the batch
 * cannot tell apart from its own (charge and parabolic in a potentiostatic hold), its
 * parameters and thicknesses are compared with the batch restricted to that law (see
 * test/diagnosis/liveFeed.ts agreement).
 * The first seed is also fed twice from scratch (determinism: identical documents), and its
 * live diagnosis then runs `full` (method "full", needsFull cleared, the batch document
 * inside) and takes one more cheap update from the full run's state.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LiveDiagnosis, type LiveDocument } from "../../src/diagnosis/live.ts";
import { simulateCampaign, type Scenario } from "../../src/simulation/simulate.ts";
import { repoRoot } from "../paths.ts";
import { agreementWithBatch, batchDiagnose, LAW_WEIGHT_TOLERANCE, MEDIAN_TOLERANCE_SD, ProgressiveCampaign, WIDTH_TOLERANCE, withoutTime } from "../diagnosis/liveFeed.ts";

const SEEDS = [11, 12, 13, 14, 15];
/** The simulator's draws of the true stack and instrument away from the manifest's nominal values. */
const NUISANCE = { thicknessRelative: 0.05, roughness_A: [3, 8] as [number, number], densityRelative: 0.05, scaleRelative: 0.05, background: [0, 2e-7] as [number, number] };

const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-agreement-"));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function feedAll(source: string, seed: number): Promise<{ docs: LiveDocument[]; live: LiveDiagnosis; feed: ProgressiveCampaign }> {
  const feed = new ProgressiveCampaign(source);
  const live = new LiveDiagnosis({ seed });
  const docs: LiveDocument[] = [];
  while (feed.addScan()) docs.push(await live.update(await feed.load()));
  return { docs, live, feed };
}

describe("live diagnosis against batch diagnose on simulated campaigns", () => {
  for (const [index, seed] of SEEDS.entries()) {
    it(`seed ${seed}: the final cheap update agrees with the batch`, async () => {
      const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "scenario.json"), "utf8")) as Scenario;
      const source = path.join(work, `campaign-${seed}`);
      simulateCampaign({ ...scenario, seed, nuisance: NUISANCE }, source);
      const batch = batchDiagnose(source, path.join(work, `batch-${seed}`));
      const { docs, live, feed } = await feedAll(source, 1);
      const last = docs[docs.length - 1];
      expect(last.method).not.toBe("full");
      const refined = await live.update(await feed.load(), { refine: true });
      expect(refined.method).toBe("sir");
      const result = await agreementWithBatch(refined, source, await batch, path.join(work, `batch-${seed}`));
      expect(result.liveLaw === result.law || result.tied, `seed ${seed}: live ${result.liveLaw}, batch ${result.law}`).toBe(true);
      for (const w of result.weights) expect(Math.abs(w.live - w.batch), `seed ${seed}, ${w.law} weight: live ${w.live} batch ${w.batch}`).toBeLessThanOrEqual(LAW_WEIGHT_TOLERANCE);
      for (const row of result.rows) {
        const what = `seed ${seed}, ${row.name}: live ${JSON.stringify(row.live)} batch ${JSON.stringify(row.batch)}`;
        expect(row.medianSd, what).toBeLessThanOrEqual(MEDIAN_TOLERANCE_SD);
        expect(Math.abs(row.widthError), what).toBeLessThanOrEqual(WIDTH_TOLERANCE);
      }
      if (index === 0) {
        // determinism: the same sequence of campaigns and seed make the same documents
        const again = await feedAll(source, 1);
        expect(again.docs.map(withoutTime)).toEqual(docs.map(withoutTime));
        again.feed.remove();
        // a full run adopted as the state, then a cheap update from it
        const full = await live.full(await feed.load());
        expect(full.method).toBe("full");
        expect(full.full?.["format"]).toBe("strata-diagnosis/1");
        expect(live.needsFull).toBe(false);
        expect(full.cells[0].posterior!.draws.values.length).toBeLessThanOrEqual(1000);
        const after = await live.update(await feed.load());
        expect(after.method).toBe("sir");
        expect(after.cells[0].live.newScans).toEqual([]);
      }
      feed.remove();
    });
  }
});
