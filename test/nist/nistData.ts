/**
 * Reader for the NIST StRD nonlinear-regression `.dat` files in
 * `../shared/conformance/nist-strd/` (layout: that folder's README.md).
 * The file's own line map (lines 5–7) locates the parameter block and the data;
 * the parser checks the layout rather than trusting fixed line numbers blindly.
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { conformanceRoot } from "../paths.ts";

export const nistRoot = path.join(conformanceRoot, "nist-strd");

export interface NistParameter {
  readonly name: string;
  readonly start1: number;
  readonly start2: number;
  readonly certified: number;
  readonly certifiedSd: number;
}

export interface NistProblem {
  readonly name: string;
  readonly file: string;
  readonly difficulty: "lower" | "average" | "higher";
  readonly parameters: readonly NistParameter[];
  readonly rssCertified: number;
  readonly residualSdCertified: number;
  /** As printed (Rat43 prints 9 although n − p = 11). */
  readonly degreesOfFreedomPrinted: number;
  readonly nObs: number;
  /** Predictor columns: one for every problem except Nelson (x1, x2). */
  readonly x: readonly Float64Array[];
  readonly y: Float64Array;
}

function fail(file: string, line: number, message: string): never {
  throw new Error(`${file}:${line}: ${message}`);
}

/** Parses a Fortran-style number (`10.07E0`, `1E0`, `-0.00001`). */
function num(file: string, line: number, text: string): number {
  const v = Number(text.replace(/[dD]/, "E"));
  if (!Number.isFinite(v)) fail(file, line, `not a number: ${JSON.stringify(text)}`);
  return v;
}

/** Parses one `.dat` file. */
export function parseNistFile(file: string): NistProblem {
  const text = readFileSync(file, "utf8");
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop();
  const at = (lineNo: number): string => lines[lineNo - 1] ?? fail(file, lineNo, "file ends early");
  if (!at(1).startsWith("NIST/ITL StRD")) fail(file, 1, "not a NIST StRD file");
  const nameMatch = /Dataset Name:\s+(\S+)/.exec(at(2)) ?? fail(file, 2, "no dataset name");
  const map = (lineNo: number, label: string): [number, number] => {
    const m = new RegExp(`${label}\\s+\\(lines\\s+(\\d+)\\s+to\\s+(\\d+)\\)`).exec(at(lineNo)) ?? fail(file, lineNo, `no ${label} line map`);
    return [Number(m[1]), Number(m[2])];
  };
  const [startFirst, startLast] = map(5, "Starting Values");
  const [certFirst, certLast] = map(6, "Certified Values");
  const [dataFirst, dataLast] = map(7, "Data");
  const p = startLast - startFirst + 1;
  const pDeclared = Number((/^\s*(\d+)\s+Parameters/.exec(at(32)) ?? fail(file, 32, "no parameter count"))[1]);
  if (pDeclared !== p) fail(file, 32, `parameter count ${pDeclared} disagrees with the line map (${p})`);
  if (certFirst !== startFirst || certLast !== startFirst + p + 4) fail(file, 6, "unexpected certified-values block");
  const difficultyMatch = /(Lower|Average|Higher) Level of Difficulty/.exec(at(28)) ?? fail(file, 28, "no difficulty");
  const difficulty = difficultyMatch[1].toLowerCase() as NistProblem["difficulty"];

  const parameters: NistParameter[] = [];
  for (let k = 0; k < p; k++) {
    const lineNo = startFirst + k;
    const [label, rest] = at(lineNo).split("=");
    const name = label.trim();
    if (name !== `b${k + 1}` || rest === undefined) fail(file, lineNo, `expected "b${k + 1} = ..."`);
    const fields = rest.trim().split(/\s+/);
    if (fields.length !== 4) fail(file, lineNo, `expected 4 numbers, got ${fields.length}`);
    const [start1, start2, certified, certifiedSd] = fields.map((f) => num(file, lineNo, f));
    parameters.push({ name, start1, start2, certified, certifiedSd });
  }
  const labelled = (lineNo: number, label: string): number => {
    const line = at(lineNo);
    if (!line.startsWith(label)) fail(file, lineNo, `expected "${label}"`);
    return num(file, lineNo, line.slice(label.length).replace(":", "").trim());
  };
  const rssCertified = labelled(startFirst + p + 1, "Residual Sum of Squares");
  const residualSdCertified = labelled(startFirst + p + 2, "Residual Standard Deviation");
  const degreesOfFreedomPrinted = labelled(startFirst + p + 3, "Degrees of Freedom");
  const nObs = labelled(startFirst + p + 4, "Number of Observations");
  if (dataLast - dataFirst + 1 !== nObs) fail(file, 7, `data line map disagrees with ${nObs} observations`);
  if (dataLast !== lines.length) fail(file, lines.length, "data block does not end at the last line");

  const heading = at(dataFirst - 1).trim().split(/\s+/);
  if (heading[0] !== "Data:" || heading[1] !== "y") fail(file, dataFirst - 1, "expected the data heading `Data: y x...`");
  const nx = heading.length - 2;
  const x = Array.from({ length: nx }, () => new Float64Array(nObs));
  const y = new Float64Array(nObs);
  for (let i = 0; i < nObs; i++) {
    const lineNo = dataFirst + i;
    const fields = at(lineNo).trim().split(/\s+/);
    if (fields.length !== 1 + nx) fail(file, lineNo, `expected ${1 + nx} values, got ${fields.length}`);
    y[i] = num(file, lineNo, fields[0]);
    for (let c = 0; c < nx; c++) x[c][i] = num(file, lineNo, fields[1 + c]);
  }
  return {
    name: nameMatch[1],
    file,
    difficulty,
    parameters,
    rssCertified,
    residualSdCertified,
    degreesOfFreedomPrinted,
    nObs,
    x,
    y,
  };
}

/** All 27 problems, in NIST's order (as listed in problems.json). */
export function loadNistProblems(): NistProblem[] {
  const order = (JSON.parse(readFileSync(path.join(nistRoot, "problems.json"), "utf8")) as { name: string }[]).map((p) => p.name);
  const files = new Set(readdirSync(nistRoot).filter((f) => f.endsWith(".dat")));
  return order.map((name) => {
    if (!files.has(`${name}.dat`)) throw new Error(`missing ${name}.dat in ${nistRoot}`);
    return parseNistFile(path.join(nistRoot, `${name}.dat`));
  });
}
