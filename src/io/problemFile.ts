/**
 * @module io/problemFile
 * PROBLEM.json, the contract of `strata fit`:
 * `{"parameters": {NAME: SPEC}, "models": {ID: MODEL}, "datasets": [{"file", "model", …}], "fit": {…}}`.
 * MODEL is the reflectivity model of `strata reflect` in which any number may be a
 * parameter SPEC: a number (fixed), `{"value", "vary", "min", "max", "prior", "unit"}`,
 * `{"ref": NAME}` (a shared parameter from `parameters`) or `{"expr": "…"}`.
 * Dataset files are `.ort` or columns Q R dR [dQ], relative to the problem file.
 * Dataset options: `"mask": {"qMin", "qMax"}` (Å⁻¹), `"transform": "none"|"logR"`,
 * `"likelihood": "gaussian"|"poisson"`, `"errorInflation": SPEC`, `"dataset": NAME | index` (the ORSO
 * `data_set` name or 0-based index; required for an .ort holding two or more data sets),
 * `"dqMeasure": "fwhm"|"sigma"` (the measure of a column file's dQ when its header does not declare it).
 *
 * This module validates the file and reads its datasets into a {@link ProblemSpec};
 * every error is a ValidationError naming the field (or a ParseError naming the data
 * file and line). fit/problem builds the joint objective from the spec.
 */
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { checkKnownKeys, withUnknownKeyPolicy } from "../core/keys.ts";
import { checkModelPlausibility, parseReflectModel, type ReflectModel } from "../models/reflectModel.ts";
import { ParameterSet, parameterFromSpec, resolveSpec, type Parameter } from "../params/index.ts";
import { readJsonFile } from "./json.ts";
import { readReflectivityData, type DqMeasure, type ReflectivityData } from "./reflectivityData.ts";
import { ortDataSetNames, readOrt, selectDataSet } from "./ort.ts";

export type FitMethod = "lm" | "de" | "mcmc";
/** Where the first optimisation starts (`fit.start`, `strata fit --start`; see api/learnedStart). */
export type FitStart = "auto" | "ml" | "nominal" | "global";
export const FIT_STARTS: readonly FitStart[] = ["auto", "ml", "nominal", "global"];

/** The `fit` block, defaults filled in. */
export interface FitSettings {
  /** @default "lm" */
  method: FitMethod;
  /** @default 1 */
  seed: number;
  /** undefined: "auto" when method is "de", else "nominal" (api/learnedStart) */
  start: FitStart | undefined;
  /**
   * walkers undefined: the sampler's default; steps 2000, burn 500, thin 1; threads
   * undefined: the machine's cores, at most 4 (api/fit). The chain then runs until every
   * parameter has ESS ≥ minEss and the chain ≥ tauFactor·τ (defaults 400 and 50; 0 turns a
   * target off), within maxSeconds of wall time (default 60 s).
   */
  mcmc: { walkers: number | undefined; steps: number; burn: number; thin: number; threads: number | undefined; minEss: number; tauFactor: number; maxSeconds: number };
  /** populationSize and maxGenerations undefined: the optimiser's defaults; polish true by default */
  de: { populationSize: number | undefined; maxGenerations: number | undefined; polish: boolean };
  /** `fit.sequence`: fit the datasets one after another (api/fitSequence); undefined: one joint fit */
  sequence?: SequenceSettings;
}

/** How carried answers enter the next dataset's fit: as its start only, or also as a prior. */
export type SequenceCarry = "value" | "prior";

/** `fit.sequence` (api/fitSequence), defaults filled in. */
export interface SequenceSettings {
  /** indices into `datasets`, in the order they are fitted; undefined: all, as listed */
  datasets: number[] | undefined;
  /** @default "value" */
  carry: SequenceCarry;
  /** with carry "prior": the prior's sd is this many of the previous dataset's sd. @default 3 */
  priorWidth: number;
}

/** How one dataset enters the fit (the options of a reflectivity term). */
export interface ProblemDatasetOptions {
  /** @default "gaussian" */
  likelihood?: "gaussian" | "poisson";
  /** @default "none" */
  transform?: "none" | "logR";
  /** Keep only qMin ≤ Q ≤ qMax (Å⁻¹). */
  mask?: { qMin?: number; qMax?: number };
  /** Fitted fractional error inflation f (σ² → σ² + f²m²). */
  errorInflation?: Parameter;
}

