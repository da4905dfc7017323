/**
 * Derived electrochemistry on synthetic records with analytic answers:
 * stateAt on piecewise-linear current programs (1e-9), capacities, coulombic
 * efficiency and irreversible charge of a known cycling program, and dV/dQ,
 * dQ/dV of an analytic V(Q).
 */
import { describe, expect, it } from "vitest";
import { DIFFERENTIAL_ANALYTIC_RTOL, STATE_AT_RTOL } from "../../../test/tolerances.ts";
import { ValidationError } from "../../core/errors.ts";
import { createRandom } from "../../core/random.ts";
import { STEP_TYPE_CODE, TABLE_CURRENT_SIGN } from "../../io/cycler/index.ts";
import type { CyclerTable } from "../../io/cycler/index.ts";
import {
  analyzeCycling, cumulativeCharge, cumulativeReductionCharge, differentialVoltage, halfCycleIndex, incrementalCapacity, savitzkyGolay, stateAt,
} from "./derived.ts";

function table(columns: Record<string, number[] | Float64Array>): CyclerTable {
  const cols: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(columns)) cols[k] = Float64Array.from(v);
  return {
    source: "synthetic", format: "bdf-csv", columns: cols, rows: cols.test_time_second.length, startTime: undefined,
    currentSign: { source: TABLE_CURRENT_SIGN, table: TABLE_CURRENT_SIGN }, metadata: {}, warnings: [], sourceColumns: {},
  };
}

/** A piecewise-linear signal: knots (t, y); equal consecutive t make a jump. */
type Knots = [number, number][];

/** Value just after t (right limit at jumps). */
function valueAt(knots: Knots, t: number): number {
  for (let k = knots.length - 1; k >= 1; k--) {
    const [t0, y0] = knots[k - 1];
    const [t1, y1] = knots[k];
    if (t >= t0 && t <= t1 && t1 > t0) return y0 + ((y1 - y0) * (t - t0)) / (t1 - t0);
  }
  return t <= knots[0][0] ? knots[0][1] : knots[knots.length - 1][1];
}

/** Exact ∫_a^b of the positive and negative parts of a piecewise-linear signal. */
function integrate(knots: Knots, a: number, b: number): { integral: number; negative: number } {
  let integral = 0;
  let negative = 0;
  for (let k = 1; k < knots.length; k++) {
    const [t0, y0] = knots[k - 1];
    const [t1, y1] = knots[k];
    const lo = Math.max(a, t0);
    const hi = Math.min(b, t1);
    if (!(hi > lo) || !(t1 > t0)) continue;
    const ya = y0 + ((y1 - y0) * (lo - t0)) / (t1 - t0);
    const yb = y0 + ((y1 - y0) * (hi - t0)) / (t1 - t0);
    integral += ((ya + yb) / 2) * (hi - lo);
    if (ya <= 0 && yb <= 0) negative += (-(ya + yb) / 2) * (hi - lo);
    else if (ya < 0 || yb < 0) {
      const tz = lo + (ya / (ya - yb)) * (hi - lo);
      negative += ya < 0 ? (-ya * (tz - lo)) / 2 : (-yb * (hi - tz)) / 2;
    }
  }
  return { integral, negative };
}

// Current program (A): rest, step to +1 mA, ramp through zero to −2 mA, step to −1 mA, rest.
const CURRENT: Knots = [[0, 0], [100, 0], [100, 1e-3], [300, 1e-3], [500, -2e-3], [500, -1e-3], [800, -1e-3], [800, 0], [1000, 0]];
const POTENTIAL: Knots = [[0, 3.0], [100, 3.0], [100, 3.1], [300, 3.5], [500, 3.2], [800, 2.9], [1000, 3.0]];

/** Samples at every knot (both sides of jumps) and on an irregular grid in between. */
function programTable(): CyclerTable {
  const times = new Set<number>();
  for (let t = 0; t <= 1000; t += 7.3) times.add(t);
  for (const [t] of [...CURRENT, ...POTENTIAL]) times.add(t);
  const sorted = [...times].sort((a, b) => a - b);
  const t: number[] = [];
  const I: number[] = [];
  const V: number[] = [];
  const type: number[] = [];
  const push = (time: number, current: number): void => {
    t.push(time);
    I.push(current);
    V.push(valueAt(POTENTIAL, time));
    type.push(current > 0 ? STEP_TYPE_CODE.CC_CHG : current < 0 ? STEP_TYPE_CODE.CC_DCH : STEP_TYPE_CODE.REST);
  };
  for (const time of sorted) {
    const jumps = CURRENT.filter(([tk]) => tk === time);
    if (jumps.length === 2) for (const [, y] of jumps) push(time, y);
    else push(time, valueAt(CURRENT, time));
  }
  // the potential has a jump at 100 s too: make it exact at the duplicated row
  const firstAt100 = t.indexOf(100);
  V[firstAt100] = 3.0;
  return table({ test_time_second: t, voltage_volt: V, current_ampere: I, step_type: type });
}

