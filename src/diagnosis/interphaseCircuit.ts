/**
 * @module diagnosis/interphaseCircuit
 * The interphase's resistance and capacitance read off a fitted equivalent circuit, as the
 * manifest's `impedanceModel` names them: a resistor, and a capacitor or a constant-phase
 * element in parallel with it. Real interphases give depressed arcs, so practitioners fit
 * `R0-p(R1,CPE1)-p(R2,CPE2)`; a CPE's Q (Ω⁻¹ sᵅ) is not a capacitance, and the capacitance
 * that sets the arc's characteristic frequency is the effective one of the R‖CPE element
 * (Hsu & Mansfeld; the Zarc's τ = (R·Q)^(1/α), reference/impedance.md):
 * C_eff = τ / R = (R·Q)^(1/α) / R, which is Q itself when α = 1. Its standard error follows
 * from the fit's covariance of R, Q and α by the delta method. Which elements may be named is
 * checked when the manifest is read (models/circuit/interphaseElements).
 *
 * Units: R Ω; C F; Q Ω⁻¹ sᵅ; α dimensionless.
 */
import type { CircuitFitResult } from "../fit/circuitObjective.ts";

/** The interphase's R and C of one spectrum's fit. */
export interface InterphaseRC {
  resistance: number;
  resistanceStderr: number;
  /** the capacitor's value, or the CPE's effective capacitance (R·Q)^(1/α)/R */
  capacitance: number;
  capacitanceStderr: number;
  /** "C" (a capacitor) or "CPE" (effective capacitance of R‖CPE) */
  capacitanceFrom: "C" | "CPE";
  /** the CPE's exponent α (CPE only) */
  alpha?: number;
}

/**
 * The interphase's R and C from a circuit fit.
 * @param fit - the spectrum's fit (free parameters, values, scaled covariance)
 * @param resistance - the resistor's name, e.g. "R1"
 * @param capacitance - the capacitor's ("C1") or the parallel CPE's ("CPE1") name
 * @throws Error naming the element when the fit has no free parameter of that name (fixed elements are not interphase quantities)
 * @example interphaseRC(fitCircuit("R0-p(R1,CPE1)", spectrum), "R1", "CPE1").capacitance // F
 */
export function interphaseRC(fit: CircuitFitResult, resistance: string, capacitance: string): InterphaseRC {
  const index = (name: string): number => {
    const i = fit.names.indexOf(name);
    if (i < 0) throw new Error(`the circuit has no free parameter ${name}`);
    return i;
  };
  const p = fit.names.length;
  const ir = index(resistance);
  const R = fit.values[ir];
  const resistanceStderr = fit.stderr[ir];
  if (fit.names.includes(capacitance)) {
    const ic = index(capacitance);
    return { resistance: R, resistanceStderr, capacitance: fit.values[ic], capacitanceStderr: fit.stderr[ic], capacitanceFrom: "C" };
  }
  const iq = index(`${capacitance}_0`);
  const ia = index(`${capacitance}_1`);
  const Q = fit.values[iq];
  const alpha = fit.values[ia];
  const C = Math.pow(R * Q, 1 / alpha) / R;
  // gradient of C in (R, Q, α): ln C = (1/α − 1) ln R + (1/α) ln Q
  const grad = new Map<number, number>([
    [ir, (C * (1 / alpha - 1)) / R],
    [iq, C / (alpha * Q)],
    [ia, (-C * Math.log(R * Q)) / (alpha * alpha)],
  ]);
  let variance = 0;
  for (const [i, gi] of grad) for (const [j, gj] of grad) variance += gi * gj * fit.covariance[i * p + j];
  return { resistance: R, resistanceStderr, capacitance: C, capacitanceStderr: Math.sqrt(Math.max(variance, 0)), capacitanceFrom: "CPE", alpha };
}
