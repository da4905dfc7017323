/**
 * The twin's per-scan generator (simulation/scanGenerator) against `simulateCampaign`: a scan
 * generated with the scenario's setting at one of its times, on its spot, is a draw of the
 * same reflectivity (the two files differ by counting noise only), with the dose the written
 * campaign's truth gives; accumulated dose raises the damage; the cycler record up to t is a
 * prefix of the record up to a later time; a potential step answers in the current and voltage.
 * Units: Q Å⁻¹, thickness Å, dose Gy, time s, current A.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { ScanGenerator } from "../../src/simulation/scanGenerator.ts";
import { parseOrt } from "../../src/io/ort.ts";

/** χ²/n of the difference of two noisy draws of one curve: 1 ± a few √(2/n) when they are draws of the same curve. */
const CHI2_PER_POINT_RANGE = [0.6, 1.5] as const;
/** Relative agreement of the generator's dose with the written campaign's (same ledger, same grid). */
const DOSE_RELATIVE_TOLERANCE = 1e-12;

const scenario = {
  seed: 11,
  probe: "xray",
  law: { name: "parabolic", parameters: { L0: 18, kp: 0.05 } },
  faradaicFraction: 0.85,
  scans: { count: 4, interval_s: 1200, exposure_s: 300, qMin: 0.012, qMax: 0.3, points: 80, dqOverQ_fwhm: 0.05, incident: 3e5, background: 0 },
  damage: { model: "linear", rate_A_per_Gy: 0.5 },
  nuisance: { roughness_A: [4, 7], thicknessRelative: 0.02 },
};

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-twin-gen-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function rows(text: string): { q: number[]; r: number[]; dr: number[] } {
  const [q, r, dr] = parseOrt(text, "scan.ort").datasets[0].data;
  return { q: Array.from(q), r: Array.from(r), dr: Array.from(dr) };
}

describe("per-scan generator", () => {
  const truth = simulateCampaign(scenario, dir) as { cells: { A: { scans: { scan: string; time_s: number; dose_Gy: number; observedThickness_A: number }[] } } };

  it("a scan at the scenario's times and spot is a draw of what simulateCampaign writes, with its dose", () => {
    const generator = new ScanGenerator(scenario);
    const s = scenario.scans;
    for (let k = 0; k < s.count; k++) {
      const start = 600 + k * s.interval_s;
      const generated = generator.scan({ id: `T${k}`, spot: "P1", start_s: start, qMin: s.qMin, qMax: s.qMax, points: s.points, countTime_s: s.exposure_s });
      const written = truth.cells.A.scans[k];
      expect(generated.time_s).toBe(written.time_s);
      expect(Math.abs(generated.spotDoseMid_Gy - written.dose_Gy)).toBeLessThan(DOSE_RELATIVE_TOLERANCE * written.dose_Gy);
      expect(generated.observedThickness_A).toBeCloseTo(written.observedThickness_A, 10);
      const a = rows(generated.text);
      const b = rows(fs.readFileSync(path.join(dir, "xrr", `A${String(k + 1).padStart(4, "0")}.ort`), "utf8"));
      const byQ = new Map(b.q.map((q, i) => [q, i]));
      let chi2 = 0;
      let n = 0;
      a.q.forEach((q, i) => {
        const j = byQ.get(q);
        if (j === undefined) return;
        chi2 += (a.r[i] - b.r[j]) ** 2 / (a.dr[i] ** 2 + b.dr[j] ** 2);
        n++;
      });
      expect(n).toBeGreaterThan(0.9 * s.points);
      expect(chi2 / n).toBeGreaterThan(CHI2_PER_POINT_RANGE[0]);
      expect(chi2 / n).toBeLessThan(CHI2_PER_POINT_RANGE[1]);
    }
  });

  it("accumulated dose raises the damage: the exposed spot sees a thicker film than a fresh one at the same time", () => {
    const generator = new ScanGenerator(scenario, { spots: [{ id: "P1", role: "measured" }, { id: "F1", role: "fresh" }] });
    const setting = { qMin: 0.012, qMax: 0.3, points: 80, countTime_s: 300 };
    let last = -Infinity;
    for (let k = 0; k < 5; k++) {
      const g = generator.scan({ id: `P${k}`, spot: "P1", start_s: 600 + 400 * k, ...setting });
      const excess = g.observedThickness_A - g.thickness_A;
      expect(excess).toBeGreaterThan(last);
      last = excess;
    }
    expect(generator.spotDose("P1")).toBeCloseTo(5 * generator.scanDose(setting), 9);
    const fresh = generator.scan({ id: "F", spot: "F1", start_s: 2600, ...setting });
    expect(fresh.spotDoseMid_Gy).toBeCloseTo(0.5 * generator.scanDose(setting), 12);
    expect(fresh.observedThickness_A - fresh.thickness_A).toBeLessThan(last / 5);
    // a shorter count on a narrower range costs less dose, and the counts follow the counting time
    const short = { qMin: 0.012, qMax: 0.2, points: 60, countTime_s: 60 };
    expect(generator.scanDose(short)).toBeLessThan(generator.scanDose(setting) / 4);
    const q = rows(generator.scan({ id: "S", spot: "F1", start_s: 3000, ...short }).text);
    const qLong = rows(generator.scan({ id: "L", spot: "F1", start_s: 3400, ...{ ...short, countTime_s: 600 } }).text);
    // relative error at the first point ∝ 1/√counts: 10× the counting time, ≈ √10 smaller
    expect(q.dr[0] / q.r[0] / (qLong.dr[0] / qLong.r[0])).toBeGreaterThan(2.5);
  });

  it("the cycler record up to t is a prefix of a later one; a potential step shows in the voltage and the current", () => {
    const step = { at_s: 3000, deltaV_V: -0.1, factor: 1 };
    const generator = new ScanGenerator(scenario, { step });
    const early = generator.cyclerCsv(2500);
    const late = generator.cyclerCsv(6000);
    expect(late.startsWith(early)).toBe(true);
    const lines = late.trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const at = (t: number): number[] => lines.find((l) => l[0] === t)!;
    expect(at(3010)[1]).toBeLessThan(at(2990)[1] - 0.05);
    // reduction current is negative (anodic positive): the restarted growth's spike makes it larger in magnitude
    expect(Math.abs(at(3010)[2])).toBeGreaterThan(3 * Math.abs(at(2990)[2]));
    expect(generator.thicknessAt(4000)).toBeGreaterThan(new ScanGenerator(scenario).thicknessAt(4000));
  });
});