function near(actual: number, expected: number, scale: number, rtol = STATE_AT_RTOL): void {
  const ok = Math.abs(actual - expected) <= rtol * Math.max(Math.abs(expected), scale);
  expect(ok, `${actual} vs ${expected}`).toBe(true);
}

describe("cumulative charge", () => {
  it("trapezoidal charge and exact reduction charge across a zero crossing", () => {
    const t = Float64Array.of(0, 10, 20, 30);
    const I = Float64Array.of(1, 1, -1, -1);
    expect(Array.from(cumulativeCharge(t, I))).toEqual([0, 10, 10, 0]);
    expect(Array.from(cumulativeReductionCharge(t, I))).toEqual([0, 0, 2.5, 12.5]);
    expect(() => cumulativeCharge(t, Float64Array.of(1))).toThrow(ValidationError);
  });
  it("half cycles change on current-sign reversal, not at rests", () => {
    expect(Array.from(halfCycleIndex(Float64Array.of(0, 1, 0, 2, -1, 0, -1, 3), 1e-9))).toEqual([0, 0, 0, 0, 1, 1, 1, 2]);
  });
});

describe("stateAt on a piecewise-linear current program", () => {
  const program = programTable();
  const chargeScale = 0.2; // C, the program's charge scale (for analytic zeros)
  const check = (a: number, b: number): void => {
    const s = stateAt(program, a, b);
    const lo = Math.max(a, 0);
    const hi = Math.min(b, 1000);
    const q = integrate(CURRENT, lo, hi);
    const v = integrate(POTENTIAL, lo, hi);
    near(s.charge_C, q.integral, chargeScale);
    near(s.reductionCharge_C, q.negative, chargeScale);
    if (hi > lo) {
      near(s.meanCurrent_A, q.integral / (hi - lo), chargeScale / 1000);
      near(s.meanPotential_V, v.integral / (hi - lo), 3);
    }
    const before = integrate(CURRENT, 0, Math.max(0, Math.min(a, 1000)));
    near(s.chargeAtStart_C, before.integral, chargeScale);
    near(s.reductionChargeAtStart_C, before.negative, chargeScale);
    const upTo = integrate(CURRENT, 0, Math.max(0, Math.min(b, 1000)));
    near(s.chargeAtEnd_C, upTo.integral, chargeScale);
    near(s.reductionChargeAtEnd_C, upTo.negative, chargeScale);
  };

  it("hand-computed windows", () => {
    const a = stateAt(program, 150, 250);
    near(a.charge_C, 0.1, 0);
    near(a.meanCurrent_A, 1e-3, 0);
    near(a.meanPotential_V, 3.3, 0);
    expect(a.reductionCharge_C).toBe(0);
    expect(a.coverage).toBe(1);
    const b = stateAt(program, 300, 500);
    near(b.charge_C, 0.5 * 1e-3 * (200 / 3) - 0.5 * 2e-3 * (400 / 3), 0);
    near(b.reductionCharge_C, 0.5 * 2e-3 * (400 / 3), 0);
    expect(b.halfCycles).toEqual([0, 1]);
    expect(b.halfCycle).toBe(1);
    expect(b.stepTypes).toEqual(["CC_CHG", "CC_DCH"]);
  });

  it("window edges at knots, inside single intervals, across jumps and across the whole record", () => {
    for (const [a, b] of [[0, 1000], [100, 300], [99.99, 100.01], [101.1, 101.2], [366, 367], [500, 800], [250, 950], [7.3, 14.6], [0, 100]]) check(a, b);
  });

  it("200 seeded random windows", () => {
    const rng = createRandom("stateAt-windows");
    for (let k = 0; k < 200; k++) {
      const a = rng.uniform(0, 1000);
      const b = a + rng.uniform(0, 1000 - a);
      check(a, b);
    }
  });

  it("instants and windows outside the record", () => {
    const s = stateAt(program, 200, 200);
    near(s.meanPotential_V, 3.3, 0);
    near(s.meanCurrent_A, 1e-3, 0);
    expect(s.charge_C).toBe(0);
    expect(s.coverage).toBe(1);
    const partial = stateAt(program, -100, 50);
    expect(partial.coverage).toBeCloseTo(50 / 150, 14);
    near(partial.meanPotential_V, 3.0, 0);
    const after = stateAt(program, 900, 1200);
    near(after.coverage, 100 / 300, 0);
    check(900, 1200);
    const outside = stateAt(program, 2000, 3000);
    expect(outside.coverage).toBe(0);
    expect(Number.isNaN(outside.meanPotential_V)).toBe(true);
    near(outside.chargeAtStart_C, integrate(CURRENT, 0, 1000).integral, chargeScale);
    expect(outside.cycle).toBe(-1);
    expect(() => stateAt(program, 10, 5)).toThrow(ValidationError);
    expect(() => stateAt(program, NaN, 5)).toThrow(ValidationError);
  });

  it("labels: the step type and half cycle covering most of the window", () => {
    expect(stateAt(program, 850, 950).stepType).toBe("REST");
    expect(stateAt(program, 600, 700).stepType).toBe("CC_DCH");
    const s = stateAt(program, 150, 250);
    expect(s.stepType).toBe("CC_CHG");
    expect(s.halfCycle).toBe(0);
    expect(s.cycle).toBe(0);
  });

  it("refuses a time column that goes backwards", () => {
    const bad = table({ test_time_second: [0, 2, 1], voltage_volt: [3, 3, 3], current_ampere: [0, 0, 0] });
    expect(() => stateAt(bad, 0, 1)).toThrow(ValidationError);
  });
});

