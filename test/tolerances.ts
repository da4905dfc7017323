/**
 * Named tolerances for every numeric test, in one place, with where each number comes from.
 * Relative tolerances unless the name says otherwise.
 */

/** ORSO's own tolerance for exact kernels (their pytest drivers, rtol 8e-5); test1/test3 are limited to 5–6e-5 by the reference. */
export const ORSO_EXACT_RTOL = 8e-5;
/** Float64 reaches ≤1e-11 on ORSO test0, 2, 6, 7 (shared/conformance/orso-validation/README.md); we hold it to 1e-9. */
export const ORSO_FLOAT64_RTOL = 1e-9;
/** Issue acceptance: smeared ORSO test4/test5 within 1e-4. */
export const ORSO_SMEARED_RTOL = 1e-4;
/** Issue acceptance: polarised test0/test1 within 1e-6 on all four channels. */
export const ORSO_POLARISED_RTOL = 1e-6;
/** Spin-flip channels in polarised test0 are ≤1e-31 in the file; compare absolutely below this. */
export const ORSO_POLARISED_ATOL = 1e-12;

/** Kernel against first principles (closed forms, brute-force transfer matrices). */
export const FIRST_PRINCIPLES_RTOL = 1e-12;
/** Independent float64 implementations of the same stack agree to ~1.2e-13 (reflectometry.md §1.4); 1e-9 leaves margin for 30-layer stacks. */
export const INDEPENDENT_KERNEL_RTOL = 1e-9;
/** Fast (grid + convolution) smearing against a brute-force convolution (issue 2 target). */
export const FAST_SMEAR_RTOL = 1e-4;

/** SLD against periodictable 2.1.0 (shared/data/sld_reference.json); the issue requires 1e-6, 1e-12 is reachable. */
export const SLD_REFERENCE_RTOL = 1e-6;
/** Interpolated Henke f1/f2 against shared/data/xray_f1f2_reference.tsv. */
export const F1F2_REFERENCE_RTOL = 1e-9;

/** NIST StRD: number of significant digits required for certified values and standard errors. */
export const NIST_MIN_DIGITS = 4;

/** MCMC vs LM on a well-posed problem: medians within 5 % of LM values. */
export const MCMC_MEDIAN_RTOL = 0.05;
/** MCMC 68 % half-widths within 20 % of LM standard errors. */
export const MCMC_WIDTH_RTOL = 0.2;

/** NIST StRD, own-RSS standard errors where float64 cannot resolve the certified RSS (Lanczos1, RSS 1.4e-25): a sanity floor, not a conformance bar. */
export const NIST_FLOAT64_LIMITED_STDERR_DIGITS = 2.5;
/** Sampler on a known Gaussian: |posterior mean − true mean| ≤ this × true sd (seeded, ~4000 effective samples). */
export const MCMC_MEAN_SD_FRACTION = 0.1;
/** Sampler on a known Gaussian: posterior sd and 68 % half-width within this relative tolerance of the true sd. */
export const MCMC_SD_RTOL = 0.1;
/** Integrated autocorrelation time of an AR(1) series vs the analytic (1 + φ)/(1 − φ). */
export const AR1_TAU_RTOL = 0.1;
/** Bimodal posterior: each mode must hold at least this fraction of the samples. */
export const MCMC_BIMODAL_MIN_FRACTION = 0.25;
/** Differential evolution + polish on a multimodal fit: distance to the known global minimum (noise-free data). */
export const DE_GLOBAL_ATOL = 1e-6;

/** Impedance elements against impedance.py's own test values (its np.isclose rtol 1e-5; some values there are printed to 6 digits). */
export const ELEMENT_GOLDEN_RTOL = 1e-5;
/** Issue 4 acceptance: circuit fit of exampleData.csv within 1 % of impedance.py's published parameters. */
export const IMPEDANCE_PY_FIT_RTOL = 0.01;
/** Issue 4 acceptance: stated 1σ standard errors cover the truth in at least this fraction of seeded noisy circuit fits (nominal 68.3 %). */
export const STDERR_COVERAGE_MIN = 0.6;

