/**
 * @module kernels/reflectivity/polarised
 * Polarised neutron reflectivity of a stack of magnetic slabs: the four spin
 * channels R−−, R−+, R+−, R++ (first sign incident, second scattered), exact
 * within the slab model, with absorption and optional Névot–Croce roughness.
 *
 * Units: Q in Å⁻¹, thickness and roughness in Å, sld / isld / sldm in 10⁻⁶ Å⁻²,
 * angles in degrees.
 *
 * Slab table: N+2 rows ordered fronting (beam side) → backing,
 * {@link POLARISED_SLAB_COLUMNS} columns per row, the same columns as an ORSO
 * polarised layer file: `[thickness, sld, isld, thetaM, sldm, roughness]`.
 * - Row 0 is the fronting medium: only its `sld` is used. Q is measured in it, so
 *   its absorption is ignored (as in the unpolarised kernel, refnx and ORSO) and so
 *   is its magnetism (a magnetic fronting medium would give the two incident spin
 *   states different Q).
 * - The last row is the semi-infinite backing (thickness ignored); its absorption
 *   and magnetism are used.
 * - `isld` is the absorptive part, positive = absorption (its absolute value is used).
 * - `thetaM` is the angle between x_sample and the in-plane magnetisation; `sldm`
 *   is the magnetic SLD (may be negative, which is the same as thetaM + 180°).
 * - A row's roughness is the rms width of the interface between it and the row before it.
 *
 * Geometry (refl1d / Majkrzak, ORSO validation README): z_sample is the surface
 * normal (∥ Q), z_lab the guide-field direction H, x_lab = x_sample, both frames
 * right-handed, AGUIDE the angle from z_sample to z_lab, so H = (0, sin A, cos A)
 * in the sample frame. With AGUIDE = 90° the field is in the sample plane and
 * thetaM = 90° means M ∥ H. A unit in-plane magnetisation (cos θ, sin θ, 0)
 * therefore has lab components m = (cos θ, sin θ·cos A, sin θ·sin A).
 *
 * Physics: the spinor ψ(z) obeys ψ″ + (kz0² − 4π·1e-6·U(z)) ψ = 0 with
 * U = (ρ − ρ_fronting − i|ρ″|)·1 + ρ_m (m·σ), σ the Pauli matrices in the lab frame.
 * "+" is the spin state along H (σ_z = +1): it sees SLD + sldm when M ∥ H
 * (the assignment the ORSO references use). Zeeman splitting (the field H
 * shifting the energy of spin-flipped neutrons) is not modelled, so the
 * descriptor's H is not an input; it only matters for spin flip with an
 * out-of-plane field component, and ORSO polarised test0 (H = 0.244 T) has
 * sldm = 0 and spin flip ~1e-31 anyway.
 *
 * Method: in each layer the two eigenstates of m·σ propagate independently with
 * k±² = kz0² − 4π·1e-6·(ρ − ρ_fronting ± ρ_m) + i·4π·1e-6·|ρ″| (root with Im k ≥ 0,
 * as in the unpolarised kernel). Continuity of ψ and ψ′ at each interface
 * (the 4×4 characteristic-matrix condition) is turned into a Parratt-like
 * recursion on the 2×2 reflection matrix, from the backing up, in each layer's
 * eigenbasis; it multiplies only by decaying phase factors exp(i k d), so thick
 * absorbing or evanescent layers cannot overflow. Roughness multiplies the
 * reflection terms between mode s above and mode t below by exp(−2 k_s k_t σ²),
 * as refl1d's magnetic kernel does; with sldm = 0 every step reduces to the
 * unpolarised Parratt/Névot–Croce recursion (same expressions, no spin mixing).
 * On magnetic interfaces this factor is an approximation that slightly breaks
 * reciprocity (R−+ vs R+− for coplanar M, R++ vs R−− at AGUIDE = 0: ~1e-3 relative
 * for σ of a few Å), exactly as in refl1d; sharp interfaces keep those symmetries.
 * A magnetic layer's mode exactly on its critical edge (k = 0, where the up/down
 * split of that mode degenerates) is evaluated half an ulp of Q away.
 *
 * Physics reminders: spin flip needs a component of M perpendicular to H, so it
 * vanishes for M ∥ H but is largest at AGUIDE = 0 (H ∥ Q, all in-plane M ⟂ H).
 * R−+ = R+− whenever all magnetisations are coplanar with H (e.g. AGUIDE = 90°),
 * absorbing or not; a non-coplanar (twisted, chiral) stack splits them even
 * without absorption, and mirroring it (thetaM → −thetaM, AGUIDE → −AGUIDE) swaps them.
 *
 * @see C. F. Majkrzak, K. V. O'Donovan and N. F. Berk, "Polarized neutron reflectometry", in
 *   Neutron Scattering from Magnetic Materials (Elsevier, 2006); refl1d `magnetic.cc` (gepore).
 */

