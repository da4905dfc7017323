/**
 * @module core/constants
 * Physical constants, one definition each. Units are in the names or the comments
 * (SI unless stated).
 *
 * Values: the 2019 SI fixes h, c, e, k_B and N_A exactly, so N_A, e, F = N_A·e
 * and hc/e are the same in CODATA 2018 and 2022. The two measured constants are
 * kept at the values the program has always used: ε₀ is CODATA 2018
 * (2022: 8.8541878188e-12 F/m) and r_e is CODATA 2022, as in periodictable 2.1.0,
 * whose X-ray SLDs the conformance tests reproduce (2018: 2.8179403262e-15 m).
 */

/** Avogadro constant N_A (mol⁻¹), exact. */
export const AVOGADRO_CONSTANT = 6.02214076e23;

/** Elementary charge e (C), exact; also J per eV. */
export const ELEMENTARY_CHARGE = 1.602176634e-19;

/** Faraday constant F = N_A·e (C/mol), CODATA's rounding of the exact product. */
export const FARADAY = 96485.33212;

/** Vacuum permittivity ε₀ (F/m), CODATA 2018. */
export const VACUUM_PERMITTIVITY = 8.8541878128e-12;

/** Classical electron radius r_e (m), CODATA 2022 (periodictable 2.1.0). */
export const ELECTRON_RADIUS = 2.8179403205e-15;

/** hc/e in keV·Å, exact to double precision: E[keV] = 12.398419843320026 / λ[Å]. */
export const PLANCK_SPEED_OF_LIGHT_KEV_ANGSTROM = 12.398419843320026;
