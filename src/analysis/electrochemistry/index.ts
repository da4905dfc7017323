/**
 * @module analysis/electrochemistry
 * Derived electrochemistry on cycler tables (`io/cycler`): segmentation into
 * steps, half cycles and cycles; capacities, coulombic efficiency, irreversible
 * and reduction charge; the state over a time window; dV/dQ and dQ/dV.
 * Units: s, V, A, C (charge), Ah (capacity axes of the differential curves), %.
 * Current sign: positive = anodic at the working electrode.
 */
export {
  analyzeCycling, cumulativeCharge, cumulativeReductionCharge, halfCycleIndex, stateAt, differentialVoltage,
  incrementalCapacity, savitzkyGolay, savitzkyGolayWeights,
} from "./derived.ts";
export type {
  CyclingOptions, CyclingAnalysis, StepSummary, HalfCycleSummary, CycleSummary, ElectrochemicalState, DifferentialOptions,
  DifferentialVoltageCurve, IncrementalCapacityCurve,
} from "./derived.ts";
