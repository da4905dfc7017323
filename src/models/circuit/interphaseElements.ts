/**
 * @module models/circuit/interphaseElements
 * Which elements of an equivalent circuit can stand for the interphase: a resistor, and a
 * capacitor or a constant-phase element forming a top-level arc `p(R, CPE)` with that resistor
 * (the arcs `strata eis sequence` reads; the effective capacitance (R·Q)^(1/α)/R needs the R
 * it is parallel to; the value is computed by diagnosis/interphaseCircuit).
 *
 * Units: none (element names).
 */
import type { CircuitNode, ElementNode, ParsedCircuit } from "./parseCircuit.ts";

/**
 * The circuit's arcs: each top-level `p(R, CPE)` or `p(R, C)` block (either order), in the order
 * written — what `strata eis sequence` reports R and C for (analysis/impedance/sequence).
 */
export function topLevelArcs(circuit: ParsedCircuit): { resistor: ElementNode; capacitor: ElementNode }[] {
  const top: readonly CircuitNode[] = circuit.root.kind === "series" ? circuit.root.children : [circuit.root];
  return top.flatMap((node) => {
    if (node.kind !== "parallel" || node.children.length !== 2) return [];
    const [a, b] = node.children;
    if (a.kind !== "element" || b.kind !== "element") return [];
    const resistor = a.type === "R" ? a : b.type === "R" ? b : undefined;
    const capacitor = resistor === a ? b : a;
    if (resistor === undefined || resistor === capacitor || (capacitor.type !== "CPE" && capacitor.type !== "C")) return [];
    return [{ resistor, capacitor }];
  });
}

/** Why `resistance` cannot be the interphase's resistance in `circuit` (an `R` element of it), or undefined. */
export function interphaseResistanceProblem(circuit: ParsedCircuit, resistance: string): string | undefined {
  const r = circuit.elements.find((e) => e.name === resistance);
  if (!r) return `names no element of circuit ${circuit.circuit} (its elements: ${circuit.elements.map((e) => e.name).join(", ")})`;
  if (r.type !== "R") return `must name a resistor (R…) of circuit ${circuit.circuit}, not a ${r.type}`;
  return undefined;
}

/**
 * Why `capacitance` cannot be the interphase's capacitance beside `resistance`, or undefined: a
 * `C` element, or a `CPE` element forming a top-level arc with that resistor (its effective
 * capacitance needs the R it is parallel to).
 */
export function interphaseCapacitanceProblem(circuit: ParsedCircuit, resistance: string, capacitance: string): string | undefined {
  const c = circuit.elements.find((e) => e.name === capacitance);
  if (!c) return `names no element of circuit ${circuit.circuit} (its elements: ${circuit.elements.map((e) => e.name).join(", ")})`;
  if (c.type !== "C" && c.type !== "CPE") return `must name a capacitor (C…) or a constant-phase element (CPE…) of circuit ${circuit.circuit}, not a ${c.type}`;
  if (c.type === "CPE" && !topLevelArcs(circuit).some((arc) => arc.resistor.name === resistance && arc.capacitor.name === capacitance)) {
    return `a constant-phase element as the interphase's capacitance must form an arc p(${resistance},${capacitance}) with ${resistance}, in series with the rest of the circuit: its effective capacitance is (R·Q)^(1/α)/R`;
  }
  return undefined;
}

/** The first of {@link interphaseResistanceProblem} and {@link interphaseCapacitanceProblem}, or undefined when both elements can stand for the interphase. */
export function interphaseElementsProblem(circuit: ParsedCircuit, resistance: string, capacitance: string): string | undefined {
  return interphaseResistanceProblem(circuit, resistance) ?? interphaseCapacitanceProblem(circuit, resistance, capacitance);
}
