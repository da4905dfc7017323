/**
 * @module analysis/electrochemistry/derived
 * Derived electrochemistry from a {@link CyclerTable}: step, half-cycle and cycle
 * segmentation, charge and discharge capacity per cycle, coulombic efficiency,
 * cumulative irreversible charge, reduction charge at the working electrode,
 * the electrochemical state over a time window ({@link stateAt}), and dV/dQ and
 * dQ/dV curves.
 *
 * Units: time s, potential V, current A, charge **C** (1 Ah = 3600 C),
 * efficiency %. Current sign as in the table: positive = anodic (oxidation) at
 * the working electrode, so "charge" below means anodic charge and the
 * reduction charge is ∫ max(−I, 0) dt ≥ 0.
 *
 * Conventions:
 * - Interval i runs from row i − 1 to row i; its charge is attributed to row i
 *   (BioLogic's `dq` and averaged `<I>` describe the interval ending at the row),
 *   except that an interval whose current changes sign gives each part to the
 *   row of that sign.
 * - Charge per interval comes from the instrument when it recorded one
 *   (`interval_net_capacity_ah`, else differences of `net_capacity_ah`, else of
 *   the within-cycle `cycle_charging/discharging_capacity_ah`); otherwise the
 *   current is taken as piecewise linear
 *   between samples (trapezoidal rule, split exactly at zero crossings).
 * - Half cycles change when the current sign changes (|I| above the rest
 *   threshold); rest rows stay in the current half cycle (BioLogic's rule).
 * - Cycles: the instrument's `cycle_count` when present; otherwise a new cycle
 *   starts at each half cycle in the opening direction (`cycleMode`), so with
 *   alternating half cycles and "charge-first", cycle = ⌊half cycle / 2⌋.
 */
import { ValidationError } from "../../core/errors.ts";
import { stepTypeName } from "../../io/cycler/index.ts";
import type { CyclerTable, StepTypeName } from "../../io/cycler/index.ts";

/** Options of {@link analyzeCycling}. */
export interface CyclingOptions {
  /** |I| at or below this is no current (rest), A. @default max(1e-12, 1e-5 · max |I|) */
  restCurrent_A?: number;
  /** Which half cycle opens a cycle: charge (cathode-style) or discharge (anode vs Li, lithiation first). @default "charge-first" */
  cycleMode?: "charge-first" | "discharge-first";
  /** Half cycles from the instrument's `half_cycle_count` or from current-sign changes. @default "auto" (instrument when present) */
  halfCycleSource?: "auto" | "instrument" | "current";
  /** Cycles from the instrument's `cycle_count` or from the half cycles. @default "auto" (instrument when present) */
  cycleSource?: "auto" | "instrument" | "half-cycles";
  /** Charge per interval from the instrument's capacity columns (see {@link analyzeCycling}) or by integrating the current. @default "auto" (instrument when present) */
  chargeSource?: "auto" | "instrument" | "current";
}

/** One step execution. */
export interface StepSummary {
  index: number;
  startRow: number;
  /** Last row (inclusive). */
  endRow: number;
  startTime_s: number;
  endTime_s: number;
  /** Instrument program step (`step_id`), NaN when absent. */
  stepId: number;
  type: StepTypeName;
  /** Mean of the rows' current, A. */
  meanCurrent_A: number;
  /** Net charge of the step's intervals, C. */
  charge_C: number;
  startVoltage_V: number;
  endVoltage_V: number;
}

/** One half cycle. */
export interface HalfCycleSummary {
  index: number;
  cycle: number;
  direction: "charge" | "discharge" | "rest";
  startRow: number;
  endRow: number;
  startTime_s: number;
  endTime_s: number;
  /** Anodic charge, C (≥ 0). */
  charge_C: number;
  /** Cathodic charge, C (≥ 0). */
  discharge_C: number;
  /** charge − discharge, C. */
  net_C: number;
}

/** One cycle. */
export interface CycleSummary {
  cycle: number;
  startRow: number;
  endRow: number;
  startTime_s: number;
  endTime_s: number;
  /** Anodic (charge) capacity, C. */
  charge_C: number;
  /** Cathodic (discharge) capacity, C. */
  discharge_C: number;
  /** 100 · second / first half (discharge / charge for "charge-first"), %; NaN when the first is 0. */
  efficiency_pct: number;
  /** first − second, C. */
  irreversible_C: number;
  /** Sum of `irreversible_C` up to and including this cycle, C. */
  cumulativeIrreversible_C: number;
}

/** Result of {@link analyzeCycling}. */
export interface CyclingAnalysis {
  rows: number;
  restCurrent_A: number;
  cycleMode: "charge-first" | "discharge-first";
  sources: { halfCycle: "instrument" | "current"; cycle: "instrument" | "half-cycles"; charge: "instrument" | "current"; step: "instrument" | "current" };
  /** Half-cycle index per row. */
  halfCycle: Int32Array;
  /** Cycle number per row. */
  cycle: Float64Array;
  /** Step index (into `steps`) per row. */
  step: Int32Array;
  /** Net charge since the first row, C. */
  charge_C: Float64Array;
  /** Reduction (cathodic) charge since the first row, C, non-decreasing. */
  reductionCharge_C: Float64Array;
  steps: StepSummary[];
  halfCycles: HalfCycleSummary[];
  cycles: CycleSummary[];
}

function column(table: CyclerTable, name: string): Float64Array {
  const c = table.columns[name];
  if (!c) throw new ValidationError(`columns.${name}`, "required column missing");
  return c;
}

