/**
 * @module kernels/reflectivity/geometry
 * Geometry of an operando reflectivity cell as pure functions (operando.md §2):
 * beam footprint and the over-illumination (footprint) factor for top-hat and
 * Gaussian beams, the Q shift from an angle offset and from a sample-height
 * offset, and the angle-dependent attenuation of the three beam-entry geometries
 * (thin-layer cell through a window and electrolyte film, a substrate block, a
 * fixed horizontal path through electrolyte). Allocation-free scalar kernels,
 * plus array forms ({@link shiftQ}, {@link footprintFactors}) that fill an `out`
 * buffer for the reflectivity model's geometry block.
 *
 * Units: lengths mm (beam height, sample length, height offset, detector
 * distance, path lengths); angles rad (α is the grazing incidence angle, θ of the
 * reflectometry literature); Q Å⁻¹; wavelength Å; linear attenuation μ mm⁻¹;
 * μ·t sums dimensionless. Gaussian beams are described by their FWHM, as in the
 * manifest (`beam.height_mm` is the FWHM of a Gaussian profile).
 */
import { erf } from "../../core/quadrature.ts";

/** FWHM / σ of a Gaussian, 2√(2 ln 2). */
export const GAUSSIAN_FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);

/** The error function, shared with the rest of the project (core/quadrature: ~1e-16 relative). */
export { erf };


/**
 * Standard deviation of a Gaussian beam from its FWHM, σ = w / (2√(2 ln 2)).
 * @param fwhm_mm - full width at half maximum (mm)
 * @returns σ (mm)
 * @example
 * gaussianSigmaFromFwhm(0.1); // 0.04246609 mm
 */
export function gaussianSigmaFromFwhm(fwhm_mm: number): number {
  return fwhm_mm / GAUSSIAN_FWHM_PER_SIGMA;
}

/**
 * Footprint length of a beam of height h on the sample, l = h / sin α (for a
 * Gaussian beam pass the FWHM: the FWHM footprint).
 * @param beamHeight_mm - beam height (mm; FWHM for a Gaussian)
 * @param sinAlpha - sine of the incidence angle
 * @returns footprint length along the beam (mm)
 * @example
 * footprintLength(0.2, Math.sin(0.3 * Math.PI / 180)); // 38.2 mm
 */
export function footprintLength(beamHeight_mm: number, sinAlpha: number): number {
  return beamHeight_mm / sinAlpha;
}

/**
 * Fraction of a top-hat beam intercepted by the sample (over-illumination factor).
 * Centred sample: f = min(1, L sin α / h). With the sample centre offset x₀ along the
 * sample from the footprint centre: the overlap of the footprint [−l/2, l/2] with
 * the sample [x₀ − L/2, x₀ + L/2], divided by l.
 * @param sampleLength_mm - sample length along the beam L (mm)
 * @param beamHeight_mm - beam height h (mm)
 * @param sinAlpha - sine of the incidence angle (> 0)
 * @param centreOffset_mm - x₀ (mm), default 0
 * @returns f in [0, 1]
 * @see operando.md §2.1
 * @example
 * footprintFactorTopHat(20, 0.1, Math.sin(0.001)); // 0.2
 */
export function footprintFactorTopHat(sampleLength_mm: number, beamHeight_mm: number, sinAlpha: number, centreOffset_mm = 0): number {
  if (centreOffset_mm === 0) return Math.min(1, (sampleLength_mm * sinAlpha) / beamHeight_mm);
  const half = (0.5 * beamHeight_mm) / sinAlpha;
  const overlap = Math.min(half, centreOffset_mm + 0.5 * sampleLength_mm) - Math.max(-half, centreOffset_mm - 0.5 * sampleLength_mm);
  return Math.max(0, overlap) / (2 * half);
}

/**
 * Fraction of a Gaussian beam intercepted by the sample (over-illumination factor):
 * f = ½ [erf((L/2 − x₀) sin α / (√2 σ)) + erf((L/2 + x₀) sin α / (√2 σ))], which for a
 * centred sample is erf(L sin α / (2√2 σ)), σ = FWHM / (2√(2 ln 2)).
 * @param sampleLength_mm - sample length along the beam L (mm)
 * @param beamFwhm_mm - beam height FWHM (mm)
 * @param sinAlpha - sine of the incidence angle (> 0)
 * @param centreOffset_mm - x₀, sample centre offset along the sample (mm), default 0
 * @returns f in [0, 1]
 * @see operando.md §2.1; refnx `beamfrac`
 * @example
 * footprintFactorGaussian(20, 0.1, Math.sin(0.002)); // erf(20·0.002/(2√2·0.0424661)) ≈ 0.3623
 */
export function footprintFactorGaussian(sampleLength_mm: number, beamFwhm_mm: number, sinAlpha: number, centreOffset_mm = 0): number {
  const scale = sinAlpha / (Math.SQRT2 * gaussianSigmaFromFwhm(beamFwhm_mm));
  if (centreOffset_mm === 0) return erf(0.5 * sampleLength_mm * scale);
  return 0.5 * (erf((0.5 * sampleLength_mm - centreOffset_mm) * scale) + erf((0.5 * sampleLength_mm + centreOffset_mm) * scale));
}

