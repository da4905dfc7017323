/**
 * How large the seeded calibration suites run, and the "k of n" thresholds their coverage
 * and false-alarm assertions use.
 *
 * `npm test` runs every suite at a reduced number of seeds (minutes); `npm run
 * test:calibration` sets STRATA_CALIBRATION=full and runs the calibration suites at their
 * full size (the numbers quoted in the README). Every seed is fixed, so each run is
 * deterministic; the thresholds say how unlikely it is that a correctly calibrated method
 * fails them on a fresh set of seeds.
 *
 * Binomial justification: if each of n independent seeds succeeds with probability p (a
 * 95 % interval covers the truth: p = 0.95), the number of successes X ~ Binomial(n, p).
 * `coverageThreshold(n, p, α)` is the largest k with P(X < k) ≤ α: a calibrated method
 * falls below it with probability at most α. `falseAlarmThreshold(n, p, α)` is the smallest
 * k with P(X > k) ≤ α for a rate p that the method must not exceed.
 */

/** True under `npm run test:calibration` (STRATA_CALIBRATION=full). */
export const FULL_CALIBRATION = process.env["STRATA_CALIBRATION"] === "full";

/** The number of seeds to run: `full` under test:calibration, `reduced` otherwise. */
export function seedCount(full: number, reduced: number): number {
  return FULL_CALIBRATION ? full : reduced;
}

/** Significance level of the "k of n" thresholds: a calibrated method fails one with probability ≤ 1 %. */
export const THRESHOLD_ALPHA = 0.01;

/** P(X = k) for X ~ Binomial(n, p), by logarithms (exact enough for n ≤ 10⁴). */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  let logChoose = 0;
  for (let i = 1; i <= k; i++) logChoose += Math.log(n - k + i) - Math.log(i);
  return Math.exp(logChoose + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X < k) for X ~ Binomial(n, p). */
export function binomialBelow(k: number, n: number, p: number): number {
  let sum = 0;
  for (let i = 0; i < k; i++) sum += binomialPmf(i, n, p);
  return Math.min(1, sum);
}

/** The largest k with P(X < k) ≤ α for X ~ Binomial(n, p): the least number of successes to require. */
export function coverageThreshold(n: number, p: number, alpha = THRESHOLD_ALPHA): number {
  let k = 0;
  while (k < n && binomialBelow(k + 1, n, p) <= alpha) k++;
  return k;
}

/** The smallest k with P(X > k) ≤ α for X ~ Binomial(n, p): the most failures to allow. */
export function falseAlarmThreshold(n: number, p: number, alpha = THRESHOLD_ALPHA): number {
  let k = 0;
  while (k < n && 1 - binomialBelow(k + 1, n, p) > alpha) k++;
  return k;
}
