/**
 * @module kernels/impedance/elements
 * Impedances of the equivalent-circuit elements of impedance.py (v1.7.1), with
 * its parameter order, counts and formulas, evaluated over a `Float64Array` of
 * frequencies into real and imaginary `Float64Array`s. Nothing here allocates
 * when output buffers are given, and nothing throws: inputs are assumed valid
 * (validation happens in models/ and at the edges).
 *
 * Units: frequency f in Hz (ω = 2πf in rad/s), impedance in Ω, sign convention
 * Z = Z′ + jZ″ with Z″ < 0 for capacitive behaviour. Parameter units are listed
 * per element in {@link ELEMENTS}.
 *
 * | type | parameters | Z(ω) |
 * |---|---|---|
 * | R | R | R |
 * | C | C | 1/(jωC) |
 * | L | L | jωL |
 * | W | A_W | A_W (1 − j)/√ω (semi-infinite Warburg) |
 * | Wo | Z0, τ | Z0 coth(√(jωτ))/√(jωτ) (finite-space, reflective, "open"; capacitive at low f) |
 * | Ws | Z0, τ | Z0 tanh(√(jωτ))/√(jωτ) (finite-length, transmissive, "short"; real limit Z0) |
 * | CPE | Q, α | 1/(Q (jω)^α) |
 * | La | L, α | (L·jω)^α — impedance.py's code (see below) |
 * | Lb | L, α | L·(jω)^α — BioLogic's and impedance.py's docstring definition |
 * | G | R_G, t_G | R_G/√(1 + jωt_G) (Gerischer) |
 * | Gs | R_G, t_G, φ | R_G/(√(1 + jωt_G) tanh(φ√(1 + jωt_G))) (finite Gerischer) |
 * | K | R, τ | R/(1 + jωτ) (Voigt RC, Lin-KK) |
 * | Zarc | R, τ, γ | R/(1 + (jωτ)^γ) (= R‖CPE with τ = (RQ)^(1/α)) |
 * | TLMQ | R_ion, Q_s, γ | √(R_ion Z_s) coth √(R_ion/Z_s), Z_s = 1/(Q_s (jω)^γ) (Landesfeind 2016 eq. 11) |
 * | T | A, B, a, b | A coth β/β + B/(β sinh β), β = √(a + jωb) (Paasch 1993) |
 *
 * Deliberate differences from impedance.py:
 * - **La**: impedance.py's code computes (L·jω)^α while its docstring and
 *   BioLogic (application note 42) define L·(jω)^α; they agree only at α = 1.
 *   `La` implements the *code* (so fitted values match impedance.py's); the
 *   documented form is offered as the extra element `Lb` (units H·s^(α−1)).
 * - **Overflow**: coth, tanh and 1/sinh are evaluated through e^(−2z) and
 *   expm1 (for Re z ≥ 0, using oddness otherwise), so Wo, Ws, Gs, TLMQ and T
 *   stay finite and accurate for any argument (impedance.py issue #291). For
 *   |ωτ| < 1e-2 (Wo) or 1e-3 (Ws) Taylor series in jωτ keep Re(Wo) → Z0/3 and
 *   Im(Ws) accurate where the closed form cancels. impedance.py's T replaces sinh β by 1e10 when
 *   "β ≥ 100" (a comparison of complex numbers); here 1/sinh β → 2e^(−β) exactly.
 * - Complex powers (jω)^α are taken in polar form, ω^α (cos απ/2 + j sin απ/2),
 *   i.e. the principal branch numpy uses.
 *
 * @see ECSHackWeek/impedance.py `impedance/models/circuits/elements.py` (v1.7.1);
 *   J. Landesfeind et al., J. Electrochem. Soc. 163 (2016) A1373;
 *   G. Paasch, K. Micka, P. Gersdorf, Electrochim. Acta 38 (1993) 2653.
 */

