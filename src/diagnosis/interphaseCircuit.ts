/**
 * @module diagnosis/interphaseCircuit
 * The interphase's resistance and capacitance read off a fitted equivalent circuit, as the
 * manifest's `impedanceModel` names them: a resistor, and a capacitor or a constant-phase
 * element in parallel with it. Real interphases give depressed arcs, so practitioners fit
 * `R0-p(R1,CPE1)-p(R2,CPE2)`; a CPE's Q (Ω⁻¹ sᵅ) is not a capacitance, and the capacitance
 * that sets the arc's characteristic frequency is the effective one of the R‖CPE element
 * (Hsu & Mansfeld; the Zarc's τ = (R·Q)^(1/α), reference/impedance.md):
 * C_eff = τ / R = (R·Q)^(1/α) / R, which is Q itself when α = 1. Its standard error follows
 * from the fit's covariance of R, Q and α by the delta method — both as `strata eis sequence`
 * computes them (analysis/impedance/sequence). Which elements may be named is checked when the
 * manifest is read (models/circuit/interphaseElements).
 *
 * Units: R Ω; C F; Q Ω⁻¹ sᵅ; α dimensionless.
 */
import type { CircuitFitResult } from "../fit/circuitObjective.ts";
import { arcParameters } from "../analysis/impedance/sequence.ts";

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
 * The interphase's R and C from a circuit fit: a capacitor's value as fitted, a CPE's effective
 * capacitance as `strata eis sequence` reads its arc (analysis/impedance/sequence, Hsu–Mansfeld).
 * @param fit - the spectrum's fit (free parameters, values, scaled covariance)
 * @param resistance - the resistor's name, e.g. "R1"
 * @param capacitance - the capacitor's ("C1") or the CPE's ("CPE1") of a top-level `p(R1,CPE1)` arc
 * @throws Error naming the element when the fit has no free parameter of that name, or the CPE no such arc
 * @example interphaseRC(fitCircuit("R0-p(R1,CPE1)", spectrum), "R1", "CPE1").capacitance // F
 */
export function interphaseRC(fit: CircuitFitResult, resistance: string, capacitance: string): InterphaseRC {
  const ir = fit.names.indexOf(resistance);
  if (ir < 0) throw new Error(`the circuit has no free parameter ${resistance}`);
  const ic = fit.names.indexOf(capacitance);
  if (ic >= 0) return { resistance: fit.values[ir], resistanceStderr: fit.stderr[ir], capacitance: fit.values[ic], capacitanceStderr: fit.stderr[ic], capacitanceFrom: "C" };
  const arc = arcParameters(fit, "hsu-mansfeld").find((a) => a.kind === "CPE" && a.resistanceName === resistance && a.capacitorName === `${capacitance}_0`);
  if (!arc) throw new Error(`${capacitance} is not a constant-phase element of a top-level p(${resistance},${capacitance}) arc of ${fit.circuit}`);
  return { resistance: arc.resistance, resistanceStderr: arc.resistanceStderr, capacitance: arc.capacitance, capacitanceStderr: arc.capacitanceStderr, capacitanceFrom: "CPE", alpha: arc.alpha };
}
