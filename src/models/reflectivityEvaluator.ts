/**
 * @module models/reflectivityEvaluator
 * The one place that decides how a slab stack's reflectivity is evaluated at fixed Q
 * points: plain (kernels/reflectivity/abeles), resolution-smeared
 * (kernels/reflectivity/smearedReflectivity), or seen through the measurement geometry
 * (kernels/reflectivity/geometryReflectivity, which smears itself). `ReflectModel.evaluate`
 * and `ReflectModel.evaluator` (CLI, fit) and the simulator (which works from a scenario,
 * not a model) all build their curves here.
 *
 * The plan is made once per Q array; `evaluate` with an `out` buffer allocates nothing
 * (a geometry plan rebuilds its auxiliary grid, allocating, only when an angle offset
 * leaves the range it was planned for).
 *
 * Units: Q and σ Å⁻¹; wavelength Å; offsets rad.
 */
import { reflectivity } from "../kernels/reflectivity/abeles.ts";
import { createSmearedReflectivity } from "../kernels/reflectivity/smearedReflectivity.ts";
import { createGeometryReflectivity, GEOMETRY_SCALAR } from "../kernels/reflectivity/geometryReflectivity.ts";
import type { SmearOptions } from "../kernels/reflectivity/smear.ts";
import { createDataPointSmearedReflectivity } from "../kernels/reflectivity/dataPointSmear.ts";

/** Which geometric corrections are modelled (see kernels/reflectivity/geometryReflectivity). */
export interface GeometryCorrections {
  /** Wavelength λ (Å) converting Q to angles. */
  readonly wavelength_A: number;
  /** An angle offset δ is modelled. */
  readonly angleOffset: boolean;
  /** Beam profile of the footprint factor; omitted = no footprint factor. */
  readonly footprint?: "tophat" | "gaussian";
  /** A sample-height offset is modelled, read by a detector at this distance (mm). */
  readonly heightOffset?: { readonly detectorDistance_mm: number };
  /** The entry-path transmission T(α′) is modelled (at the angle α′ the beam meets the sample). */
  readonly attenuation: boolean;
  /** The electrolyte film's incoherent background is modelled. */
  readonly incoherentBackground: boolean;
  /** Half range (rad) of the angle offset the auxiliary grid covers before a rebuild. @default the kernel's DEFAULT_OFFSET_RANGE */
  readonly offsetRange?: number;
}

/** What to evaluate besides the slab stack. */
export interface ReflectivitySpec {
  /** 1-σ resolution widths (Å⁻¹), one per Q point; omitted = unsmeared. */
  readonly sigma?: Float64Array;
  /** Smearing options. @default {} */
  readonly smear?: SmearOptions;
  /** Geometric corrections; omitted = none (the plain or smeared kernel runs). */
  readonly geometry?: GeometryCorrections;
  /**
   * Smear on the measured points themselves (refl1d's scheme, kernels/reflectivity/dataPointSmear)
   * instead of the fine grid; `fixedAngle` (rad) makes an angle offset a time-of-flight one
   * (Q′ = Q·sin(θ + δ)/sin θ). With it, a geometry block may model only the angle offset.
   */
  readonly dataPoints?: { readonly fixedAngle?: number };
}

/** A reflectivity plan for fixed Q points. */
export interface ReflectivityPlan {
  readonly q: Float64Array;
  /** Which kernel runs. */
  readonly kind: "plain" | "smeared" | "geometry";
  /**
   * R at the plan's Q points.
   * @param slabs - slab table (rows × 4, fronting → backing)
   * @param scalars - laid out as the kernel's GEOMETRY_SCALAR: scale and background
   *   (entries 0 and 1) always; the geometric corrections (entries 2 onwards) only by a geometry plan
   * @param out - output buffer (length ≥ q.length); allocated when omitted
   */
  evaluate(slabs: Float64Array, scalars: ArrayLike<number>, out?: Float64Array): Float64Array;
}

/**
 * Plan the reflectivity of a slab stack at fixed Q points: plain, smeared or geometry-corrected.
 * @param q - Q points (Å⁻¹; > 0 with geometry)
 * @param spec - resolution and geometric corrections
 */
export function reflectivityEvaluator(q: Float64Array, spec: ReflectivitySpec = {}): ReflectivityPlan {
  const { sigma, smear, geometry, dataPoints } = spec;
  if (dataPoints) {
    if (geometry && (geometry.footprint || geometry.heightOffset || geometry.attenuation || geometry.incoherentBackground)) {
      throw new RangeError("data-point smearing models only an angle offset of the geometry block");
    }
    if (geometry?.angleOffset && dataPoints.fixedAngle === undefined) throw new RangeError("a data-point angle offset needs the fixed (time-of-flight) angle");
    const curve = createDataPointSmearedReflectivity(q, sigma ?? new Float64Array(q.length), dataPoints);
    const offsetSlot = geometry?.angleOffset ? GEOMETRY_SCALAR.angleOffset : -1;
    return {
      q,
      kind: sigma ? "smeared" : "plain",
      evaluate: (slabs, scalars, out) =>
        curve.evaluate(slabs, scalars[GEOMETRY_SCALAR.scale], scalars[GEOMETRY_SCALAR.background], offsetSlot < 0 ? 0 : scalars[offsetSlot], out),
    };
  }
  if (geometry) {
    const { wavelength_A, ...corrections } = geometry;
    const curve = createGeometryReflectivity(q, { wavelength_A, sigma, smear, ...corrections });
    return { q, kind: "geometry", evaluate: (slabs, scalars, out) => curve.evaluateScalars(slabs, scalars, out) };
  }
  if (sigma) {
    const smeared = createSmearedReflectivity(q, sigma, smear);
    return {
      q,
      kind: "smeared",
      evaluate: (slabs, scalars, out) => smeared.evaluate(slabs, scalars[GEOMETRY_SCALAR.scale], scalars[GEOMETRY_SCALAR.background], out),
    };
  }
  return {
    q,
    kind: "plain",
    evaluate: (slabs, scalars, out) => reflectivity(q, slabs, scalars[GEOMETRY_SCALAR.scale], scalars[GEOMETRY_SCALAR.background], out),
  };
}
