/**
 * @module models/damageModels
 * Beam-damage terms of a layer parameter (operando.md §1; issue 7 part 2): the value
 * seen at spot s at time t is the chemistry's value at t plus a term of the spot's
 * accumulated absorbed dose D_s(t):
 * - `none`:       0
 * - `linear`:     β·D                              (β `damage_rate`, Å/Gy)
 * - `saturating`: β·D₀·(1 − e^(−D/D₀))            (β Å/Gy, D₀ `damage_dose`, Gy)
 * The saturating term has slope β at D = 0 and saturates at β·D₀; it tends to the
 * linear one as D₀ → ∞. β may be negative (mass loss, thinning under the beam).
 * Units: dose Gy; the term has the unit of the damaged parameter (thickness: Å).
 */
import type { LawParameter } from "./growthLaws.ts";

export type DamageName = "none" | "linear" | "saturating";
export const DAMAGE_NAMES: readonly DamageName[] = ["none", "linear", "saturating"];

/** Scales for a damage term's bounds and starts. */
export interface DamageScales {
  /** largest accumulated dose of any scan, Gy (> 0) */
  maxDose: number;
  /** a rough size of the damaged quantity (Å): bounds |β·D_max| by a multiple of it */
  magnitude: number;
}

export interface DamageModel {
  readonly name: DamageName;
  parameters(scales: DamageScales): LawParameter[];
  /** the term at dose D as an expression over the parameter names (dose inlined) */
  expression(dose: number, names: Record<string, string>): string;
  /** the term at dose D for parameter values in `parameters` order */
  evaluate(values: ArrayLike<number>, dose: number): number;
}

const num = (x: number): string => (Number.isFinite(x) ? x.toPrecision(17) : "0");
/** |β|·D_max may reach this multiple of the quantity's own size. */
const DAMAGE_BOUND_FACTOR = 5;

const rate = (s: DamageScales): LawParameter => {
  const bound = (DAMAGE_BOUND_FACTOR * Math.max(s.magnitude, 1)) / s.maxDose;
  return { name: "damage_rate", unit: "Å/Gy", min: -bound, max: bound, initial: 0 };
};

export const DAMAGE_MODELS: Record<DamageName, DamageModel> = {
  none: { name: "none", parameters: () => [], expression: () => "0", evaluate: () => 0 },
  linear: {
    name: "linear",
    parameters: (s) => [rate(s)],
    expression: (d, n) => `${n.damage_rate}*${num(d)}`,
    evaluate: (v, d) => v[0] * d,
  },
  saturating: {
    name: "saturating",
    parameters: (s) => [rate(s), { name: "damage_dose", unit: "Gy", min: 0.01 * s.maxDose, max: 100 * s.maxDose, initial: 0.5 * s.maxDose }],
    expression: (d, n) => `${n.damage_rate}*${n.damage_dose}*(1 - exp(-${num(d)}/${n.damage_dose}))`,
    evaluate: (v, d) => v[0] * v[1] * -Math.expm1(-d / v[1]),
  },
};
