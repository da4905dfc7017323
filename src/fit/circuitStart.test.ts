import { describe, expect, it } from "vitest";
import { arcAssignments, arcBlocks, assignmentLabel, differingParameters, globalSearchBox, GLOBAL_SPAN, relaxationArcs } from "./circuitStart.ts";
import { parseCircuit } from "../models/circuit/parseCircuit.ts";
import { fitCircuit, initialGuess } from "./circuitObjective.ts";
import type { ImpedanceData } from "./circuitObjective.ts";

/** A starting value only has to land in the right basin: arcs within this factor of the truth in R. */
const LADDER_R_RTOL = 0.25;
/** …and within this factor in apex frequency. */
const LADDER_F_FACTOR = 2;
/** Noise-free data: the fit from the automatic start reaches the truth to this relative precision. */
const RECOVERY_RTOL = 1e-6;

/**
 * A blocking-electrode-like spectrum written out by hand (not through the circuit code):
 * Z = R0 + R1/(1 + R1·Q1·(jω)^α) + R2/(1 + jωR2C2), 43 points from 10 kHz to 0.1 Hz, where the
 * second arc (R2 = 20 kΩ, apex 0.016 Hz) does not close inside the window.
 */
function blockingSpectrum(): ImpedanceData & { truth: number[] } {
  const [r0, r1, q1, alpha, r2, c2] = [4, 300, 1e-3, 0.93, 2e4, 5e-4];
  const n = 43;
  const frequency = Float64Array.from({ length: n }, (_, i) => 10 ** (4 - (5 * i) / (n - 1)));
  const real = new Float64Array(n);
  const imag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const w = 2 * Math.PI * frequency[i];
    const wa = w ** alpha;
    const dre = 1 + r1 * q1 * wa * Math.cos((alpha * Math.PI) / 2);
    const dim = r1 * q1 * wa * Math.sin((alpha * Math.PI) / 2);
    const d2 = dre * dre + dim * dim;
    const x = w * r2 * c2;
    real[i] = r0 + (r1 * dre) / d2 + r2 / (1 + x * x);
    imag[i] = (-r1 * dim) / d2 - (r2 * x) / (1 + x * x);
  }
  return { frequency, real, imag, truth: [r0, r1, q1, alpha, r2, c2] };
}

describe("relaxationArcs", () => {
  it("sizes both arcs, including the one that does not close inside the window", () => {
    const data = blockingSpectrum();
    const { arcs, rInf } = relaxationArcs(data);
    const big = [...arcs].sort((a, b) => b.resistance - a.resistance).slice(0, 2).sort((a, b) => b.frequency - a.frequency);
    // apex of R1‖CPE1: 1/(2π (R1Q1)^(1/α)); of R2‖C2: 1/(2π R2C2)
    const expected = [
      { resistance: 300, frequency: 1 / (2 * Math.PI * (300 * 1e-3) ** (1 / 0.93)) },
      { resistance: 2e4, frequency: 1 / (2 * Math.PI * 2e4 * 5e-4) },
    ];
    big.forEach((arc, k) => {
      expect(Math.abs(arc.resistance / expected[k].resistance - 1), `arc ${k} R`).toBeLessThanOrEqual(LADDER_R_RTOL);
      expect(Math.abs(Math.log(arc.frequency / expected[k].frequency)), `arc ${k} f`).toBeLessThanOrEqual(Math.log(LADDER_F_FACTOR));
    });
    expect(Math.abs(rInf / 4 - 1)).toBeLessThanOrEqual(LADDER_R_RTOL);
  });

  it("fits the series inductance when the highest frequency is inductive", () => {
    const n = 30;
    const frequency = Float64Array.from({ length: n }, (_, i) => 10 ** (6 - (6 * i) / (n - 1)));
    const real = new Float64Array(n);
    const imag = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const w = 2 * Math.PI * frequency[i];
      const x = w * 100 * 1e-5;
      real[i] = 2 + 100 / (1 + x * x);
      imag[i] = w * 1e-6 - (100 * x) / (1 + x * x);
    }
    const ladder = relaxationArcs({ frequency, real, imag });
    expect(Math.abs(ladder.inductance / 1e-6 - 1)).toBeLessThanOrEqual(LADDER_R_RTOL);
    expect(ladder.arcs.length).toBeGreaterThan(0);
  });
});

describe("fitCircuit: data-derived start", () => {
  for (const circuit of ["R0-p(R1,CPE1)-p(R2,C2)", "R0-p(R1,CPE1)-p(R2,CPE2)"]) {
    it(`${circuit}: the −Z″-peak heuristics alone stop in a worse basin; the ladder start reaches the truth`, () => {
      const data = blockingSpectrum();
      const heuristicOnly = fitCircuit(circuit, data, { weights: "modulus", initial: initialGuess(circuit, data).values });
      const automatic = fitCircuit(circuit, data, { weights: "modulus" });
      expect(automatic.converged).toBe(true);
      const sources = automatic.starts?.map((s) => s.source) ?? [];
      // both arc sources, the other arc order only where the blocks differ, then the global stage
      const orders = circuit.endsWith("C2)") ? ["spectrum shape", "spectrum shape, arcs 2,1", "relaxation ladder", "relaxation ladder, arcs 2,1"] : ["spectrum shape", "relaxation ladder"];
      expect(sources.slice(0, orders.length)).toEqual(orders);
      expect(sources.slice(orders.length).every((s) => /^global search \d$/.test(s))).toBe(true);
      const truth = circuit.endsWith("C2)") ? data.truth : [...data.truth, 1];
      automatic.values.forEach((v, j) => expect(Math.abs(v / truth[j] - 1), automatic.names[j]).toBeLessThanOrEqual(RECOVERY_RTOL));
      expect(heuristicOnly.chi2).toBeGreaterThan(1e6 * automatic.chi2 + 1e-6);
      expect(automatic.initialNotes.at(-1)).toMatch(/^start: relaxation ladder/);
    });
  }
});

