/**
 * @module kernels/reflectivity/smear
 * Gaussian resolution smearing of reflectivity curves.
 *
 * Units: Q and σ in Å⁻¹ (σ is the 1-σ standard deviation of the Gaussian; FWHM
 * is converted at the I/O edge with {@link FWHM_TO_SIGMA}).
 *
 * The smeared value at Q_i is ∫ R(x) g_i(x) dx with g_i the Gaussian of width
 * σ_i centred on Q_i, cut at ±cutoff·σ_i. The default follows the ORSO
 * validation convention (cutoff 3.5, not renormalised: the weights integrate
 * to erf(3.5/√2) = 0.999535); `renormalise: true` divides by that mass, and a
 * large cutoff (e.g. 6) gives a full normalised Gaussian.
 *
 * Two methods:
 * - `grid` (default, fast): R is evaluated once on a shared, non-uniform grid
 *   that resolves every point's Gaussian (≥ `pointsPerSigma` nodes per σ) and
 *   the stack's Kiessig fringes (≥ `pointsPerFringe` nodes per 2π/D, D the
 *   total thickness); each smeared value is a fixed linear combination of the
 *   grid values: the exact integral of the Gaussian times the piecewise-cubic
 *   (4-point Lagrange) interpolant of R. The weights are computed once per
 *   (Q, σ, grid) by 8-point Gauss–Legendre per grid interval, so an evaluation
 *   costs one kernel call on the grid plus a banded matrix–vector product.
 *   R has square-root kinks where a semi-infinite medium's k_z vanishes (the
 *   backing's critical edge Q_c, and Q = 0); a cubic interpolant is poor there,
 *   so the intervals whose stencil spans a kink are integrated again
 *   exactly (Gauss–Legendre in t with x = Q_c ± t², which removes the
 *   singularity) and the difference is added to the affected points.
 * - `pointwise`: Gauss–Legendre quadrature over each point's own window with
 *   `nodes` nodes (refnx's scheme; 17 nodes is refnx's default, 10001 produced
 *   the ORSO references). Exact in the limit, expensive.
 */

import { gaussLegendre, erf } from "../../core/quadrature.ts";

/** σ = FWHM × this (Gaussian): 1/(2√(2 ln 2)). */
export const FWHM_TO_SIGMA = 1 / (2 * Math.sqrt(2 * Math.log(2)));

export interface SmearOptions {
  /** Gaussian cut at ±cutoff·σ. @default 3.5 (ORSO validation convention) */
  cutoff?: number;
  /** Divide by the truncated Gaussian's mass erf(cutoff/√2). @default false */
  renormalise?: boolean;
  /** @default "grid" */
  method?: "grid" | "pointwise";
  /** grid method: nodes per σ of the narrowest Gaussian covering a grid position. @default 1 */
  pointsPerSigma?: number;
  /** grid method: nodes per Kiessig fringe period 2π/D. @default 10 */
  pointsPerFringe?: number;
  /** grid method: total stack thickness D (Å) the grid must resolve. @default 0 (σ only) */
  thickness?: number;
  /**
   * grid method: the stack's finite layers as pairs (thickness Å, 4π·1e-6·Δρ Å⁻²), Δρ = layer − fronting
   * real SLD; refines the grid where fringes crowd above each layer's critical edge. @default [] (uses `thickness`)
   */
  layers?: ArrayLike<number>;
  /** grid method: Q (Å⁻¹) of square-root kinks of R (the backing's critical edge ±Q_c); the grid is graded toward them. @default [] */
  kinks?: ArrayLike<number>;
  /** pointwise method: Gauss–Legendre nodes per point. @default 51 */
  nodes?: number;
  /**
   * grid method: adaptive refinement against the actual curve. R is evaluated at every
   * interval's midpoint and the interval is split where the interpolant misses it by more
   * than `tolerance` × the local mean of R; repeated up to `maxPasses` times.
   * `tolerance` @default 3e-5, `maxPasses` @default 6; without `refine` no refinement
   */
  refine?: { evaluate: (q: Float64Array, out: Float64Array) => void; tolerance?: number; maxPasses?: number };
}

