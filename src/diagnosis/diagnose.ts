/**
 * @module diagnosis/diagnose
 * `strata diagnose`: from a loaded campaign to diagnosis.json (format
 * `strata-diagnosis/1`) and the report's inputs. Each cell's stack becomes one
 * interface model; its scans, cycler record and impedance spectra are views of it.
 * Units: time s since the manifest's t0; thickness Å; charge per area C/cm².
 */
import { FARADAY } from "../core/constants.ts";
import { ValidationError } from "../core/errors.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { LAW_NAMES, type LawName } from "../models/growthLaws.ts";
import { formulaMass } from "../materials/index.ts";
import type { Campaign, CellData } from "../campaign/campaign.ts";
import type { CyclerTable } from "../io/cycler/index.ts";
import { diagnoseCell, trustJson, trustOf, type CellDiagnosis, type CellDiagnosisInput, type DiagnoseOptions } from "./diagnoseCell.ts";
import { samplePosterior, withCovariance, type LawFit } from "./fitSeries.ts";
import type { EnsembleResult } from "../optimize/ensembleSampler.ts";
import type { ScanBeam, SeriesGeometry, SeriesInput, SeriesLayerFit, StackLayer } from "./seriesModel.ts";
import { populationModel, type PopulationResult } from "./population.ts";
import { twoStagePopulation, type CellChain, type PopulationParameter, type TwoStageResult } from "./populationMcmc.ts";
import { attenuationSums, buildBeamPath, ledgerRows, resolveDoseSetup, scanExposures, unavailableMessage, type DoseSetup } from "../confounders/index.ts";
import { scanBeam, type Beam } from "../campaign/manifest.ts";

/** Electrons per formula unit when the manifest does not say (z). */
const DEFAULT_ELECTRONS: Record<string, number> = { LiF: 1, Li2CO3: 2, Li2O: 2, LiOH: 1, Li2O2: 2 };

export interface Diagnosis {
  json: Record<string, unknown>;
  cells: { id: string; interphase: string; diagnosis: CellDiagnosis; trace: CellDiagnosisInput["trace"] }[];
  /** the hierarchical model across replicate cells, when there are several */
  population: PopulationSection | undefined;
}

/**
 * Why a population model was not fitted, machine-readable: the cells have no joint
 * posterior (independent mode or no law), or no law was compared in every cell.
 */
export type PopulationReasonCode = "population-needs-posteriors" | "population-needs-common-law";

/**
 * Pooled law evidence below this ΔAICc (summed over cells) counts as a tie with the best:
 * the population is fitted under each tied law too (Burnham & Anderson's "substantial
 * support", Δ ≤ 2).
 */
export const POOLED_TIE_DELTA = 2;
/** At most this many laws get a population model (the best and its ties). */
export const MAX_POPULATION_LAWS = 3;
/**
 * A cell whose own ΔAICc for the pooled law exceeds this contradicts it strongly
 * (Kass & Raftery's "strong" evidence, 2 ln B > 6, read on the AICc scale).
 */
export const CELL_CONTRADICTION_DELTA = 6;

/** How the population's law was chosen: the cells' pooled evidence, and each cell's own preference beside it. */
export interface PopulationLawChoice {
  criterion: string;
  /** every law compared in all cells: ΔAICc of the sum over cells, Akaike weight of the sum */
  pooled: { law: LawName; deltaIC: number; weight: number }[];
  /** per cell: the law it prefers alone, and its own ΔAICc for the pooled law */
  cells: { cell: string; ownLaw: LawName; deltaIC: number; contradicts: boolean }[];
}

/** The log-normal populations of one law's parameters. */
export interface PopulationUnderLaw {
  law: LawName;
  parameters: Record<string, PopulationResult>;
  /** parameters left out, and why */
  skipped?: string[];
  /** how the hierarchy was sampled: sweeps, each cell's row acceptance, warnings */
  sampling?: TwoStageResult["sampling"];
  /** cells whose posterior under this law was sampled for the population (they preferred another law alone) */
  resampled?: string[];
}

