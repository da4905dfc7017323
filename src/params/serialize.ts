/**
 * @module params/serialize
 * The JSON forms of a parameter used by the CLI and the service:
 *
 * ```jsonc
 * 12.5                                   // fixed value
 * { "value": 50, "vary": true, "min": 0, "max": 200, "prior": { "kind": "normal", "mean": 40, "sd": 10 }, "unit": "Å" }
 * { "expr": "total - t_sei", "min": 0 }  // constrained (cannot vary, no value, no prior)
 * { "ref": "t_sei" }                     // the shared named parameter t_sei
 * ```
 *
 * Every error names the JSON path of the offending field (e.g.
 * `parameters.t_sei.min`) and the offending value.
 */

import { UnknownParameterError, ValidationError } from "../core/errors.ts";
import { Parameter } from "./parameter.ts";
import type { ParameterOptions } from "./parameter.ts";
import type { Prior } from "./prior.ts";

/** A free or fixed parameter with options. */
export interface ParameterValueSpec {
  readonly value: number;
  /** @default false */
  readonly vary?: boolean;
  /** @default −∞ */
  readonly min?: number;
  /** @default +∞ */
  readonly max?: number;
  readonly prior?: Prior;
  readonly unit?: string;
}

/** A constrained parameter. */
export interface ParameterExprSpec {
  readonly expr: string;
  /** Only `false` is accepted. */
  readonly vary?: false;
  readonly min?: number;
  readonly max?: number;
  readonly unit?: string;
}

/** A reference to a shared, named parameter. */
export interface ParameterRefSpec {
  readonly ref: string;
}

/** Any JSON form of a parameter. */
export type ParameterSpec = number | ParameterValueSpec | ParameterExprSpec | ParameterRefSpec;

const VALUE_KEYS = ["value", "vary", "min", "max", "prior", "unit"] as const;
const EXPR_KEYS = ["expr", "vary", "min", "max", "unit"] as const;
const FORMS = 'a number, or an object with "value", "expr" or "ref"';

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** Whether `spec` has the `{ "ref": … }` form (its contents are not checked). */
export function isRefSpec(spec: unknown): spec is ParameterRefSpec {
  return isRecord(spec) && Object.hasOwn(spec, "ref");
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], path: string, form: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key)) {
      throw new ValidationError(`${path}.${key}`, `unknown field for ${form} (allowed: ${allowed.join(", ")})`, record[key]);
    }
  }
}

function optionalNumber(record: Record<string, unknown>, key: string, path: string): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || Number.isNaN(value)) throw new ValidationError(`${path}.${key}`, `${key} must be a number`, value);
  return value;
}

/**
 * The last name in a JSON path: `models[0].layers[2].thickness` → `thickness`.
 */
function lastSegment(path: string): string {
  const tail = path.slice(path.lastIndexOf(".") + 1).replace(/\[\d+\]$/, "");
  return tail === "" ? path : tail;
}

/**
 * Builds a fresh Parameter from a number, a value object or an expr object.
 * (`{ "ref": … }` needs the shared parameters: use {@link resolveSpec}.)
 *
 * @param name - the parameter's name (what expressions refer to)
 * @param spec - the parsed JSON value
 * @param path - its JSON path, for messages, e.g. `parameters.t_sei`
 * @returns a new Parameter
 * @throws ValidationError naming `path` or `path.field` and the value: not a number/object, NaN or
 *   infinite value, min ≥ max, value outside bounds, unknown field, unknown prior kind, bad prior
 *   fields, expr with vary, value or prior, unparsable expr, a ref
 * @example parameterFromSpec("t_sei", { value: 50, vary: true, min: 0, max: 200 }, "parameters.t_sei").vary // true
 */
