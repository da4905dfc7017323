/** campaign/manifest: the validator, and its agreement with the published JSON Schema. */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.ts";
import { withUnknownKeyPolicy } from "../../src/core/keys.ts";
import { parseIsoTime, parseManifest, resolveMaterialSld, secondsBetween } from "../../src/campaign/manifest.ts";
import { repoRoot } from "../paths.ts";
import { checkSchemaStructure, validateAgainstSchema } from "./schemaCheck.ts";
import { del, exampleManifest, get, set, type Json } from "./fixtures.ts";

const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema", "campaign.schema.json"), "utf8")) as Record<string, unknown>;

interface Case {
  name: string;
  mutate: (m: Json) => void;
  /** undefined = valid; else the JSON path the validator names (and the value it shows). */
  path?: string;
  value?: string;
  /** The schema cannot express this rule (cross-references, uniqueness, calendar); it must accept the manifest. */
  validatorOnly?: boolean;
}

const cases: Case[] = [
  { name: "the issue's example", mutate: () => {} },
  { name: "neutron beam with wavelength, explicit per-probe SLDs", mutate: (m) => {
    set(m, "beam", { probe: "neutron", wavelength_A: 4.75 });
    set(m, "cells[0].stack[2].material", { neutron: { sld: 2.0, isld: 0 }, xray: { sld: 20 } });
  } },
  { name: "plain sld for the beam's probe, composition and SLD together", mutate: (m) => {
    set(m, "cells[0].stack[2].material", { sld: 22.1, isld: 0.3 });
    set(m, "cells[0].stack[1].material", { formula: "Cu", density: 8.96, sld: 60 });
  } },
  { name: "minimal: no windows, geometry, electrochemistry, spots, impedance", mutate: (m) => {
    for (const key of ["windows", "geometry", "electrochemistry", "spots"]) del(m, `cells[0].${key}`);
    del(m, "impedance");
    del(m, "electrochemistry");
  } },
  { name: "extensions read by strata diagnose: layer growth, cell impedanceModel", mutate: (m) => {
    set(m, "cells[0].stack[2].growth", { electronsPerFormula: 1, faradaicFraction: 0.8, thicknessPerCharge_A_cm2_per_C: 1.5e4 });
    set(m, "cells[0].impedanceModel", { circuit: "R0-p(R1,C1)", interphaseResistance: "R1", interphaseCapacitance: "C1" });
  } },
  { name: "slices fitted with priors from the previous scan, two sample alignments with their own angle offsets", mutate: (m) => {
    set(m, "cells[0].alignments", { run1: { angleOffset_deg: 0 }, run2: { angleOffset_deg: { value: 0, sd: 0.005 } } });
    set(m, "scans[0].alignment", "run1");
    set(m, "scans[1].prior", "previous");
    set(m, "scans[1].alignment", "run2");
  } },
  { name: "a depressed arc: the interphase's capacitance a CPE beside its resistor", mutate: (m) => {
    set(m, "cells[0].impedanceModel", { circuit: "R0-p(R1,CPE1)-p(R2,CPE2)", interphaseResistance: "R1", interphaseCapacitance: "CPE1" });
  } },
  { name: "wavelength instead of energy for X-rays", mutate: (m) => { set(m, "beam", { probe: "xray", wavelength_A: 0.7 }); } },
  { name: "several beams: a neutron beam in beams named by a scan (issue 15 part 7)", mutate: (m) => {
    set(m, "beams", { nr: { probe: "neutron", wavelength_A: 4.75, flux_per_s: 1e6 }, hex: { probe: "xray", energy_keV: 70 } });
    set(m, "scans[0].beam", "nr");
    set(m, "scans[1].beam", "hex");
  } },
  { name: "a scan names a beam not in beams", mutate: (m) => {
    set(m, "beams", { nr: { probe: "neutron", wavelength_A: 4.75 } });
    set(m, "scans[1].beam", "neutrons");
  }, path: "scans[1].beam", value: '"neutrons"', validatorOnly: true },
  { name: "a scan names a beam without beams", mutate: (m) => set(m, "scans[0].beam", "nr"), path: "scans[0].beam", value: '"nr"', validatorOnly: true },
  { name: "a beam in beams without its energy", mutate: (m) => set(m, "beams", { hex: { probe: "xray" } }), path: "beams.hex" },
  { name: "a neutron beam in beams with energy", mutate: (m) => set(m, "beams", { nr: { probe: "neutron", energy_keV: 1 } }), path: "beams.nr.energy_keV", value: "1" },
  { name: "a neutron beam in beams and a material with an X-ray SLD only", mutate: (m) => {
    set(m, "beams", { nr: { probe: "neutron", wavelength_A: 4.75 } });
    set(m, "cells[0].stack[2].material", { xray: { sld: 20 } });
  }, path: "cells[0].stack[2].material.neutron", validatorOnly: true },

  // unknown keys (issue 16): refused with a suggestion unless lenient; the published schema stays open to later 1.x keys
  { name: "unknown key", mutate: (m) => set(m, "operator", "me"), path: "operator", validatorOnly: true },
  { name: "misspelt optional key", mutate: (m) => set(m, "impedence", []), path: "impedence", validatorOnly: true },
  { name: "misspelt beam key", mutate: (m) => set(m, "beam.flux_per_sec", 1e12), path: "beam.flux_per_sec", validatorOnly: true },
  { name: "negative thickness", mutate: (m) => set(m, "cells[0].stack[2].thickness_A", -5), path: "cells[0].stack[2].thickness_A", value: "-5" },
  { name: "wrong format", mutate: (m) => set(m, "format", "strata-campaign/2"), path: "format", value: '"strata-campaign/2"' },
  { name: "missing name", mutate: (m) => del(m, "name"), path: "name" },
  { name: "no cells", mutate: (m) => set(m, "cells", []), path: "cells" },
  { name: "unknown architecture", mutate: (m) => set(m, "cells[0].architecture", "cylindrical"), path: "cells[0].architecture", value: '"cylindrical"' },
  { name: "area zero", mutate: (m) => set(m, "cells[0].electrodeArea_cm2", 0), path: "cells[0].electrodeArea_cm2", value: "0" },
  { name: "area as a string", mutate: (m) => set(m, "cells[0].electrodeArea_cm2", "2"), path: "cells[0].electrodeArea_cm2", value: '"2"' },
  { name: "unknown role", mutate: (m) => set(m, "cells[0].stack[1].role", "anode"), path: "cells[0].stack[1].role", value: '"anode"' },
  { name: "negative roughness", mutate: (m) => set(m, "cells[0].stack[3].roughness_A", -1), path: "cells[0].stack[3].roughness_A", value: "-1" },
  { name: "formula without density", mutate: (m) => del(m, "cells[0].stack[1].material.density"), path: "cells[0].stack[1].material.density" },
  { name: "zero density", mutate: (m) => set(m, "cells[0].stack[1].material.density", 0), path: "cells[0].stack[1].material.density", value: "0" },
  { name: "empty material", mutate: (m) => set(m, "cells[0].stack[1].material", {}), path: "cells[0].stack[1].material" },
  { name: "sld and per-probe SLDs together", mutate: (m) => set(m, "cells[0].stack[1].material", { sld: 1, xray: { sld: 2 } }), path: "cells[0].stack[1].material" },
  { name: "negative isld", mutate: (m) => set(m, "cells[0].stack[1].material", { sld: 1, isld: -0.1 }), path: "cells[0].stack[1].material.isld", value: "-0.1" },
  { name: "negative window thickness", mutate: (m) => set(m, "cells[0].windows[0].thickness_um", -25), path: "cells[0].windows[0].thickness_um", value: "-25" },
  { name: "unknown beamEntry", mutate: (m) => set(m, "cells[0].geometry.beamEntry", "sideways"), path: "cells[0].geometry.beamEntry", value: '"sideways"' },
  { name: "through-electrolyte without a path", mutate: (m) => set(m, "cells[0].geometry", { sampleLength_mm: 20, beamEntry: "through-electrolyte" }), path: "cells[0].geometry.electrolytePath_mm" },
  {
    name: "every geometry term (height offset, attenuation, incoherent background)",
    mutate: (m) =>
      set(m, "cells[0].geometry", {
        sampleLength_mm: 20,
        beamEntry: "through-window",
        electrolytePath_mm: 0.01,
        angleOffset_deg: { value: 0, sd: 0.01 },
        heightOffset_mm: { value: 0, sd: 0.1 },
        detectorDistance_mm: 1000,
        footprintCorrected: false,
        beamHeightSd_mm: 0.02,
        attenuationCorrected: false,
        attenuationRelativeSd: 0.2,
        incoherentBackground: { value: 0, sd: 1e-7 },
      }),
  },
  { name: "height offset without detector distance", mutate: (m) => set(m, "cells[0].geometry.heightOffset_mm", 0.05), path: "cells[0].geometry.detectorDistance_mm" },
  { name: "zero detector distance", mutate: (m) => Object.assign(get(m, "cells[0].geometry") as Json, { heightOffset_mm: 0.05, detectorDistance_mm: 0 }), path: "cells[0].geometry.detectorDistance_mm", value: "0" },
  { name: "beam-height prior on footprint-corrected curves", mutate: (m) => set(m, "cells[0].geometry.beamHeightSd_mm", 0.02), path: "cells[0].geometry.beamHeightSd_mm", value: "0.02", validatorOnly: true },
  { name: "attenuation prior on corrected curves", mutate: (m) => set(m, "cells[0].geometry.attenuationRelativeSd", 0.2), path: "cells[0].geometry.attenuationRelativeSd", value: "0.2", validatorOnly: true },
  { name: "attenuationCorrected not a boolean", mutate: (m) => set(m, "cells[0].geometry.attenuationCorrected", "no"), path: "cells[0].geometry.attenuationCorrected", value: '"no"' },
  { name: "negative incoherent background", mutate: (m) => set(m, "cells[0].geometry.incoherentBackground", -1e-7), path: "cells[0].geometry.incoherentBackground", value: "-1e-7" },
  { name: "unknown current sign", mutate: (m) => set(m, "cells[0].electrochemistry.currentSign", "positive"), path: "cells[0].electrochemistry.currentSign", value: '"positive"' },
  { name: "unknown spot role", mutate: (m) => set(m, "cells[0].spots[1].role", "new"), path: "cells[0].spots[1].role", value: '"new"' },
  { name: "X-ray beam with neither energy nor wavelength", mutate: (m) => set(m, "beam", { probe: "xray" }), path: "beam" },
  { name: "both energy and wavelength", mutate: (m) => set(m, "beam.wavelength_A", 0.7), path: "beam.energy_keV", value: "17.4" },
  { name: "neutron beam with energy", mutate: (m) => set(m, "beam", { probe: "neutron", energy_keV: 1 }), path: "beam.energy_keV", value: "1" },
  { name: "unknown probe", mutate: (m) => set(m, "beam.probe", "electron"), path: "beam.probe", value: '"electron"' },
  { name: "unknown profile", mutate: (m) => set(m, "beam.profile", "flat"), path: "beam.profile", value: '"flat"' },
  { name: "t0 without zone", mutate: (m) => set(m, "t0", "2026-03-01T10:00:00"), path: "t0", value: '"2026-03-01T10:00:00"' },
  { name: "t0 date only", mutate: (m) => set(m, "t0", "2026-03-01"), path: "t0", value: '"2026-03-01"' },
  { name: "scan start with a space separator", mutate: (m) => set(m, "scans[0].start", "2026-03-01 10:05:00Z"), path: "scans[0].start" },
  { name: "hour 24", mutate: (m) => set(m, "scans[0].end", "2026-03-01T24:00:00Z"), path: "scans[0].end" },
  { name: "leap second", mutate: (m) => set(m, "scans[0].end", "2026-03-01T10:10:60Z"), path: "scans[0].end" },
  { name: "offset hours 24", mutate: (m) => set(m, "scans[0].end", "2026-03-01T10:10:00+24:00"), path: "scans[0].end" },
  { name: "scan without file", mutate: (m) => del(m, "scans[1].file"), path: "scans[1].file" },
  { name: "negative dataset index", mutate: (m) => set(m, "scans[1].dataset", -1), path: "scans[1].dataset", value: "-1" },
  { name: "bad NeXus preset name", mutate: (m) => set(m, "scans[1].nexus", "nxfoo"), path: "scans[1].nexus", value: '"nxfoo"' },
  { name: "impedance without end", mutate: (m) => del(m, "impedance[0].end"), path: "impedance[0].end" },
  { name: "Faradaic fraction above 1", mutate: (m) => set(m, "cells[0].stack[2].growth", { faradaicFraction: 1.5 }), path: "cells[0].stack[2].growth.faradaicFraction", value: "1.5" },
  { name: "impedanceModel without circuit", mutate: (m) => set(m, "cells[0].impedanceModel", { interphaseResistance: "R1", interphaseCapacitance: "C1" }), path: "cells[0].impedanceModel.circuit" },
  { name: "a CPE as the interphase's capacitance not beside its resistor", mutate: (m) => set(m, "cells[0].impedanceModel", { circuit: "R0-p(R1,CPE1)-p(R2,CPE2)", interphaseResistance: "R1", interphaseCapacitance: "CPE2" }), path: "cells[0].impedanceModel.interphaseCapacitance", value: '"CPE2"', validatorOnly: true },
  { name: "the interphase's resistance names no element of the circuit", mutate: (m) => set(m, "cells[0].impedanceModel", { circuit: "R0-p(R1,C1)", interphaseResistance: "R2", interphaseCapacitance: "C1" }), path: "cells[0].impedanceModel.interphaseResistance", value: '"R2"', validatorOnly: true },
  { name: "the impedance model's circuit does not parse", mutate: (m) => set(m, "cells[0].impedanceModel", { circuit: "R0-p(R1,C1", interphaseResistance: "R1", interphaseCapacitance: "C1" }), path: "cells[0].impedanceModel.circuit", validatorOnly: true },
  { name: "a scan names a sample alignment the cell does not declare", mutate: (m) => set(m, "scans[1].alignment", "run2"), path: "scans[1].alignment", value: '"run2"', validatorOnly: true },
  { name: "a sample alignment's angle offset not small", mutate: (m) => set(m, "cells[0].alignments", { run2: { angleOffset_deg: 7 } }), path: "cells[0].alignments.run2.angleOffset_deg", value: "7", validatorOnly: true },
  { name: "a scan's prior other than previous", mutate: (m) => set(m, "scans[1].prior", "first"), path: "scans[1].prior", value: '"first"' },
  { name: "electrochemistry utcOffset malformed", mutate: (m) => set(m, "electrochemistry[0].utcOffset", "+1"), path: "electrochemistry[0].utcOffset", value: '"+1"' },

  // rules only the validator can check
  { name: "February 30", mutate: (m) => set(m, "t0", "2026-02-30T10:00:00Z"), path: "t0", value: '"2026-02-30T10:00:00Z"', validatorOnly: true },
  { name: "scan ends before it starts", mutate: (m) => set(m, "scans[0].end", "2026-03-01T10:04:00Z"), path: "scans[0].end", validatorOnly: true },
  { name: "scan names an unknown cell", mutate: (m) => set(m, "scans[1].cell", "B"), path: "scans[1].cell", value: '"B"', validatorOnly: true },
  { name: "duplicate scan id", mutate: (m) => set(m, "scans[1].id", "s0001"), path: "scans[1].id", value: '"s0001"', validatorOnly: true },
  { name: "duplicate cell id", mutate: (m) => set(m, "cells[1]", structuredClone(get(m, "cells[0]"))), path: "cells[1].id", value: '"A"', validatorOnly: true },
  { name: "undeclared spot", mutate: (m) => set(m, "scans[0].spot", "P9"), path: "scans[0].spot", value: '"P9"', validatorOnly: true },
  { name: "interior layer without thickness", mutate: (m) => del(m, "cells[0].stack[1].thickness_A"), path: "cells[0].stack[1].thickness_A", validatorOnly: true },
  { name: "unknown element", mutate: (m) => set(m, "cells[0].stack[2].material.formula", "LiXq"), path: "cells[0].stack[2].material.formula", value: '"LiXq"', validatorOnly: true },
  { name: "no SLD for the beam's probe", mutate: (m) => set(m, "cells[0].stack[2].material", { neutron: { sld: 2 } }), path: "cells[0].stack[2].material.xray", validatorOnly: true },
  { name: "two cycler files for one cell", mutate: (m) => set(m, "electrochemistry[1]", { cell: "A", file: "echem/A2.mpr" }), path: "electrochemistry[1].cell", validatorOnly: true },
  { name: "impedance names an unknown cell", mutate: (m) => set(m, "impedance[0].cell", "Z"), path: "impedance[0].cell", value: '"Z"', validatorOnly: true },
];

