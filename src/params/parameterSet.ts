/**
 * @module params/parameterSet
 * {@link ParameterSet}: the parameters of a problem, collected by identity, with
 * their constraints resolved; the factory of {@link FitSpace}s.
 */

import { resolveConstraints } from "./constraints.ts";
import type { ResolvedConstraints } from "./constraints.ts";
import { createFitSpace } from "./fitSpace.ts";
import type { FitSpace } from "./fitSpace.ts";
import type { Parameter } from "./parameter.ts";

/** Options of {@link ParameterSet}. */
export interface ParameterSetOptions {
  /**
   * Names constraint expressions may refer to, looked up before the parameters'
   * own names (e.g. the CLI's shared `parameters` section). Parameters reached
   * only through this map join the set.
   * @default none: only the parameters' own (unambiguous) names
   */
  readonly named?: ReadonlyMap<string, Parameter>;
}

/**
 * The parameters of a problem. Deduplicates by identity (a parameter shared by
 * two models is counted once), resolves constraint expressions by name, and
 * refuses unknown names and cycles as soon as a constraint is added.
 *
 * Constraints are re-resolved from the parameters' current state on every
 * query, so a constraint edited directly on a Parameter is picked up (and
 * checked) by the next call.
 *
 * @example
 * const a = new Parameter("a", { value: 1, vary: true, min: 0, max: 10 });
 * const b = new Parameter("b", { expr: "2*a" });
 * const space = new ParameterSet([a, b]).fitSpace();
 * space.fromVector(Float64Array.of(3)); // Float64Array [3, 6]
 */
export class ParameterSet {
  readonly #input: Parameter[] = [];
  readonly #named: ReadonlyMap<string, Parameter> | undefined;

  /**
   * @param parameters - initial parameters (duplicates by identity kept once)
   * @param options - see {@link ParameterSetOptions}
   * @throws UnknownParameterError, ConstraintCycleError, ValidationError (ambiguous name)
   */
  constructor(parameters: Iterable<Parameter> = [], options: ParameterSetOptions = {}) {
    this.#named = options.named;
    this.#input.push(...new Set(parameters));
    this.#resolve();
  }

  #resolve(): ResolvedConstraints {
    return resolveConstraints(this.#input, this.#named);
  }

  /** Every parameter in slot order, including those reached only through expressions. */
  get parameters(): readonly Parameter[] {
    return this.#resolve().parameters;
  }

  /** Whether `parameter` (this object) belongs to the set. */
  has(parameter: Parameter): boolean {
    return this.#resolve().parameters.includes(parameter);
  }

  /**
   * Adds parameters (already present ones are ignored). All or nothing.
   *
   * @returns this
   * @throws UnknownParameterError, ConstraintCycleError, ValidationError; the set is unchanged
   */
  add(...parameters: Parameter[]): this {
    const before = this.#input.length;
    for (const p of parameters) if (!this.#input.includes(p)) this.#input.push(p);
    try {
      this.#resolve();
    } catch (error) {
      this.#input.length = before;
      throw error;
    }
    return this;
  }

  /**
   * Sets (or with `undefined` removes) the constraint of `parameter`, adding it
   * to the set if needed, and checks the whole set at once. All or nothing.
   *
   * @param parameter - the parameter to constrain; must not vary
   * @param expr - expression over parameter names, e.g. `"total - t1"`
   * @returns this
   * @throws ExpressionSyntaxError; ValidationError if it varies; UnknownParameterError naming the
   *   missing name and the expression; ConstraintCycleError listing the cycle. On any error the
   *   parameter and the set are unchanged.
   */
  constrain(parameter: Parameter, expr: string | undefined): this {
    const previous = parameter.expr;
    const before = this.#input.length;
    parameter.update({ expr });
    if (!this.#input.includes(parameter)) this.#input.push(parameter);
    try {
      this.#resolve();
    } catch (error) {
      parameter.update({ expr: previous });
      this.#input.length = before;
      throw error;
    }
    return this;
  }

  /** The constrained parameters in evaluation order (each after its dependencies). */
  evaluationOrder(): readonly Parameter[] {
    return this.#resolve().order;
  }

  /**
   * The parameters `parameter`'s expression refers to directly (empty if unconstrained).
   */
  dependenciesOf(parameter: Parameter): readonly Parameter[] {
    const refs = this.#resolve().references.get(parameter);
    return refs === undefined ? [] : [...new Set(refs.values())];
  }

  /**
   * Evaluates every constraint from the current values and writes the results
   * into the constrained Parameters' `value`s. An explicit step (nothing else
   * writes to parameters). All or nothing.
   *
   * @throws ValidationError if a result is NaN or outside its parameter's bounds
   */
  updateConstraints(): void {
    const space = createFitSpace(this.#resolve());
    space.applyValues(space.toVector());
  }

  /**
   * Builds the frozen {@link FitSpace} of the set as it is now.
   *
   * @returns a new fit space
   * @throws UnknownParameterError, ConstraintCycleError, ValidationError if constraints edited since are invalid
   */
  fitSpace(): FitSpace {
    return createFitSpace(this.#resolve());
  }
}