export interface ResolvedSmearOptions {
  cutoff: number;
  renormalise: boolean;
  method: "grid" | "pointwise";
  pointsPerSigma: number;
  pointsPerFringe: number;
  thickness: number;
  layers: Float64Array;
  kinks: Float64Array;
  nodes: number;
  refine: { evaluate: (q: Float64Array, out: Float64Array) => void; tolerance: number; maxPasses: number } | undefined;
}

export function resolveSmearOptions(options: SmearOptions = {}): ResolvedSmearOptions {
  return {
    cutoff: options.cutoff ?? 3.5,
    renormalise: options.renormalise ?? false,
    method: options.method ?? "grid",
    pointsPerSigma: options.pointsPerSigma ?? 1,
    pointsPerFringe: options.pointsPerFringe ?? 10,
    thickness: options.thickness ?? 0,
    layers: Float64Array.from(options.layers ?? []),
    kinks: Float64Array.from(options.kinks ?? []),
    nodes: options.nodes ?? 51,
    refine: options.refine
      ? { evaluate: options.refine.evaluate, tolerance: options.refine.tolerance ?? 3e-5, maxPasses: options.refine.maxPasses ?? 6 }
      : undefined,
  };
}

/** A precomputed smearing operator for fixed (Q, σ, options). */
export interface SmearPlan {
  readonly q: Float64Array;
  readonly sigma: Float64Array;
  readonly options: ResolvedSmearOptions;
  /** Q values at which R must be evaluated. */
  readonly grid: Float64Array;
  /** grid method: first grid index used by each output point. */
  readonly rowStart: Int32Array;
  /** grid method: offset of each row's weights in {@link weights} (length n + 1). */
  readonly rowOffset: Int32Array;
  readonly weights: Float64Array;
  /** multiplies every smeared value (1, or 1/mass when renormalising) */
  readonly norm: number;
}

const INTERVAL_NODES = 12;
/** Floor on |k_j| (Å⁻¹) in the fringe density, so the grid step stays finite at a critical edge. */
const MIN_WAVEVECTOR = 2e-4;
/** Grid step near a kink: at most this × distance to the kink (plus a floor). */
const KINK_GRADING = 0.35;
/** Floor of the graded step, as a fraction of the smallest σ. */
const MIN_STEP_PER_SIGMA = 0.002;
const KINK_NODES = 6;

function gaussianDensity(x: number, centre: number, sigma: number): number {
  const u = (x - centre) / sigma;
  return Math.exp(-0.5 * u * u) / (sigma * Math.sqrt(2 * Math.PI));
}

/** Nodes of the Lagrange interpolant used between grid nodes (even). */
const STENCIL = 8;

/** Stencil (first node index) of the Lagrange interpolant used on grid interval k: centred, shifted at the ends. */
function stencilStart(k: number, gridLength: number): number {
  return Math.min(Math.max(k - (STENCIL / 2 - 1), 0), gridLength - STENCIL);
}

/** The STENCIL Lagrange basis values at x for nodes g[s..s+STENCIL−1], written to `out`. */
function lagrange(g: Float64Array, s: number, x: number, out: Float64Array): void {
  for (let a = 0; a < STENCIL; a++) {
    const xa = g[s + a];
    let value = 1;
    for (let b = 0; b < STENCIL; b++) {
      if (b !== a) value *= (x - g[s + b]) / (xa - g[s + b]);
    }
    out[a] = value;
  }
}

