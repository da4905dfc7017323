/**
 * Issue 6 acceptance, multimodal: with reflectivity + cycler data the Faradaic fraction
 * is recovered within its 95 % interval; with impedance added σ and ε are recovered
 * within theirs; a campaign made inconsistent on purpose (half the reduction charge goes
 * to soluble products while the manifest declares f = 1) is flagged, and a consistent
 * one with the same declaration is not. Several seeds per case; the criterion is a
 * count (95 % intervals miss now and then by design).
 */
import { describe, expect, it } from "vitest";
import { scenarioFor, simulateAndDiagnose, type Truth } from "./helpers.ts";
import type { Diagnosis } from "../../src/diagnosis/diagnose.ts";
import { coverageThreshold, FULL_CALIBRATION } from "../calibrationScale.ts";

/** Five seeds under test:calibration, two in the default suite. */
const SEEDS = FULL_CALIBRATION ? [11, 12, 13, 14, 15] : [11, 12];
/**
 * At least this many of the seeded runs must cover the truth: 4 of 5 under
 * test:calibration (a 95 % interval misses 5 seeds twice with p ≈ 2 %); in the default
 * suite k of n at α = 1 % (1 of 2).
 */
const MIN_COVERED = FULL_CALIBRATION ? SEEDS.length - 1 : coverageThreshold(SEEDS.length, 0.95);
const MCMC = { walkers: 16, steps: 300, burn: 100 };

type Interval = { median: number; lo95: number; hi95: number };
interface Consistency {
  charge?: { faradaicFraction: Interval; declaredFaradaicFraction?: number; agree?: boolean; p?: number };
  impedance?: { conductivity: Interval; permittivity: Interval; agree: boolean };
}

function consistencyOf(diagnosis: Diagnosis): Consistency {
  const cells = diagnosis.json["cells"] as Record<string, { consistency: Consistency }>;
  return cells["A"].consistency;
}

function qualityOf(diagnosis: Diagnosis): { level: string; message: string }[] {
  return (diagnosis.json["cells"] as Record<string, { quality: { level: string; message: string }[] }>)["A"].quality;
}

const covers = (i: Interval, value: number): boolean => i.lo95 <= value && value <= i.hi95;

describe("multimodal diagnosis: charge balance and impedance views of one interphase", () => {
  it("recovers the Faradaic fraction from reflectivity + cycler data (kinetic laws only, f not in the law)", async () => {
    let covered = 0;
    const report: string[] = [];
    for (const seed of SEEDS) {
      const { truth, diagnosis } = await simulateAndDiagnose(scenarioFor("parabolic", seed, { faradaicFraction: 0.7 }), { laws: ["parabolic", "linear", "logarithmic"], mcmc: MCMC });
      const f = consistencyOf(diagnosis).charge!.faradaicFraction;
      if (covers(f, truth.faradaicFraction)) covered++;
      report.push(`seed ${seed}: f = ${f.median.toFixed(4)} [${f.lo95.toFixed(4)}, ${f.hi95.toFixed(4)}]`);
    }
    console.log(`Faradaic fraction (truth 0.7): ${report.join("; ")}`);
    expect(covered).toBeGreaterThanOrEqual(MIN_COVERED);
  }, 300_000);

  it("recovers σ and ε when impedance spectra are added", async () => {
    let coveredSigma = 0;
    let coveredEpsilon = 0;
    const report: string[] = [];
    for (const seed of SEEDS) {
      const { truth, diagnosis } = await simulateAndDiagnose(
        scenarioFor("parabolic", seed, { faradaicFraction: 0.85, impedance: { every: 3, conductivity_S_per_m: 3e-7, permittivity: 9 } }),
        { laws: ["parabolic", "linear"], mcmc: MCMC },
      );
      const t = truth as Truth & { conductivity_S_per_m: number; permittivity: number };
      const impedance = consistencyOf(diagnosis).impedance!;
      if (covers(impedance.conductivity, t.conductivity_S_per_m)) coveredSigma++;
      if (covers(impedance.permittivity, t.permittivity)) coveredEpsilon++;
      expect(impedance.agree).toBe(true);
      report.push(`seed ${seed}: σ = ${impedance.conductivity.median.toExponential(3)} [${impedance.conductivity.lo95.toExponential(3)}, ${impedance.conductivity.hi95.toExponential(3)}], ε = ${impedance.permittivity.median.toFixed(3)} [${impedance.permittivity.lo95.toFixed(3)}, ${impedance.permittivity.hi95.toFixed(3)}]`);
    }
    console.log(`impedance (truth σ = 3e-7 S/m, ε = 9): ${report.join("; ")}`);
    expect(coveredSigma).toBeGreaterThanOrEqual(MIN_COVERED);
    expect(coveredEpsilon).toBeGreaterThanOrEqual(MIN_COVERED);
  }, 300_000);

  it("flags charge going to soluble products when the manifest declares f = 1, and stays quiet when it is true", async () => {
    for (const seed of SEEDS.slice(0, 3)) {
      const inconsistent = await simulateAndDiagnose(scenarioFor("parabolic", seed, { faradaicFraction: 0.5, declaredFaradaicFraction: 1 }), { laws: ["parabolic", "linear"], mcmc: MCMC });
      const charge = consistencyOf(inconsistent.diagnosis).charge!;
      expect(charge.declaredFaradaicFraction).toBe(1);
      expect(charge.agree).toBe(false);
      expect(qualityOf(inconsistent.diagnosis).some((q) => q.level === "warning" && /reflectivity and charge disagree/.test(q.message))).toBe(true);

      const consistent = await simulateAndDiagnose(scenarioFor("parabolic", seed, { faradaicFraction: 1, declaredFaradaicFraction: 1 }), { laws: ["parabolic", "linear"], mcmc: MCMC });
      expect(consistencyOf(consistent.diagnosis).charge!.agree).toBe(true);
      expect(qualityOf(consistent.diagnosis).some((q) => /disagree/.test(q.message))).toBe(false);
    }
  }, 300_000);
});
