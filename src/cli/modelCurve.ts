/**
 * @module cli/modelCurve
 * Shared by `strata reflect` and `strata demo`: the reflectivity of a parsed model on its Q grid.
 */
import { reflectivity } from "../kernels/reflectivity/abeles.ts";
import { createSmearedReflectivity } from "../kernels/reflectivity/smearedReflectivity.ts";
import { createGeometryReflectivity, GEOMETRY_SCALAR } from "../kernels/reflectivity/geometryReflectivity.ts";
import { currentScalars, geometryKernelOptions, type ReflectModel } from "../models/reflectModel.ts";

/** Default Q grid when neither the model nor --q gives one: 0.005–0.3 Å⁻¹, 300 points. */
export function defaultQ(): Float64Array {
  return Float64Array.from({ length: 300 }, (_, i) => 0.005 + (0.295 * i) / 299);
}

export function modelReflectivity(model: ReflectModel, q: Float64Array): Float64Array {
  const slabs = model.currentSlabs();
  const scale = model.scale.value;
  const background = model.background.value;
  const geometry = model.geometry;
  if (geometry) {
    const scalars = currentScalars(model);
    return createGeometryReflectivity(q, {
      wavelength_A: model.wavelength_A,
      sigma: model.resolution?.sigmaFor(q),
      smear: model.resolution?.options,
      ...geometryKernelOptions(geometry),
      offsetRange: 2 * Math.abs(scalars[GEOMETRY_SCALAR.angleOffset]),
    }).evaluateScalars(slabs, scalars);
  }
  if (!model.resolution) return reflectivity(q, slabs, scale, background);
  const sigma = model.resolution.sigmaFor(q);
  return createSmearedReflectivity(q, sigma, model.resolution.options).evaluate(slabs, scale, background);
}