/**
 * Over-illumination factor for the manifest's beam profiles.
 * @param profile - `"tophat"` or `"gaussian"` (height is then the FWHM)
 * @param sampleLength_mm - L (mm)
 * @param beamHeight_mm - h (mm)
 * @param sinAlpha - sine of the incidence angle
 * @param centreOffset_mm - sample centre offset x₀ (mm), default 0
 * @returns f in [0, 1]
 * @example
 * footprintFactor("tophat", 20, 0.1, 0.001); // 0.2
 */
export function footprintFactor(profile: "tophat" | "gaussian", sampleLength_mm: number, beamHeight_mm: number, sinAlpha: number, centreOffset_mm = 0): number {
  return profile === "tophat"
    ? footprintFactorTopHat(sampleLength_mm, beamHeight_mm, sinAlpha, centreOffset_mm)
    : footprintFactorGaussian(sampleLength_mm, beamHeight_mm, sinAlpha, centreOffset_mm);
}

/**
 * Spill-over angle of a top-hat beam, α_s = asin(h / L): below it the beam over-illuminates the sample.
 * @param sampleLength_mm - L (mm)
 * @param beamHeight_mm - h (mm)
 * @returns α_s (rad); π/2 when h ≥ L
 * @example
 * spillOverAngle(20, 0.1); // 0.005 rad
 */
export function spillOverAngle(sampleLength_mm: number, beamHeight_mm: number): number {
  return beamHeight_mm >= sampleLength_mm ? Math.PI / 2 : Math.asin(beamHeight_mm / sampleLength_mm);
}

/**
 * Incidence angle of a momentum transfer, α = asin(Q λ / 4π).
 * @param q - Q (Å⁻¹)
 * @param wavelength_A - λ (Å)
 * @returns α (rad); NaN when Qλ/4π > 1
 * @example
 * angleFromQ(0.1, 1.54); // 0.01225 rad
 */
export function angleFromQ(q: number, wavelength_A: number): number {
  return Math.asin((q * wavelength_A) / (4 * Math.PI));
}

/**
 * Momentum transfer of an incidence angle, Q = 4π sin α / λ.
 * @param alpha - α (rad)
 * @param wavelength_A - λ (Å)
 * @returns Q (Å⁻¹)
 * @example
 * qFromAngle(0.01, 1.54); // 0.0816 Å⁻¹
 */
export function qFromAngle(alpha: number, wavelength_A: number): number {
  return ((4 * Math.PI) / wavelength_A) * Math.sin(alpha);
}

/**
 * The Q actually probed when the sample angle is off by δ: Q' = 4π/λ · sin(α + δ),
 * α = asin(Qλ/4π) the nominal angle.
 * @param q - nominal Q (Å⁻¹)
 * @param wavelength_A - λ (Å)
 * @param angleOffset - δ (rad)
 * @returns Q' (Å⁻¹)
 * @see operando.md §2.2
 * @example
 * qWithAngleOffset(0.05, 1.54, 0.005 * Math.PI / 180); // 0.05 + 4π/λ cos α δ ≈ 0.050712
 */
export function qWithAngleOffset(q: number, wavelength_A: number, angleOffset: number): number {
  return qFromAngle(angleFromQ(q, wavelength_A) + angleOffset, wavelength_A);
}

/**
 * Apparent angle error from a sample-height offset Δz (along the sample normal,
 * positive towards the beam side): the specularly reflected beam is displaced by
 * p = 2 Δz cos α perpendicular to itself, which a detector at distance D from the
 * rotation centre reads as a 2θ error of atan(p / D), i.e. an angle error
 * δ = ½ atan(2 Δz cos α / D). Applies when Q is taken from the detector position
 * (area detector); with a point detector scanned at 2θ = 2α the offset costs
 * intensity rather than shifting Q.
 * @param heightOffset_mm - Δz (mm)
 * @param alpha - nominal incidence angle α (rad)
 * @param detectorDistance_mm - D (mm), > 0
 * @returns δ (rad)
 * @see operando.md §2.2
 * @example
 * heightOffsetAngleError(0.1, 0.01, 1000); // ≈ 1e-4 rad
 */
export function heightOffsetAngleError(heightOffset_mm: number, alpha: number, detectorDistance_mm: number): number {
  return 0.5 * Math.atan((2 * heightOffset_mm * Math.cos(alpha)) / detectorDistance_mm);
}

/**
 * Q read from the detector when the sample sits Δz off the rotation centre:
 * Q' = 4π/λ · sin(α + δ(Δz, α)), δ from {@link heightOffsetAngleError}.
 * @param q - nominal Q (Å⁻¹)
 * @param wavelength_A - λ (Å)
 * @param heightOffset_mm - Δz (mm)
 * @param detectorDistance_mm - sample–detector distance D (mm)
 * @returns Q' (Å⁻¹)
 * @example
 * qWithHeightOffset(0.05, 1.54, 0.1, 1000);
 */