describe("arc assignments and the comparison of minima", () => {
  it("every order of the arcs for different blocks; interchangeable blocks only in frequency order", () => {
    const randles = arcBlocks(parseCircuit("R0-p(R1,C1)-p(R2-Wo1,C2)"));
    expect(randles.map((b) => b.signature)).toEqual(["p(R,C)", "p(R-Wo,C)"]);
    expect(arcAssignments(randles)).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(arcAssignments(arcBlocks(parseCircuit("R0-p(R1,CPE1)-p(R2,CPE2)")))).toEqual([[0, 1]]);
    // a constant makes a block distinguishable
    expect(arcAssignments(arcBlocks(parseCircuit("R0-p(R1,CPE1)-p(R2,CPE2)"), new Set(["R2"])))).toEqual([
      [0, 1],
      [1, 0],
    ]);
    // three blocks, two of them interchangeable: 3!/2 orders; top-level Zarc counts as a block
    const three = arcBlocks(parseCircuit("R0-p(R1,C1)-Zarc2-p(R3,C3)"));
    expect(three.map((b) => b.text)).toEqual(["p(R1,C1)", "Zarc2", "p(R3,C3)"]);
    expect(arcAssignments(three)).toEqual([
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
    ]);
    // five different blocks: in order, the four neighbour swaps, reversed
    const five = arcBlocks(parseCircuit("R0-p(R1,C1)-Zarc2-p(R3,CPE3)-K4-p(R5-W5,C5)"));
    expect(arcAssignments(five).map(assignmentLabel)).toEqual(["in order", "arcs 2,1,3,4,5", "arcs 1,3,2,4,5", "arcs 1,2,4,3,5", "arcs 1,2,3,5,4", "arcs 5,4,3,2,1"]);
  });

  it("minima differ in a parameter beyond 5 % and beyond its standard error, up to swapping interchangeable blocks", () => {
    const blocks = arcBlocks(parseCircuit("R0-p(R1,C1)-p(R2,C2)"));
    const m = (values: Record<string, [number, number]>): Map<string, { value: number; stderr: number }> =>
      new Map(Object.entries(values).map(([k, [value, stderr]]) => [k, { value, stderr }]));
    const a = m({ R0: [1, 0.01], R1: [10, 0.1], C1: [1e-6, 1e-8], R2: [100, 1], C2: [1e-3, 1e-5] });
    // the same minimum with the blocks swapped
    const swapped = m({ R0: [1, 0.01], R1: [100, 1], C1: [1e-3, 1e-5], R2: [10, 0.1], C2: [1e-6, 1e-8] });
    expect(differingParameters(a, swapped, blocks)).toEqual([]);
    // a loose parameter (stderr larger than the gap) is no difference; a tight one is
    const other = m({ R0: [1.5, 1], R1: [10, 0.1], C1: [1e-6, 1e-8], R2: [100, 1], C2: [2e-3, 1e-5] });
    expect(differingParameters(a, other, blocks)).toEqual([{ name: "C2", a: 1e-3, b: 2e-3, nameInB: "C2" }]);
    // an undetermined parameter (NaN standard error) differs unless asked to be ignored (the same minimum along a flat valley)
    const loose = m({ R0: [1, 0.01], R1: [10, 0.1], C1: [1e-6, Number.NaN], R2: [100, 1], C2: [1e-3, 1e-5] });
    const further = m({ R0: [1, 0.01], R1: [10, 0.1], C1: [5e-6, Number.NaN], R2: [100, 1], C2: [1e-3, 1e-5] });
    expect(differingParameters(loose, further, blocks).map((d) => d.name)).toEqual(["C1"]);
    expect(differingParameters(loose, further, blocks, true)).toEqual([]);
    // blocks that differ are not swapped
    const randles = arcBlocks(parseCircuit("R0-p(R1,C1)-p(R2-W2,C2)"));
    const b = m({ R0: [1, 0.01], R1: [100, 1], C1: [1e-3, 1e-5], R2: [10, 0.1], W2_0: [1, 0.1], C2: [1e-6, 1e-8] });
    const c = m({ R0: [1, 0.01], R1: [10, 0.1], C1: [1e-6, 1e-8], R2: [100, 1], W2_0: [1, 0.1], C2: [1e-3, 1e-5] });
    expect(differingParameters(b, c, randles).map((d) => d.name)).toEqual(["R1", "C1", "R2", "C2"]);
  });

  it("the global box spans every start ×/÷ GLOBAL_SPAN on a log scale; exponents over their bounds", () => {
    const box = globalSearchBox([Float64Array.of(1, 0.9, 1e-3), Float64Array.of(10, 0.8, 2e-3)], [0, 0, 1e-4], [Infinity, 1, Infinity], [false, true, false]);
    expect(Array.from(box.lower)).toEqual([1 / GLOBAL_SPAN, 0, 1e-4]);
    expect(Array.from(box.upper)).toEqual([10 * GLOBAL_SPAN, 1, 2e-3 * GLOBAL_SPAN]);
    expect(box.logScale).toEqual([true, false, true]);
  });
});
