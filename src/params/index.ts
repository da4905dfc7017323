/**
 * @module params
 * The parameter layer: {@link Parameter}s (named numbers with bounds, priors and
 * constraint expressions), {@link ParameterSet} (collects them by identity and
 * resolves constraints), {@link FitSpace} (the frozen, allocation-free map
 * between a fitter's θ and every parameter's value), priors as plain data, a
 * small expression language, and the JSON forms used by the CLI.
 *
 * Contract (style.md §2.3): parameters are shared by object identity in memory
 * and by name/`ref` in JSON, never by naming convention; values are never
 * clamped (out of bounds throws; out of the prior is −∞); a constrained
 * parameter cannot vary; fitters see only θ and the FitSpace's functions of θ,
 * and never write to parameters (`applyValues` is an explicit separate step).
 *
 * Units: none of its own. A parameter's value, bounds and prior are all in the
 * parameter's `unit` (for the models: Å for thickness and roughness,
 * 10⁻⁶ Å⁻² for SLD, Ω for impedances, …).
 *
 * Imports only from `core`.
 */

export { Parameter } from "./parameter.ts";
export type { Bounds, ParameterChanges, ParameterOptions } from "./parameter.ts";
export { ParameterSet } from "./parameterSet.ts";
export type { ParameterSetOptions } from "./parameterSet.ts";
export { createFitSpace } from "./fitSpace.ts";
export type { FitSpace } from "./fitSpace.ts";
export { resolveConstraints } from "./constraints.ts";
export type { ResolvedConstraints } from "./constraints.ts";
export { compileLogPrior, logPrior, PRIOR_KINDS, priorBounds, samplePrior, validatePrior } from "./prior.ts";
export type {
  HalfNormalPrior,
  LogDensity,
  LogNormalPrior,
  LogUniformPrior,
  NormalPrior,
  Prior,
  PriorKind,
  TruncatedNormalPrior,
  UniformPrior,
  UniformSource,
} from "./prior.ts";
export { isRefSpec, parameterFromSpec, parameterToSpec, resolveSpec } from "./serialize.ts";
export type { ParameterExprSpec, ParameterRefSpec, ParameterSpec, ParameterValueSpec } from "./serialize.ts";
export { compileExpression, evaluateExpression, ExpressionSyntaxError, freeVariables, parseExpression } from "./expr/index.ts";
export type { CompiledExpression, ExprNode } from "./expr/index.ts";