function optionalColumn(table: CyclerTable, name: string): Float64Array | undefined {
  const c = table.columns[name];
  if (!c) return undefined;
  for (let i = 0; i < c.length; i++) if (!Number.isNaN(c[i])) return c;
  return undefined;
}

/** Compensated (Neumaier) running sum. */
class Accumulator {
  sum = 0;
  private c = 0;
  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.c += this.sum - t + x;
    else this.c += x - t + this.sum;
    this.sum = t;
  }
  value(): number {
    return this.sum + this.c;
  }
}

/**
 * Positive and negative parts of ∫ I dt over one interval with I linear from `a` to `b`.
 *
 * @returns `[∫ max(I, 0), ∫ max(−I, 0)]`, both ≥ 0
 */
function trapezoidParts(a: number, b: number, dt: number): [number, number] {
  if (a >= 0 && b >= 0) return [((a + b) / 2) * dt, 0];
  if (a <= 0 && b <= 0) return [0, (-(a + b) / 2) * dt];
  const f = a / (a - b);
  if (a > 0) return [(a * f * dt) / 2, (-b * (1 - f) * dt) / 2];
  return [(b * (1 - f) * dt) / 2, (-a * f * dt) / 2];
}

function checkPair(time_s: Float64Array, current_A: Float64Array): void {
  if (time_s.length !== current_A.length) throw new ValidationError("current_A", `must have as many values as time_s (${time_s.length})`, current_A.length);
}

/**
 * Cumulative charge ∫ I dt from the first sample (trapezoidal rule, compensated sum).
 *
 * @param time_s - sample times, s (non-decreasing)
 * @param current_A - current at those times, A
 * @returns charge at each sample, C (0 at the first)
 * @throws ValidationError when the lengths differ
 * @example cumulativeCharge(Float64Array.of(0, 10), Float64Array.of(1, 1)) // [0, 10]
 */
export function cumulativeCharge(time_s: Float64Array, current_A: Float64Array): Float64Array {
  checkPair(time_s, current_A);
  const out = new Float64Array(time_s.length);
  const acc = new Accumulator();
  for (let i = 1; i < time_s.length; i++) {
    acc.add(((current_A[i - 1] + current_A[i]) / 2) * (time_s[i] - time_s[i - 1]));
    out[i] = acc.value();
  }
  return out;
}

/**
 * Cumulative reduction charge ∫ max(−I, 0) dt at the working electrode, with I
 * linear between samples (zero crossings found exactly).
 *
 * @param time_s - sample times, s (non-decreasing)
 * @param current_A - current, A (positive = anodic)
 * @returns reduction charge at each sample, C (≥ 0, non-decreasing)
 * @throws ValidationError when the lengths differ
 * @example cumulativeReductionCharge(Float64Array.of(0, 2), Float64Array.of(1, -1)) // [0, 0.5]
 */
export function cumulativeReductionCharge(time_s: Float64Array, current_A: Float64Array): Float64Array {
  checkPair(time_s, current_A);
  const out = new Float64Array(time_s.length);
  const acc = new Accumulator();
  for (let i = 1; i < time_s.length; i++) {
    acc.add(trapezoidParts(current_A[i - 1], current_A[i], time_s[i] - time_s[i - 1])[1]);
    out[i] = acc.value();
  }
  return out;
}

/**
 * Half-cycle index per row from current-sign changes: the index increases when
 * |I| exceeds the threshold with the sign opposite to the last such row.
 *
 * @param current_A - current, A
 * @param restCurrent_A - |I| at or below this counts as no current, A
 * @returns half-cycle index per row (0 for the first)
 * @example halfCycleIndex(Float64Array.of(0, 1, 0, -1, 1), 1e-9) // [0, 0, 0, 1, 2]
 */
export function halfCycleIndex(current_A: Float64Array, restCurrent_A: number): Int32Array {
  const out = new Int32Array(current_A.length);
  let sign = 0;
  let h = 0;
  for (let i = 0; i < current_A.length; i++) {
    const I = current_A[i];
    const s = I > restCurrent_A ? 1 : I < -restCurrent_A ? -1 : 0;
    if (s !== 0) {
      if (sign !== 0 && s !== sign) h++;
      sign = s;
    }
    out[i] = h;
  }
  return out;
}

/**
 * The instrument's own charge per interval, C, as `[anodic, cathodic]` parts,
 * from (in order of preference) `interval_net_capacity_ah`, differences of
 * `net_capacity_ah`, or differences of the within-cycle
 * `cycle_charging_capacity_ah` / `cycle_discharging_capacity_ah` (a value that
 * falls, or a new cycle, restarts the count). Undefined when the table has none.
 */
function instrumentIncrements(table: CyclerTable): ((i: number) => [number, number]) | undefined {
  const split = (d: number): [number, number] => (d >= 0 ? [d, 0] : [0, -d]);
  const interval = optionalColumn(table, "interval_net_capacity_ah");
  if (interval) return (i) => split(interval[i] * 3600);
  const net = optionalColumn(table, "net_capacity_ah");
  if (net) return (i) => split((net[i] - net[i - 1]) * 3600);
  const charged = optionalColumn(table, "cycle_charging_capacity_ah");
  const discharged = optionalColumn(table, "cycle_discharging_capacity_ah");
  if (!charged || !discharged) return undefined;
  const cycle = optionalColumn(table, "cycle_count");
  const delta = (c: Float64Array, i: number): number => {
    const restart = (cycle !== undefined && !Object.is(cycle[i], cycle[i - 1])) || c[i] < c[i - 1];
    return (restart ? c[i] : c[i] - c[i - 1]) * 3600;
  };
  return (i) => [delta(charged, i), delta(discharged, i)];
}

