/**
 * Tolerances of the examples and import tests (test/examples), named as test/tolerances.ts's are.
 * Each says what limits the agreement.
 */

/**
 * refnx's smeared_theoretical.txt (Motofit/refnx, pointwise Gauss–Legendre with 13 nodes over ±3.5σ)
 * against Strata's pointwise scheme with the same nodes: the same quadrature, so only the
 * file's printed digits and summation order differ.
 */
export const REFNX_POINTWISE_SMEAR_RTOL = 1e-9;

/**
 * Strata's default grid smearing against refnx's pointwise Gauss–Legendre smearing (101
 * nodes) of the same Gaussian (±3.5σ, not renormalised): two quadratures of one integral,
 * which part most at deep Kiessig minima, where R falls by decades within a resolution width.
 */
export const REFNX_GRID_SMEAR_RTOL = 1e-3;
