/**
 * @module kernels/reflectivity/profile
 * SLD depth profile ρ(z) of a slab stack with error-function (Gaussian) interfaces —
 * the real-space picture of the Névot–Croce model. Units: z, thickness, roughness in Å;
 * SLD in 10⁻⁶ Å⁻². z = 0 is the first interface (fronting / first layer) and z grows
 * into the stack, toward the backing.
 */
import { erf } from "../../core/quadrature.ts";
import { SLAB_COLUMNS } from "./abeles.ts";

/**
 * ρ(z) = ρ_0 + Σ_j (ρ_j − ρ_{j−1}) · ½[1 + erf((z − z_j)/(√2 σ_j))], z_j the depth of interface j.
 * @param slabs - slab table (see ./abeles.ts)
 * @param z - depths (Å)
 * @returns real and imaginary SLD at each depth
 */
export function sldProfile(slabs: Float64Array, z: Float64Array): { sld: Float64Array; isld: Float64Array } {
  const rows = slabs.length / SLAB_COLUMNS;
  const sld = new Float64Array(z.length).fill(slabs[1]);
  const isld = new Float64Array(z.length).fill(0);
  let depth = 0;
  for (let j = 1; j < rows; j++) {
    const base = j * SLAB_COLUMNS;
    const stepReal = slabs[base + 1] - slabs[base - SLAB_COLUMNS + 1];
    const stepImag = Math.abs(slabs[base + 2]) - (j === 1 ? 0 : Math.abs(slabs[base - SLAB_COLUMNS + 2]));
    const sigma = slabs[base + 3];
    for (let i = 0; i < z.length; i++) {
      const fraction = sigma > 0 ? 0.5 * (1 + erf((z[i] - depth) / (Math.SQRT2 * sigma))) : z[i] >= depth ? 1 : 0;
      sld[i] += stepReal * fraction;
      isld[i] += stepImag * fraction;
    }
    if (j < rows - 1) depth += slabs[base];
  }
  return { sld, isld };
}

/** A depth grid covering the stack with `margin`·max roughness on each side (at least 20 Å). */
export function profileDepths(slabs: Float64Array, points = 501, margin = 4): Float64Array {
  const rows = slabs.length / SLAB_COLUMNS;
  let total = 0;
  let maxSigma = 0;
  for (let j = 1; j < rows; j++) {
    if (j < rows - 1) total += slabs[j * SLAB_COLUMNS];
    maxSigma = Math.max(maxSigma, slabs[j * SLAB_COLUMNS + 3]);
  }
  const pad = Math.max(20, margin * maxSigma);
  const start = -pad;
  const end = total + pad;
  return Float64Array.from({ length: points }, (_, i) => start + ((end - start) * i) / (points - 1));
}