/** Default rest threshold: max(1e-12 A, 1e-5 · max |I|). */
function defaultRestCurrent(current: Float64Array): number {
  let max = 0;
  for (let i = 0; i < current.length; i++) {
    const a = Math.abs(current[i]);
    if (a > max) max = a;
  }
  return Math.max(1e-12, 1e-5 * max);
}

/**
 * Segments a record into steps, half cycles and cycles, and sums charge and
 * discharge per half cycle and cycle (capacities, coulombic efficiency,
 * irreversible charge, cumulative reduction charge).
 *
 * @param table - a cycler table (test time, voltage and current required)
 * @param options - thresholds, sources and the cycle mode
 * @returns per-row indexes and per-step/half-cycle/cycle summaries
 * @throws ValidationError when a required column is missing or an option is invalid
 * @example
 * const a = analyzeCycling(readCyclerFile("cell.mpr"));
 * a.cycles.map((c) => c.efficiency_pct);
 */
export function analyzeCycling(table: CyclerTable, options: CyclingOptions = {}): CyclingAnalysis {
  const time = column(table, "test_time_second");
  const current = column(table, "current_ampere");
  const voltage = column(table, "voltage_volt");
  const n = table.rows;
  if (time.length !== n || current.length !== n || voltage.length !== n) throw new ValidationError("rows", "columns must be `rows` long", n);
  const rest = options.restCurrent_A ?? defaultRestCurrent(current);
  if (!(rest >= 0) || !Number.isFinite(rest)) throw new ValidationError("restCurrent_A", "must be a finite number ≥ 0", rest);
  const cycleMode = options.cycleMode ?? "charge-first";
  if (cycleMode !== "charge-first" && cycleMode !== "discharge-first") throw new ValidationError("cycleMode", 'must be "charge-first" or "discharge-first"', cycleMode);

  // charge per interval, attributed to rows
  const increments = instrumentIncrements(table);
  const chargeSource = options.chargeSource === "current" || (options.chargeSource !== "instrument" && !increments) ? "current" : "instrument";
  if (chargeSource === "instrument" && !increments) {
    throw new ValidationError("chargeSource", "instrument charge needs interval_net_capacity_ah, net_capacity_ah or cycle_(dis)charging_capacity_ah", "instrument");
  }
  const pos = new Float64Array(n);
  const neg = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    if (chargeSource === "instrument" && increments) {
      const [p, m] = increments(i);
      if (!Number.isNaN(p) && !Number.isNaN(m)) {
        pos[i] += p;
        neg[i] += m;
        continue;
      }
    }
    const a = current[i - 1];
    const b = current[i];
    const [p, m] = trapezoidParts(a, b, time[i] - time[i - 1]);
    if ((a > 0 && b < 0) || (a < 0 && b > 0)) {
      if (a > 0) {
        pos[i - 1] += p;
        neg[i] += m;
      } else {
        neg[i - 1] += m;
        pos[i] += p;
      }
    } else {
      pos[i] += p;
      neg[i] += m;
    }
  }
  const charge = new Float64Array(n);
  const reduction = new Float64Array(n);
  {
    const q = new Accumulator();
    const r = new Accumulator();
    for (let i = 0; i < n; i++) {
      q.add(pos[i]);
      q.add(-neg[i]);
      r.add(neg[i]);
      charge[i] = q.value();
      reduction[i] = r.value();
    }
  }

  // half cycles
  const instrumentHalf = optionalColumn(table, "half_cycle_count");
  const useInstrumentHalf = options.halfCycleSource === "instrument" || (options.halfCycleSource !== "current" && instrumentHalf !== undefined);
  if (useInstrumentHalf && !instrumentHalf) throw new ValidationError("halfCycleSource", "no half_cycle_count column", "instrument");
  let halfCycle: Int32Array;
  if (useInstrumentHalf && instrumentHalf) {
    halfCycle = new Int32Array(n);
    let last = 0;
    for (let i = 0; i < n; i++) {
      const v = instrumentHalf[i];
      if (Number.isFinite(v)) last = v;
      halfCycle[i] = last;
    }
  } else halfCycle = halfCycleIndex(current, rest);

  const halfCycles: HalfCycleSummary[] = [];
  for (let i = 0; i < n; ) {
    let j = i;
    const p = new Accumulator();
    const m = new Accumulator();
    while (j < n && halfCycle[j] === halfCycle[i]) {
      p.add(pos[j]);
      m.add(neg[j]);
      j++;
    }
    const c = p.value();
    const d = m.value();
    halfCycles.push({
      index: halfCycle[i], cycle: 0, direction: c > d ? "charge" : d > c ? "discharge" : "rest",
      startRow: i, endRow: j - 1, startTime_s: time[i], endTime_s: time[j - 1], charge_C: c, discharge_C: d, net_C: c - d,
    });
    i = j;
  }

  // cycles
  const instrumentCycle = optionalColumn(table, "cycle_count");
  const useInstrumentCycle = options.cycleSource === "instrument" || (options.cycleSource !== "half-cycles" && instrumentCycle !== undefined);
  if (useInstrumentCycle && !instrumentCycle) throw new ValidationError("cycleSource", "no cycle_count column", "instrument");
  const cycle = new Float64Array(n);
  if (useInstrumentCycle && instrumentCycle) {
    let last = NaN;
    for (let i = 0; i < n; i++) {
      if (Number.isFinite(instrumentCycle[i])) last = instrumentCycle[i];
      cycle[i] = Number.isNaN(last) ? 0 : last;
    }
    if (n > 0 && !Number.isFinite(instrumentCycle[0])) {
      let k = 0;
      while (k < n && !Number.isFinite(instrumentCycle[k])) k++;
      cycle.fill(k < n ? instrumentCycle[k] : 0, 0, k);
    }
  } else {
    const opening = cycleMode === "charge-first" ? "charge" : "discharge";
    let c = 0;
    halfCycles.forEach((h, k) => {
      if (k > 0 && h.direction === opening) c++;
      cycle.fill(c, h.startRow, h.endRow + 1);
    });
  }
  for (const h of halfCycles) h.cycle = cycle[h.startRow];

  const cycles: CycleSummary[] = [];
  const irreversible = new Accumulator();
  for (let i = 0; i < n; ) {
    let j = i;
    const p = new Accumulator();
    const m = new Accumulator();
    while (j < n && cycle[j] === cycle[i]) {
      p.add(pos[j]);
      m.add(neg[j]);
      j++;
    }
    const c = p.value();
    const d = m.value();
    const [first, second] = cycleMode === "charge-first" ? [c, d] : [d, c];
    irreversible.add(first - second);
    cycles.push({
      cycle: cycle[i], startRow: i, endRow: j - 1, startTime_s: time[i], endTime_s: time[j - 1], charge_C: c, discharge_C: d,
      efficiency_pct: first > 0 ? (100 * second) / first : NaN, irreversible_C: first - second, cumulativeIrreversible_C: irreversible.value(),
    });
    i = j;
  }

  // steps
  const stepCount = optionalColumn(table, "step_count");
  const stepId = optionalColumn(table, "step_id");
  const stepType = optionalColumn(table, "step_type");
  const keys = [stepCount, stepId, stepType].filter((c): c is Float64Array => c !== undefined);
  const stepSource = keys.length > 0 ? "instrument" : "current";
  const cls = (I: number): number => (I > rest ? 1 : I < -rest ? -1 : 0);
  const boundary = (i: number): boolean => {
    if (cycle[i] !== cycle[i - 1]) return true;
    if (keys.length === 0) return cls(current[i]) !== cls(current[i - 1]);
    for (const k of keys) if (!Object.is(k[i], k[i - 1])) return true;
    return false;
  };
  const step = new Int32Array(n);
  const steps: StepSummary[] = [];
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && !boundary(j)) j++;
    const index = steps.length;
    step.fill(index, i, j);
    let sumI = 0;
    let minI = Infinity;
    let maxI = -Infinity;
    let minV = Infinity;
    let maxV = -Infinity;
    const q = new Accumulator();
    for (let k = i; k < j; k++) {
      sumI += current[k];
      minI = Math.min(minI, current[k]);
      maxI = Math.max(maxI, current[k]);
      minV = Math.min(minV, voltage[k]);
      maxV = Math.max(maxV, voltage[k]);
      if (k > i) q.add(pos[k] - neg[k]);
    }
    const mean = sumI / (j - i);
    const type = stepType ? stepTypeName(stepType[i]) : classifyStep(mean, minI, maxI, minV, maxV, rest);
    steps.push({
      index, startRow: i, endRow: j - 1, startTime_s: time[i], endTime_s: time[j - 1], stepId: stepId ? stepId[i] : NaN, type,
      meanCurrent_A: mean, charge_C: q.value(), startVoltage_V: voltage[i], endVoltage_V: voltage[j - 1],
    });
    i = j;
  }
  return {
    rows: n, restCurrent_A: rest, cycleMode,
    sources: { halfCycle: useInstrumentHalf ? "instrument" : "current", cycle: useInstrumentCycle ? "instrument" : "half-cycles", charge: chargeSource, step: stepSource },
    halfCycle, cycle, step, charge_C: charge, reductionCharge_C: reduction, steps, halfCycles, cycles,
  };
}

