/**
 * @module fit/problem
 * PROBLEM.json, the contract of `strata fit`:
 * `{"parameters": {NAME: SPEC}, "models": {ID: MODEL}, "datasets": [{"file", "model", …}], "fit": {…}}`.
 * MODEL is the reflectivity model of `strata reflect` in which any number may be a
 * parameter SPEC: a number (fixed), `{"value", "vary", "min", "max", "prior", "unit"}`,
 * `{"ref": NAME}` (a shared parameter from `parameters`) or `{"expr": "…"}`.
 * Dataset files are `.ort` or columns Q R dR [dQ], relative to the problem file.
 * Dataset options: `"mask": {"qMin", "qMax"}`, `"transform": "none"|"logR"`,
 * `"likelihood": "gaussian"|"poisson"`, `"errorInflation": SPEC`, `"dataset": index` (for multi-dataset .ort).
 */
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { parseReflectModel, type ReflectModel } from "../models/reflectModel.ts";
import { ParameterSet, parameterFromSpec, resolveSpec, type Parameter } from "../params/index.ts";
import { readReflectivityData } from "../io/reflectivityData.ts";
import { JointObjective } from "./jointObjective.ts";
import { reflectivityTerm, type ReflectivityTermOptions } from "./reflectivityTerm.ts";

export type FitMethod = "lm" | "de" | "mcmc";

export interface FitSettings {
  method: FitMethod;
  seed: number;
  mcmc: { walkers: number | undefined; steps: number; burn: number; thin: number; threads: number };
  de: { populationSize: number | undefined; maxGenerations: number | undefined; polish: boolean };
}

export interface Problem {
  readonly file: string;
  readonly named: ReadonlyMap<string, Parameter>;
  readonly models: ReadonlyMap<string, ReflectModel>;
  readonly terms: ReturnType<typeof reflectivityTerm>[];
  readonly datasetModels: string[];
  readonly objective: JointObjective;
  readonly settings: FitSettings;
  readonly warnings: string[];
  /** Output name of a parameter: its shared name, else its JSON path. */
  displayName(parameter: Parameter): string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function positiveInteger(value: unknown, path: string, fallback: number): number;
function positiveInteger(value: unknown, path: string, fallback: undefined): number | undefined;
function positiveInteger(value: unknown, path: string, fallback: number | undefined): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) throw new ValidationError(path, "must be a non-negative integer", value);
  return value;
}

/**
 * Validate a parsed PROBLEM.json, read its datasets and build the joint objective.
 * @param spec - parsed JSON
 * @param file - the problem file (datasets are relative to its folder; named in messages)
 */
