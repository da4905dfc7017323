/**
 * Readers for the ORSO reflectivity validation suite (descriptor, layer and data files),
 * kept in the test folder: they read reference material, not user data.
 */
import fs from "node:fs";
import path from "node:path";
import { conformanceRoot } from "../paths.ts";

export const orsoUnpolarisedDir = path.join(conformanceRoot, "orso-validation", "unpolarised");

function numbers(text: string): number[][] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"))
    .map((line) => line.split(/\s+/).map(Number));
}

export interface OrsoCase {
  name: string;
  /** slab table rows fronting → backing, 4 columns each */
  slabs: Float64Array;
  q: Float64Array;
  reflectivity: Float64Array;
  /** 1-σ resolution column when the case is smeared */
  dq: Float64Array | undefined;
}

export function readOrsoCase(name: string, dir = orsoUnpolarisedDir): OrsoCase {
  const descriptor = fs
    .readFileSync(path.join(dir, `${name}.txt`), "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !l.startsWith("#"));
  const layers = numbers(fs.readFileSync(path.join(dir, descriptor[0]), "utf8"));
  const data = numbers(fs.readFileSync(path.join(dir, descriptor[1]), "utf8"));
  const slabs = new Float64Array(layers.flatMap((row) => row.slice(0, 4)));
  return {
    name,
    slabs,
    q: new Float64Array(data.map((r) => r[0])),
    reflectivity: new Float64Array(data.map((r) => r[1])),
    dq: data[0].length >= 4 ? new Float64Array(data.map((r) => r[3])) : undefined,
  };
}

export function maxRelativeError(actual: Float64Array, expected: Float64Array): { max: number; at: number } {
  let max = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]);
    if (!(err <= max)) {
      max = err;
      at = i;
    }
  }
  return { max, at };
}
