/**
 * @module params/constraints
 * Resolves constraint expressions: names → parameters, dependency graph,
 * topological evaluation order, cycle and unknown-name detection.
 */

import { ConstraintCycleError, UnknownParameterError, ValidationError } from "../core/errors.ts";
import { freeVariables } from "./expr/freeVariables.ts";
import type { Parameter } from "./parameter.ts";

/** The outcome of {@link resolveConstraints}. */
export interface ResolvedConstraints {
  /** Every parameter, deduplicated by identity, in first-seen order; parameters reached only through expressions come last. */
  readonly parameters: readonly Parameter[];
  /** The constrained parameters, each after everything it depends on. */
  readonly order: readonly Parameter[];
  /** For each constrained parameter, its expression's names resolved to parameters. */
  readonly references: ReadonlyMap<Parameter, ReadonlyMap<string, Parameter>>;
}

function describeConstraint(p: Parameter): string {
  return `${p.path}.expr ${JSON.stringify(p.expr)}`;
}

/**
 * Collects parameters, resolves every `expr` by name and orders the constrained
 * ones so that each is evaluated after its dependencies.
 *
 * A name is looked up first in `named`, then among the names of `parameters`
 * themselves (which must then be unambiguous). Parameters found only through
 * `named` are added to the collection (they contribute values, and may vary).
 *
 * @param parameters - parameters in slot order; duplicates (same object) are kept once
 * @param named - the names expressions may use, beyond the parameters' own
 * @returns the collection, evaluation order and resolved references
 * @throws UnknownParameterError naming the missing name and the parameter/expression that uses it
 * @throws ValidationError if a name matches several distinct parameters (and `named` does not settle it)
 * @throws ConstraintCycleError listing the cycle, e.g. `a -> b -> a`
 */
export function resolveConstraints(
  parameters: Iterable<Parameter>,
  named?: ReadonlyMap<string, Parameter>,
): ResolvedConstraints {
  const collected: Parameter[] = [];
  const seen = new Set<Parameter>();
  const add = (p: Parameter): void => {
    if (!seen.has(p)) {
      seen.add(p);
      collected.push(p);
    }
  };
  for (const p of parameters) add(p);

  const own = new Map<string, Parameter | null>(); // null: ambiguous
  for (const p of collected) {
    const other = own.get(p.name);
    own.set(p.name, other === undefined || other === p ? p : null);
  }

  const references = new Map<Parameter, ReadonlyMap<string, Parameter>>();
  // `collected` grows while we walk it: dependencies reached through `named` get resolved too.
  for (let i = 0; i < collected.length; i++) {
    const p = collected[i];
    const ast = p.expression;
    if (ast === undefined) continue;
    const refs = new Map<string, Parameter>();
    for (const name of freeVariables(ast)) {
      let target = named?.get(name);
      if (target === undefined) {
        const local = own.get(name);
        if (local === null) {
          throw new ValidationError(`${p.path}.expr`, `ambiguous parameter name "${name}": several distinct parameters have it`, p.expr);
        }
        target = local;
      }
      if (target === undefined) throw new UnknownParameterError(name, describeConstraint(p));
      refs.set(name, target);
      add(target);
    }
    references.set(p, refs);
  }

  const order: Parameter[] = [];
  const state = new Map<Parameter, "visiting" | "done">();
  const stack: Parameter[] = [];
  const visit = (p: Parameter): void => {
    const s = state.get(p);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(p)), p];
      throw new ConstraintCycleError(cycle.map((q) => q.name));
    }
    state.set(p, "visiting");
    stack.push(p);
    for (const dep of references.get(p)!.values()) {
      if (references.has(dep)) visit(dep);
    }
    stack.pop();
    state.set(p, "done");
    order.push(p);
  };
  for (const p of collected) if (references.has(p)) visit(p);

  return { parameters: collected, order, references };
}