/** Index k of the grid interval [g_k, g_{k+1}] containing x (clamped). */
function intervalOf(g: Float64Array, x: number): number {
  let lo = 0;
  let hi = g.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (g[mid] <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * Build the smearing operator for points `q` with Gaussian widths `sigma` (1-σ, Å⁻¹).
 * @throws RangeError when lengths differ (callers validate user input before this)
 */
export function planSmearing(q: Float64Array, sigma: Float64Array, options: SmearOptions = {}): SmearPlan {
  const opts = resolveSmearOptions(options);
  if (q.length !== sigma.length) throw new RangeError("planSmearing: q and sigma lengths differ");
  const n = q.length;
  const norm = opts.renormalise ? 1 / erf(opts.cutoff / Math.SQRT2) : 1;
  if (opts.method === "pointwise") {
    const { nodes } = gaussLegendre(opts.nodes);
    const m = nodes.length;
    const grid = new Float64Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) grid[i * m + j] = q[i] + opts.cutoff * sigma[i] * nodes[j];
    }
    return { q, sigma, options: opts, grid, rowStart: new Int32Array(0), rowOffset: new Int32Array(0), weights: new Float64Array(0), norm };
  }
  let grid = buildGrid(q, sigma, opts);
  if (opts.refine) grid = refineGrid(grid, opts.refine);
  const G = grid.length;
  const rowStart = new Int32Array(n);
  const rowOffset = new Int32Array(n + 1);
  const rows: Float64Array[] = [];
  const { nodes, weights: glw } = gaussLegendre(INTERVAL_NODES);
  const basis = new Float64Array(STENCIL);
  // Lagrange basis at the Gauss–Legendre nodes of each whole interval, shared by every
  // row whose window covers the interval (only the two clipped end intervals of a row
  // need their own), computed on first use.
  const intervalX = new Float64Array((G - 1) * INTERVAL_NODES);
  const intervalBasis = new Float64Array((G - 1) * INTERVAL_NODES * STENCIL);
  const intervalReady = new Uint8Array(G - 1);
  const prepareInterval = (k: number): void => {
    if (intervalReady[k]) return;
    intervalReady[k] = 1;
    const s = stencilStart(k, G);
    const half = 0.5 * (grid[k + 1] - grid[k]);
    const mid = 0.5 * (grid[k] + grid[k + 1]);
    for (let t = 0; t < INTERVAL_NODES; t++) {
      const x = mid + half * nodes[t];
      intervalX[k * INTERVAL_NODES + t] = x;
      lagrange(grid, s, x, basis);
      intervalBasis.set(basis, (k * INTERVAL_NODES + t) * STENCIL);
    }
  };
  let total = 0;
  for (let i = 0; i < n; i++) {
    const lo = q[i] - opts.cutoff * sigma[i];
    const hi = q[i] + opts.cutoff * sigma[i];
    if (!(sigma[i] > 0)) {
      // no resolution: interpolate R at Q_i itself (a node of the grid)
      const k = Math.min(intervalOf(grid, q[i]), G - 2);
      const s = stencilStart(k, G);
      lagrange(grid, s, q[i], basis);
      rowStart[i] = s;
      rows.push(Float64Array.from(basis));
      rowOffset[i + 1] = total += STENCIL;
      continue;
    }
    const kFirst = intervalOf(grid, lo);
    const kLast = Math.min(intervalOf(grid, hi), G - 2);
    const sFirst = stencilStart(kFirst, G);
    const sLast = stencilStart(kLast, G) + STENCIL - 1;
    const row = new Float64Array(sLast - sFirst + 1);
    for (let k = kFirst; k <= kLast; k++) {
      const a = Math.max(grid[k], lo);
      const b = Math.min(grid[k + 1], hi);
      if (!(b > a)) continue;
      const s = stencilStart(k, G);
      const half = 0.5 * (b - a);
      const offset = s - sFirst;
      if (a === grid[k] && b === grid[k + 1]) {
        prepareInterval(k);
        const inverseSigma = 1 / sigma[i];
        const density = inverseSigma / Math.sqrt(2 * Math.PI);
        for (let t = 0; t < INTERVAL_NODES; t++) {
          const u = (intervalX[k * INTERVAL_NODES + t] - q[i]) * inverseSigma;
          const w = half * glw[t] * density * Math.exp(-0.5 * u * u);
          const base = (k * INTERVAL_NODES + t) * STENCIL;
          for (let m = 0; m < STENCIL; m++) row[offset + m] += w * intervalBasis[base + m];
        }
        continue;
      }
      const mid = 0.5 * (a + b);
      for (let t = 0; t < INTERVAL_NODES; t++) {
        const x = mid + half * nodes[t];
        const w = half * glw[t] * gaussianDensity(x, q[i], sigma[i]);
        lagrange(grid, s, x, basis);
        for (let m = 0; m < STENCIL; m++) row[offset + m] += w * basis[m];
      }
    }
    rowStart[i] = sFirst;
    rows.push(row);
    rowOffset[i + 1] = total += row.length;
  }
  const weights = new Float64Array(total);
  for (let i = 0; i < n; i++) weights.set(rows[i], rowOffset[i]);
  return { q, sigma, options: opts, grid, rowStart, rowOffset, weights, norm };
}

