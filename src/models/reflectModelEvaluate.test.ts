/**
 * `ReflectModel.evaluate` / `evaluator` (issue 14 point 3, one forward-model call): the
 * model's own curve, plain, smeared or geometry-corrected, is bit-identical to calling the
 * chosen kernel directly, reuses its plan and output buffer, and follows parameter changes.
 */
import { describe, expect, it } from "vitest";
import { SHIFTED_SMEAR_INTERP_RTOL } from "../../test/tolerances.ts";
import { createFitSpace, resolveConstraints } from "../params/index.ts";
import { reflectivity } from "../kernels/reflectivity/abeles.ts";
import { createSmearedReflectivity } from "../kernels/reflectivity/smearedReflectivity.ts";
import { createGeometryReflectivity, DEFAULT_OFFSET_RANGE } from "../kernels/reflectivity/geometryReflectivity.ts";
import { currentScalars, geometryKernelOptions, offsetRangeOf, parseReflectModel } from "./reflectModel.ts";
import { reflectivityEvaluator } from "./reflectivityEvaluator.ts";

const layers = [{ sld: 0 }, { thickness: { value: 120, vary: true, min: 50, max: 200 }, sld: 40, isld: 1, roughness: 4 }, { sld: 20.1, isld: 0.46, roughness: 3 }];
const base = { probe: "xray", wavelength_A: 1.5406, layers, scale: 0.9, background: 1e-8 };
const resolution = { dqOverQ: 0.05, measure: "fwhm" };
const q = Float64Array.from({ length: 80 }, (_, i) => 0.01 + 0.003 * i);
const thicknessOf = (model: ReturnType<typeof parseReflectModel>) => model.layers[1].thickness;

