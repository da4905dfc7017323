/**
 * The shared SNS Cu/Ti/THF data set (../shared/realdata/sns-cu-thf-2025, BSD-3, from
 * mdoucet/experiments-2025 jen-apr2025) and the authors' refl1d results, read from their
 * files: best values (.par), posterior σ (.err), and the pieces of their model script
 * (source_…py) a test needs — the resolution formula and the layer order.
 *
 * Units: Q, dQ Å⁻¹; thickness, roughness Å; SLD 10⁻⁶ Å⁻²; angles degrees.
 */
import fs from "node:fs";
import path from "node:path";
import { buildProblem } from "../../src/fit/problem.ts";
import { parseProblemFile } from "../../src/io/problemFile.ts";
import { sharedRoot } from "../paths.ts";

export const snsRoot = path.join(sharedRoot, "realdata", "sns-cu-thf-2025");
export const fitsDir = path.join(snsRoot, "fits");

/** Rows of a whitespace table (comment lines `#` skipped). */
export function readTable(file: string): number[][] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"))
    .map((line) => line.trim().split(/\s+/).map(Number));
}

/** The authors' best values in file order (names repeat across states, so kept as a list). */
export function authorsBest(): { name: string; value: number }[] {
  return fs
    .readFileSync(path.join(fitsDir, "Cu-THF-218386-full-sequence.par"), "utf8")
    .trim()
    .split("\n")
    .map((line) => {
      const match = /^(.*\S)\s+(\S+)$/.exec(line.trim())!;
      return { name: match[1], value: Number(match[2]) };
    });
}

/** The authors' posterior mean and σ in file order (the .err table: `mean(σ)` as printed). */
export function authorsPosterior(): { name: string; mean: number; sd: number }[] {
  const rows: { name: string; mean: number; sd: number }[] = [];
  for (const line of fs.readFileSync(path.join(fitsDir, "Cu-THF-218386-full-sequence.err"), "utf8").split("\n")) {
    const match = /^\s*\d+\s+(.+?)\s+(-?[\d.]+)\((\d+)\)\s/.exec(line);
    if (!match) continue;
    const [, name, meanText, sdDigits] = match;
    const decimals = meanText.includes(".") ? meanText.length - meanText.indexOf(".") - 1 : 0;
    rows.push({ name, mean: Number(meanText), sd: Number(sdDigits) * 10 ** -decimals });
  }
  return rows;
}

/**
 * The authors' 1-σ resolution: refl1d's dTdL2dQ of their probe (source_…py create_probe):
 * dT from the file's dQ (FWHM) at the fixed angle θ, dL = Δλ/λ(λ)·Q from their moderator
 * formula, combined in quadrature as FWHM and divided by √(8 ln 2).
 */
export function authorsSigma(q: ArrayLike<number>, dqFwhm: ArrayLike<number>, thetaDeg: number): Float64Array {
  const theta = (thetaDeg * Math.PI) / 180;
  const out = new Float64Array(q.length);
  for (let i = 0; i < q.length; i++) {
    const wl = (4 * Math.PI * Math.sin(theta)) / q[i];
    let dtof = 0.0148 * wl ** 3 - 0.5233 * wl * wl + 6.4797 * wl + 231.99;
    if (wl > 2) dtof = 392.31 * wl ** 6 - 3169.3 * wl ** 5 + 10445 * wl ** 4 - 17872 * wl ** 3 + 16509 * wl * wl - 7448.4 * wl + 1280.5;
    const dwlOverWl = (3.956 * dtof) / (1e6 * 15.282 * wl);
    const dL = dwlOverWl * q[i];
    const dT = ((dqFwhm[i] / q[i]) * Math.tan(theta) * 180) / Math.PI;
    const dTrad = (dT * Math.PI) / 180;
    const fwhm = ((4 * Math.PI) / wl) * Math.sqrt(((Math.sin(theta) * dL) / wl) ** 2 + (Math.cos(theta) * dTrad) ** 2);
    out[i] = fwhm / Math.sqrt(8 * Math.log(2));
  }
  return out;
}

