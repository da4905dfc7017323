/** Simulate a campaign into a temp folder, load it and diagnose it, in-process. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { simulateCampaign } from "../../src/simulation/simulate.ts";
import { loadCampaign } from "../../src/campaign/campaign.ts";
import { diagnoseCampaign, type Diagnosis, type PopulationSection } from "../../src/diagnosis/diagnose.ts";
import type { DiagnoseOptions } from "../../src/diagnosis/diagnoseCell.ts";
import { LAW_NAMES, type LawName } from "../../src/models/growthLaws.ts";

export interface Truth {
  law: { name: LawName; parameters: Record<string, number> };
  faradaicFraction: number;
  thicknessPerCharge_A_cm2_per_C: number;
  conductivity_S_per_m?: number;
  permittivity?: number;
  cells: Record<string, { scans: { scan: string; time_s: number; thickness_A: number; qred_C_per_cm2: number }[] }>;
}

export const TRUE_PARAMETERS: Record<LawName, Record<string, number>> = {
  linear: { L0: 20, k: 8e-4 },
  parabolic: { L0: 20, kp: 0.06 },
  mixed: { L0: 20, A: 25, B: 0.08 },
  logarithmic: { L0: 20, a: 12, tau: 2500 },
  charge: { L0: 20, f: 0.7 },
};

export async function simulateAndDiagnose(
  scenario: Record<string, unknown>,
  options: Partial<DiagnoseOptions> = {},
): Promise<{ truth: Truth; diagnosis: Diagnosis; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-diag-"));
  const truth = simulateCampaign(scenario, dir) as unknown as Truth;
  const campaign = await loadCampaign(dir);
  const diagnosis = await diagnoseCampaign(campaign, {
    mode: "joint",
    laws: [...LAW_NAMES],
    seed: 1,
    mcmc: { walkers: 16, steps: 300, burn: 150 },
    ...options,
  });
  fs.rmSync(dir, { recursive: true, force: true });
  return { truth, diagnosis, dir };
}

export function scenarioFor(law: LawName, seed: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    seed,
    probe: seed % 2 === 0 ? "xray" : "neutron",
    law: { name: law, parameters: TRUE_PARAMETERS[law] },
    faradaicFraction: 1,
    scans: { count: 12, interval_s: 2700, exposure_s: 300, qMin: 0.012, qMax: 0.28, points: 80, dqOverQ_fwhm: 0.05, incident: 2e6, background: 0 },
    ...extra,
  };
}

/** Replicate cells of the population tests (hierarchical, populationAllLaws) and their linear k's log-normal spread. */
export const REPLICATE_CELLS = 6;
export const REPLICATE_LOG_SD = 0.2;

/** A campaign of replicate X-ray cells whose linear growth rate k is drawn log-normally (log-sd {@link REPLICATE_LOG_SD}). */
export function replicateScenario(seed: number, cells = REPLICATE_CELLS, scans = 6): Record<string, unknown> {
  return {
    seed,
    probe: "xray",
    law: { name: "linear", parameters: TRUE_PARAMETERS.linear },
    cells,
    population: { k: REPLICATE_LOG_SD },
    scans: { count: scans, interval_s: 2700, exposure_s: 300, qMin: 0.012, qMax: 0.28, points: 60, dqOverQ_fwhm: 0.05, incident: 1e5, background: 0 },
  };
}

/** Issue 13's all-laws population campaign: the replicate cells measured by neutrons, parabolic growth whose kp is drawn log-normally (log-sd {@link REPLICATE_LOG_SD}), in a potentiostatic hold. */
export function allLawsPopulationScenario(seed: number): Record<string, unknown> {
  return { ...replicateScenario(seed), probe: "neutron", law: { name: "parabolic", parameters: TRUE_PARAMETERS.parabolic }, population: { kp: REPLICATE_LOG_SD }, faradaicFraction: 1 };
}

/** kp's population under the parabolic law, fitted as the pooled law or beside it as an alternative (undefined: not reported). */
export function parabolicKpPopulation(population: PopulationSection): PopulationSection["parameters"][string] | undefined {
  const underParabolic = [population, ...(population.alternatives ?? [])].find((u): u is PopulationSection | NonNullable<PopulationSection["alternatives"]>[number] => u.law === "parabolic");
  return underParabolic?.parameters["kp"];
}

/** The reduced MCMC of the default statistics tests (16 walkers, 300 steps). */
export const REDUCED_MCMC = { walkers: 16, steps: 300, burn: 150 };

/** A 95 % interval as diagnosis.json writes it. */
export interface IntervalJson {
  median: number;
  lo95: number;
  hi95: number;
}

/** What the default statistics tests read of a cell of diagnosis.json. */
export interface CellSummaryJson {
  shared?: Record<string, IntervalJson>;
  growth: Record<string, { parameters: Record<string, IntervalJson> }>;
  timeline: { scan: string; layers: Record<string, { thickness_A: IntervalJson }> }[];
  fit: { chi2: number; points: number };
}

/** A minimal valid neutron manifest (Si | Cu | SEI | THF, the SEI and THF by explicit SLD) for manifest-checking tests; `scans` as given. */
export function minimalNeutronManifest(scans: unknown[] = []): { cells: { stack: Record<string, unknown>[]; [key: string]: unknown }[]; scans: unknown[]; [key: string]: unknown } {
  return {
    format: "strata-campaign/1",
    name: "x",
    t0: "2026-01-01T00:00:00Z",
    beam: { probe: "neutron", wavelength_A: 5 },
    cells: [
      {
        id: "A",
        architecture: "thin-film-reflectometry",
        electrodeArea_cm2: 1,
        stack: [
          { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 } },
          { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 4 },
          { name: "SEI", role: "interphase", material: { sld: 2 }, thickness_A: 20, roughness_A: 5 },
          { name: "THF", role: "electrolyte", material: { sld: 5.8 }, roughness_A: 5 },
        ],
      },
    ],
    scans,
  };
}
