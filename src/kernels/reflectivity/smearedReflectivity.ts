/**
 * @module kernels/reflectivity/smearedReflectivity
 * Resolution-smeared reflectivity of a slab stack: the Abeles/Parratt kernel
 * evaluated on a smearing plan's grid, then convolved (see ./smear.ts).
 * Units: Q, σ in Å⁻¹; slab table as in ./abeles.ts.
 */
import { reflectivity, SLAB_COLUMNS } from "./abeles.ts";
import { applyPointwise, applySmearing, correctKinkAt, kinkNodes, planSmearing, type SmearOptions, type SmearPlan } from "./smear.ts";

let gridScratch = new Float64Array(0);

/**
 * A grid plan's Q points followed by the nodes of its kink corrections (backing edge ±Q_c,
 * and 0), so one kernel call computes both; kept per plan for the last Q_c.
 */
interface KinkedGrid {
  edge: number;
  q: Float64Array;
  /** kink position, first index in `q`, node count */
  kinks: { kink: number; start: number; count: number }[];
}
const kinkedGrids = new WeakMap<SmearPlan, KinkedGrid>();

function kinkedGrid(plan: SmearPlan, edge: number): KinkedGrid {
  const cached = kinkedGrids.get(plan);
  if (cached !== undefined && Object.is(cached.edge, edge)) return cached;
  const G = plan.grid.length;
  const kinks: KinkedGrid["kinks"] = [];
  let total = G;
  for (const kink of edge === edge ? [edge, -edge, 0] : [0]) {
    const nodes = kinkNodes(plan, kink);
    if (nodes === undefined) continue;
    kinks.push({ kink, start: total, count: nodes.length });
    total += nodes.length;
  }
  const q = new Float64Array(total);
  q.set(plan.grid);
  for (const { kink, start } of kinks) q.set(kinkNodes(plan, kink)!, start);
  const grid = { edge, q, kinks };
  kinkedGrids.set(plan, grid);
  return grid;
}

/** Total thickness (Å) of the finite layers of a slab table: sets the fringe period a smearing grid must resolve. */
export function stackThickness(slabs: Float64Array, offset = 0, rows = (slabs.length - offset) / SLAB_COLUMNS): number {
  let total = 0;
  for (let j = 1; j < rows - 1; j++) total += slabs[offset + j * SLAB_COLUMNS];
  return total;
}

/**
 * The finite layers of a slab table as (thickness Å, 4π·1e-6·Δρ) pairs for `SmearOptions.layers`,
 * Δρ the real SLD relative to the fronting medium.
 */
export function stackPhaseModel(slabs: Float64Array, offset = 0, rows = (slabs.length - offset) / SLAB_COLUMNS): Float64Array {
  const pairs = new Float64Array(2 * Math.max(rows - 2, 0));
  const front = slabs[offset + 1];
  for (let j = 1; j < rows - 1; j++) {
    pairs[2 * (j - 1)] = slabs[offset + j * SLAB_COLUMNS];
    pairs[2 * (j - 1) + 1] = 4 * Math.PI * 1e-6 * (slabs[offset + j * SLAB_COLUMNS + 1] - front);
  }
  return pairs;
}

/**
 * Critical edge Q_c (Å⁻¹) of the backing relative to the fronting medium, where R
 * has a square-root kink; NaN when the backing's SLD is not above the fronting's.
 */
export function backingCriticalEdge(slabs: Float64Array, offset = 0, rows = (slabs.length - offset) / SLAB_COLUMNS): number {
  const delta = slabs[offset + (rows - 1) * SLAB_COLUMNS + 1] - slabs[offset + 1];
  return delta > 0 ? Math.sqrt(16 * Math.PI * 1e-6 * delta) : NaN;
}

/**
 * R_smeared(Q) = scale·(G ⊗ |r|²)(Q) + background for a plan from `planSmearing`.
 * @param plan - smearing plan (its Q are the output points)
 * @param slabs - slab table
 * @param out - optional output buffer (length ≥ plan.q.length)
 */
export function smearedReflectivity(
  plan: SmearPlan,
  slabs: Float64Array,
  scale = 1,
  background = 0,
  out?: Float64Array,
  offset = 0,
  rows = (slabs.length - offset) / SLAB_COLUMNS,
): Float64Array {
  const n = plan.q.length;
  const result = out ?? new Float64Array(n);
  if (plan.options.method === "pointwise") {
    const G = plan.grid.length;
    if (gridScratch.length < G) gridScratch = new Float64Array(G);
    const rGrid = gridScratch.length === G ? gridScratch : gridScratch.subarray(0, G);
    reflectivity(plan.grid, slabs, 1, 0, rGrid, offset, rows);
    applyPointwise(plan, rGrid, result);
  } else {
    // one kernel call for the grid and the kink nodes (the backing edge ±Q_c and Q = 0)
    const grid = kinkedGrid(plan, backingCriticalEdge(slabs, offset, rows));
    const total = grid.q.length;
    if (gridScratch.length < total) gridScratch = new Float64Array(total);
    const rAll = gridScratch.length === total ? gridScratch : gridScratch.subarray(0, total);
    reflectivity(grid.q, slabs, 1, 0, rAll, offset, rows);
    const rGrid = rAll.subarray(0, plan.grid.length);
    applySmearing(plan, rGrid, result);
    for (const { kink, start, count } of grid.kinks) correctKinkAt(plan, rGrid, kink, rAll.subarray(start, start + count), result);
  }
  for (let i = 0; i < n; i++) result[i] = scale * result[i] + background;
  return result;
}

