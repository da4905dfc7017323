/**
 * @module core/quadrature
 * Gauss–Legendre nodes and weights on [−1, 1] and on [0, 1], computed once per order
 * and cached, and the error function.
 *
 * Units: none (nodes and weights are dimensionless).
 */

const cache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/**
 * Gauss–Legendre rule of order n: Σ w_i f(x_i) ≈ ∫_{−1}^{1} f(x) dx, exact for polynomials of degree ≤ 2n − 1.
 * Nodes ascending. Newton iteration on the three-term Legendre recurrence (O(n²) once; n = 10001 takes ~0.3 s).
 * @param n - number of nodes (≥ 1)
 */
export function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const hit = cache.get(n);
  if (hit) return hit;
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  const half = Math.floor((n + 1) / 2);
  for (let i = 0; i < half; i++) {
    // Tricomi's initial guess, then Newton
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let derivative = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      if (n === 1) p0 = 1;
      derivative = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / derivative;
      x -= dx;
      if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x))) break;
    }
    // recompute the derivative at the converged root for the weight
    let p0 = 1;
    let p1 = x;
    for (let k = 2; k <= n; k++) {
      const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
      p0 = p1;
      p1 = p2;
    }
    derivative = n === 1 ? 1 : (n * (x * p1 - p0)) / (x * x - 1);
    const w = 2 / ((1 - x * x) * derivative * derivative);
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = w;
    weights[n - 1 - i] = w;
  }
  if (n % 2 === 1) nodes[half - 1] = 0;
  const rule = { nodes, weights };
  cache.set(n, rule);
  return rule;
}

const unitCache = new Map<number, { nodes: Float64Array; weights: Float64Array }>();

/**
 * Gauss–Legendre rule of order n on [0, 1]: Σ w_i f(x_i) ≈ ∫_0^1 f(x) dx, the rule of
 * {@link gaussLegendre} mapped by x = (1 + t)/2, w = w_t/2. Nodes ascending; cached.
 * @param n - number of nodes (≥ 1)
 */
export function gaussLegendreUnit(n: number): { nodes: Float64Array; weights: Float64Array } {
  const hit = unitCache.get(n);
  if (hit) return hit;
  const { nodes, weights } = gaussLegendre(n);
  const rule = { nodes: nodes.map((t) => (1 + t) / 2), weights: weights.map((w) => w / 2) };
  unitCache.set(n, rule);
  return rule;
}

/** erf(x) to ~1e-16 relative (positive-term series below |x| = 4.5, continued fraction above). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 4.5) {
    // erf x = 2/√π · e^(−x²) · Σ 2^n x^(2n+1) / (1·3·…·(2n+1)): every term positive, no cancellation
    const x2 = ax * ax;
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 500; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    const value = (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
    return x < 0 ? -value : value;
  }
  const value = 1 - erfcLarge(ax);
  return x < 0 ? -value : value;
}

/** erfc(x) for x ≥ 4.5 by Lentz's continued fraction. */
function erfcLarge(x: number): number {
  // erfc x = exp(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : 1 / d;
    c = x + a / c;
    if (c === 0) c = tiny;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