/** One entry of `datasets`, its file read. */
export interface ProblemDataset {
  /** id of the model (a key of {@link ProblemSpec.models}) */
  readonly model: string;
  /** the one curve of the file that `dataset` selects (the only one of a single-dataset file) */
  readonly curves: ReflectivityData[];
  readonly options: ProblemDatasetOptions;
}

/** A validated PROBLEM.json. */
export interface ProblemSpec {
  /** the problem file (named in messages) */
  readonly file: string;
  /** shared parameters by name */
  readonly named: ReadonlyMap<string, Parameter>;
  readonly models: ReadonlyMap<string, ReflectModel>;
  readonly datasets: ProblemDataset[];
  readonly settings: FitSettings;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function positiveInteger(value: unknown, path: string, fallback: number): number;
function positiveInteger(value: unknown, path: string, fallback: undefined): number | undefined;
function positiveInteger(value: unknown, path: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new ValidationError(path, "must be a non-negative integer", value);
  return value;
}

/** Options of {@link readProblemFile} and {@link parseProblemFile}. */
export interface ProblemFileOptions {
  /** Measure of column files' dQ for datasets that declare none (CLI `--dq-measure`); a dataset's own `dqMeasure` must agree. */
  dqMeasure?: DqMeasure;
  /** Unknown keys are warnings instead of errors (`strata --lenient`). @default the process policy (core/keys): false */
  lenient?: boolean;
}

function nonNegativeNumber(value: unknown, path: string, fallback: number, strict = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0 || (strict && value === 0)) throw new ValidationError(path, `must be a finite number ${strict ? ">" : "≥"} 0`, value);
  return value;
}

/** Read, validate and load a PROBLEM.json file (its datasets relative to its folder). */
export function readProblemFile(file: string, options: ProblemFileOptions = {}): ProblemSpec {
  return parseProblemFile(readJsonFile(file), file, options);
}

/**
 * Validate a parsed PROBLEM.json and read its datasets.
 * @param spec - parsed JSON
 * @param file - the problem file (datasets are relative to its folder; named in messages)
 * @param options - `dqMeasure`: default measure of column files' dQ
 * @throws ValidationError naming the offending field; ParseError naming a data file and line
 */
export function parseProblemFile(spec: unknown, file: string, options: ProblemFileOptions = {}): ProblemSpec {
  return withUnknownKeyPolicy({ lenient: options.lenient }, () => parseProblem(spec, file, options));
}

function parseProblem(spec: unknown, file: string, options: ProblemFileOptions): ProblemSpec {
  if (!isRecord(spec)) throw new ValidationError("problem", "must be a JSON object", spec);
  checkKnownKeys(spec, "", ["parameters", "models", "datasets", "fit", "comment", "name"]);
  const named = new Map<string, Parameter>();
  const parameterSpecs = spec["parameters"] ?? {};
  if (!isRecord(parameterSpecs)) throw new ValidationError("parameters", "must be an object of NAME: SPEC", parameterSpecs);
  for (const [name, parameterSpec] of Object.entries(parameterSpecs)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new ValidationError(`parameters.${name}`, "a shared parameter name must be an identifier usable in expressions", name);
    named.set(name, parameterFromSpec(name, parameterSpec, `parameters.${name}`));
  }
  // constraints among the shared parameters are checked now, whether or not a model uses them
  new ParameterSet([...named.values()], { named });
  const modelSpecs = spec["models"];
  if (!isRecord(modelSpecs) || Object.keys(modelSpecs).length === 0) throw new ValidationError("models", "must be an object of ID: MODEL with at least one model", modelSpecs);
  const models = new Map<string, ReflectModel>();
  for (const [id, modelSpec] of Object.entries(modelSpecs)) {
    checkModelPlausibility(modelSpec, `models.${id}`);
    models.set(id, parseReflectModel(modelSpec, `models.${id}`, named));
  }

  // the whole document is checked before any data file is read
  const settings = parseSettings(spec["fit"]);
  const datasetSpecs = spec["datasets"];
  if (!Array.isArray(datasetSpecs) || datasetSpecs.length === 0) throw new ValidationError("datasets", "must be a non-empty array of {file, model}", datasetSpecs);
  const base = path.dirname(file);
  const datasets = datasetSpecs.map((datasetSpec: unknown, index: number) => parseDataset(datasetSpec, `datasets[${index}]`, base, models, named, options.dqMeasure));
  return { file, named, models, datasets, settings };
}