export function parameterFromSpec(name: string, spec: unknown, path: string): Parameter {
  if (typeof spec === "number") {
    if (!Number.isFinite(spec)) throw new ValidationError(path, "a fixed value must be a finite number", spec);
    return new Parameter(name, { value: spec }, path);
  }
  if (!isRecord(spec)) throw new ValidationError(path, `expected ${FORMS}`, spec);
  if (Object.hasOwn(spec, "ref")) {
    throw new ValidationError(`${path}.ref`, "a reference cannot be turned into a new parameter; resolve it with resolveSpec", spec["ref"]);
  }

  const min = optionalNumber(spec, "min", path);
  const max = optionalNumber(spec, "max", path);
  const unit = spec["unit"];
  if (unit !== undefined && typeof unit !== "string") throw new ValidationError(`${path}.unit`, "unit must be a string", unit);
  const vary = spec["vary"];
  if (vary !== undefined && typeof vary !== "boolean") throw new ValidationError(`${path}.vary`, "vary must be true or false", vary);

  if (Object.hasOwn(spec, "expr")) {
    const expr = spec["expr"];
    if (typeof expr !== "string") throw new ValidationError(`${path}.expr`, "expr must be a string", expr);
    if (vary === true) {
      throw new ValidationError(`${path}.vary`, `a constrained parameter (expr ${JSON.stringify(expr)}) cannot vary`, vary);
    }
    if (Object.hasOwn(spec, "value")) {
      throw new ValidationError(`${path}.value`, "a constrained parameter takes its value from expr; remove value", spec["value"]);
    }
    if (Object.hasOwn(spec, "prior")) {
      throw new ValidationError(`${path}.prior`, "a constrained parameter cannot have a prior", spec["prior"]);
    }
    checkKeys(spec, EXPR_KEYS, path, "a constrained parameter");
    return new Parameter(name, { expr, min, max, unit }, path);
  }

  checkKeys(spec, VALUE_KEYS, path, "a parameter");
  if (!Object.hasOwn(spec, "value")) throw new ValidationError(`${path}.value`, `a value is required (or give ${FORMS})`);
  const value = spec["value"];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new ValidationError(`${path}.value`, "value must be a finite number", value);
  }
  const options: ParameterOptions = { value, vary, min, max, unit, prior: spec["prior"] as Prior | undefined };
  return new Parameter(name, options, path);
}

/**
 * Resolves any JSON form to a Parameter: a number, value object or expr object
 * gives a fresh Parameter; `{ "ref": NAME }` gives the shared parameter
 * `named.get(NAME)` itself (same object, so it is one parameter in every model
 * that refers to it).
 *
 * Names inside an `expr` are not looked up here; a {@link ParameterSet} does
 * that (so expressions may refer to parameters defined later).
 *
 * @param spec - the parsed JSON value
 * @param named - the shared parameters by name
 * @param path - its JSON path, e.g. `models[0].layers[1].thickness`
 * @param name - name of a fresh parameter @default the last segment of `path`
 * @returns the Parameter
 * @throws UnknownParameterError naming the missing name and `path.ref`
 * @throws ValidationError as {@link parameterFromSpec}; also for a malformed ref
 */
export function resolveSpec(
  spec: unknown,
  named: ReadonlyMap<string, Parameter>,
  path: string,
  name: string = lastSegment(path),
): Parameter {
  if (!isRefSpec(spec)) return parameterFromSpec(name, spec, path);
  const record = spec as unknown as Record<string, unknown>;
  checkKeys(record, ["ref"], path, "a reference");
  const ref = record["ref"];
  if (typeof ref !== "string" || ref === "") throw new ValidationError(`${path}.ref`, "ref must be a parameter name", ref);
  const target = named.get(ref);
  if (target === undefined) throw new UnknownParameterError(ref, `${path}.ref`);
  return target;
}

/**
 * The canonical JSON form of a parameter: `{ "ref" }` if it is one of `named`;
 * else a bare number if it is fixed with no bounds, prior or unit; else an
 * object with only non-default fields (infinite bounds are left out).
 * `parameterFromSpec(name, parameterToSpec(p))` reproduces `p` (but for its id).
 *
 * @param parameter - the parameter
 * @param named - shared parameters by name; a parameter found here is written as a reference
 * @returns the spec
 * @example parameterToSpec(new Parameter("d", { value: 3 })) // 3
 */
export function parameterToSpec(parameter: Parameter, named?: ReadonlyMap<string, Parameter>): ParameterSpec {
  if (named !== undefined) {
    for (const [key, p] of named) if (p === parameter) return { ref: key };
  }
  const { min, max } = parameter.bounds;
  const bounds = {
    ...(Number.isFinite(min) ? { min } : {}),
    ...(Number.isFinite(max) ? { max } : {}),
  };
  const unit = parameter.unit === undefined ? {} : { unit: parameter.unit };
  if (parameter.expr !== undefined) return { expr: parameter.expr, ...bounds, ...unit };
  const bare = !parameter.vary && parameter.prior === undefined && parameter.unit === undefined && Object.keys(bounds).length === 0;
  if (bare) return parameter.value;
  return {
    value: parameter.value,
    ...(parameter.vary ? { vary: true } : {}),
    ...bounds,
    ...(parameter.prior === undefined ? {} : { prior: { ...parameter.prior } }),
    ...unit,
  };
}
