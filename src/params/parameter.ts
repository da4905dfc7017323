/**
 * @module params/parameter
 * {@link Parameter}: a named number with bounds, a prior, and either a vary
 * flag or a constraint expression. No physics here.
 *
 * Identity matters: the same `Parameter` object used in several models is one
 * parameter (one entry in a fit). Sharing is by object in memory; never by name.
 */

import { ValidationError } from "../core/errors.ts";
import type { ExprNode } from "./expr/ast.ts";
import { parseExpression } from "./expr/parse.ts";
import { compileLogPrior, priorBounds, validatePrior } from "./prior.ts";
import type { Prior } from "./prior.ts";

/** Closed interval [min, max]; either end may be infinite. */
export interface Bounds {
  readonly min: number;
  readonly max: number;
}

/** What a parameter's mutable state can be set to (all optional; see {@link Parameter.update}). */
export interface ParameterChanges {
  /** Current value; must be finite and inside [min, max]. Required unless `expr` is given. */
  readonly value?: number;
  /** Whether a fit may change it. @default false */
  readonly vary?: boolean;
  /** Lower bound. @default -Infinity */
  readonly min?: number;
  /** Upper bound. @default Infinity */
  readonly max?: number;
  /** Explicit prior. @default uniform over the bounds if both are finite, else an improper flat prior */
  readonly prior?: Prior | undefined;
  /** Constraint expression over other parameters' names (e.g. `"total - t1"`); such a parameter cannot vary. */
  readonly expr?: string | undefined;
  /** Unit label, e.g. `"Å"`, `"1e-6 Å^-2"`, `"Ω"`. */
  readonly unit?: string | undefined;
}

/** Constructor options: {@link ParameterChanges} plus a fixed `id`. */
export interface ParameterOptions extends ParameterChanges {
  /** Stable identifier, e.g. when loading a stored document. @default a fresh random UUID */
  readonly id?: string;
}

interface State {
  value: number;
  vary: boolean;
  bounds: Bounds;
  prior: Prior | undefined;
  expr: string | undefined;
  ast: ExprNode | undefined;
  unit: string | undefined;
}

const UNBOUNDED: Bounds = Object.freeze({ min: -Infinity, max: Infinity });

function formatBound(x: number): string {
  return x === Infinity ? "∞" : x === -Infinity ? "−∞" : String(x);
}

/**
 * Applies `changes` to `current` and validates the result as a whole, so that a
 * value and its new bounds can be changed together.
 */