function parseDataset(datasetSpec: unknown, at: string, base: string, models: ReadonlyMap<string, ReflectModel>, named: ReadonlyMap<string, Parameter>, defaultDqMeasure: DqMeasure | undefined): ProblemDataset {
  if (!isRecord(datasetSpec)) throw new ValidationError(at, "must be an object {file, model}", datasetSpec);
  checkKnownKeys(datasetSpec, at, ["file", "model", "mask", "transform", "likelihood", "errorInflation", "dataset", "dqMeasure"]);
  const dataFile = datasetSpec["file"];
  if (typeof dataFile !== "string" || dataFile === "") throw new ValidationError(`${at}.file`, "must be a file path", dataFile);
  const modelId = datasetSpec["model"];
  if (typeof modelId !== "string" || !models.has(modelId)) throw new ValidationError(`${at}.model`, `must name one of the models (${[...models.keys()].join(", ")})`, modelId);
  const options: ProblemDatasetOptions = {};
  const transform = datasetSpec["transform"];
  if (transform !== undefined) {
    if (transform !== "none" && transform !== "logR") throw new ValidationError(`${at}.transform`, 'must be "none" or "logR"', transform);
    options.transform = transform;
  }
  const likelihood = datasetSpec["likelihood"];
  if (likelihood !== undefined) {
    if (likelihood !== "gaussian" && likelihood !== "poisson") throw new ValidationError(`${at}.likelihood`, 'must be "gaussian" or "poisson"', likelihood);
    options.likelihood = likelihood;
  }
  const mask = datasetSpec["mask"];
  if (mask !== undefined) {
    if (!isRecord(mask)) throw new ValidationError(`${at}.mask`, "must be {qMin, qMax}", mask);
    checkKnownKeys(mask, `${at}.mask`, ["qMin", "qMax"]);
    const qMin = mask["qMin"];
    const qMax = mask["qMax"];
    if (qMin !== undefined && typeof qMin !== "number") throw new ValidationError(`${at}.mask.qMin`, "must be a number (Å⁻¹)", qMin);
    if (qMax !== undefined && typeof qMax !== "number") throw new ValidationError(`${at}.mask.qMax`, "must be a number (Å⁻¹)", qMax);
    options.mask = { qMin, qMax };
  }
  if (datasetSpec["errorInflation"] !== undefined) {
    options.errorInflation = resolveSpec(datasetSpec["errorInflation"], named, `${at}.errorInflation`, `${at}.errorInflation`);
  }
  const dqMeasure = datasetSpec["dqMeasure"];
  if (dqMeasure !== undefined && dqMeasure !== "fwhm" && dqMeasure !== "sigma") throw new ValidationError(`${at}.dqMeasure`, 'must be "fwhm" or "sigma" (the measure of the file\'s dQ column)', dqMeasure);
  if (dqMeasure !== undefined && defaultDqMeasure !== undefined && dqMeasure !== defaultDqMeasure) {
    throw new ValidationError(`${at}.dqMeasure`, `contradicts --dq-measure ${defaultDqMeasure}`, dqMeasure);
  }
  const measure = dqMeasure ?? defaultDqMeasure;
  const fullPath = path.resolve(base, dataFile);
  const curves = readReflectivityData(fullPath, measure === undefined ? {} : { dqMeasure: measure });
  // by ORSO data_set name or index; a file of several data sets must say which (issue 16)
  const selector = datasetSpec["dataset"];
  const names = path.extname(fullPath).toLowerCase() === ".ort" && (curves.length > 1 || typeof selector === "string") ? ortDataSetNames(readOrt(fullPath)) : curves.map((_, i) => String(i));
  const which = selectDataSet(names, selector, `${at}.dataset`, dataFile);
  return { model: modelId, curves: [curves[which]], options };
}