/**
 * Columns per polarised slab-table row:
 * thickness (Å), sld, isld (10⁻⁶ Å⁻²), thetaM (°), sldm (10⁻⁶ Å⁻²), roughness (Å).
 */
export const POLARISED_SLAB_COLUMNS = 6;

/** The four spin-channel reflectivities, one value per Q; first sign incident, second scattered. */
export interface PolarisedReflectivity {
  /** R−− (non-spin-flip, incident −) */
  mm: Float64Array;
  /** R−+ (spin flip, incident −, scattered +) */
  mp: Float64Array;
  /** R+− (spin flip, incident +, scattered −) */
  pm: Float64Array;
  /** R++ (non-spin-flip, incident +) */
  pp: Float64Array;
}

const FOUR_PI_E6 = 4 * Math.PI * 1e-6;
/** k², relative to kz0², given to a magnetic layer's mode sitting exactly on its critical edge (~half an ulp of Q). */
const EDGE_K2 = Number.EPSILON;

/** An angle in degrees reduced to (−180°, 180°], so that small angles keep their relative precision. */
function reduceDeg(angle: number): number {
  const a = angle % 360;
  return a > 180 ? a - 360 : a <= -180 ? a + 360 : a;
}

/** cos of an angle in degrees, exact (0, ±1) at multiples of 90°: AGUIDE = 90° gets no stray 6e-17 components. */
function cosDeg(angle: number): number {
  const a = reduceDeg(angle);
  if (a === 90 || a === -90) return 0;
  if (a === 0) return 1;
  if (a === 180) return -1;
  return Math.cos((a * Math.PI) / 180);
}

/** sin of an angle in degrees, exact (0, ±1) at multiples of 90°. */
function sinDeg(angle: number): number {
  const a = reduceDeg(angle);
  if (a === 0 || a === 180) return 0;
  if (a === 90) return 1;
  if (a === -90) return -1;
  return Math.sin((a * Math.PI) / 180);
}

/** Per-call scratch, one entry per medium (w*: entry j is the interface between rows j and j+1); reused across calls. */
let scratchSize = 0;
let potentialPlus = new Float64Array(0);
let potentialMinus = new Float64Array(0);
let potentialImag = new Float64Array(0);
let thicknesses = new Float64Array(0);
let roughnessFactor = new Float64Array(0);
let magnetic = new Uint8Array(0);
let alphaRe = new Float64Array(0);
let alphaIm = new Float64Array(0);
let betaRe = new Float64Array(0);
let betaIm = new Float64Array(0);
let w1Re = new Float64Array(0);
let w1Im = new Float64Array(0);
let w2Re = new Float64Array(0);
let w2Im = new Float64Array(0);
/** k of the + and − eigenstates in every medium at the current Q: [re+, im+, re−, im−] per medium. */
let kz = new Float64Array(0);

function ensureScratch(media: number): void {
  if (media <= scratchSize) return;
  scratchSize = media;
  potentialPlus = new Float64Array(media);
  potentialMinus = new Float64Array(media);
  potentialImag = new Float64Array(media);
  thicknesses = new Float64Array(media);
  roughnessFactor = new Float64Array(media);
  magnetic = new Uint8Array(media);
  alphaRe = new Float64Array(media);
  alphaIm = new Float64Array(media);
  betaRe = new Float64Array(media);
  betaIm = new Float64Array(media);
  w1Re = new Float64Array(media);
  w1Im = new Float64Array(media);
  w2Re = new Float64Array(media);
  w2Im = new Float64Array(media);
  kz = new Float64Array(4 * media);
}

/**
 * Writes the principal square root of (x + i·y), y ≥ 0, into kz[at], kz[at+1]
 * (Im ≥ 0; purely positive-imaginary when x < 0 and y = 0: the evanescent wave decays into the stack).
 */
function sqrtInto(x: number, y: number, at: number): void {
  const m = Math.sqrt(x * x + y * y);
  if (x >= 0) {
    const re = Math.sqrt(0.5 * (m + x));
    kz[at] = re;
    kz[at + 1] = re === 0 ? 0 : (0.5 * y) / re;
  } else {
    const im = Math.sqrt(0.5 * (m - x));
    kz[at] = (0.5 * y) / im;
    kz[at + 1] = im;
  }
}

