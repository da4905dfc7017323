/**
 * @module core/quantiles
 * Percentiles and central intervals of draws (posterior samples, bootstrap
 * replicates), one definition for the whole program: linear interpolation
 * between order statistics — Hyndman & Fan type 7, NumPy's default `linear`
 * method, R's default — with h = (n − 1)·q/100 for the q-th percentile.
 *
 * Units: those of the draws; percentiles q in [0, 100].
 *
 * @see R. J. Hyndman, Y. Fan, "Sample quantiles in statistical packages", Am. Stat. 50 (1996) 361.
 */

/** Median and the central 68 % and 95 % intervals of draws (16th/84th and 2.5th/97.5th percentiles). */
export interface CentralIntervals {
  /** 50th percentile. */
  median: number;
  /** 16th percentile (lower end of the central 68 % interval). */
  lo68: number;
  /** 84th percentile. */
  hi68: number;
  /** 2.5th percentile (lower end of the central 95 % interval). */
  lo95: number;
  /** 97.5th percentile. */
  hi95: number;
}

/**
 * Percentile of sorted data with linear interpolation between order statistics (type 7).
 *
 * @param sorted ascending values
 * @param q percentile in [0, 100]
 * @returns the interpolated value (NaN for empty input)
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = ((n - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile of unsorted data (type 7), from a sorted copy.
 *
 * @param values the data, not modified
 * @param q percentile in [0, 100]
 * @returns the interpolated value (NaN for empty input)
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  return percentileSorted(Float64Array.from(values).sort(), q);
}

/**
 * Median and central 68 % and 95 % intervals of draws (type 7 percentiles of a sorted copy).
 *
 * @param draws the draws, in any order; not modified
 * @returns median, lo68, hi68, lo95, hi95 (all NaN for no draws)
 * @example
 * centralIntervals(Float64Array.from([3, 1, 2])); // median 2, lo68 ≈ 1.32, hi68 ≈ 2.68, lo95 ≈ 1.05, hi95 ≈ 2.95
 */
export function centralIntervals(draws: ArrayLike<number>): CentralIntervals {
  const sorted = Float64Array.from(draws).sort();
  return {
    median: percentileSorted(sorted, 50),
    lo68: percentileSorted(sorted, 16),
    hi68: percentileSorted(sorted, 84),
    lo95: percentileSorted(sorted, 2.5),
    hi95: percentileSorted(sorted, 97.5),
  };
}
