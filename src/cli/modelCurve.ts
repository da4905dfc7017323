/**
 * @module cli/modelCurve
 * `strata reflect`'s Q grid when neither the model nor --q gives one. The curve itself is
 * the model's own (`ReflectModel.evaluate`: plain, smeared or geometry-corrected).
 */

/** Default Q grid when neither the model nor --q gives one: 0.005–0.3 Å⁻¹, 300 points. */
export function defaultQ(): Float64Array {
  return Float64Array.from({ length: 300 }, (_, i) => 0.005 + (0.295 * i) / 299);
}