/**
 * Spin-channel reflectivities R−−, R−+, R+−, R++ of a stack of magnetic slabs.
 *
 * @param q - momentum transfer (Å⁻¹), any order; its sign is ignored; Q = 0 gives R−− = R++ = 1, no spin flip
 * @param slabs - slab table, N+2 rows × 6 columns `[thickness Å, sld, isld, thetaM °, sldm, roughness Å]`
 *   (SLDs in 10⁻⁶ Å⁻²; see the module header); at least 2 rows
 * @param aguideDeg - AGUIDE (degrees): angle between the sample normal and the guide field H
 *   (90° = H in the sample plane, M ∥ H for thetaM = 90°; 0° = H ∥ Q)
 * @param out - optional output arrays, each of length ≥ q.length; nothing is allocated when given
 *   (apart from per-layer scratch the first time a stack this deep is seen)
 * @returns `out` (or new arrays) holding the four channels at each Q
 * @example
 * const slabs = new Float64Array([
 *   0, 0, 0, 90, 0, 0, //        fronting (air)
 *   200, 4, 0, 180, 1, 0, //     magnetic layer, M ⟂ H in plane → spin flip
 *   0, 2.07, 0, 90, 0, 3, //     backing (Si)
 * ]);
 * const { pp, mm, pm, mp } = polarisedReflectivity(new Float64Array([0.01, 0.02]), slabs, 90);
 * @see the module header for geometry, sign conventions and method
 */