/**
 * Grid nodes covering every window. The step at x is the smaller of σ(x)/pointsPerSigma
 * and 2π/(pointsPerFringe·Φ′(x)), where Φ(x) = Σ_j 2 Re k_j(x) d_j is the stack's total
 * phase: Φ′ = Σ_j d_j·|x|/(2|k_j|) is the local fringe density, which grows without
 * bound just above each layer's critical edge (k_j → 0), where a grid spaced by
 * the nominal Kiessig period 2π/D would alias.
 */
function buildGrid(q: Float64Array, sigma: Float64Array, opts: ResolvedSmearOptions): Float64Array {
  const n = q.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => q[a] - q[b]);
  let minQ = Infinity;
  let maxQ = -Infinity;
  for (let i = 0; i < n; i++) {
    minQ = Math.min(minQ, q[i] - opts.cutoff * sigma[i]);
    maxQ = Math.max(maxQ, q[i] + opts.cutoff * sigma[i]);
  }
  const sortedQ = order.map((i) => q[i]);
  const sortedSigma = order.map((i) => sigma[i]);
  const layers = opts.layers;
  let smallestSigma = Infinity;
  for (let i = 0; i < n; i++) if (sigma[i] > 0) smallestSigma = Math.min(smallestSigma, sigma[i]);
  const minStep = smallestSigma < Infinity ? smallestSigma * MIN_STEP_PER_SIGMA : 1e-6;
  const kinks = Array.from(opts.kinks).filter((k) => k > minQ && k < maxQ);
  if (0 > minQ && 0 < maxQ) kinks.push(0);
  const fringeDensity = (x: number): number => {
    if (layers.length === 0) return opts.thickness;
    let density = 0;
    const kz0sq = 0.25 * x * x;
    for (let j = 0; j < layers.length; j += 2) {
      const d = layers[j];
      const k = Math.max(Math.sqrt(Math.abs(kz0sq - layers[j + 1])), MIN_WAVEVECTOR);
      density += (d * 0.5 * Math.abs(x)) / k;
    }
    return Math.max(density, opts.thickness);
  };
  const stepAt = (x: number): number => {
    // σ varies smoothly along a measured curve: the neighbours' σ bound the local width
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (sortedQ[mid] <= x) lo = mid;
      else hi = mid;
    }
    let s = Infinity;
    for (let j = Math.max(0, lo - 1); j <= Math.min(n - 1, hi + 1); j++) {
      if (sortedSigma[j] > 0) s = Math.min(s, sortedSigma[j]);
    }
    const sigmaStep = s === Infinity ? Infinity : s / opts.pointsPerSigma;
    const density = fringeDensity(x);
    const fringeStep = density > 0 ? (2 * Math.PI) / (opts.pointsPerFringe * density) : Infinity;
    // geometric grading toward each kink keeps the interpolation error of √(x − Q_c) uniform
    let kinkStep = Infinity;
    for (let j = 0; j < kinks.length; j++) {
      kinkStep = Math.min(kinkStep, KINK_GRADING * Math.abs(x - kinks[j]) + minStep);
    }
    return Math.min(sigmaStep, fringeStep, kinkStep);
  };
  const span = maxQ - minQ;
  const nodes: number[] = [];
  // a few nodes beyond each end keep the interpolation stencils centred inside the windows
  let x = minQ;
  for (let e = 0; e < STENCIL / 2; e++) x -= stepAt(x) || span / 64;
  const end = (() => {
    let y = maxQ;
    for (let e = 0; e < STENCIL / 2; e++) y += stepAt(y) || span / 64;
    return y;
  })();
  while (x < end) {
    nodes.push(x);
    let step = stepAt(x);
    if (!(step < Infinity) || step <= 0) step = span > 0 ? span / 64 : 1e-3;
    x += step;
  }
  // end exactly at `end` without a sliver interval: stretch the last step
  if (nodes.length > 1 && end - nodes[nodes.length - 1] < 0.5 * (nodes[nodes.length - 1] - nodes[nodes.length - 2])) {
    nodes.pop();
  }
  nodes.push(end);
  const pad = span > 0 ? span / 64 : 1e-3;
  while (nodes.length < STENCIL) nodes.push(nodes[nodes.length - 1] + pad);
  return Float64Array.from(nodes);
}