/**
 * Step type from its current and voltage (cellpy-style defaults): rest when
 * |I| ≤ threshold throughout; constant current when the current varies by at
 * most 4 % of its mean; constant voltage when the voltage varies by at most 0.2 %.
 */
function classifyStep(mean: number, minI: number, maxI: number, minV: number, maxV: number, rest: number): StepTypeName {
  if (Math.max(Math.abs(minI), Math.abs(maxI)) <= rest) return "REST";
  const charge = mean > 0;
  if (maxI - minI <= 0.04 * Math.abs(mean)) return charge ? "CC_CHG" : "CC_DCH";
  if (maxV - minV <= 0.002 * Math.abs((maxV + minV) / 2)) return charge ? "CV_CHG" : "CV_DCH";
  return charge ? "CHG" : "DCH";
}

// ---------------------------------------------------------------------------
// State over a time window
// ---------------------------------------------------------------------------

/** Electrochemical state over `[tStart, tEnd]` (see {@link stateAt}). */
export interface ElectrochemicalState {
  tStart_s: number;
  tEnd_s: number;
  /** Fraction of the window inside the record (1 for an instant inside it). */
  coverage: number;
  /** Time-weighted mean potential over the covered part, V. */
  meanPotential_V: number;
  /** Time-weighted mean current over the covered part, A. */
  meanCurrent_A: number;
  /** ∫ I dt over the window, C. */
  charge_C: number;
  /** ∫ max(−I, 0) dt over the window, C. */
  reductionCharge_C: number;
  /** ∫ I dt from the first sample to tStart (0 before the record), C. */
  chargeAtStart_C: number;
  /** ∫ I dt from the first sample to tEnd, C. */
  chargeAtEnd_C: number;
  /** Reduction charge from the first sample to tStart, C. */
  reductionChargeAtStart_C: number;
  /** Reduction charge from the first sample to tEnd, C. */
  reductionChargeAtEnd_C: number;
  /** Cycle, half cycle, step and step type covering most of the window (−1/"UNKNOWN" when none). */
  cycle: number;
  halfCycle: number;
  step: number;
  stepType: StepTypeName;
  /** Every cycle, half cycle and step type the window touches, in order. */
  cycles: number[];
  halfCycles: number[];
  stepTypes: StepTypeName[];
}

