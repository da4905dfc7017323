import { describe, expect, it } from "vitest";
import { relaxationArcs } from "./circuitStart.ts";
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