/** Split grid intervals where the interpolant misses R at the midpoint (see SmearOptions.refine). */
function refineGrid(
  initial: Float64Array,
  refine: { evaluate: (q: Float64Array, out: Float64Array) => void; tolerance: number; maxPasses: number },
): Float64Array {
  let grid = initial;
  const basis = new Float64Array(STENCIL);
  for (let pass = 0; pass < refine.maxPasses; pass++) {
    const G = grid.length;
    const values = new Float64Array(G);
    refine.evaluate(grid, values);
    const mids = new Float64Array(G - 1);
    for (let k = 0; k < G - 1; k++) mids[k] = 0.5 * (grid[k] + grid[k + 1]);
    const midValues = new Float64Array(G - 1);
    refine.evaluate(mids, midValues);
    const split: number[] = [];
    for (let k = 0; k < G - 1; k++) {
      const s = stencilStart(k, G);
      lagrange(grid, s, mids[k], basis);
      let interpolated = 0;
      let scale = 0;
      for (let m = 0; m < STENCIL; m++) {
        interpolated += basis[m] * values[s + m];
        scale += Math.abs(values[s + m]);
      }
      scale /= STENCIL;
      if (Math.abs(interpolated - midValues[k]) > refine.tolerance * scale) split.push(k);
    }
    if (split.length === 0) break;
    const next = new Float64Array(G + split.length);
    let w = 0;
    let j = 0;
    for (let k = 0; k < G; k++) {
      next[w++] = grid[k];
      if (j < split.length && split[j] === k) {
        next[w++] = mids[k];
        j++;
      }
    }
    grid = next;
  }
  return grid;
}

/**
 * Apply a grid plan: smeared[i] = norm · Σ_k W_ik · rGrid[k].
 * @param plan - from {@link planSmearing} with method "grid"
 * @param rGrid - R evaluated at `plan.grid`
 * @param out - output, length ≥ plan.q.length
 */
export function applySmearing(plan: SmearPlan, rGrid: Float64Array, out: Float64Array): Float64Array {
  const n = plan.q.length;
  const { rowStart, rowOffset, weights, norm } = plan;
  // four rows at a time: four independent sums (each still added in order, so the same
  // numbers), which the processor overlaps instead of waiting on one chain of additions
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w0 = rowOffset[i];
    const w1 = rowOffset[i + 1];
    const w2 = rowOffset[i + 2];
    const w3 = rowOffset[i + 3];
    const l0 = w1 - w0;
    const l1 = w2 - w1;
    const l2 = w3 - w2;
    const l3 = rowOffset[i + 4] - w3;
    const r0 = rowStart[i];
    const r1 = rowStart[i + 1];
    const r2 = rowStart[i + 2];
    const r3 = rowStart[i + 3];
    const common = Math.min(l0, l1, l2, l3);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let k = 0; k < common; k++) {
      s0 += weights[w0 + k] * rGrid[r0 + k];
      s1 += weights[w1 + k] * rGrid[r1 + k];
      s2 += weights[w2 + k] * rGrid[r2 + k];
      s3 += weights[w3 + k] * rGrid[r3 + k];
    }
    for (let k = common; k < l0; k++) s0 += weights[w0 + k] * rGrid[r0 + k];
    for (let k = common; k < l1; k++) s1 += weights[w1 + k] * rGrid[r1 + k];
    for (let k = common; k < l2; k++) s2 += weights[w2 + k] * rGrid[r2 + k];
    for (let k = common; k < l3; k++) s3 += weights[w3 + k] * rGrid[r3 + k];
    out[i] = norm * s0;
    out[i + 1] = norm * s1;
    out[i + 2] = norm * s2;
    out[i + 3] = norm * s3;
  }
  for (; i < n; i++) {
    const start = rowStart[i] - rowOffset[i];
    let sum = 0;
    for (let w = rowOffset[i], end = rowOffset[i + 1]; w < end; w++) sum += weights[w] * rGrid[start + w];
    out[i] = norm * sum;
  }
  return out;
}