/**
 * Plans shared across smearing functions with identical Q points, widths and options
 * (the scans of a series are usually measured on one Q grid), keyed by content.
 */
const planCaches = new Map<string, Map<string, SmearPlan>>();
const MAX_SHARED_GRIDS = 256;

/**
 * Forget every shared plan, so that what is computed afterwards in this thread does not depend
 * on what was computed before it (a plan is built from the first stack that reaches its bucket,
 * which moves a smeared curve in its last digits). A reused job thread calls it before each
 * job; smearing functions made earlier keep the plans they hold.
 */
export function forgetSharedSmearingPlans(): void {
  planCaches.clear();
}

function contentKey(q: Float64Array, sigma: Float64Array, options: SmearOptions): string {
  // FNV-1a over the bytes of both arrays, plus the options that change a plan
  let hash = 0x811c9dc5;
  for (const array of [q, sigma]) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 0x01000193);
  }
  const { refine: _refine, ...rest } = options;
  return `${q.length}:${(hash >>> 0).toString(36)}:${JSON.stringify(rest)}`;
}

function sharedPlans(q: Float64Array, sigma: Float64Array, options: SmearOptions): Map<string, SmearPlan> {
  if (options.refine) return new Map();
  const key = contentKey(q, sigma, options);
  let cache = planCaches.get(key);
  if (!cache) {
    if (planCaches.size >= MAX_SHARED_GRIDS) planCaches.clear();
    cache = new Map();
    planCaches.set(key, cache);
  }
  return cache;
}

/** Plans are cached per bucket of total thickness (5 % wide, grid built for the bucket's top) and backing critical edge. */
const THICKNESS_BUCKET = Math.log(1.05);
const EDGE_BUCKET = 2e-4;
const MAX_PLANS = 64;

/**
 * A resolution-smeared reflectivity function for fixed Q points and widths. Its grid
 * (graded toward the backing's critical edge, dense enough for the stack's fringes,
 * refined against the curve) depends on the stack, so plans are cached by a key of
 * the stack's total thickness (5 % buckets, the grid built for the bucket's upper
 * edge so it resolves every stack in the bucket) and the backing's critical edge
 * (2e-4 Å⁻¹ buckets). A local fit plans a handful of times; a global search over a
 * wide box plans once per bucket it visits (at most 64 are kept).
 *
 * @param q - output Q points (Å⁻¹)
 * @param sigma - 1-σ Gaussian widths (Å⁻¹), one per point
 * @param options - smearing options (method, cutoff, renormalise, grid density)
 * @returns `(slabs, scale, background, out?) => R` and a `plans` counter for diagnostics
 */
export function createSmearedReflectivity(
  q: Float64Array,
  sigma: Float64Array,
  options: SmearOptions = {},
): { evaluate: (slabs: Float64Array, scale?: number, background?: number, out?: Float64Array) => Float64Array; plans: () => number } {
  const cache = sharedPlans(q, sigma, options);
  let count = 0;
  let pointwise: SmearPlan | undefined;
  let lastPlan: SmearPlan | undefined;
  let lastBucket = NaN;
  let lastEdgeBucket = NaN;
  return {
    evaluate(slabs, scale = 1, background = 0, out) {
      if (options.method === "pointwise") {
        pointwise ??= planSmearing(q, sigma, options);
        return smearedReflectivity(pointwise, slabs, scale, background, out);
      }
      const thickness = stackThickness(slabs);
      const edge = backingCriticalEdge(slabs);
      const bucket = thickness > 1 ? Math.ceil(Math.log(thickness) / THICKNESS_BUCKET) : 0;
      const edgeBucket = edge === edge ? Math.round(edge / EDGE_BUCKET) : -1;
      // the same buckets as the last call (a fit's usual case): its plan, without building the key
      if (lastPlan !== undefined && bucket === lastBucket && edgeBucket === lastEdgeBucket) {
        return smearedReflectivity(lastPlan, slabs, scale, background, out);
      }
      const key = `${bucket}|${edgeBucket >= 0 ? edgeBucket : "none"}`;
      let plan = cache.get(key);
      if (!plan) {
        if (cache.size >= MAX_PLANS) cache.clear();
        // (plans are shared by every curve with the same Q points, widths and options)
        const table = Float64Array.from(slabs);
        const designThickness = bucket > 0 ? Math.exp(bucket * THICKNESS_BUCKET) : 1;
        const stretch = thickness > 0 ? designThickness / thickness : 1;
        const layers = stackPhaseModel(table);
        for (let j = 0; j < layers.length; j += 2) layers[j] *= stretch;
        plan = planSmearing(q, sigma, {
          ...options,
          thickness: designThickness,
          layers,
          kinks: edge === edge ? [edge] : [],
          refine: options.refine ?? {
            evaluate: (x, r) => {
              reflectivity(x, table, 1, 0, r);
            },
          },
        });
        cache.set(key, plan);
        count++;
      }
      lastPlan = plan;
      lastBucket = bucket;
      lastEdgeBucket = edgeBucket;
      return smearedReflectivity(plan, slabs, scale, background, out);
    },
    plans: () => count,
  };
}