/** Complex data as two parallel arrays (style: `reim*`). */
export interface ReIm {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/** Names of the element types (the part of a circuit token without digits or `_`). */
export type ElementType = "R" | "C" | "L" | "W" | "Wo" | "Ws" | "CPE" | "La" | "Lb" | "G" | "Gs" | "K" | "Zarc" | "TLMQ" | "T";

/** Metadata of one element type. */
export interface ElementInfo {
  readonly type: ElementType;
  /** Numeric code used in compiled circuits. */
  readonly code: number;
  /** Symbols of the parameters, in impedance.py's order. */
  readonly symbols: readonly string[];
  /** Units of the parameters (same order). */
  readonly units: readonly string[];
  /** One-line description with the formula. */
  readonly description: string;
}

const info = (type: ElementType, code: number, symbols: string[], units: string[], description: string): ElementInfo =>
  Object.freeze({ type, code, symbols: Object.freeze(symbols), units: Object.freeze(units), description });

/** Every element type by name; `ELEMENTS[type].symbols.length` is its parameter count. */
export const ELEMENTS: Readonly<Record<ElementType, ElementInfo>> = Object.freeze({
  R: info("R", 0, ["R"], ["Ohm"], "resistor: Z = R"),
  C: info("C", 1, ["C"], ["F"], "capacitor: Z = 1/(jωC)"),
  L: info("L", 2, ["L"], ["H"], "inductor: Z = jωL"),
  W: info("W", 3, ["A_W"], ["Ohm s^-1/2"], "semi-infinite Warburg: Z = A_W (1 − j)/√ω"),
  Wo: info("Wo", 4, ["Z0", "tau"], ["Ohm", "s"], "finite-space (reflective, 'open') Warburg: Z = Z0 coth(√(jωτ))/√(jωτ)"),
  Ws: info("Ws", 5, ["Z0", "tau"], ["Ohm", "s"], "finite-length (transmissive, 'short') Warburg: Z = Z0 tanh(√(jωτ))/√(jωτ)"),
  CPE: info("CPE", 6, ["Q", "alpha"], ["Ohm^-1 s^alpha", ""], "constant phase element: Z = 1/(Q (jω)^α)"),
  La: info("La", 7, ["L", "alpha"], ["H s", ""], "modified inductance as impedance.py computes it: Z = (L·jω)^α"),
  Lb: info("Lb", 8, ["L", "alpha"], ["H s^(alpha-1)", ""], "modified inductance as BioLogic defines it: Z = L·(jω)^α"),
  G: info("G", 9, ["R_G", "t_G"], ["Ohm", "s"], "Gerischer: Z = R_G/√(1 + jωt_G)"),
  Gs: info("Gs", 10, ["R_G", "t_G", "phi"], ["Ohm", "s", ""], "finite-length Gerischer: Z = R_G/(√(1 + jωt_G) tanh(φ√(1 + jωt_G)))"),
  K: info("K", 11, ["R", "tau"], ["Ohm", "s"], "Voigt RC element: Z = R/(1 + jωτ)"),
  Zarc: info("Zarc", 12, ["R", "tau", "gamma"], ["Ohm", "s", ""], "ZARC (Cole–Cole): Z = R/(1 + (jωτ)^γ)"),
  TLMQ: info("TLMQ", 13, ["R_ion", "Q_s", "gamma"], ["Ohm", "F s^(gamma-1)", ""], "transmission line: Z = √(R_ion Z_s) coth √(R_ion/Z_s), Z_s = 1/(Q_s (jω)^γ)"),
  T: info("T", 14, ["A", "B", "a", "b"], ["Ohm m^2", "Ohm m^2", "", "s"], "Paasch porous electrode: Z = A coth β/β + B/(β sinh β), β = √(a + jωb)"),
});

/** Element types by numeric code. */
export const ELEMENT_BY_CODE: readonly ElementInfo[] = Object.freeze(
  Object.values(ELEMENTS).sort((a, b) => a.code - b.code),
);

/** Whether `name` is a known element type. */
export function isElementType(name: string): name is ElementType {
  return Object.hasOwn(ELEMENTS, name);
}

const TWO_PI = 2 * Math.PI;
const HALF_PI = Math.PI / 2;
/** Beyond this Re z, e^(−2 Re z) < 4.3e-18 and tanh z = coth z = 1 to double precision. */
const SATURATED = 20;
/** Below these |ωτ| the Wo/Ws series (truncation < 1e-16 relative) replace the closed forms. */
const WO_SERIES = 1e-2;
const WS_SERIES = 1e-3;

// Complex helpers write their result into these module-level registers (no allocation).
let cr = 0;
let ci = 0;

/** (ar + j ai)/(br + j bi) by Smith's algorithm (no overflow of |b|²). */
function cdiv(ar: number, ai: number, br: number, bi: number): void {
  if (Math.abs(br) >= Math.abs(bi)) {
    const r = bi / br;
    const d = br + bi * r;
    cr = (ar + ai * r) / d;
    ci = (ai - ar * r) / d;
  } else {
    const r = br / bi;
    const d = br * r + bi;
    cr = (ar * r + ai) / d;
    ci = (ai * r - ar) / d;
  }
}

/** Principal square root of a + jb (Re ≥ 0), without cancellation. */
function csqrt(a: number, b: number): void {
  if (a === 0 && b === 0) {
    cr = 0;
    ci = 0;
    return;
  }
  const r = Math.hypot(a, b);
  if (a >= 0) {
    const t = Math.sqrt((r + a) / 2);
    cr = t;
    ci = b / (2 * t);
  } else {
    const t = Math.sqrt((r - a) / 2);
    cr = Math.abs(b) / (2 * t);
    ci = b < 0 || Object.is(b, -0) ? -t : t;
  }
}

/**
 * tanh(x + jy) (or coth when `inverse`) for any x, through m = e^(−2z) − 1
 * computed with expm1: tanh z = −m/(2 + m). Exact limits for large |x|.
 */
function ctanh(x: number, y: number, inverse: boolean): void {
  let sign = 1;
  if (x < 0) {
    x = -x;
    y = -y;
    sign = -1;
  }
  if (x > SATURATED) {
    cr = sign;
    ci = 0;
    return;
  }
  const e = Math.exp(-2 * x);
  const sy = Math.sin(y);
  const mr = Math.expm1(-2 * x) * Math.cos(2 * y) - 2 * sy * sy;
  const mi = -e * Math.sin(2 * y);
  if (inverse) cdiv(2 + mr, mi, -mr, -mi);
  else cdiv(-mr, -mi, 2 + mr, mi);
  cr *= sign;
  ci *= sign;
}

/** 1/sinh(x + jy) = 2e^(−z)/(1 − e^(−2z)), finite for any x (→ 0 for large |x|). */
function ccsch(x: number, y: number): void {
  let sign = 1;
  if (x < 0) {
    x = -x;
    y = -y;
    sign = -1;
  }
  const e1 = 2 * Math.exp(-x);
  const nr = e1 * Math.cos(y);
  const ni = -e1 * Math.sin(y);
  if (x > SATURATED) {
    cr = sign * nr;
    ci = sign * ni;
    return;
  }
  const sy = Math.sin(y);
  const mr = Math.expm1(-2 * x) * Math.cos(2 * y) - 2 * sy * sy;
  const mi = -Math.exp(-2 * x) * Math.sin(2 * y);
  cdiv(nr, ni, -mr, -mi);
  cr *= sign;
  ci *= sign;
}

/** Element codes whose formulas use ln ω (non-integer powers of ω). */
const USES_LOG_OMEGA = new Set([6, 7, 8, 12, 13]);

/** Whether the element with this code reads the `logOmega` argument of {@link evaluateElementCode}. */
export function usesLogOmega(code: number): boolean {
  return USES_LOG_OMEGA.has(code);
}

/**
 * ln ω = ln(2πf) for every frequency.
 *
 * @param frequency - frequencies (Hz)
 * @param out - optional output buffer
 * @returns ln ω (ω in rad/s)
 */
export function logAngularFrequency(frequency: Float64Array, out?: Float64Array): Float64Array {
  const target = out ?? new Float64Array(frequency.length);
  for (let i = 0; i < frequency.length; i++) target[i] = Math.log(TWO_PI * frequency[i]);
  return target;
}

/**
 * Impedance of one element, by numeric code, for every frequency.
 * The low-level entry point used by the circuit evaluator: allocation-free,
 * never throws, assumes `p` holds at least the element's parameter count.
 *
 * @param code - element code ({@link ElementInfo.code})
 * @param p - the element's parameters from index `offset`, in impedance.py's order and units
 * @param offset - index of the first parameter in `p`
 * @param frequency - frequencies f (Hz), > 0
 * @param re - output Z′ (Ω), length ≥ frequency.length
 * @param im - output Z″ (Ω)
 * @param logOmega - ln(2πf) per frequency ({@link logAngularFrequency}), shared between elements;
 *   computed (allocating) when omitted and the element needs it ({@link usesLogOmega})
 */
export function evaluateElementCode(
  code: number,
  p: ArrayLike<number>,
  offset: number,
  frequency: Float64Array,
  re: Float64Array,
  im: Float64Array,
  logOmega?: Float64Array,
): void {
  const n = frequency.length;
  const p0 = p[offset];
  // Non-integer powers as exp(a·ln ω): V8's Math.pow is several times slower, and ln ω can be shared.
  const lnOmega = logOmega ?? (USES_LOG_OMEGA.has(code) ? logAngularFrequency(frequency) : frequency);
  switch (code) {
    case 0: // R
      for (let i = 0; i < n; i++) {
        re[i] = p0;
        im[i] = 0;
      }
      return;
    case 1: // C
      for (let i = 0; i < n; i++) {
        re[i] = 0;
        im[i] = -1 / (TWO_PI * frequency[i] * p0);
      }
      return;
    case 2: // L
      for (let i = 0; i < n; i++) {
        re[i] = 0;
        im[i] = TWO_PI * frequency[i] * p0;
      }
      return;
    case 3: // W
      for (let i = 0; i < n; i++) {
        const v = p0 / Math.sqrt(TWO_PI * frequency[i]);
        re[i] = v;
        im[i] = -v;
      }
      return;
    case 4: // Wo: Z0 coth(s)/s
    case 5: {
      // Ws: Z0 tanh(s)/s, s = √(jωτ)
      const tau = p[offset + 1];
      const coth = code === 4;
      for (let i = 0; i < n; i++) {
        const v = TWO_PI * frequency[i] * tau;
        if (coth ? Math.abs(v) < WO_SERIES : Math.abs(v) < WS_SERIES) {
          // Series in w = jv = s²: the closed form loses Re(Wo) → Z0/3 and Im(Ws) to cancellation here.
          const v2 = v * v;
          if (coth) {
            // coth(s)/s = 1/w + 1/3 − w/45 + 2w²/945 − w³/4725 + 2w⁴/93555 − 1382w⁵/638512875
            re[i] = p0 * (1 / 3 - (2 * v2) / 945 + (2 * v2 * v2) / 93555);
            im[i] = p0 * (-1 / v - v / 45 + (v * v2) / 4725 - (1382 * v * v2 * v2) / 638512875);
          } else {
            // tanh(s)/s = 1 − w/3 + 2w²/15 − 17w³/315 + 62w⁴/2835 − 1382w⁵/155925
            re[i] = p0 * (1 - (2 * v2) / 15 + (62 * v2 * v2) / 2835);
            im[i] = p0 * (-v / 3 + (17 * v * v2) / 315 - (1382 * v * v2 * v2) / 155925);
          }
          continue;
        }
        csqrt(0, v);
        const sr = cr;
        const si = ci;
        ctanh(sr, si, coth);
        cdiv(cr, ci, sr, si);
        re[i] = p0 * cr;
        im[i] = p0 * ci;
      }
      return;
    }
    case 6: {
      // CPE: ω^(−α)/Q (cos απ/2 − j sin απ/2)
      const alpha = p[offset + 1];
      const c = Math.cos(alpha * HALF_PI) / p0;
      const s = Math.sin(alpha * HALF_PI) / p0;
      for (let i = 0; i < n; i++) {
        const m = Math.exp(-alpha * lnOmega[i]);
        re[i] = m * c;
        im[i] = -m * s;
      }
      return;
    }
    case 7: {
      // La (impedance.py code): (jLω)^α = (|L|ω)^α e^(±jαπ/2), sign of L
      const alpha = p[offset + 1];
      const angle = (p0 < 0 ? -1 : 1) * alpha * HALF_PI;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const lnl = Math.log(Math.abs(p0));
      for (let i = 0; i < n; i++) {
        const m = Math.exp(alpha * (lnl + lnOmega[i]));
        re[i] = m * c;
        im[i] = m * s;
      }
      return;
    }
    case 8: {
      // Lb (BioLogic): L ω^α (cos απ/2 + j sin απ/2)
      const alpha = p[offset + 1];
      const c = p0 * Math.cos(alpha * HALF_PI);
      const s = p0 * Math.sin(alpha * HALF_PI);
      for (let i = 0; i < n; i++) {
        const m = Math.exp(alpha * lnOmega[i]);
        re[i] = m * c;
        im[i] = m * s;
      }
      return;
    }
    case 9: {
      // G: R_G/√(1 + jωt)
      const t = p[offset + 1];
      for (let i = 0; i < n; i++) {
        csqrt(1, TWO_PI * frequency[i] * t);
        cdiv(p0, 0, cr, ci);
        re[i] = cr;
        im[i] = ci;
      }
      return;
    }
    case 10: {
      // Gs: R_G/(w tanh(φ w)), w = √(1 + jωt)
      const t = p[offset + 1];
      const phi = p[offset + 2];
      for (let i = 0; i < n; i++) {
        csqrt(1, TWO_PI * frequency[i] * t);
        const wr = cr;
        const wi = ci;
        ctanh(phi * wr, phi * wi, false);
        cdiv(p0, 0, wr * cr - wi * ci, wr * ci + wi * cr);
        re[i] = cr;
        im[i] = ci;
      }
      return;
    }
    case 11: {
      // K: R/(1 + jωτ)
      const tau = p[offset + 1];
      for (let i = 0; i < n; i++) {
        const x = TWO_PI * frequency[i] * tau;
        if (Math.abs(x) <= 1) {
          const d = 1 + x * x;
          re[i] = p0 / d;
          im[i] = (-p0 * x) / d;
        } else {
          const r = 1 / x;
          const d = r + x;
          re[i] = (p0 * r) / d;
          im[i] = -p0 / d;
        }
      }
      return;
    }
    case 12: {
      // Zarc: R/(1 + (jωτ)^γ), (jωτ)^γ = |ωτ|^γ e^(±jγπ/2)
      const tau = p[offset + 1];
      const gamma = p[offset + 2];
      const angle = (tau < 0 ? -1 : 1) * gamma * HALF_PI;
      const c = Math.cos(angle);
      const s = Math.sin(angle);
      const lnt = Math.log(Math.abs(tau));
      for (let i = 0; i < n; i++) {
        const u = Math.exp(gamma * (lnOmega[i] + lnt));
        // R/(a + jb), a = 1 + u cos, b = u sin, by Smith's algorithm (u may be huge)
        const a = 1 + u * c;
        const b = u * s;
        if (Math.abs(a) >= Math.abs(b)) {
          const r = b / a;
          const d = a + b * r;
          re[i] = p0 / d;
          im[i] = (-p0 * r) / d;
        } else {
          const r = a / b;
          const d = a * r + b;
          re[i] = (p0 * r) / d;
          im[i] = -p0 / d;
        }
      }
      return;
    }
    case 13: {
      // TLMQ: Y = Q (jω)^γ; Z = √(R/Y) coth(√(R·Y))
      const q = p[offset + 1];
      const gamma = p[offset + 2];
      const c = q * Math.cos(gamma * HALF_PI);
      const s = q * Math.sin(gamma * HALF_PI);
      for (let i = 0; i < n; i++) {
        const m = Math.exp(gamma * lnOmega[i]);
        const yr = m * c;
        const yi = m * s;
        csqrt(p0 * yr, p0 * yi);
        const ar = cr;
        const ai = ci;
        cdiv(p0, 0, yr, yi);
        csqrt(cr, ci);
        const br = cr;
        const bi = ci;
        ctanh(ar, ai, true);
        re[i] = br * cr - bi * ci;
        im[i] = br * ci + bi * cr;
      }
      return;
    }
    case 14: {
      // T: A coth β/β + B csch β/β, β = √(a + jωb)
      const B = p[offset + 1];
      const a = p[offset + 2];
      const b = p[offset + 3];
      for (let i = 0; i < n; i++) {
        csqrt(a, TWO_PI * frequency[i] * b);
        const br = cr;
        const bi = ci;
        ctanh(br, bi, true);
        const hr = cr;
        const hi = ci;
        ccsch(br, bi);
        cdiv(p0 * hr + B * cr, p0 * hi + B * ci, br, bi);
        re[i] = cr;
        im[i] = ci;
      }
      return;
    }
    default:
      re.fill(Number.NaN, 0, n);
      im.fill(Number.NaN, 0, n);
  }
}

/**
 * Impedance of one element over a frequency grid.
 *
 * @param type - element type, e.g. `"Wo"`
 * @param parameters - its parameters in impedance.py's order and units (e.g. `[Z0, τ]` in Ω, s)
 * @param frequency - frequencies f (Hz), > 0
 * @param out - optional output buffers (each of length ≥ frequency.length); nothing is allocated when given
 * @returns Z′ and Z″ (Ω), Z″ < 0 capacitive
 * @example
 * ```ts
 * const z = elementImpedance("CPE", [1e-3, 0.9], Float64Array.of(1, 10, 100));
 * z.re; z.im;
 * ```
 */
export function elementImpedance(type: ElementType, parameters: ArrayLike<number>, frequency: Float64Array, out?: ReIm): ReIm {
  const n = frequency.length;
  const target = out ?? { re: new Float64Array(n), im: new Float64Array(n) };
  evaluateElementCode(ELEMENTS[type].code, parameters, 0, frequency, target.re, target.im);
  return target;
}