/** Sample-to-sample variation across the campaign's cells (issue 7 part 4, issue 13 part 4). */
export interface PopulationSection {
  fitted: boolean;
  /** why not, when not fitted */
  reason?: string;
  /** the kind of `reason`, when not fitted */
  code?: PopulationReasonCode;
  /** the law of the pooled evidence, under which `parameters` are given */
  law?: LawName;
  lawChoice?: PopulationLawChoice;
  cells: string[];
  parameters: Record<string, PopulationResult>;
  /** parameters left out, and why */
  skipped?: string[];
  /** how the hierarchy was sampled: sweeps, each cell's row acceptance, warnings */
  sampling?: TwoStageResult["sampling"];
  /** cells whose posterior under `law` was sampled here (they preferred another law alone) */
  resampled?: string[];
  /** the population under each law the pooled evidence cannot tell from `law` (ΔAICc ≤ {@link POOLED_TIE_DELTA}), and under the best kinetic law when `law` is the charge law */
  alternatives?: (PopulationUnderLaw & { deltaIC: number; weight: number })[];
  /** cells that genuinely disagree with the pooled law, and other notes */
  warnings?: string[];
}

/** What the population stage needs of the diagnosis options. */
export interface PopulationOptions {
  seed: number;
  mcmc: DiagnoseOptions["mcmc"];
  progress?: (stage: string, fraction: number) => void;
}

/**
 * The law of the pooled evidence: each cell's AICc differences summed over cells, for
 * the laws every cell compared (the log evidences of independent cells add).
 */
export function pooledLawChoice(cells: { id: string; lawFits: readonly { law: LawName; aicc: number }[]; ownLaw: LawName }[]): PopulationLawChoice | undefined {
  const common = LAW_NAMES.filter((law) => cells.every((c) => c.lawFits.some((f) => f.law === law)));
  if (common.length === 0) return undefined;
  const delta = (c: (typeof cells)[number], law: LawName): number => {
    const min = Math.min(...c.lawFits.map((f) => f.aicc));
    return c.lawFits.find((f) => f.law === law)!.aicc - min;
  };
  const sums = common.map((law) => ({ law, sum: cells.reduce((a, c) => a + delta(c, law), 0) }));
  const best = Math.min(...sums.map((s) => s.sum));
  const raw = sums.map((s) => Math.exp(-0.5 * (s.sum - best)));
  const total = raw.reduce((a, b) => a + b, 0);
  const pooled = sums.map((s, i) => ({ law: s.law, deltaIC: s.sum - best, weight: raw[i] / total })).sort((a, b) => a.deltaIC - b.deltaIC);
  const law = pooled[0].law;
  return {
    criterion: "sum over cells of each cell's AICc difference between the joint law fits",
    pooled,
    cells: cells.map((c) => {
      const d = delta(c, law);
      return { cell: c.id, ownLaw: c.ownLaw, deltaIC: d, contradicts: d > CELL_CONTRADICTION_DELTA };
    }),
  };
}

/**
 * The hierarchical model across cells (issue 13 part 4: it always runs when the cells have
 * joint posteriors). The law is the pooled evidence's ({@link pooledLawChoice}); each
 * cell's own preference is reported beside it, and a cell whose own evidence strongly
 * contradicts the pooled law is flagged. Under that law every positive law parameter
 * gets a log-normal population, sampled jointly with each cell's whole parameter vector
 * from the cells' MCMC chains (diagnosis/populationMcmc, two-stage); a cell that
 * preferred another law alone has its posterior under the pooled law sampled here. Laws
 * the pooled evidence cannot tell apart get their own population as `alternatives` (and
 * the best kinetic law always does when the charge law leads). The
 * no/complete/partial pooling comparison is the exact WAIC of diagnosis/population.
 */
