/**
 * @module models/circuit/interphaseElements
 * Which elements of an equivalent circuit can stand for the interphase: a resistor, and a
 * capacitor or a constant-phase element forming a top-level arc `p(R, CPE)` with that resistor
 * (the arcs `strata eis sequence` reads; the effective capacitance (R·Q)^(1/α)/R needs the R
 * it is parallel to; the value is computed by diagnosis/interphaseCircuit).
 *
 * Units: none (element names).
 */
import type { CircuitNode, ParsedCircuit } from "./parseCircuit.ts";

/**
 * Why `resistance` and `capacitance` cannot describe the interphase in `circuit`, or
 * undefined when they can: the resistance must be an `R` element; the capacitance a `C`
 * element or a `CPE` element in parallel with that resistor (its effective capacitance
 * needs the R it is parallel to).
 */
export function interphaseElementsProblem(circuit: ParsedCircuit, resistance: string, capacitance: string): string | undefined {
  const r = circuit.elements.find((e) => e.name === resistance);
  if (!r) return `names no element of circuit ${circuit.circuit} (its elements: ${circuit.elements.map((e) => e.name).join(", ")})`;
  if (r.type !== "R") return `must name a resistor (R…) of circuit ${circuit.circuit}, not a ${r.type}`;
  const c = circuit.elements.find((e) => e.name === capacitance);
  if (!c) return `names no element of circuit ${circuit.circuit} (its elements: ${circuit.elements.map((e) => e.name).join(", ")})`;
  if (c.type !== "C" && c.type !== "CPE") return `must name a capacitor (C…) or a constant-phase element (CPE…) of circuit ${circuit.circuit}, not a ${c.type}`;
  if (c.type === "CPE" && !parallelTogether(circuit, resistance, capacitance)) {
    return `a constant-phase element as the interphase's capacitance must form an arc p(${resistance},${capacitance}) with ${resistance}, in series with the rest of the circuit: its effective capacitance is (R·Q)^(1/α)/R`;
  }
  return undefined;
}

/** Whether `a` and `b` are the two elements of a top-level parallel block (an arc in series with the rest). */
function parallelTogether(circuit: ParsedCircuit, a: string, b: string): boolean {
  const top: readonly CircuitNode[] = circuit.root.kind === "series" ? circuit.root.children : [circuit.root];
  return top.some((node) => {
    if (node.kind !== "parallel" || node.children.length !== 2) return false;
    const names = node.children.map((c) => (c.kind === "element" ? c.name : ""));
    return names.includes(a) && names.includes(b);
  });
}
