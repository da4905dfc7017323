/**
 * @module io/reflectivityData
 * A measured reflectivity curve, from an ORSO `.ort` file (every dataset in it) or a
 * whitespace-separated column file `Q R dR [dQ]` (dQ as 1-σ). Units: Q, dQ Å⁻¹.
 * Points are checked here, at the edge: a NaN, a zero or negative error is a
 * ParseError naming the file and line — except ORSO's empty bins (R = 0 and
 * dR = 0), which are dropped with a warning as the format's README asks. Q must lie in
 * (0, 3] Å⁻¹ (see {@link qRangeProblem}): a larger Q is a unit slip, most often nm⁻¹.
 */
import path from "node:path";
import { ParseError } from "../core/errors.ts";
import { readColumnFile } from "./columns.ts";
import { ortReflectivity, readOrt } from "./ort.ts";

export interface ReflectivityData {
  /** File (and dataset) the curve came from, for messages. */
  readonly source: string;
  readonly q: Float64Array;
  readonly r: Float64Array;
  /** 1-σ uncertainty of R (all > 0). */
  readonly dr: Float64Array;
  /** 1-σ Gaussian Q resolution, when the file has it. */
  readonly dq: Float64Array | undefined;
  readonly warnings: readonly string[];
}

/** Largest Q (Å⁻¹) accepted in measured reflectivity: no specular reflectometry goes beyond. */
export const MAX_SPECULAR_Q = 3;

/**
 * The first implausible Q of a measured curve, if any: Q ≤ 0, or a largest Q above
 * {@link MAX_SPECULAR_Q} Å⁻¹ (with the hint "Q in nm⁻¹? divide by 10" when it is within
 * 10× of that). Readers throw it as a ParseError at their own location.
 * @param q - Q values (finite, checked before)
 * @returns the offending index and a one-line message, or undefined when every Q is plausible
 */
export function qRangeProblem(q: ArrayLike<number>): { index: number; message: string } | undefined {
  let max = 0;
  for (let i = 0; i < q.length; i++) {
    if (!(q[i] > 0)) return { index: i, message: `Q must be > 0 Å⁻¹ (got ${q[i]}); specular reflectivity is measured at Q > 0` };
    if (q[i] > q[max]) max = i;
  }
  if (q.length === 0 || q[max] <= MAX_SPECULAR_Q) return undefined;
  const slip = q[max] <= 10 * MAX_SPECULAR_Q ? "Q in nm⁻¹? divide by 10" : "is the first column Q in Å⁻¹ (not an angle or a count)?";
  return { index: max, message: `Q reaches ${q[max]} Å⁻¹, beyond any specular reflectometry (Q ≤ ${MAX_SPECULAR_Q} Å⁻¹ expected): ${slip}` };
}

/** Read every curve in a file (.ort: one per dataset; other: one). */
export function readReflectivityData(file: string): ReflectivityData[] {
  if (path.extname(file).toLowerCase() === ".ort") {
    const ort = readOrt(file);
    return ort.datasets.map((dataset, index) => {
      const source = ort.datasets.length > 1 ? `${file} (dataset ${index})` : file;
      const curve = ortReflectivity(dataset, source);
      if (!curve.dr) throw new ParseError(file, `dataset ${index} has no uncertainty column for R (sR); a fit needs one`);
      const lines = Int32Array.from({ length: dataset.rows }, (_, i) => dataset.firstDataLine + i);
      return checkCurve(source, file, curve.q, curve.r, curve.dr, curve.dq, lines, [...ort.warnings, ...curve.warnings], true);
    });
  }
  const { columns, lines } = readColumnFile(file, 3);
  const dq = columns.length >= 4 ? columns[3] : undefined;
  return [checkCurve(file, file, columns[0], columns[1], columns[2], dq, lines, [], false)];
}

function checkCurve(
  source: string,
  file: string,
  q: Float64Array,
  r: Float64Array,
  dr: Float64Array,
  dq: Float64Array | undefined,
  lines: Int32Array,
  warnings: string[],
  dropEmptyBins: boolean,
): ReflectivityData {
  const keep: number[] = [];
  let empty = 0;
  for (let i = 0; i < q.length; i++) {
    const line = lines[i];
    if (!Number.isFinite(q[i])) throw new ParseError(file, `Q is not a finite number (${q[i]})`, { line });
    if (!Number.isFinite(r[i])) throw new ParseError(file, `R is not a finite number (${r[i]})`, { line });
    if (!Number.isFinite(dr[i])) throw new ParseError(file, `dR is not a finite number (${dr[i]})`, { line });
    if (dq && !(Number.isFinite(dq[i]) && dq[i] >= 0)) throw new ParseError(file, `dQ must be a finite number ≥ 0 (got ${dq[i]})`, { line });
    if (dropEmptyBins && r[i] === 0 && dr[i] === 0) {
      empty++;
      continue;
    }
    if (!(dr[i] > 0)) throw new ParseError(file, `dR must be > 0 (got ${dr[i]}); a fit weights each point by 1/dR`, { line });
    keep.push(i);
  }
  const problem = qRangeProblem(q);
  if (problem) throw new ParseError(file, problem.message, { line: lines[problem.index] });
  if (empty > 0) warnings.push(`${source}: dropped ${empty} empty bins (R = 0 and dR = 0)`);
  if (keep.length === 0) throw new ParseError(file, "no valid points");
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]);
  return { source, q: pick(q), r: pick(r), dr: pick(dr), dq: dq ? pick(dq) : undefined, warnings };
}
