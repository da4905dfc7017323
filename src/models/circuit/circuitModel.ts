/**
 * @module models/circuit/circuitModel
 * {@link CircuitModel}: an equivalent circuit whose every element parameter is
 * a {@link Parameter}, compiled once against a {@link FitSpace} into the plain
 * program the impedance kernel evaluates. `evaluate(frequency, out)` (current values)
 * and `evaluator(space, frequency)` (a fit's hot path) are the one way to its impedance.
 *
 * Conventions follow impedance.py: parameter names `R0`, `CPE1_0`, `CPE1_1`, …;
 * an `initial` list gives the values of the non-constant parameters in circuit
 * order; `constants` fix parameters by name (so #parameters = len(initial) +
 * len(constants)). Default bounds (see {@link defaultParameterBounds}) are
 * impedance.py's — every parameter ≥ 0 — plus an upper bound of 1 on every
 * exponent (CPE/La/Lb α, Zarc/TLMQ γ); impedance.py bounds only CPE and La α.
 * Constants are unbounded. Bounds can be relaxed per parameter (e.g. negative
 * R or L for inductive loops).
 *
 * Units: frequency Hz, impedance Ω; parameters in their element's units
 * (`ELEMENTS[type].units`: Ω, F, H, s, Ω⁻¹sᵅ, …), recorded on `Parameter.unit`.
 */

import { UnknownParameterError, ValidationError } from "../../core/errors.ts";
import { OP_ADD, OP_ELEMENT, OP_INVERT, createCircuitWorkspace, evaluateCircuit } from "../../kernels/impedance/circuitEval.ts";
import type { CircuitWorkspace, CompiledCircuit } from "../../kernels/impedance/circuitEval.ts";
import { ELEMENTS } from "../../kernels/impedance/elements.ts";
import type { ElementType, ReIm } from "../../kernels/impedance/elements.ts";
import { Parameter } from "../../params/index.ts";
import type { FitSpace } from "../../params/index.ts";
import { parseCircuit } from "./parseCircuit.ts";
import type { CircuitNode, ParsedCircuit } from "./parseCircuit.ts";

/** Options of {@link circuitModel}. */
export interface CircuitModelOptions {
  /**
   * Starting values: a list for the non-constant parameters in circuit order
   * (impedance.py's `initial_guess`), or values by parameter name (others get
   * a placeholder, see {@link placeholderValue}). @default placeholders
   */
  readonly initial?: ArrayLike<number> | Readonly<Record<string, number>>;
  /** Parameters held fixed, by name, e.g. `{ R0: 0.1, Wo1_1: 200 }`. @default none */
  readonly constants?: Readonly<Record<string, number>>;
  /** Bounds [min, max] by parameter name, replacing the defaults. @default {@link defaultParameterBounds} */
  readonly bounds?: Readonly<Record<string, readonly [number, number]>>;
  /**
   * Existing Parameter objects to use by name (shared by identity, e.g. across
   * the spectra of a series). They are used as they are: `initial`, `constants`
   * and `bounds` do not apply to them. @default none
   */
  readonly parameters?: Readonly<Record<string, Parameter>>;
  /** Prefix of error paths. @default "circuit" */
  readonly path?: string;
}

const EXPONENTS: Partial<Record<ElementType, number>> = { CPE: 1, La: 1, Lb: 1, Zarc: 2, TLMQ: 2 };

/**
 * Default bounds of parameter `index` of an element type: [0, 1] for
 * exponents (CPE/La/Lb α, Zarc/TLMQ γ), [0, ∞) for everything else.
 *
 * @param type - element type
 * @param index - parameter index within the element
 * @returns [min, max]
 */
export function defaultParameterBounds(type: ElementType, index: number): readonly [number, number] {
  return EXPONENTS[type] === index ? [0, 1] : [0, Infinity];
}

/**
 * Placeholder starting value when none is given: 0.9 for exponents, 1 for Gs's φ, else 1.
 * Real starting values come from the user or from `initialGuess` in `fit/circuitObjective`.
 */
export function placeholderValue(type: ElementType, index: number): number {
  return EXPONENTS[type] === index ? 0.9 : 1;
}

/** Whether parameter `index` of `type` is a dimensionless exponent (α, γ). */
export function isExponent(type: ElementType, index: number): boolean {
  return EXPONENTS[type] === index;
}

/** An equivalent circuit with its parameters. */
export class CircuitModel {
  /** The parsed circuit. */
  readonly circuit: ParsedCircuit;
  /** Every parameter, in impedance.py's flat order. */
  readonly parameters: readonly Parameter[];
  /** Their names (`R0`, `CPE1_0`, …), same order. */
  readonly names: readonly string[];
  readonly #byName: ReadonlyMap<string, Parameter>;
  /** `evaluate`'s program (parameter i in slot i), values buffer and scratch for the last frequency array. */
  #current: { compiled: CompiledCircuit; values: Float64Array; frequency: Float64Array | undefined; workspace: CircuitWorkspace | undefined } | undefined;

