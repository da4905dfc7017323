/**
 * @module simulation/scanGenerator
 * The per-scan generator of the digital twin (issue 18 part 4): the hidden truth of a
 * scenario (growth law, beam damage, the cell's nuisance-drawn stack, instrument, flux)
 * answering one measurement at a time — the reflectivity scan measured from time t on spot s
 * with a chosen Q range, number of points and counting time; the cycler record up to t; an
 * impedance spectrum at t. It uses the same pieces as `strata simulate`
 * (simulation/simulate: the cell's drawn truth, the smeared curve through the geometry, the
 * `.ort` header and columns), so a scan generated with the scenario's settings at one of its
 * times is a draw of what `simulateCampaign` writes for that scan.
 *
 * - Counting noise: the incident counts per point are `scans.incident × (countTime /
 *   scans.exposure_s) × (Q / scans.qMin)²` (the scenario's incident counts are those of one
 *   scan of `exposure_s` seconds at its lowest Q, rising as Q², as in `simulateCampaign`);
 *   counts are Poisson; points with no count are dropped from the file (not from the exposure).
 * - Dose: the dose ledger's exposure dose of the Q grid and counting time
 *   (confounders/dose exposureDose) at the cell's manifest setup; each spot accumulates its
 *   dose, and the thickness a scan sees is the chemistry's at mid exposure plus the damage
 *   model's term of the spot's dose at mid exposure (its dose before the scan + half the scan's).
 * - Potential step (optional, `step`): at `at_s` the hold potential steps by `deltaV_V` and
 *   growth restarts: a second growth front of the same law from nothing (L0 = 0), clock
 *   restarted at the step and scaled by `factor`, adds to the thickness,
 *   L(t) = L_law(t) + factor·(L_law|L0=0(t − at_s) − L_law|L0=0(0)) for t > at_s. The
 *   reduction charge follows the thickness (Faradaic fraction f), so the current answers with
 *   a spike (parabolic: ∝ 1/√(t − at_s); logarithmic: a/(t − at_s + τ)) and the voltage column
 *   steps. Kept simple on purpose: no double-layer
 *   charging, no IR drop. The charge law's cell runs `simulateCampaign`'s galvanostatic
 *   pulses instead (no step).
 * - Randomness: each scan's counts come from their own stream (`<seed>:twin:scan:<id>`), the
 *   cycler's voltage noise from `<seed>:twin:cycler` (the record up to t is a prefix of the
 *   record up to any later time), each spectrum's from `<seed>:twin:eis:<id>`: the data depend
 *   on the seed and on the actions, not on the order in which they were asked.
 *
 * Units: time s since the campaign's t0, thickness Å, Q Å⁻¹, counting time s, dose Gy,
 * current A, charge C, potential V, impedance Ω.
 */
import fs from "node:fs";
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { createRandom } from "../core/random.ts";
import { poissonDeviate } from "../core/poisson.ts";
import { writeOrt } from "../io/ort.ts";
import { GROWTH_LAWS } from "../models/growthLaws.ts";
import { DAMAGE_MODELS } from "../models/damageModels.ts";
import { VACUUM_PERMITTIVITY } from "../core/constants.ts";
import { exposureDose, resolveDoseSetup, unavailableError, type DoseSetup } from "../confounders/index.ts";
import { parseManifest } from "../campaign/manifest.ts";
import {
  curveAttenuation,
  drawCellTruth,
  iso,
  manifestCell,
  observedCurve,
  ORT_COLUMNS,
  ortHeader,
  resolveScenario,
  stackAt,
  stackSlabs,
  thicknessPerCharge,
  writeSpectrum,
  type Scenario,
  type ScenarioLayer,
} from "./simulate.ts";

/** The campaign clock's origin of every simulated campaign (as `simulateCampaign`). */
export const TWIN_T0 = "2026-03-01T10:00:00Z";

/** Interval of the cycler record's samples, s (as `simulateCampaign`). */
export const CYCLER_SAMPLE_S = 10;

/** Hold potential of the potentiostatic record, V vs Li. */
export const HOLD_POTENTIAL_V = 0.1;

/** Duration of an impedance spectrum, s (as `simulateCampaign`'s 120-s spectra). */
export const SPECTRUM_DURATION_S = 120;

/** A potential step applied during the campaign (see the module comment). */
export interface PotentialStep {
  /** time of the step, s */
  at_s: number;
  /** change of the hold potential, V (negative: deeper reduction) */
  deltaV_V: number;
  /** scale of the growth restarted at the step (1: the law's own growth again) */
  factor: number;
}