interface StateCache {
  time: Float64Array;
  current: Float64Array;
  voltage: Float64Array;
  charge: Float64Array;
  reduction: Float64Array;
  analysis: CyclingAnalysis;
}

const stateCaches = new WeakMap<CyclerTable, Map<string, StateCache>>();

function stateCache(table: CyclerTable, options: CyclingOptions): StateCache {
  const key = JSON.stringify(options);
  let byOptions = stateCaches.get(table);
  if (!byOptions) {
    byOptions = new Map();
    stateCaches.set(table, byOptions);
  }
  const hit = byOptions.get(key);
  if (hit) return hit;
  const time = column(table, "test_time_second");
  for (let i = 0; i < time.length; i++) {
    if (!Number.isFinite(time[i]) || (i > 0 && time[i] < time[i - 1])) {
      throw new ValidationError("columns.test_time_second", `must be finite and non-decreasing for stateAt (row ${i})`, time[i]);
    }
  }
  const current = column(table, "current_ampere");
  const cache: StateCache = {
    time, current, voltage: column(table, "voltage_volt"),
    charge: cumulativeCharge(time, current), reduction: cumulativeReductionCharge(time, current),
    analysis: analyzeCycling(table, options),
  };
  byOptions.set(key, cache);
  return cache;
}

/** First index with t[i] > x (t non-decreasing). */
function upperBound(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** y at time x inside interval (i − 1, i]. */
function interpolate(t: Float64Array, y: Float64Array, i: number, x: number): number {
  if (x === t[i]) return y[i];
  if (x === t[i - 1]) return y[i - 1];
  return y[i - 1] + ((y[i] - y[i - 1]) * (x - t[i - 1])) / (t[i] - t[i - 1]);
}

/** Cumulative charge and reduction charge from the first sample to x (clamped to the record). */
function chargeUpTo(c: StateCache, x: number): [number, number] {
  const t = c.time;
  const n = t.length;
  if (n === 0 || x <= t[0]) return [0, 0];
  if (x >= t[n - 1]) return [c.charge[n - 1], c.reduction[n - 1]];
  const i = upperBound(t, x);
  const a = c.current[i - 1];
  const b = interpolate(t, c.current, i, x);
  const [p, m] = trapezoidParts(a, b, x - t[i - 1]);
  return [c.charge[i - 1] + p - m, c.reduction[i - 1] + m];
}

/**
 * The electrochemical state over an exposure window: time-weighted means of
 * potential and current, charge and reduction charge passed, and the cycle,
 * half cycle and step type. Signals are linear between samples and the window
 * edges are interpolated exactly, so piecewise-linear current programs sampled
 * at their breakpoints give analytic results to rounding. Labels of interval
 * (t[i−1], t[i]] are those of row i. The current column is integrated (never the
 * instrument's capacity columns). Results are cached per table and options.
 *
 * @param table - cycler table with non-decreasing, finite test time
 * @param tStart - window start, s on the table's `test_time_second` axis
 * @param tEnd - window end, s (≥ tStart)
 * @param options - segmentation options (see {@link analyzeCycling})
 * @returns the state; `coverage` < 1 when the window leaves the record, and NaN means with coverage 0
 * @throws ValidationError for a non-finite or reversed window, or a decreasing time column
 * @example
 * const s = stateAt(table, 3600, 3900);
 * s.meanPotential_V; s.charge_C; s.cycle;
 */
export function stateAt(table: CyclerTable, tStart: number, tEnd: number, options: CyclingOptions = {}): ElectrochemicalState {
  if (!Number.isFinite(tStart)) throw new ValidationError("tStart", "must be finite", tStart);
  if (!Number.isFinite(tEnd) || tEnd < tStart) throw new ValidationError("tEnd", `must be finite and ≥ tStart (${tStart})`, tEnd);
  const c = stateCache(table, options);
  const { time: t, current: I, voltage: V, analysis } = c;
  const n = t.length;
  const [qStart, rStart] = chargeUpTo(c, tStart);
  const [qEnd, rEnd] = chargeUpTo(c, tEnd);
  const result: ElectrochemicalState = {
    tStart_s: tStart, tEnd_s: tEnd, coverage: 0, meanPotential_V: NaN, meanCurrent_A: NaN, charge_C: 0, reductionCharge_C: 0,
    chargeAtStart_C: qStart, chargeAtEnd_C: qEnd, reductionChargeAtStart_C: rStart, reductionChargeAtEnd_C: rEnd,
    cycle: -1, halfCycle: -1, step: -1, stepType: "UNKNOWN", cycles: [], halfCycles: [], stepTypes: [],
  };
  if (n === 0) return result;
  const lo = Math.max(tStart, t[0]);
  const hi = Math.min(tEnd, t[n - 1]);
  if (hi < lo) return result;
  const cycleTime = new Map<number, number>();
  const halfTime = new Map<number, number>();
  const stepTime = new Map<number, number>();
  const label = (row: number, dt: number): void => {
    const cy = analysis.cycle[row];
    const h = analysis.halfCycle[row];
    const s = analysis.step[row];
    cycleTime.set(cy, (cycleTime.get(cy) ?? 0) + dt);
    halfTime.set(h, (halfTime.get(h) ?? 0) + dt);
    stepTime.set(s, (stepTime.get(s) ?? 0) + dt);
  };
  if (hi === lo) {
    // an instant (or a window touching the record at one point)
    const i = upperBound(t, lo);
    const row = i >= n ? n - 1 : lo === t[0] ? 0 : Math.max(i, 1);
    const inner = Math.min(Math.max(i, 1), n - 1);
    result.coverage = tEnd === tStart ? 1 : 0;
    result.meanPotential_V = n === 1 ? V[0] : interpolate(t, V, inner, lo);
    result.meanCurrent_A = n === 1 ? I[0] : interpolate(t, I, inner, lo);
    label(row, 1);
  } else {
    const sumV = new Accumulator();
    const sumI = new Accumulator();
    const sumR = new Accumulator();
    for (let i = Math.max(1, upperBound(t, lo)); i < n && t[i - 1] < hi; i++) {
      const ta = Math.max(t[i - 1], lo);
      const tb = Math.min(t[i], hi);
      if (!(tb > ta)) continue;
      const dt = tb - ta;
      const va = interpolate(t, V, i, ta);
      const vb = interpolate(t, V, i, tb);
      const ia = interpolate(t, I, i, ta);
      const ib = interpolate(t, I, i, tb);
      sumV.add(((va + vb) / 2) * dt);
      const [p, m] = trapezoidParts(ia, ib, dt);
      sumI.add(p);
      sumI.add(-m);
      sumR.add(m);
      label(i, dt);
    }
    const span = hi - lo;
    result.coverage = span / (tEnd - tStart);
    result.meanPotential_V = sumV.value() / span;
    result.charge_C = sumI.value();
    result.meanCurrent_A = result.charge_C / span;
    result.reductionCharge_C = sumR.value();
  }
  const dominant = (m: Map<number, number>): number => {
    let best = -1;
    let bestTime = -Infinity;
    for (const [k, v] of m) if (v > bestTime) { best = k; bestTime = v; }
    return best;
  };
  result.cycle = dominant(cycleTime);
  result.halfCycle = dominant(halfTime);
  result.step = dominant(stepTime);
  result.stepType = result.step >= 0 ? analysis.steps[result.step].type : "UNKNOWN";
  result.cycles = [...cycleTime.keys()];
  result.halfCycles = [...halfTime.keys()];
  result.stepTypes = [...new Set([...stepTime.keys()].map((s) => analysis.steps[s].type))];
  return result;
}

// ---------------------------------------------------------------------------
// Differential analyses
// ---------------------------------------------------------------------------

/** Options of {@link differentialVoltage} and {@link incrementalCapacity}. */
export interface DifferentialOptions extends CyclingOptions {
  /** Points of the uniform charge grid per half cycle. @default 1000 */
  gridPoints?: number;
  /** Savitzky–Golay window, grid points (odd, > order). @default the odd number nearest gridPoints / 50, at least order + 2 */
  window?: number;
  /** Savitzky–Golay polynomial order. @default 3 */
  order?: number;
  /** Voltage grid step for dQ/dV, V. @default 0.005 */
  voltageStep_V?: number;
  /** Half cycles with fewer current-carrying samples are skipped. @default 10 */
  minSamples?: number;
}

/** dV/dQ of one half cycle on a uniform charge grid. */
export interface DifferentialVoltageCurve {
  halfCycle: number;
  cycle: number;
  direction: "charge" | "discharge";
  /** Charge passed since the half cycle started (unsigned), Ah. */
  capacity_Ah: Float64Array;
  /** Smoothed potential, V. */
  voltage_V: Float64Array;
  /** dV/dQ, V/Ah (negative on discharge, where V falls as capacity grows). */
  dVdQ_V_per_Ah: Float64Array;
}

/** dQ/dV of one half cycle on a uniform voltage grid. */
export interface IncrementalCapacityCurve {
  halfCycle: number;
  cycle: number;
  direction: "charge" | "discharge";
  voltage_V: Float64Array;
  capacity_Ah: Float64Array;
  /** dQ/dV, Ah/V (negative on discharge). */
  dQdV_Ah_per_V: Float64Array;
}

/**
 * Savitzky–Golay weights for the value (`derivative` 0) or first derivative
 * (`derivative` 1, per grid step) at offset 0 of a least-squares polynomial of
 * `order` through the points at integer offsets `from … to` (offsets are scaled
 * by the window half-width before the normal equations are solved).
 *
 * @param from - first offset (≤ 0)
 * @param to - last offset (≥ 0)
 * @param order - polynomial order (< to − from + 1)
 * @param derivative - 0 for the smoothed value, 1 for the derivative per grid step
 * @returns weights for the points `from … to`
 * @example savitzkyGolayWeights(-2, 2, 2, 0) // [-3, 12, 17, 12, -3] / 35
 */
export function savitzkyGolayWeights(from: number, to: number, order: number, derivative: 0 | 1): Float64Array {
  const m = order + 1;
  const scale = Math.max(1, Math.abs(from), Math.abs(to));
  const ata = Array.from({ length: m }, () => new Float64Array(m));
  for (let x = from; x <= to; x++) {
    const u = x / scale;
    for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) ata[r][c] += u ** (r + c);
  }
  // solve ata · z = e_derivative (Gauss–Jordan with partial pivoting)
  const rhs = new Float64Array(m);
  rhs[derivative] = 1;
  for (let col = 0; col < m; col++) {
    let p = col;
    for (let r = col + 1; r < m; r++) if (Math.abs(ata[r][col]) > Math.abs(ata[p][col])) p = r;
    [ata[col], ata[p]] = [ata[p], ata[col]];
    [rhs[col], rhs[p]] = [rhs[p], rhs[col]];
    for (let r = 0; r < m; r++) {
      if (r === col) continue;
      const f = ata[r][col] / ata[col][col];
      for (let c = col; c < m; c++) ata[r][c] -= f * ata[col][c];
      rhs[r] -= f * rhs[col];
    }
  }
  const z = rhs.map((v, r) => v / ata[r][r]);
  const w = new Float64Array(to - from + 1);
  for (let x = from; x <= to; x++) {
    const u = x / scale;
    let s = 0;
    for (let r = 0; r < m; r++) s += z[r] * u ** r;
    w[x - from] = derivative === 1 ? s / scale : s;
  }
  return w;
}