export function qWithHeightOffset(q: number, wavelength_A: number, heightOffset_mm: number, detectorDistance_mm: number): number {
  const alpha = angleFromQ(q, wavelength_A);
  return qFromAngle(alpha + heightOffsetAngleError(heightOffset_mm, alpha, detectorDistance_mm), wavelength_A);
}

/**
 * Shift of the footprint centre along the sample from a height offset, Δx = Δz / tan α
 * (towards the source for Δz > 0). It enters the footprint factors as the
 * sample-centre offset x₀ = Δx (they are even in x₀).
 * @param heightOffset_mm - Δz (mm)
 * @param alpha - incidence angle α (rad)
 * @returns Δx (mm)
 * @example
 * footprintCentreShift(0.01, 0.005); // 2 mm
 */
export function footprintCentreShift(heightOffset_mm: number, alpha: number): number {
  return heightOffset_mm / Math.tan(alpha);
}

/**
 * Transmission of a thin-layer cell (beam in through a window and an electrolyte
 * film, specular in and out): T(α) = exp(−2 Σ μᵢ tᵢ / sin α).
 * @param sinAlpha - sine of the incidence angle
 * @param attenuationThickness - Σ μᵢ tᵢ over the window(s) and film (dimensionless; μ mm⁻¹ × t mm)
 * @returns T in (0, 1]
 * @see operando.md §2.3
 * @example
 * thinLayerCellTransmission(0.01, 1e-4); // exp(−0.02)
 */
export function thinLayerCellTransmission(sinAlpha: number, attenuationThickness: number): number {
  return Math.exp((-2 * attenuationThickness) / sinAlpha);
}

/**
 * Transmission along a fixed horizontal path (bulk cell, beam laterally through the
 * electrolyte and the cell walls): T = exp(−Σ μᵢ Lᵢ), independent of α.
 * @param attenuationPath - Σ μᵢ Lᵢ over the whole path in and out (dimensionless)
 * @returns T in (0, 1]
 * @see operando.md §2.3
 * @example
 * horizontalPathTransmission(0.08 * 10); // EC, 10 mm: exp(−0.8)
 */
export function horizontalPathTransmission(attenuationPath: number): number {
  return Math.exp(-attenuationPath);
}

/**
 * Transmission through a substrate block entered and left through its side faces
 * (beam reflected at the buried interface at the block's centre): the beam runs
 * L / cos α inside the block, T = exp(−μ L / cos α) (refraction at the faces neglected).
 * @param attenuation_per_mm - μ of the substrate (mm⁻¹)
 * @param blockLength_mm - block (sample) length along the beam L (mm)
 * @param alpha - incidence angle at the buried interface (rad)
 * @returns T in (0, 1]
 * @see operando.md §2.3 ("through a Si block")
 * @example
 * substrateBlockTransmission(1.4, 20, 0.002); // ≈ exp(−28)
 */
export function substrateBlockTransmission(attenuation_per_mm: number, blockLength_mm: number, alpha: number): number {
  return Math.exp((-attenuation_per_mm * blockLength_mm) / Math.cos(alpha));
}


/**
 * The Q actually probed at each nominal Q when the sample angle is off by δ,
 * Q'ᵢ = 4π/λ · sin(asin(Qᵢλ/4π) + δ) (array form of {@link qWithAngleOffset}).
 * @param q - nominal Q (Å⁻¹)
 * @param wavelength_A - λ (Å)
 * @param angleOffset - δ (rad)
 * @param out - optional output buffer (length ≥ q.length); nothing is allocated when given
 * @returns Q' (Å⁻¹)
 */
export function shiftQ(q: Float64Array, wavelength_A: number, angleOffset: number, out?: Float64Array): Float64Array {
  const result = out ?? new Float64Array(q.length);
  const k = (4 * Math.PI) / wavelength_A;
  for (let i = 0; i < q.length; i++) result[i] = k * Math.sin(Math.asin(q[i] / k) + angleOffset);
  return result;
}

/**
 * Over-illumination factor at each sin α (array form of {@link footprintFactor}, centred sample).
 * @param profile - `"tophat"` or `"gaussian"` (height is then the FWHM)
 * @param sampleLength_mm - L (mm)
 * @param beamHeight_mm - h (mm)
 * @param sinAlpha - sine of each incidence angle
 * @param out - optional output buffer (length ≥ sinAlpha.length); nothing is allocated when given
 * @returns f in [0, 1] per point
 */
export function footprintFactors(
  profile: "tophat" | "gaussian",
  sampleLength_mm: number,
  beamHeight_mm: number,
  sinAlpha: Float64Array,
  out?: Float64Array,
): Float64Array {
  const result = out ?? new Float64Array(sinAlpha.length);
  if (profile === "tophat") {
    const ratio = sampleLength_mm / beamHeight_mm;
    for (let i = 0; i < sinAlpha.length; i++) result[i] = Math.min(1, ratio * sinAlpha[i]);
  } else {
    const scale = (0.5 * sampleLength_mm) / (Math.SQRT2 * gaussianSigmaFromFwhm(beamHeight_mm));
    for (let i = 0; i < sinAlpha.length; i++) result[i] = erf(scale * sinAlpha[i]);
  }
  return result;
}