describe("ReflectModel.evaluate", () => {
  it("plain: the Abelès kernel at the current values, scale and background applied", () => {
    const model = parseReflectModel(base);
    expect(Array.from(model.evaluate(q))).toEqual(Array.from(reflectivity(q, model.currentSlabs(), 0.9, 1e-8)));
    expect(model.evaluator(q).smeared).toBe(false);
  });

  it("smeared by the model's resolution: the smearing kernel with the model's widths and options", () => {
    const model = parseReflectModel({ ...base, resolution: { ...resolution, method: "pointwise" } });
    const sigma = model.resolution!.sigmaFor(q);
    const direct = createSmearedReflectivity(q, sigma, model.resolution!.options).evaluate(model.currentSlabs(), 0.9, 1e-8);
    expect(Array.from(model.evaluate(q))).toEqual(Array.from(direct));
    expect(model.evaluator(q).smeared).toBe(true);
  });

  it("a model without resolution is smeared by the widths a fit passes (a data file's dQ)", () => {
    const model = parseReflectModel(base);
    const dq = q.map((x) => 0.02 * x);
    const curve = model.evaluator(q, { sigma: dq });
    expect(curve.smeared).toBe(true);
    expect(Array.from(curve.evaluate())).toEqual(Array.from(createSmearedReflectivity(q, dq).evaluate(model.currentSlabs(), 0.9, 1e-8)));
  });

  it("geometry: the geometry kernel with the model's corrections and resolution", () => {
    const geometry = { angleOffset_deg: 0.01, footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20, profile: "gaussian" }, attenuation: { grazing: 0.02 }, incoherentBackground: 1e-9 };
    const model = parseReflectModel({ ...base, resolution, geometry });
    const scalars = currentScalars(model);
    const direct = createGeometryReflectivity(q, {
      wavelength_A: 1.5406,
      sigma: model.resolution!.sigmaFor(q),
      smear: model.resolution!.options,
      ...geometryKernelOptions(model.geometry!),
      offsetRange: 2 * Math.abs((0.01 * Math.PI) / 180),
    }).evaluateScalars(model.currentSlabs(), scalars);
    expect(Array.from(model.evaluate(q))).toEqual(Array.from(direct));
    // a fit's plan covers the offset's bounds (here none: 0.05° or twice the value)
    const fitted = createGeometryReflectivity(q, {
      wavelength_A: 1.5406,
      sigma: model.resolution!.sigmaFor(q),
      smear: model.resolution!.options,
      ...geometryKernelOptions(model.geometry!),
      offsetRange: offsetRangeOf(model.geometry!.angleOffset_deg!),
    }).evaluateScalars(model.currentSlabs(), scalars);
    expect(offsetRangeOf(model.geometry!.angleOffset_deg!)).toBe(DEFAULT_OFFSET_RANGE);
    expect(Array.from(model.evaluator(q).evaluate())).toEqual(Array.from(fitted));
  });

  it("writes into the out buffer it is given and returns it, call after call", () => {
    const model = parseReflectModel({ ...base, resolution });
    const out = new Float64Array(q.length);
    const first = Float64Array.from(model.evaluate(q, out));
    expect(model.evaluate(q, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(first));
    const curve = model.evaluator(q);
    expect(curve.evaluate(out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(first));
  });

  it.each([
    ["plain", {}],
    ["smeared", { resolution }],
    ["geometry", { resolution, geometry: { footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20 } } }],
  ])("%s: repeated calls follow a changed parameter value (same as a fresh model) and return to the first curve", (_kind, extra) => {
    const model = parseReflectModel({ ...base, ...extra });
    const out = new Float64Array(q.length);
    const first = Float64Array.from(model.evaluate(q, out));
    thicknessOf(model).value = 150;
    const changed = Float64Array.from(model.evaluate(q, out));
    expect(Array.from(changed)).not.toEqual(Array.from(first));
    const fresh = parseReflectModel({ ...base, ...extra });
    thicknessOf(fresh).value = 150;
    expect(Array.from(changed)).toEqual(Array.from(fresh.evaluate(q)));
    thicknessOf(model).value = 120;
    expect(Array.from(model.evaluate(q, out))).toEqual(Array.from(first));
  });

  it("an angle offset changed between calls (within the plan's range: twice the first offset) gives a fresh plan's curve within the auxiliary grid's interpolation, and returns to the first curve", () => {
    const model = parseReflectModel({ ...base, resolution, geometry: { angleOffset_deg: { value: 0.01, vary: true, min: -0.05, max: 0.05 } } });
    const first = Float64Array.from(model.evaluate(q));
    model.geometry!.angleOffset_deg!.value = 0.015;
    const moved = model.evaluate(q);
    const fresh = parseReflectModel({ ...base, resolution, geometry: { angleOffset_deg: { value: 0.015, vary: true, min: -0.05, max: 0.05 } } }).evaluate(q);
    for (let i = 0; i < q.length; i++) expect(Math.abs(moved[i] - fresh[i]) / fresh[i]).toBeLessThan(SHIFTED_SMEAR_INTERP_RTOL);
    model.geometry!.angleOffset_deg!.value = 0.01;
    expect(Array.from(model.evaluate(q))).toEqual(Array.from(first));
  });

  it("bound to a fit space, the evaluator gives the curve at the values vector", () => {
    const model = parseReflectModel({ ...base, resolution, geometry: { angleOffset_deg: { value: 0.01, vary: true, min: -0.05, max: 0.05 }, footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20 } } });
    const space = createFitSpace(resolveConstraints(model.parameters()));
    const curve = model.evaluator(q);
    const evaluate = curve.bind(space);
    const out = new Float64Array(q.length);
    const theta = space.toVector();
    expect(evaluate(space.fromVector(theta), out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(curve.evaluate()));
    const slabs = new Float64Array(model.rows * 4);
    const scalars = new Float64Array(model.scalarCount);
    model.bind(space)(space.fromVector(theta), slabs, scalars);
    expect(Array.from(curve.evaluateWith(slabs, scalars))).toEqual(Array.from(out));
  });
});

describe("reflectivityEvaluator", () => {
  it("chooses the kernel from the spec: plain, smeared, geometry", () => {
    const slabs = parseReflectModel(base).currentSlabs();
    const sigma = q.map((x) => 0.03 * x);
    const scalars = Float64Array.of(1, 0);
    expect(reflectivityEvaluator(q).kind).toBe("plain");
    expect(Array.from(reflectivityEvaluator(q).evaluate(slabs, scalars))).toEqual(Array.from(reflectivity(q, slabs)));
    expect(reflectivityEvaluator(q, { sigma }).kind).toBe("smeared");
    expect(Array.from(reflectivityEvaluator(q, { sigma }).evaluate(slabs, scalars))).toEqual(Array.from(createSmearedReflectivity(q, sigma).evaluate(slabs)));
    const corrections = { angleOffset: false, footprint: "tophat", attenuation: false, incoherentBackground: false } as const;
    const plan = reflectivityEvaluator(q, { sigma, geometry: { wavelength_A: 1.5406, ...corrections } });
    expect(plan.kind).toBe("geometry");
    const geometryScalars = Float64Array.of(1, 0, 0, 0.1, 20, 0, 0, 0, 0, 0);
    expect(Array.from(plan.evaluate(slabs, geometryScalars))).toEqual(Array.from(createGeometryReflectivity(q, { wavelength_A: 1.5406, sigma, ...corrections }).evaluateScalars(slabs, geometryScalars)));
  });
});
