/**
 * @module cli/inspect
 * `strata inspect CAMPAIGN_DIR [--json]`: validate a campaign's manifest and every
 * file it names, then print the scans and spectra with their electrochemical state,
 * the warnings, and the beam exposure per spot. An invalid manifest or file is one
 * line naming the JSON path (or file and line) and the value, exit code 2.
 *
 * Units of the table: times s since t0, potential V, current A (anodic positive at
 * the working electrode), charges C, exposure s.
 */
import type { Command } from "commander";
import type { Campaign } from "../campaign/campaign.ts";
import { cyclerFile, exposureRows } from "../campaign/summary.ts";
import type { ElectrochemicalState } from "../campaign/align.ts";
import { DQ_MEASURE_HELP, dqMeasureOption, numberOption } from "./numbers.ts";
import { printJson } from "./output.ts";

export function registerInspect(program: Command): void {
  program
    .command("inspect")
    .description("Validate a campaign (campaign.json and every file it names) and show every scan and spectrum with its electrochemical state")
    .argument("<CAMPAIGN_DIR>", "folder holding campaign.json (or the manifest file itself)")
    .option("--json", "print the same as JSON")
    .option("--gap-factor <N>", "report gaps between scans longer than N × the median interval", "5")
    .option("--dq-measure <fwhm|sigma>", DQ_MEASURE_HELP)
    .addHelpText(
      "after",
      `
Times are seconds since the manifest's t0 (times_from: the manifest, or the file header's
field a time was taken from when the manifest leaves it out); E and I are time-weighted means over each
exposure window; Q is the net charge and Qred the reduction charge passed since t0 at
mid-window (C; current anodic-positive at the working electrode). Manifest format:
schema/campaign.schema.json (strata-campaign/1).`,
    )
    .action(async (dir: string, options: { json?: boolean; gapFactor: string; dqMeasure?: string }) => {
      const { inspectCampaign } = await import("../api/campaign.ts");
      const gapFactor = numberOption(options.gapFactor, "--gap-factor", { gt: 1 });
      const dqMeasure = dqMeasureOption(options.dqMeasure);
      const inspection = await inspectCampaign(dir, { gapFactor, ...(dqMeasure !== undefined ? { dqMeasure } : {}) });
      if (options.json) printJson(inspection);
      else process.stdout.write(inspectionText(inspection.campaign));
    });
}

/** Where a scan's start and end came from: `manifest`, or e.g. `start: header start_time; end: duration_s`. */
const timesFrom = (start: string, end: string): string => (start === end ? start : `start: ${start}; end: ${end}`);

/** The human-readable report. */
export function inspectionText(campaign: Campaign): string {
  const m = campaign.manifest;
  const out: string[] = [];
  const nScans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
  const nSpectra = campaign.cells.reduce((n, c) => n + c.spectra.length, 0);
  const energyOf = (beam: typeof m.beam): string =>
    beam.probe === "xray" && beam.energy_keV !== undefined ? `${num(beam.energy_keV, 4)} keV` : beam.wavelength_A !== undefined ? `${num(beam.wavelength_A, 4)} Å` : "white beam";
  out.push(`campaign "${m.name}" (${m.format}): ${plural(campaign.cells.length, "cell")}, ${plural(nScans, "scan")}, ${plural(nSpectra, "spectrum", "spectra")}; t0 ${m.t0.iso}; beam ${m.beam.probe} ${energyOf(m.beam)}`);
  // several beams: each by name, and a beam column in the scan tables (blank: the campaign's beam)
  const beamOf = new Map(m.scans.filter((s) => s.beam !== undefined).map((s) => [s.id, s.beam!]));
  if (m.beams) out.push(`beams: ${Object.entries(m.beams).map(([name, beam]) => `${name} ${beam.probe} ${energyOf(beam)}`).join(", ")} (scans without a beam: the campaign's)`);
  for (const cell of campaign.cells) {
    const c = cell.manifestCell;
    const stack = c.stack.map((l) => (l.thickness_A === undefined ? l.name : `${l.name} ${num(l.thickness_A, 4)} Å`)).join(" | ");
    out.push("");
    out.push(`cell ${cell.id} (${c.architecture}, ${num(c.electrodeArea_cm2, 4)} cm²${c.geometry ? `, ${c.geometry.beamEntry}` : ""}): ${stack}`);
    const table = cell.cycler;
    if (table) {
      const time = table.columns["test_time_second"];
      const offset = cell.cyclerOffset_s ?? 0;
      out.push(
        `  cycler: ${cyclerFile(campaign, cell)} (${table.format}, ${table.rows} rows, test time ${num(time[0], 6)}–${num(time[time.length - 1], 6)} s = ${num(time[0] + offset, 8)}–${num(time[time.length - 1] + offset, 8)} s since t0)`,
      );
    } else out.push("  cycler: none");
    if (cell.scans.length > 0) {
      out.push("");
      out.push(
        ...columns(
          ["scan", ...(m.beams ? ["beam"] : []), "spot", "file", "start_s", "end_s", "points", "E_V", "I_A", "Q_C", "Qred_C", "cycle", "half", "step", "times_from"],
          cell.scans.map((s) => [s.id, ...(m.beams ? [beamOf.get(s.id) ?? "beam"] : []), s.spot, s.file, num(s.start_s, 8), num(s.end_s, 8), String(s.data.q.length), ...stateCells(s.state), timesFrom(s.startFrom, s.endFrom)]),
        ),
      );
    }
    if (cell.spectra.length > 0) {
      out.push("");
      out.push(
        ...columns(
          ["spectrum", "file", "start_s", "end_s", "points", "E_V", "I_A", "Q_C", "Qred_C", "cycle", "half", "step"],
          cell.spectra.map((s) => [s.id ?? "-", s.file, num(s.start_s, 8), num(s.end_s, 8), String(s.spectrum.frequency.length), ...stateCells(s.state)]),
        ),
      );
    }
    out.push("");
    out.push(`  exposure per spot (cell ${cell.id})`);
    out.push(...columns(["spot", "role", "scans", "exposure_s"], exposureRows(cell).map((r) => [r.spot, r.role, String(r.scans), num(r.exposure_s, 8)])).map((l) => `  ${l}`));
  }
  out.push("");
  if (campaign.warnings.length === 0) out.push("warnings: none");
  else {
    out.push(`warnings (${campaign.warnings.length}):`);
    for (const w of campaign.warnings) out.push(`  - ${w}`);
  }
  return `${out.join("\n")}\n`;
}

function stateCells(state: ElectrochemicalState | undefined): string[] {
  if (!state) return ["-", "-", "-", "-", "-", "-", "-"];
  const label = (x: number): string => (x < 0 || Number.isNaN(x) ? "-" : String(x));
  return [
    num(state.meanPotential_V, 6),
    num(state.meanCurrent_A, 4),
    num(state.chargeAtMid_C, 6),
    num(state.reductionChargeAtMid_C, 6),
    label(state.cycle),
    label(state.halfCycle),
    state.stepType === "UNKNOWN" ? "-" : state.stepType,
  ];
}

function columns(header: string[], rows: string[][]): string[] {
  const width = header.map((h, j) => Math.max(h.length, ...rows.map((r) => r[j].length)));
  const line = (cells: string[]): string => cells.map((c, j) => c.padEnd(width[j])).join("  ").trimEnd();
  return [line(header), ...rows.map(line)];
}

const num = (x: number, digits: number): string => {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e12) return String(x);
  const s = x.toPrecision(digits);
  return s.includes("e") ? s : s.replace(/(\.\d*?)0+$/, "$1").replace(/\.$/, "");
};

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