export async function populationStage(cells: Diagnosis["cells"], options: PopulationOptions): Promise<PopulationSection | undefined> {
  if (cells.length < 2) return undefined;
  const ids = cells.map((c) => c.id);
  const missing = cells.filter((c) => !c.diagnosis.detail.posterior || !c.diagnosis.detail.best || c.diagnosis.detail.lawFits.length === 0);
  if (missing.length > 0) return { fitted: false, reason: `no posterior for cell${missing.length > 1 ? "s" : ""} ${missing.map((c) => c.id).join(", ")} (independent mode or no law): the population model needs each cell's joint fit`, code: "population-needs-posteriors", cells: ids, parameters: {} };
  const choice = pooledLawChoice(cells.map((c) => ({ id: c.id, lawFits: c.diagnosis.detail.lawFits, ownLaw: c.diagnosis.detail.bestLaw })));
  if (!choice) return { fitted: false, reason: `no growth law was compared in every cell (${cells.map((c) => `${c.id}: ${c.diagnosis.detail.lawFits.map((f) => f.law).join(", ")}`).join("; ")})`, code: "population-needs-common-law", cells: ids, parameters: {} };
  const laws = choice.pooled.filter((p, i) => i === 0 || p.deltaIC <= POOLED_TIE_DELTA).slice(0, MAX_POPULATION_LAWS);
  // the charge law states thickness ∝ charge (a Faradaic efficiency), not how fast the
  // interphase grows: in a potentiostatic hold, whose current follows the growth, it ties
  // with the kinetic law behind that current. The spread of the growth rate is a kinetic
  // question, so the best kinetic law always gets its population too.
  if (laws.every((l) => l.law === "charge")) {
    const kinetic = choice.pooled.find((p) => p.law !== "charge");
    if (kinetic) laws.push(kinetic);
  }
  const progress = options.progress ?? (() => undefined);
  const underLaw: PopulationUnderLaw[] = [];
  for (const [i, { law }] of laws.entries()) {
    progress(`population (${law} law)`, i / laws.length);
    underLaw.push(await populationUnderLaw(cells, law, options));
  }
  const warnings = choice.cells
    .filter((c) => c.contradicts)
    .map((c) => `cell ${c.cell} strongly contradicts the pooled ${choice.pooled[0].law} law on its own (ΔAICc = ${c.deltaIC.toFixed(1)} > ${CELL_CONTRADICTION_DELTA}; it prefers ${c.ownLaw}): the cells may not share one growth mechanism`);
  const ties = laws.filter((l) => l.deltaIC <= POOLED_TIE_DELTA);
  if (ties.length > 1) warnings.push(`the pooled evidence does not single out a law (${ties.map((l) => `${l.law} ${(100 * l.weight).toFixed(0)} %`).join(", ")}): the population is given under each`);
  const [main, ...others] = underLaw;
  return {
    fitted: true,
    law: main.law,
    lawChoice: choice,
    cells: ids,
    parameters: main.parameters,
    ...(main.sampling ? { sampling: main.sampling } : {}),
    ...(main.skipped ? { skipped: main.skipped } : {}),
    ...(main.resampled ? { resampled: main.resampled } : {}),
    ...(others.length > 0 ? { alternatives: others.map((o, k) => ({ ...o, deltaIC: laws[k + 1].deltaIC, weight: laws[k + 1].weight })) } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** Every cell's chain under `law` (its own posterior, or one sampled here), and the law parameters' populations. */
async function populationUnderLaw(cells: Diagnosis["cells"], law: LawName, options: PopulationOptions): Promise<PopulationUnderLaw> {
  const resampled: string[] = [];
  const fits: LawFit[] = [];
  const chains: CellChain[] = [];
  for (const [index, c] of cells.entries()) {
    const detail = c.diagnosis.detail;
    let fit: LawFit;
    let posterior: EnsembleResult;
    if (detail.bestLaw === law && detail.best && detail.posterior) {
      fit = detail.best;
      posterior = detail.posterior;
    } else {
      fit = withCovariance(detail.lawFits.find((f) => f.law === law)!);
      posterior = await samplePosterior(fit, { ...options.mcmc, seed: options.seed + index });
      resampled.push(c.id);
    }
    fits.push(fit);
    chains.push({ cell: c.id, rows: posterior.chain, count: posterior.keptSteps * posterior.walkers, width: posterior.params });
  }
  const pooled: PopulationParameter[] = [];
  const skipped: string[] = [];
  for (const spec of fits[0].series.lawSpec) {
    const columns = fits.map((f) => f.series.objective.names.indexOf(spec.name));
    if (new Set(columns).size > 1) {
      skipped.push(`${spec.name}: sits in different places in the cells' fits, left out`);
      continue;
    }
    const nonPositive = chains.filter((chain) => Array.from({ length: chain.count }, (_, r) => chain.rows[r * chain.width + columns[0]]).some((x) => !(x > 0))).map((chain) => chain.cell);
    if (nonPositive.length > 0) {
      skipped.push(`${spec.name}: posterior reaches ≤ 0 in cell${nonPositive.length > 1 ? "s" : ""} ${nonPositive.join(", ")}, a log-normal population does not apply`);
      continue;
    }
    pooled.push({ name: spec.name, unit: spec.unit, column: columns[0] });
  }
  const parameters: Record<string, PopulationResult> = {};
  let sampling: TwoStageResult["sampling"] | undefined;
  if (pooled.length > 0) {
    // every pooled law parameter's population sampled jointly with every cell's whole parameter vector
    const joint = twoStagePopulation(pooled, chains, { seed: options.seed });
    sampling = joint.sampling;
    joint.parameters.forEach((result, p) => {
      // the models' predictive comparison on the cells' estimates (exact on the τ grid)
      const column = pooled[p].column;
      const comparison = populationModel(result.parameter, result.unit, chains.map((chain) => ({ cell: chain.cell, draws: Float64Array.from({ length: chain.count }, (_, r) => chain.rows[r * chain.width + column]) })), options.seed).comparison;
      parameters[result.parameter] = { ...result, cells: chains.length, comparison };
    });
  }
  return { law, parameters, ...(sampling ? { sampling } : {}), ...(skipped.length > 0 ? { skipped } : {}), ...(resampled.length > 0 ? { resampled } : {}) };
}

/**
 * The laws of a comma-separated list (`all` or undefined: every law).
 * @param field - the option's name in messages (the CLI passes its flag)
 * @throws ValidationError naming `field` for an unknown law or an empty list
 */
export function resolveLaws(text: string | undefined, field = "laws"): LawName[] {
  if (text === undefined || text === "all") return [...LAW_NAMES];
  const laws = text.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (const law of laws) if (!LAW_NAMES.includes(law as LawName)) throw new ValidationError(field, `unknown law (expected ${LAW_NAMES.join(", ")})`, law);
  if (laws.length === 0) throw new ValidationError(field, "names no law", text);
  return laws as LawName[];
}

/** Cumulative reduction charge (C, ≥ 0) of a cycler record at time t (s since t0). */
export function reductionChargeFunction(table: CyclerTable, offset_s: number, cathodicSign: -1 | 1): (t: number) => number {
  const time = table.columns["test_time_second"];
  const current = table.columns["current_ampere"];
  const n = time.length;
  const cumulative = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    const a = Math.max(cathodicSign * current[i - 1], 0);
    const b = Math.max(cathodicSign * current[i], 0);
    cumulative[i] = cumulative[i - 1] + 0.5 * (a + b) * (time[i] - time[i - 1]);
  }
  return (t: number) => {
    const x = t - offset_s;
    if (n === 0 || x <= time[0]) return 0;
    if (x >= time[n - 1]) return cumulative[n - 1];
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (time[mid] <= x) lo = mid;
      else hi = mid;
    }
    const f = (x - time[lo]) / (time[hi] - time[lo]);
    // exact integral of the linear interpolant up to x
    const a = Math.max(cathodicSign * current[lo], 0);
    const ix = current[lo] + f * (current[hi] - current[lo]);
    const b = Math.max(cathodicSign * ix, 0);
    return cumulative[lo] + 0.5 * (a + b) * (x - time[lo]);
  };
}

interface RawLayer {
  name?: string;
  role?: string;
  material?: { formula?: string; density?: number; sld?: number; isld?: number; xray?: { sld: number; isld?: number }; neutron?: { sld: number; isld?: number } };
  thickness_A?: number;
  roughness_A?: number;
  growth?: { electronsPerFormula?: number; faradaicFraction?: number; thicknessPerCharge_A_cm2_per_C?: number };
  fit?: SeriesLayerFit;
}

/**
 * The accumulated dose of each scan's spot at mid exposure (Gy, by scan id) from the
 * dose ledger, or why beam damage cannot be modelled for this cell.
 */
export function scanDoses(campaign: Campaign, cell: CellData, cellIndex: number): { ok: true; dose: Map<string, number> } | { ok: false; status: "neutron" | "unavailable"; reason: string } {
  if (campaign.manifest.beams !== undefined) return mixedScanDoses(campaign, cell, cellIndex);
  const beam = campaign.manifest.beam;
  if (beam.probe !== "xray") return { ok: false, status: "neutron", reason: "neutron beam: absorbed dose is negligible, beam damage is not modelled" };
  const setup = resolveDoseSetup(beam, cell.manifestCell, `cells[${cellIndex}]`);
  if (!setup.ok) return { ok: false, status: "unavailable", reason: `beam damage is not modelled: ${unavailableMessage(setup.unavailable)}` };
  const roles = new Map(cell.manifestCell.spots.map((s) => [s.id, s.role]));
  try {
    const rows = ledgerRows(cell.id, setup.value, scanExposures(cell.scans.filter((s) => s.data.q.length > 0)), roles);
    return { ok: true, dose: new Map(rows.map((r) => [r.scan, (r.doseBefore_Gy ?? 0) + 0.5 * (r.dose_Gy ?? 0)])) };
  } catch (error) {
    return { ok: false, status: "unavailable", reason: `beam damage is not modelled: dose cannot be computed (${(error as Error).message})` };
  }
}

/**
 * {@link scanDoses} of a campaign with several beams: each X-ray scan's dose from its own
 * beam's ledger setup; a neutron scan adds none (as a neutron campaign's), but sees the
 * dose earlier X-ray scans left at its spot.
 */
function mixedScanDoses(campaign: Campaign, cell: CellData, cellIndex: number): { ok: true; dose: Map<string, number> } | { ok: false; status: "neutron" | "unavailable"; reason: string } {
  const beamNames = new Map(campaign.manifest.scans.map((s) => [s.id, s.beam]));
  const exposures = scanExposures(cell.scans.filter((s) => s.data.q.length > 0));
  const setups = new Map<string | undefined, DoseSetup | null>();
  for (const e of exposures) {
    const name = beamNames.get(e.scan);
    if (setups.has(name)) continue;
    const { beam } = scanBeam(campaign.manifest, name);
    if (beam.probe !== "xray") {
      setups.set(name, null);
      continue;
    }
    const setup = resolveDoseSetup(beam, cell.manifestCell, `cells[${cellIndex}]`);
    if (!setup.ok) {
      const unavailable = name === undefined ? setup.unavailable : { ...setup.unavailable, path: setup.unavailable.path.replace(/^beam\./, `beams.${name}.`) };
      return { ok: false, status: "unavailable", reason: `beam damage is not modelled: ${unavailableMessage(unavailable)}` };
    }
    setups.set(name, setup.value);
  }
  if (![...setups.values()].some((s) => s !== null)) return { ok: false, status: "neutron", reason: "neutron beams only: absorbed dose is negligible, beam damage is not modelled" };
  const roles = new Map(cell.manifestCell.spots.map((s) => [s.id, s.role]));
  const accumulated = new Map<string, number>();
  const dose = new Map<string, number>();
  try {
    for (const e of exposures) {
      const setup = setups.get(beamNames.get(e.scan));
      const own = setup ? (ledgerRows(cell.id, setup, [e], roles)[0].dose_Gy ?? 0) : 0;
      const before = accumulated.get(e.spot) ?? 0;
      dose.set(e.scan, before + 0.5 * own);
      accumulated.set(e.spot, before + own);
    }
  } catch (error) {
    return { ok: false, status: "unavailable", reason: `beam damage is not modelled: dose cannot be computed (${(error as Error).message})` };
  }
  return { ok: true, dose };
}

/**
 * The measurement geometry of a cell's scans with one beam, from the manifest: a shared
 * angle offset and height offset (fixed or fitted), the footprint factor (that beam's
 * height and profile) and the entry path's attenuation (that beam's probe and energy) for
 * curves not corrected for them, the electrolyte film's incoherent background.
 */
function beamGeometry(cell: CellData, beam: Beam, beamPath: string, cellPath: string, warnings: string[]): SeriesGeometry | undefined {
  const parsedGeometry = cell.manifestCell.geometry;
  if (!parsedGeometry) return undefined;
  const g: SeriesGeometry = {};
  if (!parsedGeometry.footprintCorrected) {
    if (beam.height_mm === undefined) warnings.push(`the footprint correction cannot be applied: ${beamPath}.height_mm is missing (the over-illumination factor needs the beam height); the curves are fitted as if corrected`);
    else
      g.footprint = {
        beamHeight_mm: beam.height_mm,
        profile: beam.profile,
        sampleLength_mm: parsedGeometry.sampleLength_mm,
        ...(parsedGeometry.beamHeightSd_mm !== undefined ? { beamHeightSd_mm: parsedGeometry.beamHeightSd_mm } : {}),
      };
  }
  if (parsedGeometry.angleOffset_deg) g.angleOffset_deg = { ...parsedGeometry.angleOffset_deg };
  if (parsedGeometry.heightOffset_mm) g.heightOffset = { ...parsedGeometry.heightOffset_mm, detectorDistance_mm: parsedGeometry.detectorDistance_mm! };
  if (!parsedGeometry.attenuationCorrected) {
    const path = buildBeamPath(beam, cell.manifestCell, cellPath);
    if (!path.ok) {
      const unavailable = beamPath === "beam" ? path.unavailable : { ...path.unavailable, path: path.unavailable.path.replace(/^beam\./, `${beamPath}.`) };
      warnings.push(`${unavailableMessage(unavailable)}; the curves are fitted as if corrected for it`);
    } else g.attenuation = { ...attenuationSums(path.value), ...(parsedGeometry.attenuationRelativeSd !== undefined ? { relativeSd: parsedGeometry.attenuationRelativeSd } : {}) };
  }
  if (parsedGeometry.incoherentBackground) g.incoherentBackground = { ...parsedGeometry.incoherentBackground };
  return Object.keys(g).length > 0 ? g : undefined;
}

/** The diagnosis input of one cell of a campaign. */
export function cellInput(campaign: Campaign, cell: CellData, probe: "xray" | "neutron", beam: { energy_keV?: number; wavelength_A?: number }, options: { damage?: "auto" | "off"; cellIndex?: number } = {}): CellDiagnosisInput {
  const manifestCell = cell.manifestCell as unknown as { id: string; electrodeArea_cm2?: number; stack: RawLayer[]; electrochemistry?: { currentSign?: string }; impedanceModel?: { circuit: string; interphaseResistance: string; interphaseCapacitance: string } };
  const warnings: string[] = [];
  const stack: StackLayer[] = manifestCell.stack.map((layer, j) => {
    const m = layer.material ?? {};
    const explicit = probe === "xray" ? m.xray : m.neutron;
    // several beams: explicit SLDs per probe, for the scans of a beam of the other probe
    const byProbe =
      campaign.manifest.beams !== undefined && (m.xray || m.neutron)
        ? { byProbe: { ...(m.xray ? { xray: { sld: m.xray.sld, isld: m.xray.isld ?? 0 } } : {}), ...(m.neutron ? { neutron: { sld: m.neutron.sld, isld: m.neutron.isld ?? 0 } } : {}) } }
        : {};
    return {
      name: layer.name ?? `layer${j}`,
      role: layer.role ?? "other",
      ...(m.formula !== undefined && m.density !== undefined ? { formula: m.formula, density: m.density } : { sld: explicit?.sld ?? m.sld ?? 0, isld: explicit?.isld ?? m.isld ?? 0, ...byProbe }),
      ...(layer.thickness_A !== undefined ? { thickness_A: layer.thickness_A } : {}),
      roughness_A: layer.roughness_A ?? 0,
      ...(layer.fit ? { fit: layer.fit } : {}),
    };
  });
  const interphase = stack.findIndex((l) => l.role === "interphase");
  if (interphase < 0) throw new ValidationError(`cells[${cell.id}].stack`, "has no layer with role \"interphase\": nothing to diagnose");
  const raw = manifestCell.stack[interphase];
  const area = manifestCell.electrodeArea_cm2 ?? 1;
  const layer = stack[interphase];
  let perCharge = raw.growth?.thicknessPerCharge_A_cm2_per_C;
  if (perCharge === undefined && layer.formula && layer.density) {
    const z = raw.growth?.electronsPerFormula ?? DEFAULT_ELECTRONS[layer.formula] ?? 2;
    perCharge = (formulaMass(layer.formula) / (z * FARADAY * layer.density)) * 1e8;
  }
  perCharge ??= 1;
  // reduction charge from the cycler record
  const cycler = cell.cycler;
  // the table's documented convention is anodic positive: reduction at the working electrode is negative current
  const cathodicSign: -1 | 1 = -1;
  const qred = cycler ? reductionChargeFunction(cycler, cell.cyclerOffset_s ?? 0, cathodicSign) : () => 0;
  if (!cycler) warnings.push("no cycler record for this cell: the charge view and the charge law are unavailable");
  const doses = options.damage === "off" ? undefined : scanDoses(campaign, cell, options.cellIndex ?? campaign.cells.indexOf(cell));
  const damage: CellDiagnosisInput["damage"] =
    options.damage === "off" ? { status: "off", reason: 'beam damage not modelled (the "damage" option is "off")' } : doses!.ok ? { status: "modelled" } : { status: doses!.status, reason: doses!.reason };
  const cellPath = `cells[${options.cellIndex ?? campaign.cells.indexOf(cell)}]`;
  // a scan naming one of the manifest's `beams` is modelled at that beam (probe, energy, footprint, attenuation)
  // each scan's manifest entry (beam, intensity, prior, alignment) and its index there
  const manifestScans = new Map(campaign.manifest.scans.map((s, index) => [s.id, { ...s, index }]));
  const scanBeams = new Map<string, ScanBeam>();
  const beamOf = (name: string | undefined): ScanBeam | undefined => {
    if (name === undefined) return undefined;
    let found = scanBeams.get(name);
    if (!found) {
      const other = scanBeam(campaign.manifest, name).beam;
      const otherGeometry = beamGeometry(cell, other, `beams.${name}`, cellPath, warnings);
      found = {
        name,
        probe: other.probe,
        ...(other.energy_keV !== undefined ? { energy_keV: other.energy_keV } : {}),
        ...(other.wavelength_A !== undefined ? { wavelength_A: other.wavelength_A } : {}),
        ...(otherGeometry ? { geometry: otherGeometry } : {}),
      };
      scanBeams.set(name, found);
    }
    return found;
  };
  const scans = cell.scans
    .filter((scan) => scan.data.q.length > 0)
    .map((scan) => {
      const mid = 0.5 * (scan.start_s + scan.end_s);
      const dose = doses?.ok ? doses.dose.get(scan.id) : undefined;
      const { beam: beamName, intensity, prior, alignment } = manifestScans.get(scan.id) ?? {};
      const own = beamOf(beamName);
      return { id: scan.id, spot: scan.spot, time_s: mid, qred_C_per_cm2: qred(mid) / area, ...(dose !== undefined ? { dose_Gy: dose } : {}), data: scan.data, ...(own ? { beam: own } : {}), ...(intensity !== undefined ? { intensity } : {}), ...(prior ? { prior } : {}), ...(alignment !== undefined ? { alignment } : {}) };
    });
  // the per-scan fits run in this order: a prior from the previous scan needs one
  if (scans.length > 0 && scans[0].prior === "previous") {
    throw new ValidationError(`scans[${manifestScans.get(scans[0].id)!.index}].prior`, `"previous" on cell ${cell.id}'s first scan (${scans[0].id}), which has no previous scan`, scans[0].prior);
  }
  const dropped = cell.scans.length - scans.length;
  if (dropped > 0) warnings.push(`${dropped} scans have no valid points and were left out`);
  // measurement geometry from the manifest: a shared angle offset and height offset (fixed
  // or fitted), the footprint factor and the entry path's attenuation for curves not
  // corrected for them, the electrolyte film's incoherent background
  // (the geometry of the scans with the campaign's beam; a scan's own beam has its own, above)
  const geometry = scans.some((s) => s.beam === undefined) || scans.length === 0 ? beamGeometry(cell, campaign.manifest.beam, "beam", cellPath, warnings) : undefined;
  const alignments = (cell.manifestCell as { alignments?: SeriesInput["alignments"] }).alignments;
  const series: SeriesInput = {
    cell: cell.id,
    ...(geometry ? { geometry } : {}),
    ...(alignments ? { alignments: structuredClone(alignments) } : {}),
    probe,
    ...(beam.energy_keV !== undefined ? { energy_keV: beam.energy_keV } : {}),
    ...(beam.wavelength_A !== undefined ? { wavelength_A: beam.wavelength_A } : {}),
    stack,
    interphase,
    scans,
    thicknessPerCharge: perCharge,
  };
  const spectra = cell.spectra.map((s, k) => ({ id: s.id ?? `spectrum${k + 1}`, time_s: 0.5 * (s.start_s + s.end_s), spectrum: s.spectrum }));
  const model = manifestCell.impedanceModel;
  let circuit: CellDiagnosisInput["circuit"];
  if (spectra.length > 0) {
    if (model) circuit = { circuit: model.circuit, resistance: model.interphaseResistance, capacitance: model.interphaseCapacitance };
    else {
      circuit = { circuit: "R0-p(R1,C1)", resistance: "R1", capacitance: "C1" };
      warnings.push('no impedanceModel in the manifest: the interphase is taken as p(R1,C1) in "R0-p(R1,C1)"');
    }
  }
  const trace = cycler
    ? {
        time_s: cycler.columns["test_time_second"].map((t) => t + (cell.cyclerOffset_s ?? 0)),
        potential_V: cycler.columns["voltage_volt"],
        current_A: cycler.columns["current_ampere"],
      }
    : undefined;
  void campaign;
  return {
    series,
    area_cm2: area,
    spectra,
    circuit,
    declaredFaradaicFraction: raw.growth?.faradaicFraction,
    trace,
    hasCharge: cycler !== undefined,
    warnings,
    damage,
  };
}

/** Diagnose every cell of a campaign. */
export async function diagnoseCampaign(campaign: Campaign, options: DiagnoseOptions): Promise<Diagnosis> {
  const manifest = campaign.manifest as unknown as { name?: string; beam: { probe: "xray" | "neutron"; energy_keV?: number; wavelength_A?: number }; t0?: string };
  const probe = manifest.beam.probe;
  const cells: Diagnosis["cells"] = [];
  const cellsJson: Record<string, unknown> = {};
  for (const [index, cell] of campaign.cells.entries()) {
    const input = cellInput(campaign, cell, probe, manifest.beam, { damage: options.damage ?? "auto", cellIndex: index });
    const diagnosis = await diagnoseCell(input, {
      ...options,
      seed: options.seed + index,
      ...(options.progress ? { progress: (stage: string, f: number) => options.progress!(`cell ${cell.id}: ${stage}`, f) } : {}),
    });
    cellsJson[cell.id] = { ...diagnosis.json, trust: trustJson(trustOf(diagnosis.detail.quality)) };
    cells.push({ id: cell.id, interphase: input.series.stack[input.series.interphase].name, diagnosis, trace: input.trace });
  }
  const population = await populationStage(cells, { seed: options.seed, mcmc: options.mcmc, ...(options.progress ? { progress: options.progress } : {}) });
  const json = {
    format: "strata-diagnosis/1",
    campaign: manifest.name ?? null,
    t0: manifest.t0 ?? null,
    generated: new Date().toISOString(),
    software: { name: "strata", version: STRATA_VERSION },
    options: { mode: options.mode, laws: options.laws, seed: options.seed, mcmc: options.mcmc, damage: options.damage ?? "auto" },
    warnings: campaign.warnings,
    cells: cellsJson,
    ...(population ? { population } : {}),
  };
  return { json, cells, population };
}
