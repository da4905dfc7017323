/**
 * @module models/growthLaws
 * Growth laws of an interphase thickness L(t) (Å) over time t (s since the campaign's
 * t0), with the parameter names outside checks rely on:
 * - `linear`:      L = L0 + k·t                                  (k Å/s)
 * - `parabolic`:   L = √(L0² + kp·t)                             (kp Å²/s)
 * - `mixed`:       L² − L0² + A·(L − L0) = B·t  (Deal–Grove)      (A Å, B Å²/s)
 *                  ⇒ L = (−A + √(A² + 4(L0² + A·L0 + B·t)))/2
 * - `logarithmic`: L = L0 + a·ln(1 + t/tau)                       (a Å, tau s)
 * - `charge`:      L = L0 + v·Qred(t)/area                        (v = f·M/(z·F·ρ), here through f)
 * A law may be restricted to chosen electrochemical steps (growth only while
 * reducing): t is then the time spent in those steps, and Qred the charge passed in them.
 * Each law renders the thickness at a given (t, Qred) as an expression over its named
 * parameters for the parameter layer, so one scan's thickness is a constrained parameter.
 */
import { ValidationError } from "../core/errors.ts";

export type LawName = "linear" | "parabolic" | "mixed" | "logarithmic" | "charge";
export const LAW_NAMES: readonly LawName[] = ["linear", "parabolic", "mixed", "logarithmic", "charge"];

export interface LawParameter {
  name: string;
  unit: string;
  min: number;
  max: number;
  /** a starting value from the data's scales */
  initial: number;
}

/** Scales of a series, used to give each law sensible bounds and starting values. */
export interface SeriesScales {
  /** last scan time (s) */
  duration: number;
  /** a rough first thickness (Å) */
  firstThickness: number;
  /** a rough growth over the series (Å) */
  growth: number;
  /** Å per (C/cm²) at Faradaic fraction 1: M/(z·F·ρ)·1e8 */
  thicknessPerCharge: number;
}

export interface GrowthLaw {
  readonly name: LawName;
  /** parameters in order; L0 first */
  parameters(scales: SeriesScales): LawParameter[];
  /** L at (t, qredPerArea) as an expression over the parameter names (numbers inlined; a non-finite t or qredPerArea the law uses throws a ValidationError) */
  expression(t: number, qredPerArea: number, names: Record<string, string>): string;
  /** L at (t, qredPerArea) for parameter values in `parameters` order */
  evaluate(values: ArrayLike<number>, t: number, qredPerArea: number, thicknessPerCharge: number): number;
}

/**
 * A time or charge inlined into an expression. A non-finite one is an error, never a
 * silent 0 (that would fit the scan as if taken at t0); callers name the scan first.
 */
const num = (x: number, field: "t" | "qredPerArea"): string => {
  if (!Number.isFinite(x)) throw new ValidationError(field, "must be a finite number to inline into a growth-law expression", x);
  return x.toPrecision(17);
};

/** Width of the starting box: generous bounds around the data's own scales. */
const BOUND_FACTOR = 50;

export const GROWTH_LAWS: Record<LawName, GrowthLaw> = {
  linear: {
    name: "linear",
    parameters: (s) => [
      { name: "L0", unit: "Å", min: 0, max: Math.max(10 * s.firstThickness, 200), initial: s.firstThickness },
      { name: "k", unit: "Å/s", min: -BOUND_FACTOR * rate(s), max: BOUND_FACTOR * rate(s), initial: rate(s) },
    ],
    expression: (t, _q, n) => `${n.L0} + ${n.k}*${num(t, "t")}`,
    evaluate: (v, t) => v[0] + v[1] * t,
  },
  parabolic: {
    name: "parabolic",
    parameters: (s) => [
      { name: "L0", unit: "Å", min: 0, max: Math.max(10 * s.firstThickness, 200), initial: s.firstThickness },
      {
        name: "kp",
        unit: "Å²/s",
        min: 0,
        max: (BOUND_FACTOR * ((s.firstThickness + s.growth) ** 2 - s.firstThickness ** 2 + 1)) / s.duration,
        initial: Math.max(((s.firstThickness + s.growth) ** 2 - s.firstThickness ** 2) / s.duration, 1e-9),
      },
    ],
    expression: (t, _q, n) => `sqrt(${n.L0}^2 + ${n.kp}*${num(t, "t")})`,
    evaluate: (v, t) => Math.sqrt(v[0] * v[0] + v[1] * t),
  },
  mixed: {
    name: "mixed",
    parameters: (s) => [
      { name: "L0", unit: "Å", min: 0, max: Math.max(10 * s.firstThickness, 200), initial: s.firstThickness },
      { name: "A", unit: "Å", min: 0, max: BOUND_FACTOR * Math.max(s.firstThickness + s.growth, 10), initial: Math.max(s.growth, 1) },
      {
        name: "B",
        unit: "Å²/s",
        min: 0,
        max: (BOUND_FACTOR * ((s.firstThickness + s.growth) ** 2 + 1e3)) / s.duration,
        initial: Math.max((2 * s.growth * (s.firstThickness + s.growth)) / s.duration, 1e-9),
      },
    ],
    expression: (t, _q, n) => `(-${n.A} + sqrt(${n.A}^2 + 4*(${n.L0}^2 + ${n.A}*${n.L0} + ${n.B}*${num(t, "t")})))/2`,
    evaluate: (v, t) => (-v[1] + Math.sqrt(v[1] * v[1] + 4 * (v[0] * v[0] + v[1] * v[0] + v[2] * t))) / 2,
  },
  logarithmic: {
    name: "logarithmic",
    parameters: (s) => [
      { name: "L0", unit: "Å", min: 0, max: Math.max(10 * s.firstThickness, 200), initial: s.firstThickness },
      { name: "a", unit: "Å", min: 0, max: BOUND_FACTOR * Math.max(s.growth, 1), initial: Math.max(s.growth / 2, 0.1) },
      { name: "tau", unit: "s", min: s.duration * 1e-4, max: s.duration * 100, initial: s.duration / 10 },
    ],
    expression: (t, _q, n) => `${n.L0} + ${n.a}*log(1 + ${num(t, "t")}/${n.tau})`,
    evaluate: (v, t) => v[0] + v[1] * Math.log(1 + t / v[2]),
  },
  charge: {
    name: "charge",
    parameters: (s) => [
      { name: "L0", unit: "Å", min: 0, max: Math.max(10 * s.firstThickness, 200), initial: s.firstThickness },
      { name: "f", unit: "1", min: 0, max: 1.5, initial: 0.8 },
    ],
    // thicknessPerCharge is inlined by the caller through `names.perCharge`
    expression: (_t, q, n) => `${n.L0} + ${n.f}*${n.perCharge}*${num(q, "qredPerArea")}`,
    evaluate: (v, _t, q, perCharge) => v[0] + v[1] * perCharge * q,
  },
};

function rate(s: SeriesScales): number {
  return Math.max(Math.abs(s.growth), 1) / s.duration;
}

/** Growth rate dL/dt (Å/s) at t of a law, by a central difference (for reports). */
export function growthRate(law: GrowthLaw, values: ArrayLike<number>, t: number, q: (t: number) => number, perCharge: number): number {
  const h = Math.max(1, Math.abs(t) * 1e-4);
  return (law.evaluate(values, t + h, q(t + h), perCharge) - law.evaluate(values, Math.max(t - h, 0), q(Math.max(t - h, 0)), perCharge)) / (t + h - Math.max(t - h, 0));
}