/**
 * Savitzky–Golay smoothing or first derivative of uniformly spaced samples;
 * near the ends the window is shifted inward (same length, asymmetric fit).
 *
 * @param y - samples on a uniform grid
 * @param step - grid spacing (for the derivative)
 * @param window - odd window length (clipped to the data length)
 * @param order - polynomial order
 * @param derivative - 0 for the smoothed value, 1 for dy/dx
 * @returns the filtered samples
 */
export function savitzkyGolay(y: Float64Array, step: number, window: number, order: number, derivative: 0 | 1): Float64Array {
  const n = y.length;
  const out = new Float64Array(n);
  let w = Math.min(window, n % 2 === 1 ? n : n - 1);
  if (w % 2 === 0) w--;
  const p = Math.min(order, w - 1);
  if (w < 2 || p < derivative) {
    if (derivative === 0) out.set(y);
    else for (let i = 0; i < n; i++) out[i] = n < 2 ? NaN : (y[Math.min(i + 1, n - 1)] - y[Math.max(i - 1, 0)]) / ((Math.min(i + 1, n - 1) - Math.max(i - 1, 0)) * step);
    return out;
  }
  const h = (w - 1) / 2;
  const cache = new Map<number, Float64Array>();
  const weights = (from: number): Float64Array => {
    let c = cache.get(from);
    if (!c) {
      c = savitzkyGolayWeights(from, from + w - 1, p, derivative);
      cache.set(from, c);
    }
    return c;
  };
  for (let i = 0; i < n; i++) {
    const start = Math.min(Math.max(i - h, 0), n - w);
    const c = weights(start - i);
    let s = 0;
    for (let k = 0; k < w; k++) s += c[k] * y[start + k];
    out[i] = derivative === 1 ? s / step : s;
  }
  return out;
}

