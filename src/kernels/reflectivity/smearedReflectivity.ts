/**
 * @module kernels/reflectivity/smearedReflectivity
 * Resolution-smeared reflectivity of a slab stack: the Abeles/Parratt kernel
 * evaluated on a smearing plan's grid, then convolved (see ./smear.ts).
 * Units: Q, σ in Å⁻¹; slab table as in ./abeles.ts.
 */
import { reflectivity, SLAB_COLUMNS } from "./abeles.ts";
import { applyPointwise, applySmearing, correctKink, planSmearing, type SmearOptions, type SmearPlan } from "./smear.ts";

let gridScratch = new Float64Array(0);

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
  const G = plan.grid.length;
  if (gridScratch.length < G) gridScratch = new Float64Array(G);
  const rGrid = gridScratch.length === G ? gridScratch : gridScratch.subarray(0, G);
  reflectivity(plan.grid, slabs, 1, 0, rGrid, offset, rows);
  if (plan.options.method === "pointwise") {
    applyPointwise(plan, rGrid, result);
  } else {
    applySmearing(plan, rGrid, result);
    const evaluate = (x: Float64Array, r: Float64Array): void => {
      reflectivity(x, slabs, 1, 0, r, offset, rows);
    };
    const qc = backingCriticalEdge(slabs, offset, rows);
    if (qc === qc) {
      correctKink(plan, rGrid, qc, evaluate, result);
      correctKink(plan, rGrid, -qc, evaluate, result);
    }
    correctKink(plan, rGrid, 0, evaluate, result);
  }
  for (let i = 0; i < n; i++) result[i] = scale * result[i] + background;
  return result;
}

/** When a slab table has moved this far from the one a plan was refined for, the plan is rebuilt. */
const REPLAN_THICKNESS_FRACTION = 0.02;
const REPLAN_SLD_CHANGE = 0.05;

/**
 * A resolution-smeared reflectivity function for fixed Q points and widths, which
 * plans its grid from the first slab table it sees (graded toward the backing's
 * critical edge, refined against the curve) and replans only when a later table
 * differs by more than 2 % in any thickness or 0.05 × 10⁻⁶ Å⁻² in any SLD — so a
 * fit pays for planning a handful of times, not per evaluation.
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
  let plan: SmearPlan | undefined;
  let planned = new Float64Array(0);
  let count = 0;
  const needsPlan = (slabs: Float64Array): boolean => {
    if (!plan || planned.length !== slabs.length) return true;
    if (options.method === "pointwise") return false;
    for (let j = 0; j < slabs.length; j += SLAB_COLUMNS) {
      const thickness = planned[j];
      if (Math.abs(slabs[j] - thickness) > REPLAN_THICKNESS_FRACTION * Math.max(thickness, 1)) return true;
      if (Math.abs(slabs[j + 1] - planned[j + 1]) > REPLAN_SLD_CHANGE) return true;
    }
    return false;
  };
  return {
    evaluate(slabs, scale = 1, background = 0, out) {
      if (needsPlan(slabs)) {
        const table = Float64Array.from(slabs);
        plan = planSmearing(q, sigma, {
          ...options,
          thickness: stackThickness(table),
          layers: stackPhaseModel(table),
          kinks: [backingCriticalEdge(table)].filter((k) => k === k),
          refine: options.refine ?? {
            evaluate: (x, r) => {
              reflectivity(x, table, 1, 0, r);
            },
          },
        });
        planned = table;
        count++;
      }
      return smearedReflectivity(plan!, slabs, scale, background, out);
    },
    plans: () => count,
  };
}