export function polarisedReflectivity(
  q: Float64Array,
  slabs: Float64Array,
  aguideDeg: number,
  out?: PolarisedReflectivity,
): PolarisedReflectivity {
  const n = q.length;
  const result = out ?? {
    mm: new Float64Array(n),
    mp: new Float64Array(n),
    pm: new Float64Array(n),
    pp: new Float64Array(n),
  };
  const { mm, mp, pm, pp } = result;
  const media = Math.floor(slabs.length / POLARISED_SLAB_COLUMNS);
  ensureScratch(media);
  const vp = potentialPlus;
  const vm = potentialMinus;
  const vi = potentialImag;
  const d = thicknesses;
  const rf = roughnessFactor;
  const mag = magnetic;
  const k = kz;

  // Q-independent per-layer set-up: potentials, eigenbases, interface overlaps.
  const cosA = cosDeg(aguideDeg);
  const sinA = sinDeg(aguideDeg);
  const frontSld = slabs[1];
  for (let j = 0; j < media; j++) {
    const base = j * POLARISED_SLAB_COLUMNS;
    d[j] = slabs[base];
    const sigma = slabs[base + 5];
    rf[j] = -2 * sigma * sigma;
    const nuclear = j === 0 ? 0 : FOUR_PI_E6 * (slabs[base + 1] - frontSld);
    const rhoM = j === 0 ? 0 : FOUR_PI_E6 * slabs[base + 4];
    vp[j] = nuclear + rhoM;
    vm[j] = nuclear - rhoM;
    vi[j] = j === 0 ? 0 : FOUR_PI_E6 * Math.abs(slabs[base + 2]);
    // Eigenbasis of m·σ as the SU(2) matrix T = [[α, −β̄], [β, ᾱ]]: columns = + and − eigenstates.
    if (rhoM === 0) {
      mag[j] = 0;
      alphaRe[j] = 1;
      alphaIm[j] = 0;
      betaRe[j] = 0;
      betaIm[j] = 0;
      continue;
    }
    mag[j] = 1;
    const thetaM = slabs[base + 3];
    const cosT = cosDeg(thetaM);
    const sinT = sinDeg(thetaM);
    const mx = cosT;
    const my = sinT * cosA;
    const mz = sinT * sinA;
    if (mz >= 0) {
      // e+ = (√((1+mz)/2), (mx + i my)/√(2(1+mz)))
      const norm = Math.sqrt(2 * (1 + mz));
      alphaRe[j] = 0.5 * norm;
      alphaIm[j] = 0;
      betaRe[j] = mx / norm;
      betaIm[j] = my / norm;
    } else {
      // e+ = ((mx − i my)/√(2(1−mz)), √((1−mz)/2)): same state up to a phase, stable for mz → −1
      const norm = Math.sqrt(2 * (1 - mz));
      alphaRe[j] = mx / norm;
      alphaIm[j] = -my / norm;
      betaRe[j] = 0.5 * norm;
      betaIm[j] = 0;
    }
  }
  // Overlap W = T_j† T_{j+1} = [[w1, −w̄2], [w2, w̄1]] between the eigenbases on either side of interface j/j+1.
  for (let j = 0; j < media - 1; j++) {
    const ar = alphaRe[j];
    const ai = alphaIm[j];
    const br = betaRe[j];
    const bi = betaIm[j];
    const cr = alphaRe[j + 1];
    const ci = alphaIm[j + 1];
    const er = betaRe[j + 1];
    const ei = betaIm[j + 1];
    // w1 = ᾱ_j α_{j+1} + β̄_j β_{j+1}
    w1Re[j] = ar * cr + ai * ci + br * er + bi * ei;
    w1Im[j] = ar * ci - ai * cr + br * ei - bi * er;
    // w2 = α_j β_{j+1} − β_j α_{j+1}
    w2Re[j] = ar * er - ai * ei - (br * cr - bi * ci);
    w2Im[j] = ar * ei + ai * er - (br * ci + bi * cr);
  }

  const last = media - 1;
  for (let p = 0; p < n; p++) {
    const kz0 = 0.5 * Math.abs(q[p]);
    const kz0sq = kz0 * kz0;
    if (kz0sq === 0) {
      mm[p] = 1;
      pp[p] = 1;
      mp[p] = 0;
      pm[p] = 0;
      continue;
    }
    k[0] = kz0;
    k[1] = 0;
    k[2] = kz0;
    k[3] = 0;
    for (let j = 1; j <= last; j++) {
      if (mag[j] === 0) {
        sqrtInto(kz0sq - vp[j], vi[j], 4 * j);
        k[4 * j + 2] = k[4 * j];
        k[4 * j + 3] = k[4 * j + 1];
        continue;
      }
      let xp = kz0sq - vp[j];
      let xm = kz0sq - vm[j];
      if (j < last && vi[j] === 0) {
        // A mode exactly at its critical edge (k = 0) makes the plane-wave split degenerate and the
        // K-similarity below divide by zero: evaluate it half an ulp of Q away (k² = ε·kz0²).
        if (xp === 0) xp = EDGE_K2 * kz0sq;
        if (xm === 0) xm = EDGE_K2 * kz0sq;
      }
      sqrtInto(xp, vi[j], 4 * j);
      sqrtInto(xm, vi[j], 4 * j + 2);
    }
    // ρ̂ = K ρ K⁻¹ for the layer below, in its eigenbasis: ρ maps down- to up-going amplitudes at the
    // top of that layer (b = ρ a); the interface relation needs it similarity-scaled by K. Zero in the backing.
    let h00r = 0;
    let h00i = 0;
    let h01r = 0;
    let h01i = 0;
    let h10r = 0;
    let h10i = 0;
    let h11r = 0;
    let h11i = 0;
    for (let j = last - 1; j >= 0; j--) {
      // modes s of layer j (above): k0 = a0, k1 = a1; modes t of layer j+1 (below): b0, b1
      const a0r = k[4 * j];
      const a0i = k[4 * j + 1];
      const a1r = k[4 * j + 2];
      const a1i = k[4 * j + 3];
      const b0r = k[4 * j + 4];
      const b0i = k[4 * j + 5];
      const b1r = k[4 * j + 6];
      const b1i = k[4 * j + 7];
      // V = W† = T_{j+1}† T_j = [[w̄1, w̄2], [−w2, w1]] maps layer-j eigen-amplitudes to layer-(j+1) ones
      const v00r = w1Re[j];
      const v00i = -w1Im[j];
      const v01r = w2Re[j];
      const v01i = -w2Im[j];
      const v10r = -w2Re[j];
      const v10i = -w2Im[j];
      const v11r = w1Re[j];
      const v11i = w1Im[j];
      // ψ, ψ′ continuity: 2K′a′ = F a + G b and 2K′b′ = G a + F b, with
      // F_ts = V_ts (k′_t + k_s) and G_ts = V_ts (k′_t − k_s) (× Névot–Croce exp(−2σ² k′_t k_s))
      let sr = b0r + a0r;
      let si = b0i + a0i;
      const F00r = v00r * sr - v00i * si;
      const F00i = v00r * si + v00i * sr;
      sr = b0r + a1r;
      si = b0i + a1i;
      const F01r = v01r * sr - v01i * si;
      const F01i = v01r * si + v01i * sr;
      sr = b1r + a0r;
      si = b1i + a0i;
      const F10r = v10r * sr - v10i * si;
      const F10i = v10r * si + v10i * sr;
      sr = b1r + a1r;
      si = b1i + a1i;
      const F11r = v11r * sr - v11i * si;
      const F11i = v11r * si + v11i * sr;
      sr = b0r - a0r;
      si = b0i - a0i;
      let G00r = v00r * sr - v00i * si;
      let G00i = v00r * si + v00i * sr;
      sr = b0r - a1r;
      si = b0i - a1i;
      let G01r = v01r * sr - v01i * si;
      let G01i = v01r * si + v01i * sr;
      sr = b1r - a0r;
      si = b1i - a0i;
      let G10r = v10r * sr - v10i * si;
      let G10i = v10r * si + v10i * sr;
      sr = b1r - a1r;
      si = b1i - a1i;
      let G11r = v11r * sr - v11i * si;
      let G11i = v11r * si + v11i * sr;
      const rough = rf[j + 1];
      if (rough !== 0) {
        // exp(rough · k′_t k_s), rough = −2σ², on each reflection-type term (as refl1d's magnetic kernel does)
        let mod = Math.exp(rough * (b0r * a0r - b0i * a0i));
        let ang = rough * (b0r * a0i + b0i * a0r);
        let cr = mod * Math.cos(ang);
        let ci = mod * Math.sin(ang);
        let tr = G00r * cr - G00i * ci;
        G00i = G00r * ci + G00i * cr;
        G00r = tr;
        mod = Math.exp(rough * (b0r * a1r - b0i * a1i));
        ang = rough * (b0r * a1i + b0i * a1r);
        cr = mod * Math.cos(ang);
        ci = mod * Math.sin(ang);
        tr = G01r * cr - G01i * ci;
        G01i = G01r * ci + G01i * cr;
        G01r = tr;
        mod = Math.exp(rough * (b1r * a0r - b1i * a0i));
        ang = rough * (b1r * a0i + b1i * a0r);
        cr = mod * Math.cos(ang);
        ci = mod * Math.sin(ang);
        tr = G10r * cr - G10i * ci;
        G10i = G10r * ci + G10i * cr;
        G10r = tr;
        mod = Math.exp(rough * (b1r * a1r - b1i * a1i));
        ang = rough * (b1r * a1i + b1i * a1r);
        cr = mod * Math.cos(ang);
        ci = mod * Math.sin(ang);
        tr = G11r * cr - G11i * ci;
        G11i = G11r * ci + G11i * cr;
        G11r = tr;
      }
      // b′ = ρ a′ ⇒ (F − ρ̂G) b = (ρ̂F − G) a ⇒ X = (F − ρ̂G)⁻¹ (ρ̂F − G): reflection matrix at the bottom of layer j
      const U00r = h00r * F00r - h00i * F00i + (h01r * F10r - h01i * F10i) - G00r;
      const U00i = h00r * F00i + h00i * F00r + (h01r * F10i + h01i * F10r) - G00i;
      const U01r = h00r * F01r - h00i * F01i + (h01r * F11r - h01i * F11i) - G01r;
      const U01i = h00r * F01i + h00i * F01r + (h01r * F11i + h01i * F11r) - G01i;
      const U10r = h10r * F00r - h10i * F00i + (h11r * F10r - h11i * F10i) - G10r;
      const U10i = h10r * F00i + h10i * F00r + (h11r * F10i + h11i * F10r) - G10i;
      const U11r = h10r * F01r - h10i * F01i + (h11r * F11r - h11i * F11i) - G11r;
      const U11i = h10r * F01i + h10i * F01r + (h11r * F11i + h11i * F11r) - G11i;
      const D00r = F00r - (h00r * G00r - h00i * G00i + (h01r * G10r - h01i * G10i));
      const D00i = F00i - (h00r * G00i + h00i * G00r + (h01r * G10i + h01i * G10r));
      const D01r = F01r - (h00r * G01r - h00i * G01i + (h01r * G11r - h01i * G11i));
      const D01i = F01i - (h00r * G01i + h00i * G01r + (h01r * G11i + h01i * G11r));
      const D10r = F10r - (h10r * G00r - h10i * G00i + (h11r * G10r - h11i * G10i));
      const D10i = F10i - (h10r * G00i + h10i * G00r + (h11r * G10i + h11i * G10r));
      const D11r = F11r - (h10r * G01r - h10i * G01i + (h11r * G11r - h11i * G11i));
      const D11i = F11i - (h10r * G01i + h10i * G01r + (h11r * G11i + h11i * G11r));
      // D⁻¹ = adj(D) / det(D)
      const detr = D00r * D11r - D00i * D11i - (D01r * D10r - D01i * D10i);
      const deti = D00r * D11i + D00i * D11r - (D01r * D10i + D01i * D10r);
      const invDet = 1 / (detr * detr + deti * deti);
      const idr = detr * invDet;
      const idi = -deti * invDet;
      const E00r = D11r * idr - D11i * idi;
      const E00i = D11r * idi + D11i * idr;
      const E01r = -(D01r * idr - D01i * idi);
      const E01i = -(D01r * idi + D01i * idr);
      const E10r = -(D10r * idr - D10i * idi);
      const E10i = -(D10r * idi + D10i * idr);
      const E11r = D00r * idr - D00i * idi;
      const E11i = D00r * idi + D00i * idr;
      const X00r = E00r * U00r - E00i * U00i + (E01r * U10r - E01i * U10i);
      const X00i = E00r * U00i + E00i * U00r + (E01r * U10i + E01i * U10r);
      const X01r = E00r * U01r - E00i * U01i + (E01r * U11r - E01i * U11i);
      const X01i = E00r * U01i + E00i * U01r + (E01r * U11i + E01i * U11r);
      const X10r = E10r * U00r - E10i * U00i + (E11r * U10r - E11i * U10i);
      const X10i = E10r * U00i + E10i * U00r + (E11r * U10i + E11i * U10r);
      const X11r = E10r * U01r - E10i * U01i + (E11r * U11r - E11i * U11i);
      const X11i = E10r * U01i + E10i * U01r + (E11r * U11i + E11i * U11r);
      if (j === 0) {
        // the fronting is non-magnetic and its modes are the lab spin states: X is r itself
        h00r = X00r;
        h00i = X00i;
        h01r = X01r;
        h01i = X01i;
        h10r = X10r;
        h10i = X10i;
        h11r = X11r;
        h11i = X11i;
        break;
      }
      // ρ_j = P X P at the top of layer j, P = diag(exp(i k_s d_j)), |P| ≤ 1
      const thickness = d[j];
      let mod = Math.exp(-a0i * thickness);
      const p0r = mod * Math.cos(a0r * thickness);
      const p0i = mod * Math.sin(a0r * thickness);
      mod = Math.exp(-a1i * thickness);
      const p1r = mod * Math.cos(a1r * thickness);
      const p1i = mod * Math.sin(a1r * thickness);
      const q00r = p0r * p0r - p0i * p0i;
      const q00i = 2 * p0r * p0i;
      const q01r = p0r * p1r - p0i * p1i;
      const q01i = p0r * p1i + p0i * p1r;
      const q11r = p1r * p1r - p1i * p1i;
      const q11i = 2 * p1r * p1i;
      h00r = X00r * q00r - X00i * q00i;
      h00i = X00r * q00i + X00i * q00r;
      h01r = X01r * q01r - X01i * q01i;
      h01i = X01r * q01i + X01i * q01r;
      h10r = X10r * q01r - X10i * q01i;
      h10i = X10r * q01i + X10i * q01r;
      h11r = X11r * q11r - X11i * q11i;
      h11i = X11r * q11i + X11i * q11r;
      if (mag[j] !== 0) {
        // ρ̂ = K ρ K⁻¹: off-diagonals × k0/k1 and k1/k0 (skipped in a non-magnetic layer, where k0 = k1)
        const inv1 = 1 / (a1r * a1r + a1i * a1i);
        const ur = (a0r * a1r + a0i * a1i) * inv1;
        const ui = (a0i * a1r - a0r * a1i) * inv1;
        let tr = h01r * ur - h01i * ui;
        h01i = h01r * ui + h01i * ur;
        h01r = tr;
        const inv0 = 1 / (a0r * a0r + a0i * a0i);
        const vr = (a1r * a0r + a1i * a0i) * inv0;
        const vi2 = (a1i * a0r - a1r * a0i) * inv0;
        tr = h10r * vr - h10i * vi2;
        h10i = h10r * vi2 + h10i * vr;
        h10r = tr;
      }
    }
    // r in the fronting's (lab) basis, index 0 = "+": r[scattered][incident]
    pp[p] = h00r * h00r + h00i * h00i;
    pm[p] = h10r * h10r + h10i * h10i;
    mp[p] = h01r * h01r + h01i * h01i;
    mm[p] = h11r * h11r + h11i * h11i;
  }
  return result;
}