  /**
   * @param circuit - the parsed circuit
   * @param parameters - one Parameter per name in `circuit.parameterNames`, same order
   * @throws ValidationError if the counts differ
   */
  constructor(circuit: ParsedCircuit, parameters: readonly Parameter[]) {
    if (parameters.length !== circuit.parameterNames.length) {
      throw new ValidationError("parameters", `circuit ${circuit.circuit} has ${circuit.parameterNames.length} parameters`, parameters.length);
    }
    this.circuit = circuit;
    this.parameters = Object.freeze([...parameters]);
    this.names = circuit.parameterNames;
    this.#byName = new Map(this.names.map((name, i) => [name, parameters[i]]));
  }

  /** The parameters a fit may change (vary and not constrained), in circuit order. */
  get free(): readonly Parameter[] {
    return this.parameters.filter((p) => p.vary && !p.constrained);
  }

  /**
   * The parameter called `name`.
   * @throws UnknownParameterError naming the circuit's parameters
   */
  parameter(name: string): Parameter {
    const p = this.#byName.get(name);
    if (p === undefined) throw new UnknownParameterError(name, `circuit ${this.circuit.circuit} (parameters: ${this.names.join(", ")})`);
    return p;
  }

  /**
   * Compiles the circuit against a fit space (call once per fit, not per evaluation).
   *
   * @param space - a fit space containing every parameter of this model
   * @returns the kernel input; evaluate with `evaluateCircuit(compiled, space.fromVector(θ), f)`
   * @throws UnknownParameterError if a parameter is not in the space
   */
  compile(space: FitSpace): CompiledCircuit {
    return compileCircuit(this.circuit, (index) => space.slotOf(this.parameters[index]));
  }

  /**
   * Impedance at the parameters' current values. The compiled program and the kernel's
   * scratch for the last `frequency` array (by identity) are kept, so repeated calls with
   * the same frequencies and an `out` allocate nothing. For a fit use {@link evaluator}.
   *
   * @param frequency - frequencies (Hz), > 0
   * @param out - output Z′, Z″ buffers (each of length frequency.length); allocated when omitted
   * @returns Z′, Z″ (Ω)
   */
  evaluate(frequency: Float64Array, out?: ReIm): ReIm {
    const current = (this.#current ??= {
      compiled: compileCircuit(this.circuit, (index) => index),
      values: new Float64Array(this.parameters.length),
      frequency: undefined,
      workspace: undefined,
    });
    if (current.frequency !== frequency) {
      current.frequency = frequency;
      current.workspace = createCircuitWorkspace(current.compiled, frequency.length);
    }
    for (let i = 0; i < this.parameters.length; i++) current.values[i] = this.parameters[i].value;
    return evaluateCircuit(current.compiled, current.values, frequency, out ?? { re: new Float64Array(frequency.length), im: new Float64Array(frequency.length) }, current.workspace);
  }

  /**
   * The impedance compiled against a fit space for fixed frequencies (call once per fit):
   * the returned function reads the parameters from a values array (`space.fromVector(θ)`)
   * and writes Z′, Z″ (Ω) to `out`, allocating nothing.
   *
   * @param space - a fit space containing every parameter of this model
   * @param frequency - frequencies (Hz), > 0
   * @throws UnknownParameterError if a parameter is not in the space
   */
  evaluator(space: FitSpace, frequency: Float64Array): (values: Float64Array, out: ReIm) => ReIm {
    const compiled = this.compile(space);
    const workspace = createCircuitWorkspace(compiled, frequency.length);
    return (values, out) => evaluateCircuit(compiled, values, frequency, out, workspace);
  }

  /** The canonical circuit string. */
  toString(): string {
    return this.circuit.circuit;
  }
}

/**
 * Compiles a parsed circuit into the kernel's postfix program.
 *
 * @param circuit - parsed circuit
 * @param slotOf - value slot of parameter `index` (index into `circuit.parameterNames`)
 * @returns the compiled circuit
 */
