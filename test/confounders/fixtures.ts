/**
 * The documented dose example of issue 7 (hand calculation in dose.test.ts): a
 * thin-layer operando cell measured through a Kapton window at 17.3861 keV — an
 * energy that is a tabulated point of the Henke tables of every element involved
 * (H, Li, C, N, O, F), so f2 is read from the files without interpolation.
 *
 * Beam: top-hat, 1e12 photons/s, 0.05 mm high × 0.5 mm wide. Cell: window Kapton
 * C22H10N2O5 (1.42 g/cm³, 25 µm), electrolyte film of ethylene carbonate C3H4O3
 * (1.32 g/cm³, 0.01 mm, geometry.electrolytePath_mm), interphase LiF (2.635 g/cm³,
 * 50 Å), Cu 500 Å on Si; sample 20 mm long. Scans (column files `Q R dR`) at
 * Q = 0.02 and 0.1 Å⁻¹: s1 at P1 for 100 s, s2 at P1 for 200 s, s3 at P2 for 100 s.
 */
import fs from "node:fs";
import path from "node:path";
import { parseManifest, type CampaignManifest } from "../../src/campaign/manifest.ts";

export type Json = Record<string, unknown>;

export const EXAMPLE_ENERGY_KEV = 17.3861;
export const EXAMPLE_Q = [0.02, 0.1] as const;

/** The example manifest (a fresh object each call, free to edit). */
export function doseExampleManifest(): Json {
  return {
    format: "strata-campaign/1",
    name: "dose hand example",
    cells: [
      {
        id: "A",
        architecture: "thin-film-reflectometry",
        electrodeArea_cm2: 1,
        stack: [
          { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 } },
          { name: "SEI", role: "interphase", material: { formula: "LiF", density: 2.635 }, thickness_A: 50, roughness_A: 5 },
          { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 5 },
          { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3 },
        ],
        windows: [{ name: "Kapton", material: { formula: "C22H10N2O5", density: 1.42 }, thickness_um: 25 }],
        geometry: { sampleLength_mm: 20, beamEntry: "through-window", electrolytePath_mm: 0.01 },
        spots: [
          { id: "P1", role: "measured" },
          { id: "P2", role: "fresh" },
          { id: "C1", role: "control" },
        ],
      },
    ],
    beam: { probe: "xray", energy_keV: EXAMPLE_ENERGY_KEV, flux_per_s: 1e12, height_mm: 0.05, width_mm: 0.5, profile: "tophat" },
    t0: "2026-03-01T10:00:00Z",
    scans: [
      { id: "s1", cell: "A", spot: "P1", file: "xrr/scan.dat", start: "2026-03-01T10:01:40Z", end: "2026-03-01T10:03:20Z" },
      { id: "s2", cell: "A", spot: "P1", file: "xrr/scan.dat", start: "2026-03-01T10:05:00Z", end: "2026-03-01T10:08:20Z" },
      { id: "s3", cell: "A", spot: "P2", file: "xrr/scan.dat", start: "2026-03-01T10:10:00Z", end: "2026-03-01T10:11:40Z" },
    ],
  };
}

/** Write a campaign folder (manifest + the Q R dR scan file) and return the manifest written. */
export function writeDoseCampaign(dir: string, edit?: (manifest: Json) => void, q: readonly number[] = EXAMPLE_Q): Json {
  fs.mkdirSync(path.join(dir, "xrr"), { recursive: true });
  fs.writeFileSync(path.join(dir, "xrr", "scan.dat"), `# Q R dR\n${q.map((x) => `${x} 0.01 0.001`).join("\n")}\n`);
  const manifest = doseExampleManifest();
  edit?.(manifest);
  fs.writeFileSync(path.join(dir, "campaign.json"), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The parsed manifest (no files needed). */
export function parsedExample(edit?: (manifest: Json) => void): CampaignManifest {
  const manifest = doseExampleManifest();
  edit?.(manifest);
  return parseManifest(manifest, "example");
}

/** The first cell of a manifest JSON. */
export const cell0 = (m: Json): Json => (m["cells"] as Json[])[0];
