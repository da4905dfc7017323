/**
 * @module web/format
 * Number and time formatting for the page, and the SI prefix a plotted quantity gets so its
 * axis reads in µA rather than 1e-6 A. Units: as passed (the prefix is applied to the unit).
 */

const PREFIXES: [number, string][] = [
  [1e9, "G"],
  [1e6, "M"],
  [1e3, "k"],
  [1, ""],
  [1e-3, "m"],
  [1e-6, "µ"],
  [1e-9, "n"],
  [1e-12, "p"],
];

/** A number to `digits` significant digits; a non-finite one says so instead of a dash. */
export function fmt(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined) return "not given";
  if (!Number.isFinite(value)) return `not computed (${String(value)})`;
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-3) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

/** The prefix that puts the largest |value| between 1 and 1000: `{ factor, unit }` (multiply values by factor). */
export function siPrefix(values: readonly (number | null | undefined)[], unit: string): { factor: number; unit: string } {
  let max = 0;
  for (const v of values) if (typeof v === "number" && Number.isFinite(v)) max = Math.max(max, Math.abs(v));
  if (max === 0) return { factor: 1, unit };
  for (const [scale, prefix] of PREFIXES) if (max >= scale) return { factor: 1 / scale, unit: prefix + unit };
  const [scale, prefix] = PREFIXES[PREFIXES.length - 1];
  return { factor: 1 / scale, unit: prefix + unit };
}

/** Seconds since the campaign's t0 → hours. */
export const hours = (seconds: number): number => seconds / 3600;

/** A wall-clock time as HH:MM:SS (local time of the browser). */
export function clock(ms: number): string {
  return new Date(ms).toLocaleTimeString([], { hour12: false });
}
