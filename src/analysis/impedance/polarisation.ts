/**
 * @module analysis/impedance/polarisation
 * The polarisation resistance of a fitted circuit, total and inside the
 * measured window, in the same two forms the DRT gives (`polarizationResistance`
 * = ∫γ d ln τ and `polarizationInWindow` = ∫γ·W d ln τ), so the two analyses of
 * one spectrum can be compared.
 *
 * Total: the sum of the resistances inside the circuit's top-level parallel
 * blocks (R1 + R2 + … of `R0-p(R1,CPE1)-p(R2,CPE2)`), the DC limit Z′(0) − R∞.
 * When an arc does not close inside the sweep this is an extrapolation of the
 * model below f_min, as the DRT's total is of its regulariser.
 *
 * In the window: Z′(ω_min) − Z′(ω_max) of the fitted circuit. For a circuit of
 * the form R∞ + relaxations (every top-level block a parallel block or a
 * resistor: R‖C, R‖CPE, ZARC, …) Z′(ω) = R∞ + ∫γ(τ)/(1 + ω²τ²) d ln τ, so this
 * equals ∫γ·W d ln τ with W = 1/(1 + (ω_min τ)²) − 1/(1 + (ω_max τ)²) — the DRT's
 * windowed polarisation for the circuit's own γ, without computing γ.
 *
 * Units: Ω; frequencies Hz.
 */
import { ValidationError } from "../../core/errors.ts";
import type { CircuitFitResult, ImpedanceData } from "../../fit/circuitObjective.ts";
import { parseCircuit } from "../../models/circuit/parseCircuit.ts";
import type { CircuitNode } from "../../models/circuit/parseCircuit.ts";

/** Polarisation of a fitted circuit (Ω). */
export interface CircuitPolarisation {
  /** Σ resistances inside the top-level parallel blocks (Z′(0) − R∞ of the model). */
  readonly total: number;
  /** Z′_fit(ω_min) − Z′_fit(ω_max). */
  readonly inWindow: number;
  /** Lowest and highest frequency of the data (Hz). */
  readonly fMin: number;
  readonly fMax: number;
}

/**
 * The fitted circuit's polarisation, total and inside the measured window.
 *
 * @param fit - a circuit fit
 * @param spectrum - the data it was fitted to (for the frequencies of `fit.fitted`)
 * @returns total and windowed polarisation (Ω)
 * @throws {ValidationError} when the circuit has a top-level element other than a resistor or inductor
 *   (a series C, CPE or Warburg has no finite DC polarisation in this sense) or the lengths differ
 */
export function circuitPolarisation(fit: CircuitFitResult, spectrum: ImpedanceData): CircuitPolarisation {
  const n = spectrum.frequency.length;
  if (fit.fitted.re.length !== n) throw new ValidationError("spectrum", `has ${n} points but the fit has ${fit.fitted.re.length}`, n);
  const parsed = parseCircuit(fit.circuit);
  const top = parsed.root.kind === "series" ? parsed.root.children : [parsed.root];
  const value = new Map(fit.parameters.map((p) => [p.name, p.value]));
  let total = 0;
  for (const node of top) {
    if (node.kind === "element") {
      if (node.type !== "R" && node.type !== "L") {
        throw new ValidationError("circuit", `its top-level ${node.name} (${node.type}) in series has no DC limit: the polarisation resistance is not defined`, fit.circuit);
      }
      continue;
    }
    for (const r of resistors(node)) total += value.get(r)!;
  }
  let iMin = 0;
  let iMax = 0;
  for (let i = 1; i < n; i++) {
    if (spectrum.frequency[i] < spectrum.frequency[iMin]) iMin = i;
    if (spectrum.frequency[i] > spectrum.frequency[iMax]) iMax = i;
  }
  return { total, inWindow: fit.fitted.re[iMin] - fit.fitted.re[iMax], fMin: spectrum.frequency[iMin], fMax: spectrum.frequency[iMax] };
}

/** Names of the resistors anywhere inside a node. */
function resistors(node: CircuitNode): string[] {
  if (node.kind === "element") return node.type === "R" ? [node.parameterNames[0]] : [];
  return node.children.flatMap(resistors);
}
