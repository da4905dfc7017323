/**
 * The growth laws written out independently of src/models/growthLaws (README, "Campaigns
 * and diagnoses"), for tests: thickness L (Å) at t (s since t0) and reduction charge qred
 * (C/cm²), with `perCharge` the charge law's Å per C/cm².
 */
import type { LawName } from "../../src/models/growthLaws.ts";

export function closedFormThickness(law: LawName, p: Record<string, number>, t: number, qred: number, perCharge: number): number {
  switch (law) {
    case "linear":
      return p.L0 + p.k * t;
    case "parabolic":
      return Math.sqrt(p.L0 ** 2 + p.kp * t);
    case "mixed": {
      // L² + A·L − (L0² + A·L0 + B·t) = 0, positive root
      const c = p.L0 ** 2 + p.A * p.L0 + p.B * t;
      return (-p.A + Math.sqrt(p.A ** 2 + 4 * c)) / 2;
    }
    case "logarithmic":
      return p.L0 + p.a * Math.log1p(t / p.tau);
    case "charge":
      return p.L0 + p.f * perCharge * qred;
  }
}
