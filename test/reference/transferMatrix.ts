/**
 * An independent brute-force reflectivity for cross-checking the kernel: the Abeles
 * characteristic-matrix product M = Π_j [[e^{iβ_j}, r_j e^{iβ_j}], [r_j e^{−iβ_j}, e^{−iβ_j}]]
 * (refnx's formulation, its sign convention "A": Im k ≤ 0, phase e^{−ikd}), with
 * complex numbers as small objects and the branch chosen through atan2 — deliberately
 * nothing shared with src/kernels/reflectivity/abeles.ts (Parratt, convention "B").
 */

interface Complex {
  re: number;
  im: number;
}
const c = (re: number, im = 0): Complex => ({ re, im });
const add = (a: Complex, b: Complex): Complex => c(a.re + b.re, a.im + b.im);
const sub = (a: Complex, b: Complex): Complex => c(a.re - b.re, a.im - b.im);
const mul = (a: Complex, b: Complex): Complex => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const div = (a: Complex, b: Complex): Complex => {
  const d = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / d, (a.im * b.re - a.re * b.im) / d);
};
const cexp = (a: Complex): Complex => {
  const m = Math.exp(a.re);
  return c(m * Math.cos(a.im), m * Math.sin(a.im));
};
/** Principal square root via polar form: arg in (−π, π] → root arg in (−π/2, π/2]. */
const csqrt = (a: Complex): Complex => {
  const r = Math.sqrt(Math.hypot(a.re, a.im));
  const theta = Math.atan2(a.im, a.re) / 2;
  return c(r * Math.cos(theta), r * Math.sin(theta));
};

/**
 * R(Q) for layers given as rows [thickness, sld, isld, roughness] (fronting first).
 */
export function bruteForceReflectivity(q: number, rows: number[][]): number {
  const kz0 = q / 2;
  const front = rows[0][1];
  // convention A: sld difference with +i|isld| + tiny, principal root → Im k ≤ 0
  const k = rows.map((row, j) =>
    j === 0 ? c(Math.abs(kz0)) : csqrt(sub(c(kz0 * kz0), mul(c(4 * Math.PI * 1e-6), c(row[1] - front, Math.abs(row[2]) + 1e-30)))),
  );
  let m00 = c(1);
  let m01 = c(0);
  let m10 = c(0);
  let m11 = c(1);
  for (let j = 0; j < rows.length - 1; j++) {
    const ka = k[j];
    const kb = k[j + 1];
    const sigma = rows[j + 1][3];
    const r = mul(div(sub(ka, kb), add(ka, kb)), cexp(mul(c(-2 * sigma * sigma), mul(ka, kb))));
    // β_j = k_j d_j for the layer above the interface (0 for the fronting)
    const beta = j === 0 ? c(0) : mul(ka, c(rows[j][0]));
    const ep = cexp(mul(c(0, 1), beta));
    const em = cexp(mul(c(0, -1), beta));
    const l00 = ep;
    const l01 = mul(r, ep);
    const l10 = mul(r, em);
    const l11 = em;
    const n00 = add(mul(m00, l00), mul(m01, l10));
    const n01 = add(mul(m00, l01), mul(m01, l11));
    const n10 = add(mul(m10, l00), mul(m11, l10));
    const n11 = add(mul(m10, l01), mul(m11, l11));
    m00 = n00;
    m01 = n01;
    m10 = n10;
    m11 = n11;
  }
  const ratio = div(m10, m00);
  return ratio.re * ratio.re + ratio.im * ratio.im;
}

/** A small seeded generator (mulberry32) so the property tests do not depend on src/. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