/**
 * What a kink correction needs that depends only on the plan and the kink's position: the
 * quadrature nodes, each node's interpolation stencil and Lagrange basis, and for every
 * output point whose window reaches the corrected intervals the products
 * (node weight × Gaussian density) of the nodes inside its window, row by row.
 */
interface KinkTerms {
  xs: Float64Array;
  stencil: Int32Array;
  basis: Float64Array;
  points: Int32Array;
  pointStart: Int32Array;
  nodes: Int32Array;
  weights: Float64Array;
}

/**
 * Kink terms per plan and kink position (a fit's backing edge is usually fixed, so every
 * evaluation after the first reuses them; the numbers are the same either way).
 */
const kinkTermsCache = new WeakMap<SmearPlan, Map<number, KinkTerms>>();
/** Kink positions kept per plan (a fit of the backing SLD moves the edge every call). */
const MAX_KINKS_PER_PLAN = 8;

/** Scratch for R − P at the kink nodes (grown on demand). */
let kinkR = new Float64Array(0);

function buildKinkTerms(plan: SmearPlan, kink: number): KinkTerms {
  const g = plan.grid;
  const G = g.length;
  const kc = intervalOf(g, kink);
  // intervals whose stencil strictly contains the kink
  let kFirst = kc;
  while (kFirst > 0 && g[stencilStart(kFirst - 1, G) + STENCIL - 1] > kink) kFirst--;
  let kLast = kc;
  while (kLast < G - 2 && g[stencilStart(kLast + 1, G)] < kink) kLast++;
  const left = g[kFirst];
  const right = g[kLast + 1];
  const size = (kLast - kFirst + 2) * KINK_NODES;
  const xs = new Float64Array(size);
  const nodeWeight = new Float64Array(size);
  const stencil = new Int32Array(size);
  const { nodes, weights } = gaussLegendre(KINK_NODES);
  let count = 0;
  const addPiece = (a: number, b: number, k: number): void => {
    // ∫_a^b f(x) dx with x = kink + sign·t², a and b on the same side of the kink
    const sign = a >= kink ? 1 : -1;
    const ta = Math.sqrt(Math.abs(a - kink));
    const tb = Math.sqrt(Math.abs(b - kink));
    const half = 0.5 * (tb - ta);
    const mid = 0.5 * (ta + tb);
    for (let j = 0; j < KINK_NODES; j++) {
      const t = mid + half * nodes[j];
      xs[count] = kink + sign * t * t;
      nodeWeight[count] = Math.abs(half * weights[j] * 2 * t);
      stencil[count] = stencilStart(k, G);
      count++;
    }
  };
  for (let k = kFirst; k <= kLast; k++) {
    if (k === kc) {
      addPiece(g[k], kink, k);
      addPiece(kink, g[k + 1], k);
    } else {
      addPiece(g[k], g[k + 1], k);
    }
  }
  const basis = new Float64Array(count * STENCIL);
  for (let j = 0; j < count; j++) lagrange(g, stencil[j], xs[j], basis.subarray(j * STENCIL, (j + 1) * STENCIL));
  const { q, sigma } = plan;
  const cutoff = plan.options.cutoff;
  const points: number[] = [];
  const pointStart: number[] = [0];
  const entryNodes: number[] = [];
  const entryWeights: number[] = [];
  for (let i = 0; i < q.length; i++) {
    const si = sigma[i];
    if (!(si > 0)) continue;
    const lo = q[i] - cutoff * si;
    const hi = q[i] + cutoff * si;
    if (hi <= left || lo >= right) continue;
    for (let j = 0; j < count; j++) {
      const x = xs[j];
      if (x < lo || x > hi) continue;
      entryNodes.push(j);
      entryWeights.push(nodeWeight[j] * gaussianDensity(x, q[i], si));
    }
    points.push(i);
    pointStart.push(entryNodes.length);
  }
  return {
    xs: xs.slice(0, count),
    stencil: stencil.slice(0, count),
    basis,
    points: Int32Array.from(points),
    pointStart: Int32Array.from(pointStart),
    nodes: Int32Array.from(entryNodes),
    weights: Float64Array.from(entryWeights),
  };
}