export function compileCircuit(circuit: ParsedCircuit, slotOf: (index: number) => number): CompiledCircuit {
  const program: number[] = [];
  let depth = 0;
  let maxDepth = 0;
  const push = (): void => {
    depth++;
    maxDepth = Math.max(maxDepth, depth);
  };
  const emit = (node: CircuitNode): void => {
    if (node.kind === "element") {
      program.push(OP_ELEMENT, node.index);
      push();
    } else if (node.kind === "series") {
      node.children.forEach((child, i) => {
        emit(child);
        if (i > 0) {
          program.push(OP_ADD, 0);
          depth--;
        }
      });
    } else {
      node.children.forEach((child, i) => {
        emit(child);
        program.push(OP_INVERT, 0);
        if (i > 0) {
          program.push(OP_ADD, 0);
          depth--;
        }
      });
      program.push(OP_INVERT, 0);
    }
  };
  emit(circuit.root);
  const starts = [0];
  const slots: number[] = [];
  let index = 0;
  for (const element of circuit.elements) {
    for (let m = 0; m < element.parameterNames.length; m++) slots.push(slotOf(index++));
    starts.push(slots.length);
  }
  return Object.freeze({
    program: Int32Array.from(program),
    elementCodes: Int32Array.from(circuit.elements, (e) => ELEMENTS[e.type].code),
    parameterSlots: Int32Array.from(slots),
    parameterStart: Int32Array.from(starts),
    stackDepth: Math.max(1, maxDepth),
  });
}

function isNumberList(value: unknown): value is ArrayLike<number> {
  return Array.isArray(value) || ArrayBuffer.isView(value);
}

/**
 * Builds a circuit model: parses the string (if needed) and creates one
 * Parameter per circuit parameter, varying unless it is a constant.
 *
 * @param circuit - impedance.py circuit string or a parsed circuit
 * @param options - initial values, constants, bounds, shared parameters
 * @returns the model
 * @throws CircuitSyntaxError for a malformed string
 * @throws ValidationError when `initial` has the wrong length (naming the expected count and the free
 *   parameters), a value is outside its bounds, or `constants`/`bounds`/`initial` name an unknown parameter
 * @example
 * ```ts
 * const model = circuitModel("R0-p(R1,C1)", { initial: [0.01, 0.005], constants: { C1: 3 } });
 * model.parameter("C1").vary; // false
 * ```
 */
export function circuitModel(circuit: string | ParsedCircuit, options: CircuitModelOptions = {}): CircuitModel {
  const path = options.path ?? "circuit";
  const parsed = typeof circuit === "string" ? parseCircuit(circuit, path) : circuit;
  const names = parsed.parameterNames;
  const known = new Set(names);
  const checkNames = (record: Readonly<Record<string, unknown>> | undefined, field: string): void => {
    if (record === undefined) return;
    if (typeof record !== "object" || record === null) throw new ValidationError(`${path}.${field}`, "must be an object keyed by parameter name", record);
    for (const key of Object.keys(record)) {
      if (!known.has(key)) throw new ValidationError(`${path}.${field}.${key}`, `unknown parameter of ${parsed.circuit} (parameters: ${names.join(", ")})`);
    }
  };
  const constants = options.constants ?? {};
  checkNames(constants, "constants");
  checkNames(options.bounds, "bounds");
  checkNames(options.parameters, "parameters");
  for (const [key, value] of Object.entries(constants)) {
    if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(`${path}.constants.${key}`, "must be a finite number", value);
  }
  const shared = options.parameters ?? {};
  const freeNames = names.filter((name) => !Object.hasOwn(constants, name) && !Object.hasOwn(shared, name));

  const initialByName = new Map<string, number>();
  const initial = options.initial;
  if (initial !== undefined) {
    if (isNumberList(initial)) {
      if (initial.length !== freeNames.length) {
        throw new ValidationError(
          `${path}.initial`,
          `needs ${freeNames.length} values, one per non-constant parameter (${freeNames.join(", ")}); ` +
            `the circuit has ${names.length} parameters and ${names.length - freeNames.length} are constants`,
          initial.length,
        );
      }
      freeNames.forEach((name, i) => initialByName.set(name, initial[i]));
    } else {
      checkNames(initial, "initial");
      for (const [key, value] of Object.entries(initial)) {
        if (Object.hasOwn(constants, key)) throw new ValidationError(`${path}.initial.${key}`, "is also given as a constant", value);
        initialByName.set(key, value);
      }
    }
  }

  const parameters: Parameter[] = [];
  for (const element of parsed.elements) {
    element.parameterNames.forEach((name, index) => {
      const sharedParameter = shared[name];
      if (sharedParameter !== undefined) {
        if (!(sharedParameter instanceof Parameter)) throw new ValidationError(`${path}.parameters.${name}`, "must be a Parameter", sharedParameter);
        parameters.push(sharedParameter);
        return;
      }
      const unit = ELEMENTS[element.type].units[index] || undefined;
      if (Object.hasOwn(constants, name)) {
        parameters.push(new Parameter(name, { value: constants[name], vary: false, unit }, `${path}.constants.${name}`));
        return;
      }
      const [min, max] = options.bounds?.[name] ?? defaultParameterBounds(element.type, index);
      const value = initialByName.get(name) ?? placeholderValue(element.type, index);
      if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(`${path}.initial.${name}`, "must be a finite number", value);
      parameters.push(new Parameter(name, { value, vary: true, min, max, unit }, `${path}.${name}`));
    });
  }
  return new CircuitModel(parsed, parameters);
}
