/**
 * @module campaign/template
 * The campaign template of `strata init` and the check that refuses a manifest still
 * holding its placeholders.
 *
 * Choice: the template is a valid `strata-campaign/1` manifest (against
 * `schema/campaign.schema.json`) whose every value a user must supply — the campaign's
 * name and the files of scans and the cycler record — is a string starting with
 * {@link PLACEHOLDER_MARK}. Numbers and times hold typical values (a Cu thin-film cell,
 * its stack, beam and t0) documented by the `notes` beside them, so the file shows what
 * each field means and its units; {@link findPlaceholders} lists the marked values and
 * `loadCampaign` (so `strata inspect` and `strata diagnose`) refuses the manifest, naming
 * every one, until none is left. A template that loaded as-is would let a forgotten
 * field through silently; one that failed the schema could not show the real shape.
 *
 * Units are in the field names (`_A` Å, `_mm` mm, `_cm2` cm², `_keV` keV, density g/cm³).
 */
import { ValidationError } from "../core/errors.ts";
import { CAMPAIGN_FORMAT, type Probe } from "./manifest.ts";

/** Every value the user must replace starts with this. */
export const PLACEHOLDER_MARK = "REPLACE";

/**
 * The JSON paths of every string value starting with {@link PLACEHOLDER_MARK}
 * (`notes` fields are documentation and not searched).
 * @param json - a parsed manifest
 * @returns paths in the manifest validator's spelling, e.g. `scans[0].file`
 * @example findPlaceholders({ name: "REPLACE: a name" }) // ["name"]
 */
export function findPlaceholders(json: unknown): string[] {
  const found: string[] = [];
  const visit = (value: unknown, at: string): void => {
    if (typeof value === "string") {
      if (value.trimStart().startsWith(PLACEHOLDER_MARK)) found.push(at);
    } else if (Array.isArray(value)) value.forEach((item, i) => visit(item, `${at}[${i}]`));
    else if (typeof value === "object" && value !== null) {
      for (const [key, item] of Object.entries(value)) if (key !== "notes") visit(item, at === "" ? key : `${at}.${key}`);
    }
  };
  visit(json, "");
  return found;
}

/**
 * Refuse a manifest that still holds template placeholders, naming all of them.
 * @param json - a parsed manifest
 * @throws {ValidationError} at the first placeholder's path, listing every one
 */
export function checkNoPlaceholders(json: unknown): void {
  const paths = findPlaceholders(json);
  if (paths.length === 0) return;
  const first = paths[0].split(/[.[]/).reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key.replace(/\]$/, "")], json);
  throw new ValidationError(
    paths[0],
    `is a template placeholder from strata init: replace every value starting with "${PLACEHOLDER_MARK}" (${paths.length} left: ${paths.join(", ")})`,
    first,
  );
}

/**
 * A commented campaign template for one thin-film cell (see the module header).
 * @param probe - `xray` (17.48 keV, through the Si substrate) or `neutron` (deuterated electrolyte)
 * @returns the manifest as JSON
 */
