/** The MODEL.json geometry block (issue 7 part 3): parsing, parameters, binding and one-line validation errors naming the field. */
import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { Parameter, createFitSpace, resolveConstraints } from "../params/index.ts";
import { GEOMETRY_SCALAR } from "../kernels/reflectivity/geometryReflectivity.ts";
import { currentScalars, GEOMETRY_SCALARS, parseReflectModel } from "./reflectModel.ts";

const base = { probe: "xray", wavelength_A: 1.5406, layers: [{ sld: 0 }, { thickness: 100, sld: 40, roughness: 3 }, { sld: 20.1, roughness: 3 }] };
const withGeometry = (geometry: unknown, extra: Record<string, unknown> = {}) => ({ ...base, ...extra, geometry });

function errorOf(spec: unknown): ValidationError {
  try {
    parseReflectModel(spec);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error("expected a ValidationError");
}

describe("geometry block", () => {
  it("is absent by default: two scalars, no geometry parameters", () => {
    const model = parseReflectModel(base);
    expect(model.geometry).toBeUndefined();
    expect(model.scalarCount).toBe(2);
  });

  it("parses parameter specs, lists the parameters and binds δ in radians, h and L in mm", () => {
    const model = parseReflectModel(
      withGeometry({ angleOffset_deg: { value: 0.01, vary: true, min: -0.05, max: 0.05 }, footprint: { beamHeight_mm: { value: 0.1, vary: true, min: 0.01, max: 1 }, sampleLength_mm: 20, profile: "gaussian" } }),
    );
    expect(model.geometry?.footprint?.profile).toBe("gaussian");
    expect(model.scalarCount).toBe(GEOMETRY_SCALARS);
    const names = model.parameters().map((p) => p.name);
    expect(names).toContain("geometry.angleOffset_deg");
    expect(names).toContain("geometry.footprint.beamHeight_mm");
    expect(names).toContain("geometry.footprint.sampleLength_mm");
    const space = createFitSpace(resolveConstraints(model.parameters()));
    const scalars = new Float64Array(model.scalarCount);
    model.bind(space)(space.fromVector(space.toVector()), new Float64Array(model.rows * 4), scalars);
    expect(scalars[2]).toBeCloseTo((0.01 * Math.PI) / 180, 15);
    expect(scalars[3]).toBe(0.1);
    expect(scalars[4]).toBe(20);
  });

  it("shares a parameter by reference like every other number of the model", () => {
    const offset = new Parameter("offset", { value: 0.005, vary: true, min: -0.05, max: 0.05 });
    const a = parseReflectModel(withGeometry({ angleOffset_deg: { ref: "offset" } }), "", new Map([["offset", offset]]));
    const b = parseReflectModel(withGeometry({ angleOffset_deg: { ref: "offset" } }), "", new Map([["offset", offset]]));
    expect(a.geometry?.angleOffset_deg).toBe(offset);
    expect(b.geometry?.angleOffset_deg).toBe(offset);
    expect(a.parameters()).toContain(offset);
  });

  it("binds the height offset (mm), the three attenuation sums and the incoherent background in the kernel's layout", () => {
    const model = parseReflectModel(
      withGeometry({
        heightOffset_mm: { value: 0.05, vary: true, min: -1, max: 1 },
        detectorDistance_mm: 1000,
        attenuation: { grazing: { value: 0.011, vary: true, min: 0, max: 0.1 }, block: 0.5 },
        incoherentBackground: 2e-7,
      }),
    );
    expect(model.geometry?.heightOffset?.detectorDistance_mm).toBe(1000);
    const names = model.parameters().map((p) => p.name);
    for (const name of ["geometry.heightOffset_mm", "geometry.attenuation.grazing", "geometry.attenuation.horizontal", "geometry.attenuation.block", "geometry.incoherentBackground"]) expect(names).toContain(name);
    const space = createFitSpace(resolveConstraints(model.parameters()));
    const scalars = new Float64Array(model.scalarCount);
    model.bind(space)(space.fromVector(space.toVector()), new Float64Array(model.rows * 4), scalars);
    expect(scalars[GEOMETRY_SCALAR.angleOffset]).toBe(0);
    expect(scalars[GEOMETRY_SCALAR.heightOffset]).toBe(0.05);
    expect(scalars[GEOMETRY_SCALAR.grazingAttenuation]).toBe(0.011);
    expect(scalars[GEOMETRY_SCALAR.horizontalAttenuation]).toBe(0);
    expect(scalars[GEOMETRY_SCALAR.blockAttenuation]).toBe(0.5);
    expect(scalars[GEOMETRY_SCALAR.incoherentBackground]).toBe(2e-7);
    expect(Array.from(currentScalars(model))).toEqual(Array.from(scalars));
  });

  it("footprint profile defaults to top-hat; either part may be omitted", () => {
    expect(parseReflectModel(withGeometry({ footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20 } })).geometry?.footprint?.profile).toBe("tophat");
    expect(parseReflectModel(withGeometry({ angleOffset_deg: 0.005 })).geometry?.footprint).toBeUndefined();
  });

  const cases: [string, unknown, string][] = [
    ["not an object", withGeometry(3), "geometry: must be an object"],
    ["empty", withGeometry({}), "geometry: needs at least one of angleOffset_deg, footprint, heightOffset_mm, attenuation, incoherentBackground"],
    ["height offset without detector distance", withGeometry({ heightOffset_mm: 0.1 }), "geometry.detectorDistance_mm: is required with heightOffset_mm"],
    ["detector distance alone", withGeometry({ angleOffset_deg: 0, detectorDistance_mm: 1000 }), "geometry.detectorDistance_mm: is only used with heightOffset_mm"],
    ["zero detector distance", withGeometry({ heightOffset_mm: 0.1, detectorDistance_mm: 0 }), "geometry.detectorDistance_mm: must be > 0"],
    ["height offset beyond the detector", withGeometry({ heightOffset_mm: 2000, detectorDistance_mm: 1000 }), "geometry.heightOffset_mm: must be smaller than the detector distance"],
    ["empty attenuation", withGeometry({ attenuation: {} }), "geometry.attenuation: needs grazing, horizontal and/or block"],
    ["unknown attenuation field", withGeometry({ attenuation: { window: 0.1 } }), "geometry.attenuation.window: unknown field"],
    ["negative attenuation", withGeometry({ attenuation: { grazing: -0.01 } }), "geometry.attenuation.grazing: an attenuation sum μ·t must be ≥ 0"],
    ["varying attenuation with negative min", withGeometry({ attenuation: { grazing: { value: 0.01, vary: true, min: -1, max: 1 } } }), "geometry.attenuation.grazing.min"],
    ["negative incoherent background", withGeometry({ incoherentBackground: -1e-7 }), "geometry.incoherentBackground: an incoherent background must be ≥ 0"],
    ["unknown field", withGeometry({ angleOffset: 1 }), "geometry.angleOffset: unknown field"],
    ["bad offset", withGeometry({ angleOffset_deg: "x" }), "geometry.angleOffset_deg"],
    ["offset beyond 90°", withGeometry({ angleOffset_deg: 120 }), "geometry.angleOffset_deg: must be an angle in degrees between −90 and 90"],
    ["footprint not an object", withGeometry({ footprint: [] }), "geometry.footprint: must be an object"],
    ["bad profile", withGeometry({ footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20, profile: "square" } }), 'geometry.footprint.profile: must be "tophat" or "gaussian"'],
    ["missing beam height", withGeometry({ footprint: { sampleLength_mm: 20 } }), "geometry.footprint.beamHeight_mm: is required"],
    ["missing sample length", withGeometry({ footprint: { beamHeight_mm: 0.1 } }), "geometry.footprint.sampleLength_mm: is required"],
    ["zero beam height", withGeometry({ footprint: { beamHeight_mm: 0, sampleLength_mm: 20 } }), "geometry.footprint.beamHeight_mm: beam height must be > 0"],
    ["negative sample length", withGeometry({ footprint: { beamHeight_mm: 0.1, sampleLength_mm: -1 } }), "geometry.footprint.sampleLength_mm: sample length must be > 0"],
    ["varying height with negative min", withGeometry({ footprint: { beamHeight_mm: { value: 0.1, vary: true, min: -1, max: 1 }, sampleLength_mm: 20 } }), "geometry.footprint.beamHeight_mm.min"],
    ["unknown footprint field", withGeometry({ footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20, width: 1 } }), "geometry.footprint.width: unknown field"],
    ["X-ray without energy", { probe: "xray", layers: base.layers, geometry: { angleOffset_deg: 0.005 } }, "energy_keV: is required by geometry"],
  ];
  for (const [what, spec, message] of cases) {
    it(`rejects ${what} with a one-line message naming the field`, () => {
      const error = errorOf(spec);
      expect(error.message).toContain(message);
      expect(error.message).not.toContain("\n");
    });
  }
});
