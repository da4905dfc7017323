/**
 * @module fit/problem
 * The joint objective of a PROBLEM.json (`strata fit`): one reflectivity term per curve
 * of every dataset, parameters shared by object identity. The file itself is parsed and
 * validated by io/problemFile; this module only builds the fit from its spec.
 */
import { ValidationError } from "../core/errors.ts";
import type { ReflectModel } from "../models/reflectModel.ts";
import type { Parameter } from "../params/index.ts";
import { readProblemFile, type FitSettings, type ProblemSpec } from "../io/problemFile.ts";
import { JointObjective } from "./jointObjective.ts";
import { reflectivityTerm } from "./reflectivityTerm.ts";

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

/**
 * Build the joint objective of a validated problem.
 * @throws ValidationError when a term cannot be built (mask leaves no points, Poisson data not counts)
 *   or the data points cannot determine the varying parameters
 */
export function buildProblem(spec: ProblemSpec): Problem {
  const { file, named, models, settings } = spec;
  const terms: ReturnType<typeof reflectivityTerm>[] = [];
  const datasetModels: string[] = [];
  const warnings: string[] = [];
  for (const dataset of spec.datasets) {
    for (const curve of dataset.curves) {
      const term = reflectivityTerm(models.get(dataset.model)!, curve, dataset.options);
      warnings.push(...term.warnings);
      terms.push(term);
      datasetModels.push(dataset.model);
    }
  }

  const reverse = new Map<Parameter, string>();
  for (const [name, parameter] of named) reverse.set(parameter, name);
  const displayName = (parameter: Parameter): string => reverse.get(parameter) ?? parameter.path;
  const objective = new JointObjective(terms, { named, displayName });
  for (const [name, parameter] of named) {
    if (!objective.space.parameters.includes(parameter)) warnings.push(`parameters.${name} is not used by any model or constraint`);
  }
  const freePoints = objective.nResiduals;
  if (freePoints <= objective.dimension) {
    throw new ValidationError("datasets", `${freePoints} data points cannot determine ${objective.dimension} varying parameters`);
  }
  return { file, named, models, terms, datasetModels, objective, settings, warnings, displayName };
}

/**
 * Worker-thread factory: rebuild a problem's objective from its file (for parallel MCMC walkers).
 * @param spec - `{ file }`: the PROBLEM.json path
 */
export function objectiveFromProblemFile(spec: { file: string }): Promise<JointObjective> {
  return Promise.resolve(buildProblem(readProblemFile(spec.file)).objective);
}