/** Slab stack of the authors' sample Si | Ti | Cu | CuOx | THF (fronting → backing), for MODEL.json. */
export function authorsLayers(v: {
  tiD: number; tiSld: number; tiRough: number; cuD: number; cuSld: number; cuRough: number;
  oxD: number; oxSld: number; oxRough: number; thfSld: number; thfRough: number;
}): Record<string, unknown>[] {
  return [
    { name: "Si", sld: 2.07, isld: 0, roughness: 0 },
    { name: "Ti", thickness: v.tiD, sld: v.tiSld, isld: 0, roughness: v.tiRough },
    { name: "Cu", thickness: v.cuD, sld: v.cuSld, isld: 0, roughness: v.cuRough },
    { name: "CuOx", thickness: v.oxD, sld: v.oxSld, isld: 0, roughness: v.oxRough },
    { name: "THF", sld: v.thfSld, isld: 0, roughness: v.thfRough },
  ];
}

/** Parameter names of examples/sns-cu-thf-2025/PROBLEM-*.json in the order of the authors' .par and .err files. */
export const PROBLEM_NAMES: readonly string[] = [
  "I_386_1", "OCV1_THF_rough", "THF_sld", "OCV1_CuOx_rough", "OCV1_CuOx_sld", "OCV1_CuOx_d", "OCV1_Cu_rough", "Cu_sld", "OCV1_Cu_d",
  "OCV1_Ti_rough", "OCV1_Ti_sld", "OCV1_Ti_d", "I_386_3", "I_393_1", "OCV2_THF_rough", "OCV2_CuOx_rough", "OCV2_CuOx_sld", "OCV2_CuOx_d",
  "OCV2_Cu_rough", "OCV2_Cu_d", "OCV2_Ti_rough", "OCV2_Ti_sld", "OCV2_Ti_d", "I_tNR", "theta_offset",
  ...Array.from({ length: 15 }, (_, i) => `Cu_d_tNR${i}`),
];

/** The authors' best value, posterior mean and σ of each PROBLEM parameter. */
export function authorsByName(): Map<string, { best: number; mean: number; sd: number }> {
  const best = authorsBest();
  const posterior = authorsPosterior();
  if (best.length !== PROBLEM_NAMES.length || posterior.length !== PROBLEM_NAMES.length) throw new Error("the authors' .par/.err do not list the 40 parameters of their script");
  return new Map(PROBLEM_NAMES.map((name, i) => [name, { best: best[i].value, mean: posterior[i].mean, sd: posterior[i].sd }]));
}

export const exampleDir = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..", "..", "examples", "sns-cu-thf-2025");

/** A PROBLEM file of the example, parsed (to be changed before fitting with `fit(json, settings, file)`). */
export interface ProblemJson {
  [key: string]: unknown;
  parameters: Record<string, { value: number; vary?: boolean; min?: number; max?: number }>;
  models: Record<string, { layers: Record<string, unknown>[]; [key: string]: unknown }>;
  datasets: { file: string; model: string; [key: string]: unknown }[];
}

export function exampleProblem(name: "PROBLEM-full.json" | "PROBLEM-steady.json" | "PROBLEM-ocv1.json"): { json: ProblemJson; file: string } {
  const file = path.join(exampleDir, name);
  return { json: JSON.parse(fs.readFileSync(file, "utf8")) as ProblemJson, file };
}

/** Acceptance (issue 15): a value reproduces the authors' within 3 of their posterior σ or 1 % of their value. */
export const AUTHORS_SIGMAS = 3;
export const AUTHORS_RELATIVE = 0.01;

/** Whether `value` of parameter `name` reproduces the authors' (see {@link AUTHORS_SIGMAS}). */
export function withinAuthors(authors: ReturnType<typeof authorsByName>, name: string, value: number): boolean {
  const a = authors.get(name)!;
  return Math.abs(value - a.mean) <= Math.max(AUTHORS_SIGMAS * a.sd, AUTHORS_RELATIVE * Math.abs(a.mean));
}

/** χ² of each dataset of a PROBLEM file at the given values (the rest at the file's), in dataset order. */
export function chi2PerDataset(json: ProblemJson, file: string, values: ReadonlyMap<string, number>): number[] {
  const copy = structuredClone(json);
  for (const [name, spec] of Object.entries(copy.parameters)) spec.value = values.get(name) ?? spec.value;
  const problem = buildProblem(parseProblemFile(copy, file));
  const residuals = problem.objective.residuals(problem.objective.initial());
  let offset = 0;
  return problem.terms.map((term) => {
    let sum = 0;
    for (let i = 0; i < term.q.length; i++) sum += residuals[offset + i] ** 2;
    offset += term.q.length;
    return sum;
  });
}

/** The sum of `values[from..to)`. */
export const sumOf = (values: readonly number[], from = 0, to = values.length): number => values.slice(from, to).reduce((s, x) => s + x, 0);
