/**
 * @module confounders
 * The three confounders of operando reflectivity (issue 7), part 1 and the
 * geometry formulas of part 3: the dose ledger (absorbed dose and dose rate in the
 * interphase per scan and spot, accumulated per spot; fluence for neutrons), the
 * dose prediction of a planned schedule, X-ray attenuation from composition, the
 * beam path of an operando cell, and the footprint, angle/height-offset and
 * attenuation factors as pure functions.
 *
 * Contract: missing inputs are reported, never guessed — the `…UnavailableReason`
 * functions return a one-line message naming the correction, the manifest field
 * and why (no throw), so a diagnosis can continue without the correction and flag
 * it; the ledger and plan functions throw that message as a ValidationError.
 *
 * Units: dose Gy, dose rate Gy/s, times s, lengths mm (beam, sample, paths) and Å
 * (layer thickness), angles rad (degrees in ledger output), Q Å⁻¹, μ mm⁻¹ / m⁻¹,
 * μ/ρ m²/kg, energy keV, fluence per cm².
 */
export * from "./attenuation.ts";
export * from "./geometry.ts";
export * from "./path.ts";
export * from "./dose.ts";
export * from "./plan.ts";