/** Kink terms for `plan` and `kink`, built on first use and cached. */
function kinkTermsOf(plan: SmearPlan, kink: number): KinkTerms {
  let byKink = kinkTermsCache.get(plan);
  if (byKink === undefined) {
    byKink = new Map();
    kinkTermsCache.set(plan, byKink);
  }
  let terms = byKink.get(kink);
  if (terms === undefined) {
    terms = buildKinkTerms(plan, kink);
    if (byKink.size >= MAX_KINKS_PER_PLAN) byKink.clear();
    byKink.set(kink, terms);
  }
  return terms;
}

/**
 * The Q points (Å⁻¹) at which {@link correctKinkAt} needs R for a kink at `kink`, or
 * undefined when the kink is outside the plan's grid (no correction). Cached: do not modify.
 */
export function kinkNodes(plan: SmearPlan, kink: number): Float64Array | undefined {
  const g = plan.grid;
  if (!(kink > g[0] && kink < g[g.length - 1])) return undefined;
  return kinkTermsOf(plan, kink).xs;
}

/**
 * Correct a grid-smeared curve for a square-root kink of R at `kink` (Å⁻¹), given R at
 * the kink's nodes ({@link kinkNodes}); see {@link correctKink}.
 * @param rNodes - R at `kinkNodes(plan, kink)`; overwritten (scratch)
 */
export function correctKinkAt(plan: SmearPlan, rGrid: Float64Array, kink: number, rNodes: Float64Array, out: Float64Array): void {
  const g = plan.grid;
  if (!(kink > g[0] && kink < g[g.length - 1])) return;
  const { xs, stencil, basis, points, pointStart, nodes, weights } = kinkTermsOf(plan, kink);
  const count = xs.length;
  const rs = rNodes;
  // rs ← R − P, P the grid interpolant on the node's interval
  for (let j = 0; j < count; j++) {
    const s = stencil[j];
    const b = j * STENCIL;
    let interpolated = 0;
    for (let m = 0; m < STENCIL; m++) interpolated += basis[b + m] * rGrid[s + m];
    rs[j] -= interpolated;
  }
  const norm = plan.norm;
  for (let k = 0; k < points.length; k++) {
    let sum = 0;
    for (let e = pointStart[k], end = pointStart[k + 1]; e < end; e++) sum += weights[e] * rs[nodes[e]];
    out[points[k]] += norm * sum;
  }
}

/**
 * Correct a grid-smeared curve for a square-root kink of R at `kink` (Å⁻¹):
 * re-integrates exactly the intervals whose interpolation stencil spans the kink,
 * each interval by Gauss–Legendre in t with x = kink ± t² (smooth in t), the
 * kink's own interval split in two at the kink. Everything but R at the nodes is
 * cached per plan and kink position.
 * @param plan - grid plan
 * @param rGrid - R on the grid (as given to {@link applySmearing})
 * @param kink - Q of the kink
 * @param evaluate - computes R at the given Q values into `out`
 * @param out - smeared values to correct in place (before scale/background)
 */
export function correctKink(
  plan: SmearPlan,
  rGrid: Float64Array,
  kink: number,
  evaluate: (q: Float64Array, out: Float64Array) => void,
  out: Float64Array,
): void {
  const xs = kinkNodes(plan, kink);
  if (xs === undefined) return;
  const count = xs.length;
  if (kinkR.length < count) kinkR = new Float64Array(count);
  const rs = kinkR.length === count ? kinkR : kinkR.subarray(0, count);
  evaluate(xs, rs);
  correctKinkAt(plan, rGrid, kink, rs, out);
}

/**
 * Apply a pointwise plan: Gauss–Legendre sum over each point's window.
 * @param rGrid - R at `plan.grid` (n·nodes values, point-major)
 */
export function applyPointwise(plan: SmearPlan, rGrid: Float64Array, out: Float64Array): Float64Array {
  const { nodes, weights } = gaussLegendre(plan.options.nodes);
  const m = nodes.length;
  const c = plan.options.cutoff;
  // weight_j = c · w_j · φ(c x_j) (per unit σ, which cancels against dx = cσ dx_j)
  const n = plan.q.length;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < m; j++) {
      const u = c * nodes[j];
      sum += weights[j] * Math.exp(-0.5 * u * u) * rGrid[i * m + j];
    }
    out[i] = (plan.norm * c * sum) / Math.sqrt(2 * Math.PI);
  }
  return out;
}