describe("campaign manifest", () => {
  it("the published schema uses only checked keywords and every $ref resolves", () => {
    expect(checkSchemaStructure(schema)).toEqual([]);
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    // the fields of issue 5 §3 are all described
    const defs = schema["$defs"] as Record<string, { properties: Record<string, unknown> }>;
    expect(Object.keys((schema["properties"] as Record<string, unknown>))).toEqual(expect.arrayContaining(["format", "name", "cells", "beam", "t0", "scans", "electrochemistry", "impedance"]));
    expect(Object.keys(defs["cell"].properties)).toEqual(expect.arrayContaining(["id", "architecture", "electrodeArea_cm2", "stack", "windows", "geometry", "electrochemistry"]));
    expect(Object.keys(defs["beam"].properties)).toEqual(expect.arrayContaining(["probe", "energy_keV", "wavelength_A", "flux_per_s", "height_mm", "width_mm", "profile"]));
    expect(Object.keys(defs["geometry"].properties)).toEqual(expect.arrayContaining(["sampleLength_mm", "beamEntry", "electrolytePath_mm"]));
  });

  for (const c of cases) {
    it(`${c.path === undefined ? "accepts" : "rejects"}: ${c.name}`, () => {
      const m = exampleManifest();
      c.mutate(m);
      const schemaFailures = validateAgainstSchema(schema, m);
      if (c.path === undefined) {
        expect(schemaFailures).toEqual([]);
        expect(() => parseManifest(m, "campaign.json")).not.toThrow();
        return;
      }
      let error: unknown;
      try {
        parseManifest(m, "campaign.json");
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).path).toBe(c.path);
      expect((error as ValidationError).message.startsWith(`${c.path}: `)).toBe(true);
      if (c.value !== undefined) expect((error as ValidationError).message).toContain(`(got ${c.value})`);
      if (c.validatorOnly) expect(schemaFailures).toEqual([]);
      else {
        expect(schemaFailures.length).toBeGreaterThan(0);
        // the schema's failure sits at the same place (or at its parent object for object-level rules)
        expect(schemaFailures.some((f) => f.path === c.path || c.path!.startsWith(`${f.path}.`))).toBe(true);
      }
    });
  }

  it("gives the message of the brief for a negative thickness", () => {
    const m = exampleManifest();
    set(m, "cells[0].stack[2].thickness_A", -5);
    expect(() => parseManifest(m, "campaign.json")).toThrow("cells[0].stack[2].thickness_A: must be ≥ 0 (got -5)");
  });

  it("types the example, parses times exactly and warns about unknown keys (lenient) and inconsistent geometry", () => {
    const m = exampleManifest();
    m["operator"] = "me";
    set(m, "cells[0].geometry.beamEntry", "through-electrolyte");
    const warnings: string[] = [];
    const manifest = withUnknownKeyPolicy({ lenient: true }, () => parseManifest(m, "campaign.json", warnings));
    expect(warnings).toEqual([
      expect.stringContaining("operator: unknown field ignored (--lenient)"),
      expect.stringContaining('cells[0].geometry.beamEntry: "through-electrolyte" but the beam-side layer'),
    ]);
    expect(manifest.cells[0].stack.map((l) => l.thickness_A)).toEqual([undefined, 500, 10, undefined]);
    expect(manifest.cells[0].stack[0].roughness_A).toBe(3);
    expect(manifest.cells[0].spots.map((s) => s.role)).toEqual(["measured", "fresh", "control"]);
    expect(manifest.beam.wavelength_A).toBeCloseTo(12.398419843320026 / 17.4, 12);
    // 11:05:00+01:00 is 10:05:00Z; .250 kept exactly
    const { start, end } = manifest.scans[1];
    if (!start || !end) throw new Error("scans[1] gives start and end");
    expect(secondsBetween(manifest.t0, start)).toBe(300);
    expect(secondsBetween(start, end)).toBe(900.25);
    expect(secondsBetween(parseIsoTime("2026-03-01T10:00:00.000000001Z", "a"), parseIsoTime("2026-03-01T10:00:00.000000003Z", "b"))).toBeCloseTo(2e-9, 20);
  });

  it("resolves SLDs: explicit for the probe first, else from the composition", () => {
    const manifest = parseManifest(exampleManifest(), "campaign.json");
    const si = resolveMaterialSld(manifest.cells[0].stack[0].material, manifest.beam);
    expect(si.sld).toBeGreaterThan(19);
    expect(si.sld).toBeLessThan(21);
    expect(resolveMaterialSld({ sld: 3, isld: 0.1 }, manifest.beam)).toEqual({ sld: 3, isld: 0.1 });
    expect(resolveMaterialSld({ xray: { sld: 4, isld: 0 }, formula: "Si", density: 2.33 }, manifest.beam)).toEqual({ sld: 4, isld: 0 });
  });
});
