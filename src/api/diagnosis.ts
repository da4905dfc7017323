/**
 * @module api/diagnosis
 * Diagnosing a campaign: the growth-law-constrained joint fit of every scan, law
 * comparison, beam damage, MCMC posterior, cross-modality consistency, population across
 * cells and quality flags (see the README). Thicknesses in Å, times in s, doses in Gy.
 */
import fs from "node:fs";
import path from "node:path";
import { loadCampaign, type Campaign } from "../campaign/campaign.ts";
import { diagnoseCampaign, resolveLaws, type Diagnosis } from "../diagnosis/diagnose.ts";
import { POSTERIOR_MIXING_DEFAULTS, type SeriesStart } from "../diagnosis/fitSeries.ts";
import type { LawName } from "../models/growthLaws.ts";
import { diagnosisReport, populationVerdict, verdict } from "../report/diagnosisReport.ts";
import { checkAborted } from "./json.ts";

export interface DiagnoseSettings {
  /** per-scan fits only, law-constrained joint fits, or joint when the series allows it (default) */
  mode?: "independent" | "joint" | "auto";
  /** growth laws to compare (default all five) */
  laws?: readonly LawName[];
  /** random seed of the MCMC (default 1) */
  seed?: number;
  /** unknown manifest keys are warnings (in the campaign's warnings) instead of errors (`--lenient`); a path argument only */
  lenient?: boolean;
  /**
   * MCMC walkers, steps kept before the first mixing check, burn-in steps, worker threads
   * (defaults 24, 400, 50, cores ≤ 4); each chain then runs until every parameter and scan
   * thickness has ESS ≥ minEss and the chain ≥ tauFactor·τ, within maxSeconds of wall time
   * (defaults 400, 50, 20 s; reaching the cap unmixed is a quality flag)
   */
  mcmc?: { walkers?: number; steps?: number; burn?: number; threads?: number; minEss?: number; tauFactor?: number; maxSeconds?: number };
  /** model beam damage when the dose ledger can be computed (default) or never */
  damage?: "auto" | "off";
  /**
   * where each cell's first scan fit starts (issue 19 part 3): "global" (default) the global
   * stage; "ml" LM from the learned estimator's estimate (and from the nominal values, the
   * better kept; refused outside the network's domain); "auto" ml when the cell is in the
   * network's domain, its curve not out of distribution and the fit no misfit, else global
   */
  start?: SeriesStart;
  /** called as the diagnosis advances: a stage name and the fraction of it done */
  progress?: (stage: string, fraction: number) => void;
  /** aborts the diagnosis at its next progress point (the promise rejects with the signal's reason) */
  signal?: AbortSignal;
}

/** The defaults `strata diagnose` uses. */
export const DIAGNOSE_DEFAULTS = { mode: "auto", seed: 1, mcmc: { walkers: 24, steps: 100, burn: 30, ...POSTERIOR_MIXING_DEFAULTS }, damage: "auto", start: "global" } as const;

/** A campaign's diagnosis: `toJSON()` is the `strata-diagnosis/1` document. */
export class DiagnosisResult {
  /** per cell: the diagnosis, its interphase and the cycler trace, for reports */
  readonly cells: Diagnosis["cells"];
  /** the population model across replicate cells, when there are several */
  readonly population: Diagnosis["population"];
  /** the campaign's name, or null */
  readonly campaign: string | null;
  readonly #json: Record<string, unknown>;

  constructor(diagnosis: Diagnosis) {
    this.cells = diagnosis.cells;
    this.population = diagnosis.population;
    this.#json = diagnosis.json;
    this.campaign = typeof diagnosis.json["campaign"] === "string" ? diagnosis.json["campaign"] : null;
  }

  /** The `strata-diagnosis/1` document (as written to diagnosis.json). */
  toJSON(): Record<string, unknown> {
    return this.#json;
  }

  /** One sentence per cell (and for the population): what the interphase did and how sure that is. */
  verdicts(): string[] {
    const lines = this.cells.map((cell) => verdict(cell));
    if (this.population) lines.push(populationVerdict(this.population));
    return lines;
  }

  /** The self-contained HTML report. */
  report(title = `Strata diagnosis — ${this.campaign ?? "campaign"}`): string {
    return diagnosisReport(title, this.cells, this.population);
  }

  /**
   * Write `diagnosis.json` and `report.html` into `dir` (created if needed).
   * @returns the two files' paths
   */
  write(dir: string, title?: string): { json: string; report: string } {
    fs.mkdirSync(dir, { recursive: true });
    const json = path.join(dir, "diagnosis.json");
    fs.writeFileSync(json, `${JSON.stringify(this.#json, null, 1)}\n`);
    const report = path.join(dir, "report.html");
    fs.writeFileSync(report, this.report(title));
    return { json, report };
  }
}

/**
 * Diagnose a campaign (a folder holding campaign.json, the manifest file, or a loaded campaign).
 * @throws ValidationError / ParseError naming the file and field of bad input; the signal's reason when aborted
 */
export async function diagnose(campaign: string | Campaign, settings: DiagnoseSettings = {}): Promise<DiagnosisResult> {
  const { signal } = settings;
  checkAborted(signal);
  const loaded = typeof campaign === "string" ? await loadCampaign(campaign, settings.lenient === undefined ? {} : { lenient: settings.lenient }) : campaign;
  checkAborted(signal);
  const progress = settings.progress;
  const diagnosis = await diagnoseCampaign(loaded, {
    mode: settings.mode ?? DIAGNOSE_DEFAULTS.mode,
    laws: settings.laws ? [...settings.laws] : resolveLaws(undefined),
    seed: settings.seed ?? DIAGNOSE_DEFAULTS.seed,
    mcmc: {
      walkers: settings.mcmc?.walkers ?? DIAGNOSE_DEFAULTS.mcmc.walkers,
      steps: settings.mcmc?.steps ?? DIAGNOSE_DEFAULTS.mcmc.steps,
      burn: settings.mcmc?.burn ?? DIAGNOSE_DEFAULTS.mcmc.burn,
      minEss: settings.mcmc?.minEss ?? DIAGNOSE_DEFAULTS.mcmc.minEss,
      tauFactor: settings.mcmc?.tauFactor ?? DIAGNOSE_DEFAULTS.mcmc.tauFactor,
      maxSeconds: settings.mcmc?.maxSeconds ?? DIAGNOSE_DEFAULTS.mcmc.maxSeconds,
      ...(settings.mcmc?.threads !== undefined ? { threads: settings.mcmc.threads } : {}),
    },
    damage: settings.damage ?? DIAGNOSE_DEFAULTS.damage,
    start: settings.start ?? DIAGNOSE_DEFAULTS.start,
    ...(progress || signal
      ? {
          progress: (stage: string, fraction: number) => {
            checkAborted(signal);
            progress?.(stage, fraction);
          },
        }
      : {}),
  });
  return new DiagnosisResult(diagnosis);
}

export { resolveLaws };