/** One reflectivity measurement asked of the generator. */
export interface ScanRequest {
  id: string;
  spot: string;
  /** when the exposure starts, s */
  start_s: number;
  qMin: number;
  qMax: number;
  points: number;
  countTime_s: number;
}

/** What a generated scan was (the hidden truth, for the twin's log). */
export interface GeneratedScan {
  id: string;
  spot: string;
  file: string;
  start_s: number;
  end_s: number;
  /** mid exposure, s */
  time_s: number;
  /** this scan's dose, Gy */
  dose_Gy: number;
  /** the spot's dose at mid exposure, Gy (the damage term's argument) */
  spotDoseMid_Gy: number;
  /** the spot's dose after the scan, Gy */
  spotDoseAfter_Gy: number;
  /** the chemistry's thickness at mid exposure and the one the beam sees (with damage), Å */
  thickness_A: number;
  observedThickness_A: number;
  /** the `.ort` text */
  text: string;
}

/**
 * The hidden truth of one cell of a scenario, answering measurements one at a time.
 * Cell "A" (the first cell of `simulateCampaign`): its nuisance draw is the same.
 */
export class ScanGenerator {
  readonly scenario: Scenario;
  readonly cell = "A";
  readonly perCharge: number;
  readonly step: PotentialStep | undefined;
  readonly t0_ms = Date.parse(TWIN_T0);
  readonly #truth: { stack: ScenarioLayer[]; scale: number; background: number };
  readonly #interphaseIndex: number;
  readonly #lawValues: number[];
  readonly #doseSetup: DoseSetup | undefined;
  readonly #spotDose = new Map<string, number>();
  readonly #spots: string[];
  readonly spotRoles: Map<string, "measured" | "fresh">;

