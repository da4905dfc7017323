/**
 * Issue 15 part 7 acceptance, calibration project only: "The joint X-ray + neutron
 * diagnosis recovers a simulated cell's interphase thickness and density with calibrated
 * intervals (≥ 20 seeds) and is tighter than either beam alone."
 *
 * {@link SEEDS} seeds (STRATA_JOINT_SEEDS overrides it, for timing runs); per seed the
 * same cell three times (jointBeams.ts: joint, X-ray only, neutron only; same truth, scan
 * times and exposures). Asserted, with k-of-n thresholds at α = 1 % (calibrationScale.ts):
 * - the joint diagnosis's 95 % interval of the interphase thickness covers the truth, at
 *   every scan, in at least coverageThreshold(n, 0.95) of the n seeds, and so does its
 *   interval of the interphase density;
 * - the joint intervals (mean thickness width over the scans; density width) are
 *   narrower than the X-ray-only and the neutron-only ones in at least
 *   coverageThreshold(n, {@link TIGHTER_RATE}) of the seeds, and narrower in the median.
 * The single-beam diagnoses' coverage is printed, not asserted (they are the existing
 * one-beam diagnosis, calibrated by robust.test.ts and calibration.test.ts).
 *
 * Kind: statistics on Strata's own simulator fitted by Strata's model, the nuisance drawn
 * off nominal (families.ts). The default suite's MCMC (16 walkers, 300 steps, mixing
 * checks extend it), as this file must stay within CI's calibration budget.
 */
import { describe, expect, it } from "vitest";
import { coverageThreshold } from "../calibrationScale.ts";
import { JOINT_VARIANTS, runJoint, type JointOutcome } from "./jointBeams.ts";

/** Seeds of the calibration (the issue asks for ≥ 20). */
const SEEDS = Number(process.env["STRATA_JOINT_SEEDS"] ?? 20);
/** Coverage probability of a 95 % interval. */
const NOMINAL = 0.95;
/** The rate at which the joint interval must be the narrower one, per seed (a k-of-n threshold at α = 1 % is taken from it). */
const TIGHTER_RATE = 0.9;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};

describe("joint X-ray + neutron diagnosis, calibration (issue 15 part 7)", () => {
  it(
    `${SEEDS} seeds: calibrated thickness and density intervals, tighter than either beam alone`,
    async () => {
      const started = performance.now();
      const outcomes: JointOutcome[] = [];
      for (let seed = 1; seed <= SEEDS; seed++) {
        for (const variant of JOINT_VARIANTS) {
          const o = await runJoint(100 + seed, variant);
          console.log(o.summary);
          outcomes.push(o);
        }
      }
      const of = (variant: string): JointOutcome[] => outcomes.filter((o) => o.variant === variant);
      const joint = of("joint");
      const need = coverageThreshold(joint.length, NOMINAL);
      const lines: string[] = [];
      for (const variant of JOINT_VARIANTS) {
        const group = of(variant);
        const scans = group.map((o) => o.thicknessCovered.filter(Boolean).length).reduce((a, b) => a + b, 0);
        lines.push(
          `${variant}: thickness covered ${scans}/${group.length * group[0].thicknessCovered.length} scan-seeds, density ${group.filter((o) => o.densityCovered).length}/${group.length}; ` +
            `median widths thickness ${median(group.map((o) => o.thicknessWidth)).toFixed(3)} Å, density ${median(group.map((o) => o.densityWidth)).toFixed(4)} g/cm³`,
        );
      }
      lines.push(`wall time ${((performance.now() - started) / 1000).toFixed(0)} s for ${SEEDS} seeds × 3 diagnoses; coverage threshold ${need}/${joint.length}`);
      console.log(lines.join("\n"));
      for (let k = 0; k < joint[0].thicknessCovered.length; k++) {
        const covered = joint.filter((o) => o.thicknessCovered[k]).length;
        expect(covered, `thickness at scan ${k + 1} covered in ${covered}/${joint.length} seeds`).toBeGreaterThanOrEqual(need);
      }
      const densityCovered = joint.filter((o) => o.densityCovered).length;
      expect(densityCovered, `density covered in ${densityCovered}/${joint.length} seeds`).toBeGreaterThanOrEqual(need);
      const tighterNeed = coverageThreshold(joint.length, TIGHTER_RATE);
      for (const single of ["xray", "neutron"]) {
        const others = of(single);
        const pairs = joint.map((o) => [o, others.find((x) => x.seed === o.seed)!] as const);
        const thicknessTighter = pairs.filter(([j, s]) => j.thicknessWidth < s.thicknessWidth).length;
        const densityTighter = pairs.filter(([j, s]) => j.densityWidth < s.densityWidth).length;
        expect(thicknessTighter, `joint thickness narrower than ${single} only in ${thicknessTighter}/${pairs.length} seeds`).toBeGreaterThanOrEqual(tighterNeed);
        expect(densityTighter, `joint density narrower than ${single} only in ${densityTighter}/${pairs.length} seeds`).toBeGreaterThanOrEqual(tighterNeed);
        expect(median(pairs.map(([j, s]) => j.thicknessWidth / s.thicknessWidth))).toBeLessThan(1);
        expect(median(pairs.map(([j, s]) => j.densityWidth / s.densityWidth))).toBeLessThan(1);
      }
    },
    3_600_000,
  );
});