export function campaignTemplate(probe: Probe): Record<string, unknown> {
  const xray = probe === "xray";
  return {
    format: CAMPAIGN_FORMAT,
    name: `${PLACEHOLDER_MARK}: a name for this campaign (cell, electrolyte, protocol)`,
    notes:
      `Written by strata init. Replace every value starting with "${PLACEHOLDER_MARK}" (strata inspect refuses the file and names them until none is left), ` +
      "then check every number: they are typical values of a Cu thin-film cell, not yours. Units are in the field names (_A Å, _mm mm, _cm2 cm², _keV keV, density g/cm³). " +
      "Times are RFC 3339 with a zone (Z or ±hh:mm). Schema: schema/campaign.schema.json of the strata package; README 'Campaigns and diagnoses'.",
    cells: [
      {
        id: "A",
        architecture: "thin-film-reflectometry",
        electrodeArea_cm2: 1,
        notes: "electrodeArea_cm2: the wetted working-electrode area that the cycler current flows through (cm²).",
        stack: [
          { name: "Si", role: "substrate", material: { formula: "Si", density: 2.33 }, roughness_A: 3, notes: "Stack from the beam side (fronting) to the backing medium; the first and last layers are semi-infinite. roughness_A of a layer is its interface with the layer before it." },
          { name: "Cu", role: "electrode", material: { formula: "Cu", density: 8.96 }, thickness_A: 500, roughness_A: 5, notes: "the working electrode; its name is referred to by electrochemistry.workingElectrode" },
          {
            name: "SEI",
            role: "interphase",
            material: { formula: "LiF", density: 2.635 },
            thickness_A: 20,
            roughness_A: 5,
            growth: { electronsPerFormula: 1 },
            notes: "the layer whose growth the diagnosis follows; composition and electrons per formula unit give its thickness per reduction charge",
          },
          xray
            ? { name: "electrolyte", role: "electrolyte", material: { formula: "C3H4O3", density: 1.32 }, roughness_A: 5, notes: "ethylene carbonate as a stand-in: give your electrolyte's composition and density" }
            : { name: "electrolyte", role: "electrolyte", material: { formula: "C4D8O", density: 0.985 }, roughness_A: 5, notes: "deuterated THF as a stand-in: give your electrolyte's composition and density (or explicit SLDs {\"neutron\": {\"sld\": …}})" },
        ],
        geometry: {
          sampleLength_mm: 20,
          beamEntry: "through-substrate",
          notes: "sampleLength_mm along the beam; beamEntry through-substrate | through-electrolyte (then electrolytePath_mm) | through-window (then windows)",
        },
        electrochemistry: { workingElectrode: "Cu", counterElectrode: "Li", currentSign: "anodic-positive", notes: "currentSign: how the cycler file signs the current (anodic-positive: the potentiostat convention)" },
      },
    ],
    beam: xray
      ? { probe: "xray", energy_keV: 17.48, notes: "energy_keV (or wavelength_A); flux_per_s, height_mm and width_mm enable the dose ledger and beam-damage analysis" }
      : { probe: "neutron", notes: "wavelength_A for a monochromatic instrument; leave it out for time-of-flight" },
    t0: "2026-01-01T00:00:00Z",
    scans: [
      {
        id: "scan-001",
        cell: "A",
        spot: "spot-1",
        file: `${PLACEHOLDER_MARK}: ${xray ? "xrr" : "nr"}/scan-001.ort`,
        notes:
          "start and end are taken from the file's header when left out (.ort data_files timestamp or start_date, SNS run start time, NeXus start_time/end_time); give start and end, or duration_s, when the header lacks them, and utcOffset when the file's clock has no zone. One entry per scan file.",
      },
    ],
    electrochemistry: [{ cell: "A", file: `${PLACEHOLDER_MARK}: echem/cycler.mpr`, notes: "BioLogic .mpr/.mpt, Arbin, Maccor, Neware or BDF CSV; give start when the file has no absolute clock, utcOffset when its clock has no zone" }],
  };
}

/** The note written beside the template. */
export function templateReadme(probe: Probe): string {
  return `# Campaign folder (written by \`strata init\`)

\`campaign.json\` describes one ${probe === "xray" ? "X-ray" : "neutron"} operando campaign (format strata-campaign/1):

1. Replace every value starting with "${PLACEHOLDER_MARK}" — the campaign's name, each scan's
   file and the cycler file (paths relative to this folder). \`strata inspect .\` refuses the
   manifest and lists the placeholders left until there are none.
2. Check every number against your cell: the stack (fronting → backing, thickness and
   roughness in Å, density in g/cm³), the electrode area (cm²), the beam and t0 (the
   formation start, RFC 3339 with a zone). The \`notes\` beside the fields say what they mean.
3. Add one entry to \`scans\` per reflectivity file. Start and end times come from the file
   header when left out (ORSO .ort, SNS text, NeXus); give them, or \`duration_s\`, when the
   header has none, and \`utcOffset\` when its clock has no zone (e.g. Amor .ort files).
4. Optional: \`impedance\` spectra with their start and end, \`spots\`, \`impedanceModel\`,
   windows — see README "Campaigns and diagnoses" and schema/campaign.schema.json.

Then \`strata inspect .\` shows every scan with its time (and where it came from) and its
electrochemical state, and \`strata diagnose . --out result\` runs the diagnosis.
`;
}