describe("capacities, coulombic efficiency and irreversible charge", () => {
  // 3 cycles: charge +1 mA for 3600 s, rest 600 s, discharge −1 mA for 3500 s, rest 600 s; instantaneous switches.
  function cycling(firstDirection: 1 | -1): CyclerTable {
    const t: number[] = [];
    const I: number[] = [];
    const V: number[] = [];
    let time = 0;
    const segment = (current: number, duration: number, v0: number, v1: number): void => {
      for (let k = 0; k <= 36; k++) {
        t.push(time + (duration * k) / 36);
        I.push(current);
        V.push(v0 + ((v1 - v0) * k) / 36);
      }
      time += duration;
    };
    for (let c = 0; c < 3; c++) {
      segment(firstDirection * 1e-3, 3600, 3.5, 4.1);
      segment(0, 600, 4.0, 4.0);
      segment(-firstDirection * 1e-3, 3500, 3.9, 3.3);
      segment(0, 600, 3.4, 3.4);
    }
    return table({ test_time_second: t, voltage_volt: V, current_ampere: I });
  }

  it("charge-first", () => {
    const a = analyzeCycling(cycling(1));
    expect(a.sources.charge).toBe("current");
    expect(a.halfCycles.map((h) => h.direction)).toEqual(["charge", "discharge", "charge", "discharge", "charge", "discharge"]);
    expect(a.cycles).toHaveLength(3);
    a.cycles.forEach((c, k) => {
      expect(c.cycle).toBe(k);
      near(c.charge_C, 3.6, 0, 1e-12);
      near(c.discharge_C, 3.5, 0, 1e-12);
      near(c.efficiency_pct, (100 * 3.5) / 3.6, 0, 1e-12);
      near(c.irreversible_C, 0.1, 0, 1e-9);
      near(c.cumulativeIrreversible_C, 0.1 * (k + 1), 0, 1e-9);
    });
    near(a.reductionCharge_C[a.rows - 1], 10.5, 0, 1e-12);
    near(a.charge_C[a.rows - 1], 0.3, 0, 1e-9);
    expect(a.steps.map((s) => s.type).slice(0, 4)).toEqual(["CC_CHG", "REST", "CC_DCH", "REST"]);
    expect(a.steps).toHaveLength(12);
  });

  it("discharge-first (anode vs Li: lithiation first)", () => {
    const a = analyzeCycling(cycling(-1), { cycleMode: "discharge-first" });
    expect(a.cycles).toHaveLength(3);
    for (const c of a.cycles) {
      near(c.discharge_C, 3.6, 0, 1e-12);
      near(c.charge_C, 3.5, 0, 1e-12);
      near(c.efficiency_pct, (100 * 3.5) / 3.6, 0, 1e-12);
    }
    near(a.reductionCharge_C[a.rows - 1], 10.8, 0, 1e-12);
  });

  it("a record starting with a discharge in charge-first mode opens with a partial cycle 0", () => {
    const a = analyzeCycling(cycling(-1));
    expect(a.cycles.map((c) => c.cycle)).toEqual([0, 1, 2, 3]);
    near(a.cycles[0].charge_C, 0, 0, 1e-12);
    expect(Number.isNaN(a.cycles[0].efficiency_pct)).toBe(true);
  });
});

