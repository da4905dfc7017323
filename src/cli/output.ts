/**
 * @module cli/output
 * What every command prints with: numeric columns, JSON (typed arrays as arrays), and the
 * usage error that becomes exit code 2. No units.
 */

import fs from "node:fs";
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

/** `--force`'s help text, the same on every command that writes a folder. */
export const FORCE_HELP = "write into a non-empty --out folder (files of the same name are replaced)";
/** `--out`'s help text for commands whose result is a folder of files. */
export const OUT_HELP = "folder to write the files into (created; must be empty or new unless --force)";

/**
 * Refuse to write into a folder that already holds something, unless `--force`: a second
 * run would otherwise leave its files beside another run's (a demo report next to a
 * diagnosis.json that does not belong to it). Called before any computation, so a refusal
 * costs nothing; the folder itself is created only when the results are written.
 */
export function checkOutputFolder(dir: string, force: boolean | undefined, flag = "--out"): void {
  let entries: string[];
  try {
    const stat = fs.statSync(dir);
    if (!stat.isDirectory()) throw new UsageError(`${flag} ${dir}: exists and is not a folder`);
    entries = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  if (entries.length === 0 || force) return;
  const shown = entries.sort().slice(0, 3).join(", ");
  throw new UsageError(`${flag} ${dir}: folder is not empty (${entries.length} ${entries.length === 1 ? "entry" : "entries"}: ${shown}${entries.length > 3 ? ", …" : ""}); pass --force to write into it, or choose another folder`);
}
