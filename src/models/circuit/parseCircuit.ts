/**
 * @module models/circuit/parseCircuit
 * Parses impedance.py circuit strings into a tree, with a tokenizer and a
 * recursive-descent parser of our own (no `eval`).
 *
 * Grammar (whitespace is ignored anywhere):
 * ```
 * circuit  := series
 * series   := term ("-" term)*            series: Z = Σ Zᵢ
 * term     := "p" "(" series ("," series)+ ")"   parallel: Z = 1/Σ(1/Zᵢ), two or more branches
 *           | ELEMENT
 * ELEMENT  := letter (letter | digit | "_")*   e.g. R0, R_1, CPE12, Wo1
 * ```
 * An element's type is its token with every digit and `_` removed (`CPE12` →
 * `CPE`), as in impedance.py, and must be one of `kernels/impedance/elements`'
 * types. `p` is reserved for parallel blocks (and `s` for impedance.py's series
 * function); impedance.py strips every `p` character when extracting element
 * names, so a type containing `p` cannot work there and is refused here.
 *
 * Parameters are numbered in one flat list: elements left to right as they
 * appear in the string (depth first), each element's parameters in its own
 * order. Names follow impedance.py: a one-parameter element is named by its
 * token (`R0`), a k-parameter element by `<token>_<i>` (`CPE1_0` = Q,
 * `CPE1_1` = α, `Wo1_1` = τ).
 *
 * Errors are {@link CircuitSyntaxError}s (a {@link ValidationError}) naming the
 * circuit string and the 0-based character position in it.
 */

import { ValidationError } from "../../core/errors.ts";
import { ELEMENTS, isElementType } from "../../kernels/impedance/elements.ts";
import type { ElementType } from "../../kernels/impedance/elements.ts";

/** One element occurrence, e.g. `CPE1`. */
export interface ElementNode {
  readonly kind: "element";
  /** The token as written, e.g. `CPE1`. */
  readonly name: string;
  readonly type: ElementType;
  /** 0-based position of the token in the original string. */
  readonly position: number;
  /** Index among the circuit's elements (order of appearance). */
  readonly index: number;
  /** impedance.py names of its parameters, e.g. `["CPE1_0", "CPE1_1"]` or `["R0"]`. */
  readonly parameterNames: readonly string[];
}

/** Elements or blocks in series (two or more children). */
export interface SeriesNode {
  readonly kind: "series";
  readonly children: readonly CircuitNode[];
  readonly position: number;
}

/** Branches in parallel, `p(…)` (two or more children). */
export interface ParallelNode {
  readonly kind: "parallel";
  readonly children: readonly CircuitNode[];
  readonly position: number;
}

export type CircuitNode = ElementNode | SeriesNode | ParallelNode;

/** A parsed circuit string. */
export interface ParsedCircuit {
  /** The string as given. */
  readonly source: string;
  /** The canonical form (whitespace removed), e.g. `R0-p(R1,CPE1)`. */
  readonly circuit: string;
  readonly root: CircuitNode;
  /** Elements in order of appearance. */
  readonly elements: readonly ElementNode[];
  /** Every parameter name in impedance.py's flat order. */
  readonly parameterNames: readonly string[];
}

/** A circuit string is malformed: names the string and the 0-based character position. */
export class CircuitSyntaxError extends ValidationError {
  readonly circuit: string;
  readonly position: number;
  constructor(path: string, circuit: string, position: number, message: string) {
    super(path, `${message} at position ${position} of circuit ${JSON.stringify(circuit)}`);
    this.circuit = circuit;
    this.position = position;
  }
}

type TokenKind = "name" | "-" | "," | "(" | ")" | "end";
interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly position: number;
}

const isNameChar = (c: string): boolean => /[A-Za-z0-9_]/.test(c);

function tokenize(source: string, path: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "-" || c === "," || c === "(" || c === ")") {
      tokens.push({ kind: c, text: c, position: i });
      i++;
    } else if (isNameChar(c)) {
      const start = i;
      let text = "";
      // Whitespace inside a name is removed, as impedance.py removes all spaces first.
      while (i < source.length && (isNameChar(source[i]) || (/\s/.test(source[i]) && i + 1 < source.length && isNameChar(nextNonSpace(source, i))))) {
        if (!/\s/.test(source[i])) text += source[i];
        i++;
      }
      tokens.push({ kind: "name", text, position: start });
    } else {
      throw new CircuitSyntaxError(path, source, i, `unexpected character ${JSON.stringify(c)} (allowed: element names, "-", "p(", ",", ")")`);
    }
  }
  tokens.push({ kind: "end", text: "", position: source.length });
  return tokens;
}

function nextNonSpace(source: string, i: number): string {
  let k = i;
  while (k < source.length && /\s/.test(source[k])) k++;
  return k < source.length ? source[k] : "";
}

/** Refuses unbalanced parentheses before parsing, pointing at the offending one. */
function checkParentheses(tokens: readonly Token[], source: string, path: string): void {
  const open: number[] = [];
  for (const t of tokens) {
    if (t.kind === "(") open.push(t.position);
    else if (t.kind === ")") {
      if (open.length === 0) throw new CircuitSyntaxError(path, source, t.position, `unbalanced parentheses: ")" has no matching "("`);
      open.pop();
    }
  }
  if (open.length > 0) {
    throw new CircuitSyntaxError(path, source, open[open.length - 1], `unbalanced parentheses: "(" is never closed`);
  }
}

