/**
 * @module confounders/geometry
 * Geometry of an operando reflectivity cell (operando.md §2): the footprint
 * factors, Q shifts from angle and height offsets and path attenuation factors.
 * The pure formulas live in the kernel layer (kernels/reflectivity/geometry), where
 * the reflectivity model's geometry block uses them; they are re-exported here for
 * the dose ledger and the confounder API.
 *
 * Units: lengths mm; angles rad; Q Å⁻¹; wavelength Å; μ mm⁻¹.
 */
export * from "../kernels/reflectivity/geometry.ts";