function resolveState(current: State | undefined, changes: ParameterChanges, path: string): State {
  const has = (key: keyof ParameterChanges): boolean => Object.hasOwn(changes, key) || current === undefined;

  let bounds = current?.bounds ?? UNBOUNDED;
  if (changes.min !== undefined || changes.max !== undefined) {
    const min = changes.min ?? bounds.min;
    const max = changes.max ?? bounds.max;
    if (typeof min !== "number" || Number.isNaN(min)) throw new ValidationError(`${path}.min`, "min must be a number", min);
    if (typeof max !== "number" || Number.isNaN(max)) throw new ValidationError(`${path}.max`, "max must be a number", max);
    if (!(min < max)) throw new ValidationError(`${path}.min`, `min must be less than max (${formatBound(max)})`, min);
    bounds = Object.freeze({ min, max });
  }

  let vary = current?.vary ?? false;
  if (changes.vary !== undefined) {
    if (typeof changes.vary !== "boolean") throw new ValidationError(`${path}.vary`, "vary must be true or false", changes.vary);
    vary = changes.vary;
  }

  let expr = current?.expr;
  let ast = current?.ast;
  if (has("expr")) {
    expr = changes.expr;
    ast = undefined;
    if (expr !== undefined) {
      if (typeof expr !== "string" || expr.trim() === "") {
        throw new ValidationError(`${path}.expr`, "expr must be a non-empty string", expr);
      }
      ast = parseExpression(expr, `${path}.expr`);
    }
  }
  if (expr !== undefined && vary) {
    throw new ValidationError(`${path}.vary`, `a constrained parameter (expr ${JSON.stringify(expr)}) cannot vary`, vary);
  }

  let prior = current?.prior;
  if (has("prior")) {
    prior = changes.prior;
    if (prior !== undefined) {
      validatePrior(prior, `${path}.prior`);
      prior = Object.freeze({ ...prior });
    }
  }

  let unit = current?.unit;
  if (has("unit")) {
    unit = changes.unit;
    if (unit !== undefined && typeof unit !== "string") throw new ValidationError(`${path}.unit`, "unit must be a string", unit);
  }

  let value = current?.value ?? NaN;
  if (changes.value !== undefined) value = changes.value;
  if (typeof value !== "number") throw new ValidationError(`${path}.value`, "value must be a number", value);
  // A constrained parameter's value is whatever its expression last evaluated to: NaN until then.
  const unevaluated = expr !== undefined && Number.isNaN(value);
  if (!unevaluated) {
    if (!Number.isFinite(value)) {
      const detail = current === undefined && changes.value === undefined ? "a value is required" : "value must be a finite number";
      throw new ValidationError(`${path}.value`, detail, changes.value === undefined ? undefined : value);
    }
    if (value < bounds.min || value > bounds.max) {
      throw new ValidationError(
        `${path}.value`,
        `value outside bounds [${formatBound(bounds.min)}, ${formatBound(bounds.max)}]`,
        value,
      );
    }
  }
  return { value, vary, bounds, prior, expr, ast, unit };
}

/**
 * A model parameter.
 *
 * Never clamps: setting a value outside its bounds throws. A parameter with an
 * `expr` is constrained: its value follows from other parameters (resolved by
 * name in a {@link ParameterSet}) and it cannot vary.
 *
 * @example
 * const thickness = new Parameter("t_sei", { value: 50, vary: true, min: 0, max: 200, unit: "Å" });
 * const total = new Parameter("total", { expr: "t_sei + 20", unit: "Å" });
 */
export class Parameter {
  /** Unique identifier (used when the parameter is stored or sent; in memory, identity is the object). */
  readonly id: string;
  /** Display name; also the name constraint expressions use to refer to it. */
  readonly name: string;
  /** Path used in error messages (the JSON path it was read from, or the name). */
  readonly path: string;
  #state: State;

  /**
   * @param name - non-empty display name
   * @param options - value, vary, bounds, prior, expr, unit, id
   * @param path - prefix for error messages (e.g. `parameters.t_sei`) @default name
   * @throws ValidationError naming `path.field` and the value: NaN, min ≥ max, value outside bounds,
   *   bad prior, unparsable expr, vary together with expr, missing value
   */
  constructor(name: string, options: ParameterOptions = {}, path: string = name) {
    if (typeof name !== "string" || name === "") throw new ValidationError(`${path}.name`, "name must be a non-empty string", name);
    if (options.id !== undefined && (typeof options.id !== "string" || options.id === "")) {
      throw new ValidationError(`${path}.id`, "id must be a non-empty string", options.id);
    }
    this.name = name;
    this.path = path;
    this.id = options.id ?? globalThis.crypto.randomUUID();
    this.#state = resolveState(undefined, options, path);
  }

  /** Current value (NaN for a constrained parameter not yet evaluated). */
  get value(): number {
    return this.#state.value;
  }
  /** @throws ValidationError if not finite or outside the bounds */
  set value(value: number) {
    this.update({ value });
  }

  /** Whether a fit may change it (always false when constrained). */
  get vary(): boolean {
    return this.#state.vary;
  }
  /** @throws ValidationError if the parameter is constrained */
  set vary(vary: boolean) {
    this.update({ vary });
  }

  /** Bounds [min, max] (frozen). Change with {@link setBounds} or {@link update}. */
  get bounds(): Bounds {
    return this.#state.bounds;
  }