describe("differential analyses on an analytic V(Q)", () => {
  const Q = 0.01; // Ah
  const I0 = 1e-3; // A
  const T = (Q * 3600) / I0;
  const u = (x: number): number => (x - 0.5) / 0.05;
  const vCharge = (x: number): number => 3.4 + 0.3 * x + 0.05 * Math.tanh(u(x));
  const dVdQ = (x: number): number => (0.3 + 1 / Math.cosh(u(x)) ** 2) / Q;
  function halfCycles(): CyclerTable {
    const n = 5000;
    const t: number[] = [];
    const I: number[] = [];
    const V: number[] = [];
    for (let k = 0; k <= n; k++) {
      t.push((T * k) / n);
      I.push(I0);
      V.push(vCharge(k / n));
    }
    for (let k = 0; k <= n; k++) {
      t.push(T + (T * k) / n);
      I.push(-I0);
      V.push(vCharge(1 - k / n));
    }
    return table({ test_time_second: t, voltage_volt: V, current_ampere: I });
  }
  const record = halfCycles();

  it("Savitzky–Golay reproduces cubics exactly (value and derivative, also at the ends)", () => {
    const y = Float64Array.from({ length: 40 }, (_, i) => 2 - i + 0.5 * i * i - 0.01 * i ** 3);
    const d = savitzkyGolay(y, 1, 11, 3, 1);
    const s = savitzkyGolay(y, 1, 11, 3, 0);
    for (let i = 0; i < 40; i++) {
      expect(Math.abs(d[i] - (-1 + i - 0.03 * i * i))).toBeLessThan(1e-9);
      expect(Math.abs(s[i] - y[i])).toBeLessThan(1e-9);
    }
  });

  it("dV/dQ against the analytic derivative", () => {
    const curves = differentialVoltage(record);
    expect(curves.map((c) => c.direction)).toEqual(["charge", "discharge"]);
    let peak = 0;
    for (let x = 0; x <= 1; x += 1e-3) peak = Math.max(peak, dVdQ(x));
    for (const c of curves) {
      const sign = c.direction === "charge" ? 1 : -1;
      let worst = 0;
      for (let k = 0; k < c.capacity_Ah.length; k++) {
        const x = c.direction === "charge" ? c.capacity_Ah[k] / Q : 1 - c.capacity_Ah[k] / Q;
        worst = Math.max(worst, Math.abs(c.dVdQ_V_per_Ah[k] - sign * dVdQ(x)));
      }
      expect(worst / peak).toBeLessThan(DIFFERENTIAL_ANALYTIC_RTOL);
      near(c.capacity_Ah[c.capacity_Ah.length - 1], Q, 0, 1e-9);
    }
  });

  it("dQ/dV against the analytic 1 / (dV/dQ), and its area is the half-cycle capacity", () => {
    const curves = incrementalCapacity(record);
    expect(curves).toHaveLength(2);
    for (const c of curves) {
      const sign = c.direction === "charge" ? 1 : -1;
      // invert V(x) by bisection for the analytic value at each grid voltage
      const xOf = (v: number): number => {
        let lo = 0;
        let hi = 1;
        for (let k = 0; k < 60; k++) {
          const mid = (lo + hi) / 2;
          if (vCharge(mid) < v) lo = mid;
          else hi = mid;
        }
        return (lo + hi) / 2;
      };
      let worst = 0;
      let peak = 0;
      for (let k = 0; k < c.voltage_V.length; k++) {
        const expected = sign / dVdQ(xOf(c.voltage_V[k]));
        peak = Math.max(peak, Math.abs(expected));
        worst = Math.max(worst, Math.abs(c.dQdV_Ah_per_V[k] - expected));
      }
      expect(worst / peak).toBeLessThan(DIFFERENTIAL_ANALYTIC_RTOL);
      let area = 0;
      for (let k = 1; k < c.voltage_V.length; k++) area += ((c.dQdV_Ah_per_V[k] + c.dQdV_Ah_per_V[k - 1]) / 2) * (c.voltage_V[k] - c.voltage_V[k - 1]);
      const span = c.capacity_Ah[c.capacity_Ah.length - 1] - c.capacity_Ah[0];
      expect(Math.abs(area - span) / span).toBeLessThan(DIFFERENTIAL_ANALYTIC_RTOL);
    }
  });
});