const KNOWN = Object.keys(ELEMENTS).join(", ");

/**
 * Parses an impedance.py circuit string.
 *
 * @param source - e.g. `"R0-p(R1,CPE1)-p(R2-Wo1,C2)"`
 * @param path - name of the field in error messages @default "circuit"
 * @returns the tree, its elements and parameter names
 * @throws {CircuitSyntaxError} on an empty string, unknown element type, unbalanced
 *   parentheses, a misplaced `-`, `,` or `(`, a `p(…)` with fewer than two branches,
 *   or a repeated element name — naming the string and the character position
 * @example
 * ```ts
 * const parsed = parseCircuit("R0-p(R1,CPE1)");
 * parsed.parameterNames; // ["R0", "R1", "CPE1_0", "CPE1_1"]
 * ```
 */
export function parseCircuit(source: string, path = "circuit"): ParsedCircuit {
  if (typeof source !== "string") throw new ValidationError(path, "must be a circuit string", source);
  const tokens = tokenize(source, path);
  if (tokens.length === 1) throw new CircuitSyntaxError(path, source, 0, "empty circuit");
  checkParentheses(tokens, source, path);
  const elements: ElementNode[] = [];
  const seen = new Map<string, number>();
  let k = 0;
  const peek = (): Token => tokens[k];
  const fail = (t: Token, message: string): never => {
    throw new CircuitSyntaxError(path, source, t.position, message);
  };
  const describe = (t: Token): string => (t.kind === "end" ? "the end of the string" : JSON.stringify(t.text));

  const parseElement = (t: Token): ElementNode => {
    const name = t.text;
    if (!/^[A-Za-z]/.test(name)) fail(t, `element name ${JSON.stringify(name)} must start with a letter`);
    const type = name.replace(/[0-9_]/g, "");
    if (type === "p") fail(t, `"p" is reserved for parallel blocks and must be followed by "("`);
    if (type === "s") fail(t, `"s" is reserved (impedance.py's series function) and cannot name an element`);
    if (!isElementType(type)) {
      const hint = type.includes("p") ? "; element type names cannot contain \"p\" (impedance.py strips it)" : "";
      fail(t, `unknown element type ${JSON.stringify(type)} in ${JSON.stringify(name)} (known: ${KNOWN})${hint}`);
    }
    const elementType = type as ElementType;
    const previous = seen.get(name);
    if (previous !== undefined) fail(t, `element ${JSON.stringify(name)} appears twice (first at position ${previous}); give each element its own name`);
    seen.set(name, t.position);
    const count = ELEMENTS[elementType].symbols.length;
    const parameterNames = Object.freeze(count === 1 ? [name] : Array.from({ length: count }, (_, i) => `${name}_${i}`));
    const node: ElementNode = Object.freeze({ kind: "element", name, type: elementType, position: t.position, index: elements.length, parameterNames });
    elements.push(node);
    return node;
  };

  const parseTerm = (): CircuitNode => {
    const t = peek();
    if (t.kind === "name") {
      k++;
      if (t.text === "p" && peek().kind === "(") {
        k++;
        const branches: CircuitNode[] = [parseSeries()];
        while (peek().kind === ",") {
          k++;
          branches.push(parseSeries());
        }
        const close = peek();
        if (close.kind !== ")") fail(close, `expected "," or ")" in p(…) but found ${describe(close)}`);
        k++;
        if (branches.length < 2) fail(t, "p(…) needs at least two branches separated by \",\"");
        return Object.freeze({ kind: "parallel", children: Object.freeze(branches), position: t.position });
      }
      if (peek().kind === "(") fail(peek(), `unexpected "(" after ${JSON.stringify(t.text)} (only p(…) opens a block)`);
      return parseElement(t);
    }
    if (t.kind === "(") return fail(t, `unexpected "(" (only p(…) opens a block; write the series without parentheses)`);
    return fail(t, `expected an element or p(…) but found ${describe(t)}`);
  };

  const parseSeries = (): CircuitNode => {
    const first = peek();
    const parts: CircuitNode[] = [parseTerm()];
    while (peek().kind === "-") {
      k++;
      parts.push(parseTerm());
    }
    return parts.length === 1 ? parts[0] : Object.freeze({ kind: "series", children: Object.freeze(parts), position: first.position });
  };

  const root = parseSeries();
  const rest = peek();
  if (rest.kind !== "end") {
    fail(rest, rest.kind === "," ? `"," outside p(…)` : `unexpected ${describe(rest)} (expected "-" or the end of the circuit)`);
  }
  return Object.freeze({
    source,
    circuit: formatCircuit(root),
    root,
    elements: Object.freeze(elements),
    parameterNames: Object.freeze(elements.flatMap((e) => e.parameterNames)),
  });
}

/**
 * The canonical impedance.py string of a circuit tree (no whitespace).
 *
 * @param node - a parsed tree
 * @returns e.g. `R0-p(R1,CPE1)`
 */
export function formatCircuit(node: CircuitNode): string {
  switch (node.kind) {
    case "element":
      return node.name;
    case "series":
      return node.children.map(formatCircuit).join("-");
    case "parallel":
      return `p(${node.children.map(formatCircuit).join(",")})`;
  }
}