  /**
   * @param scenarioSpec - a `strata simulate` scenario (validated by resolveScenario)
   * @param options - the spots the manifest declares (the first is the measured spot), a potential step
   */
  constructor(scenarioSpec: unknown, options: { spots?: { id: string; role: "measured" | "fresh" }[]; step?: PotentialStep } = {}) {
    this.scenario = resolveScenario(scenarioSpec);
    if ((this.scenario.cells ?? 1) !== 1) throw new ValidationError("cells", "the twin simulates one cell", this.scenario.cells);
    if (this.scenario.population) throw new ValidationError("population", "the twin simulates one cell: no population", Object.keys(this.scenario.population).join(", "));
    if (this.scenario.law.name === "charge" && options.step) throw new ValidationError("step", "the charge law's cell runs galvanostatic pulses: a potential step applies to the kinetic laws' potentiostatic hold", "charge");
    this.#interphaseIndex = this.scenario.stack.findIndex((l) => l.role === "interphase");
    const interphase = this.scenario.stack[this.#interphaseIndex];
    this.perCharge = thicknessPerCharge(interphase.material.formula, interphase.material.density, interphase.electronsPerFormula ?? 1);
    const law = GROWTH_LAWS[this.scenario.law.name];
    this.#lawValues = law.parameters({ duration: 1, firstThickness: 1, growth: 1, thicknessPerCharge: 1 }).map((p) => this.scenario.law.parameters[p.name]);
    this.#truth = drawCellTruth(this.scenario, this.cell);
    this.#spots = (options.spots ?? [{ id: "P1", role: "measured" }]).map((s) => s.id);
    this.spotRoles = new Map((options.spots ?? [{ id: "P1", role: "measured" as const }]).map((s) => [s.id, s.role]));
    if (options.step) {
      const { at_s, deltaV_V, factor } = options.step;
      if (!(Number.isFinite(at_s) && at_s > 0)) throw new ValidationError("step.at_s", "must be a time > 0 s", at_s);
      if (!Number.isFinite(deltaV_V)) throw new ValidationError("step.deltaV_V", "must be a potential change in V", deltaV_V);
      if (!(Number.isFinite(factor) && factor >= 0)) throw new ValidationError("step.factor", "must be ≥ 0", factor);
      this.step = options.step;
    }
    if (this.scenario.probe === "xray") {
      const parsed = parseManifest(this.manifest([]), "campaign.json");
      const setup = resolveDoseSetup(parsed.beam, parsed.cells[0], "cells[0]");
      if (!setup.ok) {
        if (this.scenario.damage) throw unavailableError(setup.unavailable);
      } else this.#doseSetup = setup.value;
    } else if (this.scenario.damage) throw new ValidationError("damage", "needs an X-ray beam: neutron doses are negligible", this.scenario.probe);
  }

  /** The chemistry's interphase thickness at t (law, plus the growth restarted by a potential step), Å. */
  thicknessAt(t: number): number {
    const law = GROWTH_LAWS[this.scenario.law.name];
    if (this.scenario.law.name === "charge") return law.evaluate(this.#lawValues, t, this.#pulseCharge(t), this.perCharge);
    const base = law.evaluate(this.#lawValues, t, 0, this.perCharge);
    if (!this.step || t <= this.step.at_s) return base;
    // a new growth front from nothing: the law with L0 = 0 (every law's first parameter), clock restarted at the step
    const fromNothing = [0, ...this.#lawValues.slice(1)];
    return base + this.step.factor * (law.evaluate(fromNothing, t - this.step.at_s, 0, this.perCharge) - law.evaluate(fromNothing, 0, 0, this.perCharge));
  }

  /** Reduction charge per area since t0, C/cm² (the thickness grown over f × Å per C/cm²). */
  qredPerArea(t: number): number {
    if (this.scenario.law.name === "charge") return this.#pulseCharge(t);
    return (this.thicknessAt(t) - this.thicknessAt(0)) / (this.scenario.faradaicFraction * this.perCharge);
  }

  /** The charge law's galvanostatic reduction pulses (as `simulateCampaign`): I0 for on_s, rest for off_s; charge per area, C/cm². */
  #pulseCharge(t: number): number {
    const { I0_A, on_s, off_s } = this.scenario.holdCurrent!;
    const period = on_s + off_s;
    const full = Math.floor(t / period);
    return (I0_A * (full * on_s + Math.min(t - full * period, on_s))) / this.scenario.area_cm2;
  }

  /** The hold potential at t, V vs Li. */
  potentialAt(t: number): number {
    return HOLD_POTENTIAL_V + (this.step && t >= this.step.at_s ? this.step.deltaV_V : 0);
  }

  /** The dose of one exposure of the Q grid for countTime_s, Gy (0 for neutrons). */
  scanDose(setting: { qMin: number; qMax: number; points: number; countTime_s: number }): number {
    if (!this.#doseSetup) return 0;
    return exposureDose(this.#doseSetup, qGrid(setting), setting.countTime_s).dose_Gy ?? 0;
  }

  /** A spot's accumulated dose so far, Gy. */
  spotDose(spot: string): number {
    return this.#spotDose.get(spot) ?? 0;
  }

  /** The manifest of a campaign with these scans (one cell "A", the declared spots, the cycler record). */
  manifest(scans: { id: string; spot: string; file: string; start_s: number; end_s: number }[], impedance: { file: string; start_s: number; end_s: number }[] = []): Record<string, unknown> {
    const spots = this.#spots.length > 1 ? this.#spots : [];
    const cell = manifestCell(this.scenario, this.cell, this.perCharge, spots);
    if (spots.length > 1) cell["spots"] = this.#spots.map((id) => ({ id, role: this.spotRoles.get(id) ?? "measured" }));
    return {
      format: "strata-campaign/1",
      name: this.scenario.name,
      cells: [cell],
      beam: {
        probe: this.scenario.probe,
        ...(this.scenario.probe === "xray" ? { energy_keV: this.scenario.energy_keV } : { wavelength_A: this.scenario.wavelength_A }),
        ...this.scenario.beam,
        ...(this.scenario.geometry?.declaredBeamHeight_mm !== undefined ? { height_mm: this.scenario.geometry.declaredBeamHeight_mm } : {}),
      },
      t0: iso(this.t0_ms, 0),
      scans: scans.map((s) => ({ id: s.id, cell: this.cell, spot: s.spot, file: s.file, start: iso(this.t0_ms, s.start_s), end: iso(this.t0_ms, s.end_s) })),
      electrochemistry: [{ cell: this.cell, file: `echem/${this.cell}.bdf.csv`, start: iso(this.t0_ms, 0) }],
      ...(impedance.length > 0 ? { impedance: impedance.map((e) => ({ cell: this.cell, file: e.file, start: iso(this.t0_ms, e.start_s), end: iso(this.t0_ms, e.end_s) })) } : {}),
    };
  }

  /**
   * Measure a reflectivity scan: the spot's dose accumulates, the damage term follows it.
   * @returns the `.ort` text and the truth of the scan
   */
  scan(request: ScanRequest): GeneratedScan {
    const { id, spot, start_s, countTime_s } = request;
    if (!this.#spots.includes(spot)) throw new ValidationError("spot", `is not a declared spot (${this.#spots.join(", ")})`, spot);
    if (!(Number.isInteger(request.points) && request.points >= 2)) throw new ValidationError("points", "must be an integer ≥ 2", request.points);
    if (!(request.qMax > request.qMin && request.qMin > 0)) throw new ValidationError("qMax", `must be > qMin (${request.qMin}) > 0`, request.qMax);
    if (!(countTime_s > 0)) throw new ValidationError("countTime_s", "must be > 0 s", countTime_s);
    const s = this.scenario.scans;
    const q = qGrid(request);
    const dose = this.scanDose(request);
    const before = this.spotDose(spot);
    const doseMid = before + 0.5 * dose;
    const mid = start_s + countTime_s / 2;
    const chemistry = this.thicknessAt(mid);
    const damage = this.scenario.damage;
    const damageTerm = damage ? DAMAGE_MODELS[damage.model].evaluate([damage.rate_A_per_Gy, damage.dose_Gy ?? 1], doseMid) : 0;
    const thickness = chemistry + damageTerm;
    const { sigma, observed, scalars } = observedCurve(this.scenario, q, this.#truth, curveAttenuation(this.scenario, this.manifest([])));
    const r = observed.evaluate(stackSlabs(this.scenario, stackAt(this.#truth.stack, mid), this.#interphaseIndex, thickness), scalars);
    const random = createRandom(`${String(this.scenario.seed)}:twin:scan:${id}`);
    const rows: number[][] = [[], [], [], []];
    const incident = s.incident * (countTime_s / s.exposure_s);
    for (let i = 0; i < q.length; i++) {
      const i0 = incident * (q[i] / s.qMin) ** 2;
      const counts = poissonDeviate(r[i] * i0, () => random.next());
      if (counts === 0) continue;
      rows[0].push(q[i]);
      rows[1].push(counts / i0);
      rows[2].push(Math.sqrt(counts) / i0);
      rows[3].push(sigma[i]);
    }
    this.#spotDose.set(spot, before + dose);
    const text = writeOrt([{ header: ortHeader(this.scenario, id, iso(this.t0_ms, start_s)), columns: ORT_COLUMNS, data: rows }]);
    return {
      id,
      spot,
      file: `xrr/${id}.ort`,
      start_s,
      end_s: start_s + countTime_s,
      time_s: mid,
      dose_Gy: dose,
      spotDoseMid_Gy: doseMid,
      spotDoseAfter_Gy: before + dose,
      thickness_A: chemistry,
      observedThickness_A: thickness,
      text,
    };
  }

  /** The cycler record (BDF CSV) from t0 up to `until_s`: the hold's current = −dQred/dt (anodic positive). */
  cyclerCsv(until_s: number): string {
    const random = createRandom(`${String(this.scenario.seed)}:twin:cycler`);
    const lines = ["test_time_second,voltage_volt,current_ampere,cycle_count,step_count"];
    const area = this.scenario.area_cm2;
    for (let t = 0; t <= until_s; t += CYCLER_SAMPLE_S) {
      const h = 0.5;
      const lo = Math.max(t - h, 0);
      const current = -((this.qredPerArea(t + h) - this.qredPerArea(lo)) / (t + h - lo)) * area;
      const voltage = this.potentialAt(t) + 1e-4 * random.normal();
      const stepCount = this.step && t >= this.step.at_s ? 2 : 1;
      lines.push(`${t},${voltage.toFixed(6)},${current.toPrecision(12)},0,${stepCount}`);
    }
    return `${lines.join("\n")}\n`;
  }

  /** Write an impedance spectrum measured from start_s (R0-p(R1,C1) of the interphase at mid spectrum) to `file`. */
  writeSpectrum(file: string, id: string, start_s: number): { time_s: number; thickness_A: number; R_sei_ohm: number; C_sei_F: number } {
    const z = this.scenario.impedance;
    if (!z) throw new ValidationError("impedance", "the scenario has no impedance section: no spectrum can be measured", id);
    const mid = start_s + SPECTRUM_DURATION_S / 2;
    const thickness = this.thicknessAt(mid);
    const areaM2 = this.scenario.area_cm2 * 1e-4;
    const resistance = (thickness * 1e-10) / (z.conductivity_S_per_m * areaM2);
    const capacitance = (z.permittivity * VACUUM_PERMITTIVITY * areaM2) / (thickness * 1e-10);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeSpectrum(file, z, resistance, capacitance, createRandom(`${String(this.scenario.seed)}:twin:eis:${id}`));
    return { time_s: mid, thickness_A: thickness, R_sei_ohm: resistance, C_sei_F: capacitance };
  }
}

/** The nominal Q grid of a setting: `points` evenly spaced from qMin to qMax, Å⁻¹. */
export function qGrid(setting: { qMin: number; qMax: number; points: number }): Float64Array {
  return Float64Array.from({ length: setting.points }, (_, i) => setting.qMin + ((setting.qMax - setting.qMin) * i) / (setting.points - 1));
}