/** Linear interpolation of (x, y) (x strictly increasing) at `at`. */
function interp(x: Float64Array, y: Float64Array, at: Float64Array): Float64Array {
  const out = new Float64Array(at.length);
  let j = 1;
  for (let k = 0; k < at.length; k++) {
    const v = at[k];
    while (j < x.length - 1 && x[j] < v) j++;
    const f = (v - x[j - 1]) / (x[j] - x[j - 1]);
    out[k] = y[j - 1] + (y[j] - y[j - 1]) * f;
  }
  return out;
}

interface HalfCycleCurve {
  halfCycle: number;
  cycle: number;
  direction: "charge" | "discharge";
  q: Float64Array;
  v: Float64Array;
}

/** Current-carrying samples of each charge/discharge half cycle with strictly increasing |charge| (Ah). */
function halfCycleCurves(table: CyclerTable, analysis: CyclingAnalysis, minSamples: number): HalfCycleCurve[] {
  const V = column(table, "voltage_volt");
  const I = column(table, "current_ampere");
  const curves: HalfCycleCurve[] = [];
  for (const h of analysis.halfCycles) {
    if (h.direction === "rest") continue;
    const sign = h.direction === "charge" ? 1 : -1;
    const start = analysis.charge_C[h.startRow > 0 ? h.startRow - 1 : 0];
    const q: number[] = [];
    const v: number[] = [];
    for (let i = h.startRow; i <= h.endRow; i++) {
      if (!(sign * I[i] > analysis.restCurrent_A)) continue;
      const qi = (sign * (analysis.charge_C[i] - start)) / 3600;
      if (!Number.isFinite(qi) || !Number.isFinite(V[i])) continue;
      if (q.length > 0 && qi <= q[q.length - 1]) continue;
      q.push(qi);
      v.push(V[i]);
    }
    if (q.length < minSamples) continue;
    curves.push({ halfCycle: h.index, cycle: h.cycle, direction: h.direction, q: Float64Array.from(q), v: Float64Array.from(v) });
  }
  return curves;
}