/** EIS readers against the expected first/last values of shared/conformance/eis/README.md (values parsed from text). */
export const EIS_READER_RTOL = 1e-9;
/** Issue 4 acceptance: Lin-KK μ on Circuit3_EIS_1.z (c = 0.69) against Schönleber's reference 0.6843821117885378. */
export const LINKK_MU_ATOL = 1e-6;
/** Issue 4 acceptance: default Lin-KK residuals (relative to |Z|) on exactly KK-consistent synthetic spectra. */
export const LINKK_CONSISTENT_MAX_RESIDUAL = 1e-3;
/** Issue 4 acceptance: DRT peak position of a single RC (relative, in τ). */
export const DRT_PEAK_TAU_RTOL = 0.05;
/** Issue 4 acceptance: DRT peak area of a single RC / a ZARC against R. */
export const DRT_PEAK_AREA_RTOL = 0.02;
/** DRT of a process at 70 kHz in a 100 kHz sweep: its τ, area and R∞ (the absorbed answer is R∞ ≈ 7.1 Ω for 3 Ω, +137 %). */
export const DRT_EDGE_PROCESS_RTOL = 0.1;

/** Issue 5 acceptance: each scan's charge passed and mean potential on a synthetic campaign against the analytic values (relative; analytic zeros against the program's charge scale). */
export const ALIGN_RTOL = 1e-9;

/** Cycler readers against the values in shared/conformance/echem/README.md (the README's stated tolerance, relative). */
export const CYCLER_README_RTOL = 1e-6;
/** `.mpr` vs `.mpt` of the same BioLogic run, every shared column: float32 machine epsilon, relative (observed ≤ 4.8e-8: `.mpt` prints float32 values to 8 digits). */
export const CYCLER_MPR_MPT_RTOL = 2 ** -23;
/** Neware per-cycle capacities rebuilt from per-step record capacities vs the cycle summary rows, which print 5 decimals (Ah, absolute). */
export const NEWARE_SUMMARY_ATOL_AH = 1e-5;
/** stateAt on piecewise-linear current programs vs analytic integrals (relative; analytic zeros against the program's scale). */
export const STATE_AT_RTOL = 1e-9;
/** dV/dQ and dQ/dV (Savitzky–Golay, window ≈ n/50) of an analytic V(Q) vs the analytic derivative, relative to its peak (observed 4.8e-5 and 2.5e-4: smoothing bias on a sech² peak 5 % of the half cycle wide). */
export const DIFFERENTIAL_ANALYTIC_RTOL = 1e-3;

/** Issue 7 acceptance: the dose ledger against a hand calculation of a documented example (relative). */
export const DOSE_HAND_RTOL = 1e-9;
/** Issue 7 acceptance: window + electrolyte transmission against Beer–Lambert with μ from Henke f2 (relative). */
export const BEER_LAMBERT_RTOL = 1e-12;
/** Geometry helpers (footprint factors, Q shifts) against closed-form hand values (relative; float64 arithmetic of the same formula). */
export const GEOMETRY_HAND_RTOL = 1e-13;
/** erf against reference values (mpmath/libm, 16 digits), relative. */
export const ERF_RTOL = 1e-14;
/** 1 − erf(x) against erfc(x) for 3 ≤ x ≤ 4: limited by the cancellation in 1 − erf (≈ 1e-16 / erfc), relative. */
export const ERF_TAIL_RTOL = 1e-7;
/** Photoabsorption μ/ρ from f2 against μ = 2λ·SLD_im of materials/sld (same tables, different grouping), relative. */
export const MASS_ATTENUATION_RTOL = 1e-12;
/** Linear-limit checks (small-argument expansions evaluated where the next term is < this), relative. */
export const LINEAR_LIMIT_RTOL = 1e-6;

/** Issue 7 geometry block: smeared R at angle-shifted Q by interpolation on the fixed auxiliary grid (8 nodes per σ) vs a plan built on the shifted points, relative, dQ/Q 1–5 % FWHM, |δ| ≤ 0.04° (observed ≤ 5.4e-5). */
export const SHIFTED_SMEAR_INTERP_RTOL = 1e-4;
/** Issue 7 geometry block: forward-model footprint factors and unsmeared Q shifts against the closed-form formula (relative; same float64 arithmetic, different grouping). */
export const GEOMETRY_MODEL_HAND_RTOL = 1e-12;
/** Issue 7 geometry block: the critical edge located on a dense unsmeared curve (Å⁻¹; grid step 1e-6, the edge found by the steepest drop). */
export const CRITICAL_EDGE_SHIFT_ATOL = 3e-6;
/** Issue 7 population: the two-stage sampler's quantiles against the exact grid solution, as a fraction of the 95 % width (Monte Carlo error of 20 000 autocorrelated sweeps). */
export const TWO_STAGE_GRID_AGREEMENT = 0.06;

