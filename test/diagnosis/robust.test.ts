/**
 * Issue 13 acceptance, a diagnosis that cannot be confidently wrong, on independent-looking
 * campaigns (test/diagnosis/families.ts: every cell's truth drawn off the nominal values
 * its manifest states — electrode ±3 %, roughness 2.5–6.5 Å, densities ±2 %, scale and
 * background off). Kind: statistics on Strata's own simulator (the physics is tested
 * elsewhere against the ORSO suite and refnx); what is tested here is that the global
 * stage, the wrong-basin retry, the mixing MCMC and the damage and geometry terms find
 * the truth from nominal starts and say so honestly when they do not.
 *
 * Criteria (the issue's sizes are 40, 20 and 20 seeds; here 6, 3 and 1 under
 * test:calibration and 1, 1 and 0 in the default suite, see {@link X_RAY_SEEDS}; coverage
 * is asserted with k-of-n thresholds at α = 1 %, the band's upper end from 90 intervals):
 * - X-ray through-electrolyte (40 seeds: parabolic, linear and logarithmic growth, half
 *   with beam damage of 8 Å at the last measured scan under a control-spot design) and
 *   neutron through-substrate (20 seeds): no diagnosis whose thickness trajectory is off
 *   by more than {@link TRAJECTORY_OFF_SD} of its own standard deviations (RMS over the
 *   scans) without being marked untrustworthy; the 95 % intervals of the growth
 *   parameters cover the truth in 90–99 % of cases; damage detected in ≥ 90 % of the
 *   seeds with damage and reported in ≤ 5 % of those without;
 * - X-ray uncorrected geometry (20 seeds): the law identified as often as on the corrected
 *   family, the growth parameters' and the angle offset's 95 % intervals covering the
 *   truth in 90–99 % of cases — in robustGeometry.test.ts, calibration project only.
 * A growth law counts as identified when the diagnosis chose it, or chose the charge law
 * (in a potentiostatic hold the current follows the growth, so the two tie), or the true
 * law is within ΔAICc 2 of the chosen one (the data cannot separate them).
 */
import { describe, expect, it } from "vitest";
import { FAMILY_LAWS, neutronScenario } from "./families.ts";
import { coverageThreshold, falseAlarmThreshold, FULL_CALIBRATION, seedCount } from "../calibrationScale.ts";
import { DETECTION_MIN, diagnoseAndScore, expectHonestAndCovered, FALSE_ALARM_MAX, xrayScenario, type Outcome } from "./robustScoring.ts";

/**
 * Seeds under test:calibration and in the default suite. Below the 40/20/20: one
 * X-ray diagnosis of this family takes ≈ 40 s here and an uncorrected-geometry one
 * ≈ 150–200 s (the offset moves every point's Q′, so each evaluation re-plans its
 * smearing: 2–4 ms against 0.4 ms), and CI runs every suite in 90 minutes on 2 cores.
 */
const X_RAY_SEEDS = seedCount(6, 1);
const NEUTRON_SEEDS = seedCount(3, 1);

describe("a diagnosis that cannot be confidently wrong (issue 13)", () => {
  it(
    `X-ray through-electrolyte, nuisance drawn off nominal (${X_RAY_SEEDS} seeds, half with beam damage): honest trajectories, calibrated growth parameters, damage detected`,
    async () => {
      const outcomes: Outcome[] = [];
      for (let seed = 1; seed <= X_RAY_SEEDS; seed++) {
        // the default suite's one seed has damage
        const damaged = X_RAY_SEEDS === 1 || seed % 2 === 0;
        outcomes.push(await diagnoseAndScore(`x-ray seed ${seed}${damaged ? " (damage)" : ""}`, xrayScenario(seed, damaged)));
      }
      console.log(outcomes.map((o) => o.summary).join("\n"));
      expectHonestAndCovered(outcomes, "X-ray");
      const withDamage = outcomes.filter((o) => o.label.includes("damage"));
      const without = outcomes.filter((o) => !o.label.includes("damage"));
      const detected = withDamage.filter((o) => o.detected).length;
      const falseAlarms = without.filter((o) => o.detected).length;
      expect(detected, `damage detected in ${detected}/${withDamage.length}`).toBeGreaterThanOrEqual(FULL_CALIBRATION ? Math.ceil(DETECTION_MIN * withDamage.length) : coverageThreshold(withDamage.length, 0.95));
      expect(falseAlarms, `damage reported in ${falseAlarms}/${without.length} seeds without`).toBeLessThanOrEqual(FULL_CALIBRATION ? Math.floor(FALSE_ALARM_MAX * without.length) : falseAlarmThreshold(without.length, 0.01));
    },
    7_200_000,
  );

  it(
    `neutron through-substrate, nuisance drawn off nominal (${NEUTRON_SEEDS} seeds): honest trajectories, calibrated growth parameters`,
    async () => {
      const outcomes: Outcome[] = [];
      for (let seed = 1; seed <= NEUTRON_SEEDS; seed++) outcomes.push(await diagnoseAndScore(`neutron seed ${seed}`, neutronScenario(seed, FAMILY_LAWS[seed % FAMILY_LAWS.length])));
      console.log(outcomes.map((o) => o.summary).join("\n"));
      expectHonestAndCovered(outcomes, "neutron");
    },
    3_600_000,
  );
});
