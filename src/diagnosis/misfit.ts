/**
 * @module diagnosis/misfit
 * When a scan's fit does not reach its data: its χ² beyond what the error bars allow, or
 * structured residuals. Shared by the diagnosis's wrong-basin retry (diagnosis/diagnoseCell)
 * and the learned start's acceptance (diagnosis/fitSeries, `--start auto`).
 *
 * Units: dimensionless (χ², p-values, autocorrelation).
 */
import { erfc } from "../params/special.ts";

/** A scan is badly fitted when its χ² upper-tail p (points − parameters degrees of freedom) is below this. */
export const MISFIT_P = 1e-3;
/** … or when the lag-1 autocorrelation of its normalised residuals exceeds this. */
export const RESIDUAL_AUTOCORRELATION_LIMIT = 0.5;

/** Upper tail of χ²(k) at x (Wilson–Hilferty; adequate for flags). */
export function chiSquareUpperTail(x: number, k: number): number {
  if (k <= 0) return x > 0 ? 0 : 1;
  const z = (Math.cbrt(x / k) - (1 - 2 / (9 * k))) / Math.sqrt(2 / (9 * k));
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Whether one scan's fit misses its data (see the module header); `parameters` = its free parameters. */
export function isMisfit(fit: { chi2: number; points: number; residualAutocorrelation: number }, parameters: number): boolean {
  const dof = Math.max(fit.points - parameters, 1);
  return chiSquareUpperTail(fit.chi2, dof) < MISFIT_P || fit.residualAutocorrelation > RESIDUAL_AUTOCORRELATION_LIMIT;
}
