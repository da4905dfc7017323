/**
 * @module api
 * Strata's public API: everything the `strata` command does, as functions returning typed
 * results whose `toJSON()` is the command's `--json` output (`strata-diagnosis/1` for a
 * diagnosis). Units follow refnx: thickness and roughness in Å, SLD in 10⁻⁶ Å⁻², Q in Å⁻¹;
 * impedance in Ω, frequency in Hz; time in s, dose in Gy.
 *
 * ```js
 * import { sld, reflectivity, diagnose } from "strata";
 * sld("LiF", { density: 2.635, energy_keV: 8.048 }).sld;          // 22.6…
 * const diagnosis = await diagnose("examples/campaign", { progress: (stage, f) => … });
 * diagnosis.write("out");                                         // diagnosis.json + report.html
 * ```
 */
export { STRATA_VERSION } from "../core/version.ts";
export { EngineError, ValidationError, ParseError } from "../core/errors.ts";
export { sld, type SldOptions, type SldResult } from "./materials.ts";
export { reflectivity, reflectModel, sldProfile, type ModelInput, type ReflectivityCurve, type SldProfile, type ReflectModel } from "./reflectivity.ts";
export * from "./files.ts";
export { fit, type FitSettings, type FitReport } from "./fit.ts";
export {
  readSpectrum,
  fitCircuit,
  kramersKronig,
  distributionOfRelaxationTimes,
  circuitImpedance,
  simulateSpectrum,
  readSpectrumTimes,
  impedanceSequence,
  arcParameters,
  circuitPolarisation,
  type ImpedanceSequenceReport,
  type ImpedanceSequence,
  type ArcParameters,
  type ImpedanceTimes,
  type SimulatedSpectrum,
  type CircuitFitReport,
  type KramersKronigReport,
  type DrtReport,
  type CircuitFitResult,
  type FitCircuitOptions,
  type LinKKOptions,
  type DrtOptions,
} from "./impedance.ts";
export { loadCampaign, inspectCampaign, simulate, type Campaign, type Inspection, type LoadCampaignOptions } from "./campaign.ts";
export { diagnose, DiagnosisResult, DIAGNOSE_DEFAULTS, type DiagnoseSettings } from "./diagnosis.ts";
export { doseLedger, planDose, PLAN_FORMAT, type DoseLedgerResult, type DoseLedger, type PlanPrediction } from "./dose.ts";
export type { LawName } from "../models/growthLaws.ts";
