/**
 * @module campaign/summary
 * A plain-data view of a loaded campaign, without its data arrays: what `strata inspect`
 * prints. Times in s since t0, Q in Å⁻¹, charge in C.
 */
import type { Campaign, CellData } from "./campaign.ts";

/** Plain-data view of a campaign for `--json` (no data arrays). */
export function inspectionJson(campaign: Campaign): Record<string, unknown> {
  const m = campaign.manifest;
  return {
    format: m.format,
    name: m.name,
    dir: campaign.dir,
    t0: m.t0.iso,
    beam: m.beam,
    ...(m.beams ? { beams: m.beams } : {}),
    cells: campaign.cells.map((cell) => {
      // the beam of each scan that names one of the manifest's `beams`
      const beamOf = new Map(m.scans.filter((s) => s.beam !== undefined && s.cell === cell.id).map((s) => [s.id, s.beam!]));
      return {
      id: cell.id,
      architecture: cell.manifestCell.architecture,
      electrodeArea_cm2: cell.manifestCell.electrodeArea_cm2,
      stack: cell.manifestCell.stack.map((l) => ({ name: l.name, role: l.role, thickness_A: l.thickness_A ?? null, roughness_A: l.roughness_A })),
      cycler: cyclerSummary(campaign, cell),
      scans: cell.scans.map((s) => ({
        id: s.id,
        ...(beamOf.has(s.id) ? { beam: beamOf.get(s.id) } : {}),
        spot: s.spot,
        file: s.file,
        start_s: s.start_s,
        end_s: s.end_s,
        startFrom: s.startFrom,
        endFrom: s.endFrom,
        exposure_s: s.exposure_s,
        spotExposureBefore_s: s.spotExposureBefore_s,
        points: s.data.q.length,
        qMin: minOf(s.data.q),
        qMax: maxOf(s.data.q),
        state: s.state ?? null,
      })),
      spectra: cell.spectra.map((s) => ({
        id: s.id ?? null,
        file: s.file,
        start_s: s.start_s,
        end_s: s.end_s,
        points: s.spectrum.frequency.length,
        format: s.spectrum.format,
        state: s.state ?? null,
      })),
      exposure: exposureRows(cell),
      };
    }),
    warnings: campaign.warnings,
  };
}

function cyclerSummary(campaign: Campaign, cell: CellData): Record<string, unknown> | null {
  const table = cell.cycler;
  if (!table) return null;
  const time = table.columns["test_time_second"];
  return {
    file: cyclerFile(campaign, cell),
    format: table.format,
    rows: table.rows,
    columns: Object.keys(table.columns),
    firstTime_s: time[0],
    lastTime_s: time[time.length - 1],
    startTime: table.startTime ?? null,
    offset_s: cell.cyclerOffset_s ?? null,
  };
}

/** The cycler file as the manifest names it. */
export const cyclerFile = (campaign: Campaign, cell: CellData): string => campaign.manifest.electrochemistry.find((e) => e.cell === cell.id)?.file ?? cell.cycler?.source ?? "";

export function exposureRows(cell: CellData): { spot: string; role: string; scans: number; exposure_s: number }[] {
  const roles = new Map(cell.manifestCell.spots.map((s) => [s.id, s.role]));
  return Object.entries(cell.exposureBySpot).map(([spot, exposure_s]) => ({
    spot,
    role: roles.get(spot) ?? "measured",
    scans: cell.scans.filter((s) => s.spot === spot).length,
    exposure_s,
  }));
}

export function minOf(a: Float64Array): number {
  let m = Infinity;
  for (const x of a) if (x < m) m = x;
  return m;
}
export function maxOf(a: Float64Array): number {
  let m = -Infinity;
  for (const x of a) if (x > m) m = x;
  return m;
}
