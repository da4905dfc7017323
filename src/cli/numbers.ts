/**
 * @module cli/numbers
 * Parsing of numeric command-line options: every flag's text is checked here, so that
 * an empty string, "abc", "1.5" for a count or a value below the flag's minimum is a
 * ValidationError naming the flag (exit code 2), never a silently substituted default.
 */
import { ValidationError } from "../core/errors.ts";
import type { DqMeasure } from "../io/reflectivityData.ts";

/** Help text of `--dq-measure`, the same on every command that reads reflectivity column files. */
export const DQ_MEASURE_HELP = "measure of the dQ column (4th) of reflectivity column files whose header does not declare it: fwhm or sigma";

/**
 * The `--dq-measure` option: "fwhm" or "sigma" (case-insensitive), undefined when not given.
 * @throws {ValidationError} naming the flag and the text
 */
export function dqMeasureOption(text: string | undefined): DqMeasure | undefined {
  if (text === undefined) return undefined;
  const value = text.trim().toLowerCase();
  if (value !== "fwhm" && value !== "sigma") throw new ValidationError("--dq-measure", 'must be "fwhm" or "sigma" (the measure of the files\' dQ column)', text);
  return value;
}

/** A finite number, or NaN for text that is not one ("" and whitespace are not 0). */
function numberOf(text: string): number {
  return text.trim() === "" ? Number.NaN : Number(text);
}

/**
 * An integer option.
 * @param text - the flag's text
 * @param flag - the flag, for the message (e.g. `--walkers`)
 * @param min - smallest accepted value
 * @param max - largest accepted value (default unbounded)
 * @throws {ValidationError} naming the flag and the text
 */
export function integerOption(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = numberOf(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ValidationError(flag, `must be an integer ${range}`, text);
  }
  return value;
}

/**
 * A real-number option with optional strict lower and inclusive upper bounds.
 * @throws {ValidationError} naming the flag and the text
 */
export function numberOption(text: string, flag: string, bounds: { gt?: number; ge?: number; le?: number } = {}): number {
  const value = numberOf(text);
  const parts = [bounds.gt !== undefined ? `> ${bounds.gt}` : bounds.ge !== undefined ? `≥ ${bounds.ge}` : "", bounds.le !== undefined ? `≤ ${bounds.le}` : ""].filter((s) => s !== "");
  const ok = Number.isFinite(value) && (bounds.gt === undefined || value > bounds.gt) && (bounds.ge === undefined || value >= bounds.ge) && (bounds.le === undefined || value <= bounds.le);
  if (!ok) throw new ValidationError(flag, `must be a finite number${parts.length > 0 ? ` ${parts.join(" and ")}` : ""}`, text);
  return value;
}
