/**
 * @module params/special
 * The few special functions the priors need: erf/erfc, log tail probabilities
 * of the standard normal, and its quantile. Accurate to a few ulp in relative
 * terms far into the tails (log-space variants never underflow), because a
 * truncated normal prior deep in a tail must still be normalised exactly.
 *
 * Internal to `params`; a candidate for `core` once another layer needs it.
 *
 * @see W. Gautschi, "Error function and Fresnel integrals", in Abramowitz & Stegun §7.1.6 (series) and §7.1.14 (continued fraction).
 */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SQRT_PI = Math.sqrt(Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const LOG_HALF = Math.log(0.5);
const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
/** Below this argument erf comes from the all-positive series, above it erfc from the continued fraction. */
const SERIES_LIMIT = 1.5;

/** erf(x) for 0 ≤ x < SERIES_LIMIT: (2/√π)·e^(−x²)·Σ 2ⁿx^(2n+1)/(2n+1)!! — all terms positive, so no cancellation (A&S 7.1.6). */
function erfSeries(x: number): number {
  const twoX2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= twoX2 / (2 * n + 1);
    sum += term;
    if (term <= sum * 1e-17) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x * x) * sum;
}

/**
 * The continued fraction g(x) = x + (1/2)/(x + 1/(x + (3/2)/(x + …))), so that
 * erfc(x) = e^(−x²)/(√π·g(x)) for x > 0 (A&S 7.1.14), by the modified Lentz method.
 */
function erfcFraction(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let j = 1; j < 5000; j++) {
    const a = j / 2;
    d = x + a * d;
    if (d === 0) d = tiny;
    c = x + a / c;
    if (c === 0) c = tiny;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return f;
}

/**
 * The error function.
 *
 * @param x - any real number
 * @returns erf(x), relative error ≲ 1e-15
 * @example erf(1) // 0.8427007929497149
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const value = ax < SERIES_LIMIT ? erfSeries(ax) : 1 - Math.exp(-ax * ax) / (SQRT_PI * erfcFraction(ax));
  return x < 0 ? -value : value;
}

/**
 * The complementary error function 1 − erf(x), accurate in relative terms for large x.
 *
 * @param x - any real number
 * @returns erfc(x) (underflows to 0 beyond x ≈ 26.5; use {@link logErfc} there)
 * @example erfc(3) // 2.209049699858544e-5
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < SERIES_LIMIT) return 1 - erfSeries(x);
  return Math.exp(-x * x) / (SQRT_PI * erfcFraction(x));
}

/**
 * log erfc(x), finite for every finite x (no underflow in the upper tail).
 *
 * @param x - any real number
 * @returns ln erfc(x)
 * @example logErfc(40) // ≈ −1604.0
 */
export function logErfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x === Infinity) return -Infinity;
  if (x < SERIES_LIMIT) return Math.log(erfc(x));
  return -x * x - LOG_SQRT_PI - Math.log(erfcFraction(x));
}

/**
 * log of the standard normal upper-tail probability Q(z) = P(Z > z).
 *
 * @param z - standardised value (may be ±Infinity)
 * @returns ln Q(z), from 0 (z = −∞) to −∞ (z = +∞)
 * @example Math.exp(logNormalUpperTail(0)) // 0.5
 */
export function logNormalUpperTail(z: number): number {
  if (z === -Infinity) return 0;
  if (z < 0) return Math.log1p(-0.5 * erfc(-z / Math.SQRT2));
  return LOG_HALF + logErfc(z / Math.SQRT2);
}

/**
 * log of the standard normal probability of the interval [a, b], a < b,
 * computed without cancellation whether the interval straddles 0 or lies deep in a tail.
 *
 * @param a - lower standardised limit (may be −Infinity)
 * @param b - upper standardised limit (may be +Infinity)
 * @returns ln(Φ(b) − Φ(a))
 * @example Math.exp(logNormalInterval(-1, 1)) // 0.6826894921370859
 */
export function logNormalInterval(a: number, b: number): number {
  if (a >= 0) {
    const la = logNormalUpperTail(a);
    return la + Math.log1p(-Math.exp(logNormalUpperTail(b) - la));
  }
  if (b <= 0) return logNormalInterval(-b, -a);
  return Math.log1p(-Math.exp(logNormalUpperTail(-a)) - Math.exp(logNormalUpperTail(b)));
}

/** log φ(z), the standard normal density. */
export function logNormalDensity(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/**
 * Solves ln Q(z) = target for z: Newton's method on the (concave) log tail from
 * the asymptotic guess z² ≈ t − ln t − ln 2π (t = −2·target), safeguarded by
 * bisection on [0, 40]; targets above ln ½ (z < 0) go through the symmetry
 * Q(−z) = 1 − Q(z).
 *
 * @param target - ln of the upper-tail probability, ≤ 0
 * @returns z with Q(z) = e^target (±40 at most: beyond, Q underflows anyway)
 * @example upperTailQuantile(Math.log(0.025)) // 1.959963984540054
 */
export function upperTailQuantile(target: number): number {
  if (Number.isNaN(target) || target > 0) return NaN;
  if (target === 0) return -Infinity;
  if (target === -Infinity) return Infinity;
  if (target > LOG_HALF) return -upperTailQuantile(Math.log(-Math.expm1(target)));
  let lo = 0;
  let hi = 40;
  if (target <= logNormalUpperTail(hi)) return hi;
  const t = -2 * target;
  let z = t > 3 ? Math.sqrt(t - Math.log(t) - 2 * LOG_SQRT_2PI) : 0.5;
  for (let i = 0; i < 100; i++) {
    const logQ = logNormalUpperTail(z);
    const h = logQ - target;
    if (h === 0) return z;
    // h is decreasing in z.
    if (h > 0) lo = z;
    else hi = z;
    const slope = -Math.exp(logNormalDensity(z) - logQ);
    let next = z - h / slope;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - z) <= 4e-16 * (1 + Math.abs(z))) return next;
    z = next;
  }
  return z;
}