interface ResolvedDifferential {
  gridPoints: number;
  window: number;
  order: number;
  voltageStep: number;
  minSamples: number;
}

function resolveDifferential(options: DifferentialOptions): ResolvedDifferential {
  const gridPoints = options.gridPoints ?? 1000;
  if (!Number.isInteger(gridPoints) || gridPoints < 5) throw new ValidationError("gridPoints", "must be an integer ≥ 5", gridPoints);
  const order = options.order ?? 3;
  if (!Number.isInteger(order) || order < 1 || order > 6) throw new ValidationError("order", "must be an integer from 1 to 6", order);
  let window = options.window ?? Math.max(order + 2, 2 * Math.round(gridPoints / 100) + 1);
  if (!Number.isInteger(window) || window <= order) throw new ValidationError("window", `must be an integer > order (${order})`, window);
  if (window % 2 === 0) window++;
  const voltageStep = options.voltageStep_V ?? 0.005;
  if (!(voltageStep > 0) || !Number.isFinite(voltageStep)) throw new ValidationError("voltageStep_V", "must be a positive number", voltageStep);
  const minSamples = options.minSamples ?? 10;
  return { gridPoints, window, order, voltageStep, minSamples: Math.max(2, minSamples) };
}

function uniformGrid(lo: number, hi: number, count: number): Float64Array {
  const g = new Float64Array(count);
  for (let k = 0; k < count; k++) g[k] = lo + ((hi - lo) * k) / (count - 1);
  g[count - 1] = hi;
  return g;
}

/**
 * Differential voltage dV/dQ per charge and discharge half cycle.
 *
 * Pipeline: the half cycle's current-carrying samples give V(Q), with Q the
 * unsigned charge passed since the half cycle began (from {@link analyzeCycling});
 * V is interpolated linearly onto a uniform grid of `gridPoints` charges, then a
 * Savitzky–Golay filter (order `order`, `window` grid points, ≈ gridPoints / 50)
 * gives the smoothed V and its derivative in one pass.
 *
 * @param table - cycler table
 * @param options - grid, smoothing and segmentation options
 * @returns one curve per half cycle with at least `minSamples` samples
 * @throws ValidationError for invalid options
 */
export function differentialVoltage(table: CyclerTable, options: DifferentialOptions = {}): DifferentialVoltageCurve[] {
  const o = resolveDifferential(options);
  const analysis = analyzeCycling(table, options);
  return halfCycleCurves(table, analysis, o.minSamples).map((c) => {
    const grid = uniformGrid(c.q[0], c.q[c.q.length - 1], o.gridPoints);
    const v = interp(c.q, c.v, grid);
    const step = grid[1] - grid[0];
    return {
      halfCycle: c.halfCycle, cycle: c.cycle, direction: c.direction, capacity_Ah: grid,
      voltage_V: savitzkyGolay(v, step, o.window, o.order, 0), dVdQ_V_per_Ah: savitzkyGolay(v, step, o.window, o.order, 1),
    };
  });
}

/**
 * Incremental capacity dQ/dV per charge and discharge half cycle.
 *
 * Pipeline: smoothed V(Q) on a uniform charge grid as in
 * {@link differentialVoltage}; V made monotonic in the half cycle's direction
 * (running maximum on charge, running minimum on discharge); Q(V) interpolated
 * onto a uniform voltage grid with step `voltageStep_V`; Savitzky–Golay
 * derivative (same order, window scaled to the voltage grid: the odd number
 * nearest points / 50, at least order + 2).
 *
 * @param table - cycler table
 * @param options - grid, smoothing and segmentation options
 * @returns one curve per half cycle whose voltage range spans at least `order + 2` grid steps
 * @throws ValidationError for invalid options
 */
export function incrementalCapacity(table: CyclerTable, options: DifferentialOptions = {}): IncrementalCapacityCurve[] {
  const o = resolveDifferential(options);
  const curves: IncrementalCapacityCurve[] = [];
  for (const dv of differentialVoltage(table, options)) {
    const sign = dv.direction === "charge" ? 1 : -1;
    // monotonic V in the direction of travel, as (x = sign·V strictly increasing, y = Q)
    const xs: number[] = [];
    const ys: number[] = [];
    let runMax = -Infinity;
    for (let k = 0; k < dv.voltage_V.length; k++) {
      const x = sign * dv.voltage_V[k];
      if (x > runMax) {
        runMax = x;
        xs.push(x);
        ys.push(dv.capacity_Ah[k]);
      }
    }
    if (xs.length < 2) continue;
    const lo = xs[0];
    const hi = xs[xs.length - 1];
    const count = Math.floor((hi - lo) / o.voltageStep + 1e-9) + 1;
    if (count < o.order + 2) continue;
    const gridX = uniformGrid(lo, lo + (count - 1) * o.voltageStep, count);
    const q = interp(Float64Array.from(xs), Float64Array.from(ys), gridX);
    const window = options.window ?? Math.max(o.order + 2, 2 * Math.round(count / 100) + 1);
    const dqdx = savitzkyGolay(q, o.voltageStep, window % 2 === 0 ? window + 1 : window, o.order, 1);
    const voltage = gridX.map((x) => sign * x);
    const dQdV = dqdx.map((d) => sign * d);
    curves.push({ halfCycle: dv.halfCycle, cycle: dv.cycle, direction: dv.direction, voltage_V: voltage, capacity_Ah: q, dQdV_Ah_per_V: dQdV });
  }
  return curves;
}