  /** The explicit prior, if one was given (see {@link effectivePrior}). */
  get prior(): Prior | undefined {
    return this.#state.prior;
  }
  /** @throws ValidationError if the prior is malformed */
  set prior(prior: Prior | undefined) {
    this.update({ prior });
  }

  /** Constraint expression source, if constrained. */
  get expr(): string | undefined {
    return this.#state.expr;
  }
  /**
   * Sets or removes the constraint. Only the syntax is checked here; names are
   * resolved, and cycles refused, by a {@link ParameterSet} (use
   * `ParameterSet.constrain` to check at once).
   *
   * @throws ExpressionSyntaxError, or ValidationError if the parameter varies
   */
  set expr(expr: string | undefined) {
    this.update({ expr });
  }

  /** The parsed constraint expression (parsed once, when set). */
  get expression(): ExprNode | undefined {
    return this.#state.ast;
  }

  /** Unit label. */
  get unit(): string | undefined {
    return this.#state.unit;
  }
  set unit(unit: string | undefined) {
    this.update({ unit });
  }

  /** Whether the value follows from a constraint expression. */
  get constrained(): boolean {
    return this.#state.expr !== undefined;
  }

  /**
   * Sets bounds (the current value must lie inside them).
   *
   * @param min - lower bound (may be −Infinity)
   * @param max - upper bound (may be +Infinity), > min
   * @returns this
   * @throws ValidationError on NaN, min ≥ max, or current value outside
   */
  setBounds(min: number, max: number): this {
    return this.update({ min, max });
  }

  /**
   * Changes several fields at once, validated together (all or nothing).
   *
   * @param changes - fields to change; an explicit `undefined` removes `prior`, `expr` or `unit`
   * @returns this
   * @throws ValidationError naming the field and the value; the parameter is unchanged
   * @example p.update({ min: 200, max: 300, value: 250 });
   */
  update(changes: ParameterChanges): this {
    this.#state = resolveState(this.#state, changes, this.path);
    return this;
  }

  /**
   * The prior actually used: the explicit one, else uniform over the bounds when
   * both are finite, else `undefined` (an improper flat prior).
   */
  effectivePrior(): Prior | undefined {
    const { prior, bounds } = this.#state;
    if (prior !== undefined) return prior;
    if (Number.isFinite(bounds.min) && Number.isFinite(bounds.max)) return { kind: "uniform", min: bounds.min, max: bounds.max };
    return undefined;
  }

  /**
   * The support a fit may explore: the bounds intersected with the prior's support.
   *
   * @returns [lo, hi]
   */
  support(): readonly [number, number] {
    const { prior, bounds } = this.#state;
    if (prior === undefined) return [bounds.min, bounds.max];
    const [lo, hi] = priorBounds(prior);
    return [Math.max(lo, bounds.min), Math.min(hi, bounds.max)];
  }

  /**
   * log prior density at `x`: the explicit prior's density (not renormalised to
   * the bounds) or uniform over finite bounds, or 0 for the improper flat prior;
   * −Infinity outside the bounds, the prior's support, or for NaN.
   *
   * @param x - point to evaluate @default the current value
   * @returns ln p(x)
   */
  logPrior(x: number = this.value): number {
    if (!(x >= this.bounds.min && x <= this.bounds.max)) return -Infinity;
    const prior = this.effectivePrior();
    return prior === undefined ? 0 : compileLogPrior(prior)(x);
  }

  /** e.g. `Parameter(t_sei = 50 Å, vary, [0, 200])`. */
  toString(): string {
    const { value, vary, bounds, expr, unit } = this.#state;
    const shown = expr !== undefined ? `${expr} (= ${value})` : String(value);
    const flags = vary ? ", vary" : "";
    const range = bounds === UNBOUNDED ? "" : `, [${formatBound(bounds.min)}, ${formatBound(bounds.max)}]`;
    return `Parameter(${this.name} = ${shown}${unit === undefined ? "" : ` ${unit}`}${flags}${range})`;
  }
}