/** diagnosis/seriesModel: a scan's model curve (recovered from its residuals as y + r·σ) against abeles on a hand-built slab table with the closed-form thickness (relative; same kernel, only the recovery's rounding and few-ulp thickness differences; measured ≤ 1e-15). */
export const SERIES_MODEL_KERNEL_RTOL = 1e-12;
/** Central differences with relative step 1e-5 against hand derivatives, relative to the column's largest entry (truncation ~h² ≈ 1e-10, round-off ~ε/h ≈ 1e-11; measured ≤ 3.6e-11 on the growth laws). */
export const CENTRAL_DIFFERENCE_RTOL = 1e-8;
/** diagnosis/seriesModel: residual Jacobian column (central difference in θ) against the chain rule (1/σ)·∂R/∂L·∂L/∂θ with ∂R/∂L itself a central difference (h = 1e-4 Å), in the column's 2-norm (two truncation errors ~h²·R‴/R′; measured ≤ 1.9e-9). */
export const RESIDUAL_JACOBIAN_CHAIN_RTOL = 1e-7;
/** diagnosis/fitSeries: parameters recovered from noise-free synthetic series, starts 20–30 % off (relative; the joint fit may stop on xtol 1e-9, so 1e-8 leaves a decade; measured ≤ 5.5e-14). */
export const NOISE_FREE_RECOVERY_RTOL = 1e-8;
/** diagnosis/fitSeries: χ² of a fit to noise-free data (absolute, σ = 3 % of R, 50–250 points; a parameter 1e-8 off gives ~1e-12; measured ≤ 1.7e-23). */
export const NOISE_FREE_CHI2_MAX = 1e-12;
/** diagnosis/fitSeries: stderr from LM's Ridders covariance vs (JᵀJ)⁻¹ of a plain central-difference Jacobian (relative step 1e-5, truncation ~1e-10; measured ≤ 2.3e-10). */
export const CENTRAL_DIFFERENCE_COVARIANCE_RTOL = 1e-6;
/** diagnosis/fitSeries, seeded Poisson noise: largest |estimate − truth|/stderr over 8 seeds × 2 parameters (P(|z| > 4) ≈ 6e-5 per draw). */
export const SERIES_NOISE_Z_MAX = 4;
/** diagnosis/fitSeries, seeded Poisson noise: scatter of 8 estimates / mean stated stderr within this factor either way (a sample sd of 8 is within ×2 at > 99 %). */
export const SERIES_NOISE_STDERR_RATIO_MAX = 2;
/** diagnosis/fitSeries crossStartLawFits: χ² of the restarted law fit vs the same law's LM optimum from the pipeline's start (relative; LM stops at ftol 1e-9; measured 2.2e-14). */
export const CROSS_START_CHI2_RTOL = 1e-9;
/** diagnosis/fitSeries regressOnThickness: χ² vs the minimum over a 4001-point log grid of tau (6 decades, 0.35 % steps; L0, a by linear least squares), which it may beat but not exceed by more than this (relative; measured −4.5e-4). */
export const REGRESSION_PROFILE_CHI2_RTOL = 1e-3;
/** test/diagnosis/lawRestart: χ² of a law fit restarted from another law's answer vs the same law's fit from the pipeline's start on a fresh smearing-plan cache (relative; two LM stops at one optimum, ftol 1e-9; measured 3.2e-8). */
export const RESTART_VS_FRESH_CHI2_RTOL = 1e-6;

/**
 * A joint law fit from a start a hair above a bound and from the manifest's nominal value
 * reach the same optimum to this relative χ² (nearBoundStart.test.ts; LM stops at
 * ftol 1e-9, and the two paths differ by the steps' rounding).
 */
export const START_INDEPENDENCE_CHI2_RTOL = 1e-6;
/** params/prior priorStandardDeviation vs the closed-form sd of each prior kind (relative; Simpson on 4096 intervals, measured ≤ 3e-12 over the test's cases). */
export const PRIOR_SD_RTOL = 1e-6;