function parseSettings(spec: unknown): FitSettings {
  const fit = spec ?? {};
  if (!isRecord(fit)) throw new ValidationError("fit", "must be an object", fit);
  checkKnownKeys(fit, "fit", ["method", "seed", "start", "mcmc", "de", "sequence"]);
  const method = fit["method"] ?? "lm";
  if (method !== "lm" && method !== "de" && method !== "mcmc") throw new ValidationError("fit.method", 'must be "lm", "de" or "mcmc"', method);
  const seed = positiveInteger(fit["seed"], "fit.seed", 1);
  const start = fit["start"];
  if (start !== undefined && !FIT_STARTS.includes(start as FitStart)) throw new ValidationError("fit.start", `must be ${FIT_STARTS.map((s) => `"${s}"`).join(", ")}`, start);
  const mcmcSpec = fit["mcmc"] ?? {};
  if (!isRecord(mcmcSpec)) throw new ValidationError("fit.mcmc", "must be an object", mcmcSpec);
  checkKnownKeys(mcmcSpec, "fit.mcmc", ["walkers", "steps", "burn", "thin", "threads", "minEss", "tauFactor", "maxSeconds"]);
  const deSpec = fit["de"] ?? {};
  if (!isRecord(deSpec)) throw new ValidationError("fit.de", "must be an object", deSpec);
  checkKnownKeys(deSpec, "fit.de", ["populationSize", "maxGenerations", "polish"]);
  const mcmc = {
    walkers: positiveInteger(mcmcSpec["walkers"], "fit.mcmc.walkers", undefined),
    steps: positiveInteger(mcmcSpec["steps"], "fit.mcmc.steps", 2000),
    burn: positiveInteger(mcmcSpec["burn"], "fit.mcmc.burn", 500),
    thin: Math.max(1, positiveInteger(mcmcSpec["thin"], "fit.mcmc.thin", 1)),
    threads: positiveInteger(mcmcSpec["threads"], "fit.mcmc.threads", undefined),
    minEss: nonNegativeNumber(mcmcSpec["minEss"], "fit.mcmc.minEss", 400),
    tauFactor: nonNegativeNumber(mcmcSpec["tauFactor"], "fit.mcmc.tauFactor", 50),
    maxSeconds: nonNegativeNumber(mcmcSpec["maxSeconds"], "fit.mcmc.maxSeconds", 60, true),
  };
  if (mcmc.walkers !== undefined && mcmc.walkers % 2 !== 0) throw new ValidationError("fit.mcmc.walkers", "must be even", mcmc.walkers);
  const polish = deSpec["polish"] ?? true;
  if (typeof polish !== "boolean") throw new ValidationError("fit.de.polish", "must be true or false", polish);
  const de = {
    populationSize: positiveInteger(deSpec["populationSize"], "fit.de.populationSize", undefined),
    maxGenerations: positiveInteger(deSpec["maxGenerations"], "fit.de.maxGenerations", undefined),
    polish,
  };
  const sequence = fit["sequence"] === undefined ? undefined : parseSequence(fit["sequence"]);
  return { method, seed, start: start as FitStart | undefined, mcmc, de, ...(sequence ? { sequence } : {}) };
}

/** `fit.sequence`: `true` or `{"datasets": [i, …], "carry": "value"|"prior", "priorWidth": k}`. */
export function parseSequence(spec: unknown): SequenceSettings {
  const sequence = spec === true ? {} : spec;
  if (!isRecord(sequence)) throw new ValidationError("fit.sequence", 'must be true or {"datasets": [i, …], "carry": "value"|"prior", "priorWidth": k}', spec);
  checkKnownKeys(sequence, "fit.sequence", ["datasets", "carry", "priorWidth"]);
  const datasets = sequence["datasets"];
  if (datasets !== undefined) {
    if (!Array.isArray(datasets) || datasets.length === 0) throw new ValidationError("fit.sequence.datasets", "must be a non-empty list of dataset indices", datasets);
    datasets.forEach((d, i) => {
      if (typeof d !== "number" || !Number.isInteger(d) || d < 0) throw new ValidationError(`fit.sequence.datasets[${i}]`, "must be a dataset index (an integer ≥ 0)", d);
      if (datasets.indexOf(d) !== i) throw new ValidationError(`fit.sequence.datasets[${i}]`, "repeats an earlier index", d);
    });
  }
  const carry = sequence["carry"] ?? "value";
  if (carry !== "value" && carry !== "prior") throw new ValidationError("fit.sequence.carry", 'must be "value" (the previous answer is the start) or "prior" (and a normal prior around it)', carry);
  const priorWidth = nonNegativeNumber(sequence["priorWidth"], "fit.sequence.priorWidth", 3, true);
  return { datasets: datasets as number[] | undefined, carry, priorWidth };
}