export function parseProblem(spec: unknown, file: string): Problem {
  if (!isRecord(spec)) throw new ValidationError("problem", "must be a JSON object", spec);
  for (const key of Object.keys(spec)) {
    if (!["parameters", "models", "datasets", "fit", "comment", "name"].includes(key)) {
      throw new ValidationError(key, "unknown field (expected parameters, models, datasets, fit)");
    }
  }
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
  for (const [id, modelSpec] of Object.entries(modelSpecs)) models.set(id, parseReflectModel(modelSpec, `models.${id}`, named));

  const datasetSpecs = spec["datasets"];
  if (!Array.isArray(datasetSpecs) || datasetSpecs.length === 0) throw new ValidationError("datasets", "must be a non-empty array of {file, model}", datasetSpecs);
  const base = path.dirname(file);
  const terms: ReturnType<typeof reflectivityTerm>[] = [];
  const datasetModels: string[] = [];
  const warnings: string[] = [];
  datasetSpecs.forEach((datasetSpec: unknown, index: number) => {
    const at = `datasets[${index}]`;
    if (!isRecord(datasetSpec)) throw new ValidationError(at, "must be an object {file, model}", datasetSpec);
    for (const key of Object.keys(datasetSpec)) {
      if (!["file", "model", "mask", "transform", "likelihood", "errorInflation", "dataset"].includes(key)) throw new ValidationError(`${at}.${key}`, "unknown field");
    }
    const dataFile = datasetSpec["file"];
    if (typeof dataFile !== "string" || dataFile === "") throw new ValidationError(`${at}.file`, "must be a file path", dataFile);
    const modelId = datasetSpec["model"];
    if (typeof modelId !== "string" || !models.has(modelId)) throw new ValidationError(`${at}.model`, `must name one of the models (${[...models.keys()].join(", ")})`, modelId);
    const options: ReflectivityTermOptions = {};
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
      const qMin = mask["qMin"];
      const qMax = mask["qMax"];
      if (qMin !== undefined && typeof qMin !== "number") throw new ValidationError(`${at}.mask.qMin`, "must be a number (Å⁻¹)", qMin);
      if (qMax !== undefined && typeof qMax !== "number") throw new ValidationError(`${at}.mask.qMax`, "must be a number (Å⁻¹)", qMax);
      options.mask = { qMin, qMax };
    }
    if (datasetSpec["errorInflation"] !== undefined) {
      options.errorInflation = resolveSpec(datasetSpec["errorInflation"], named, `${at}.errorInflation`, `${at}.errorInflation`);
    }
    const curves = readReflectivityData(path.resolve(base, dataFile));
    const which = positiveInteger(datasetSpec["dataset"], `${at}.dataset`, undefined);
    const selected = which === undefined ? curves : [curves[which]];
    if (which !== undefined && !curves[which]) throw new ValidationError(`${at}.dataset`, `the file has ${curves.length} datasets`, which);
    for (const curve of selected) {
      const term = reflectivityTerm(models.get(modelId)!, curve, options);
      warnings.push(...term.warnings);
      terms.push(term);
      datasetModels.push(modelId);
    }
  });

  const reverse = new Map<Parameter, string>();
  for (const [name, parameter] of named) reverse.set(parameter, name);
  const displayName = (parameter: Parameter): string => reverse.get(parameter) ?? parameter.path;
  const objective = new JointObjective(terms, { named, displayName });
  for (const [name, parameter] of named) {
    if (!objective.space.parameters.includes(parameter)) warnings.push(`parameters.${name} is not used by any model or constraint`);
  }
  const settings = parseSettings(spec["fit"]);
  const freePoints = objective.nResiduals;
  if (freePoints <= objective.dimension) {
    throw new ValidationError("datasets", `${freePoints} data points cannot determine ${objective.dimension} varying parameters`);
  }
  return { file, named, models, terms, datasetModels, objective, settings, warnings, displayName };
}

function parseSettings(spec: unknown): FitSettings {
  const fit = spec ?? {};
  if (!isRecord(fit)) throw new ValidationError("fit", "must be an object", fit);
  const method = fit["method"] ?? "lm";
  if (method !== "lm" && method !== "de" && method !== "mcmc") throw new ValidationError("fit.method", 'must be "lm", "de" or "mcmc"', method);
  const seed = positiveInteger(fit["seed"], "fit.seed", 1);
  const mcmcSpec = fit["mcmc"] ?? {};
  if (!isRecord(mcmcSpec)) throw new ValidationError("fit.mcmc", "must be an object", mcmcSpec);
  const deSpec = fit["de"] ?? {};
  if (!isRecord(deSpec)) throw new ValidationError("fit.de", "must be an object", deSpec);
  const mcmc = {
    walkers: positiveInteger(mcmcSpec["walkers"], "fit.mcmc.walkers", undefined),
    steps: positiveInteger(mcmcSpec["steps"], "fit.mcmc.steps", 2000),
    burn: positiveInteger(mcmcSpec["burn"], "fit.mcmc.burn", 500),
    thin: Math.max(1, positiveInteger(mcmcSpec["thin"], "fit.mcmc.thin", 1)),
    threads: Math.max(1, positiveInteger(mcmcSpec["threads"], "fit.mcmc.threads", 1)),
  };
  if (mcmc.walkers !== undefined && mcmc.walkers % 2 !== 0) throw new ValidationError("fit.mcmc.walkers", "must be even", mcmc.walkers);
  const polish = deSpec["polish"] ?? true;
  if (typeof polish !== "boolean") throw new ValidationError("fit.de.polish", "must be true or false", polish);
  const de = {
    populationSize: positiveInteger(deSpec["populationSize"], "fit.de.populationSize", undefined),
    maxGenerations: positiveInteger(deSpec["maxGenerations"], "fit.de.maxGenerations", undefined),
    polish,
  };
  return { method, seed, mcmc, de };
}

/**
 * Worker-thread factory: rebuild a problem's objective from its file (for parallel MCMC walkers).
 * @param spec - `{ file }`: the PROBLEM.json path
 */
export async function objectiveFromProblemFile(spec: { file: string }): Promise<JointObjective> {
  const { readJsonFile } = await import("../io/json.ts");
  return parseProblem(readJsonFile(spec.file), spec.file).objective;
}
