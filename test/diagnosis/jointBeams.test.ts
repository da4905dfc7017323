/**
 * Issue 15 part 7, default suite: a joint X-ray + neutron diagnosis of one cell recovers
 * the interphase's thickness at every scan and its density with 95 % intervals covering
 * the truth, and its intervals are narrower than those of the same cell measured by
 * X-rays only or by neutrons only (same seed, scan times and exposures). The design (a
 * Cu film on a Si block, neutrons and 30 keV X-rays both through the Si) is in
 * jointBeams.ts; the calibration at ≥ 20 seeds is jointBeams.calibration.test.ts.
 *
 * Kind: statistics on Strata's own simulator fitted by Strata's model, the nuisance drawn
 * off nominal (families.ts). Reduced MCMC (16 walkers, 300 steps) and 2 seeds, as the
 * other default statistics tests.
 */
import { describe, expect, it } from "vitest";
import { coverageThreshold } from "../calibrationScale.ts";
import { JOINT_VARIANTS, runJoint, type JointOutcome } from "./jointBeams.ts";

/** Seeds of the default suite (the calibration file runs ≥ 20). */
const SEEDS = [1, 2];
/** Coverage probability of a 95 % interval. */
const NOMINAL = 0.95;

describe("joint X-ray + neutron diagnosis of one cell (issue 15 part 7)", () => {
  it(
    `covers the interphase thickness and density and is tighter than either beam alone (${SEEDS.length} seeds)`,
    async () => {
      const outcomes: JointOutcome[] = [];
      for (const seed of SEEDS) for (const variant of JOINT_VARIANTS) outcomes.push(await runJoint(seed, variant));
      console.log(outcomes.map((o) => o.summary).join("\n"));
      const joint = outcomes.filter((o) => o.variant === "joint");
      // the diagnosis says which beam measured each scan: alternately the campaign's and "nr"
      for (const o of joint) expect(o.beams.slice(0, 4)).toEqual([undefined, "nr", undefined, "nr"]);
      // coverage: every scan's thickness, and the density, k of n over the seeds
      const need = coverageThreshold(SEEDS.length, NOMINAL);
      const scans = joint[0].thicknessCovered.length;
      for (let k = 0; k < scans; k++) {
        const covered = joint.filter((o) => o.thicknessCovered[k]).length;
        expect(covered, `thickness at scan ${k + 1} covered in ${covered}/${joint.length} seeds`).toBeGreaterThanOrEqual(need);
      }
      const densityCovered = joint.filter((o) => o.densityCovered).length;
      expect(densityCovered, `density covered in ${densityCovered}/${joint.length} seeds`).toBeGreaterThanOrEqual(need);
      // tighter than either beam alone, seed by seed
      for (const o of joint) {
        for (const single of outcomes.filter((x) => x.seed === o.seed && x.variant !== "joint")) {
          expect(o.thicknessWidth, `seed ${o.seed}: joint thickness width vs ${single.variant} only`).toBeLessThan(single.thicknessWidth);
          expect(o.densityWidth, `seed ${o.seed}: joint density width vs ${single.variant} only`).toBeLessThan(single.densityWidth);
        }
      }
    },
    600_000,
  );
});
