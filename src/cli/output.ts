/**
 * @module cli/output
 * What every command prints with: numeric columns, JSON (typed arrays as arrays), and the
 * usage error that becomes exit code 2. No units.
 */

import { typedArrayReplacer } from "../api/json.ts";

/** Thrown by commands for a usage problem detected after parsing (exit code 2). */
export class UsageError extends Error {}

/** Print a table of numeric columns with a header line. */
export function printColumns(names: string[], columns: ArrayLike<number>[]): void {
  const lines = [`# ${names.join("\t")}`];
  const n = columns[0]?.length ?? 0;
  for (let i = 0; i < n; i++) lines.push(columns.map((c) => formatNumber(c[i])).join("\t"));
  process.stdout.write(`${lines.join("\n")}\n`);
}

export const formatNumber = (value: number): string => (Number.isInteger(value) && Math.abs(value) < 1e15 ? String(value) : value.toPrecision(10));

/** JSON with Float64Arrays written as arrays. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, typedArrayReplacer)}\n`);
}
