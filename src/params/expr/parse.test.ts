import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.ts";
import type { ExprNode } from "./ast.ts";
import { freeVariables } from "./freeVariables.ts";
import { MAX_EXPRESSION_DEPTH, parseExpression } from "./parse.ts";
import { ExpressionSyntaxError } from "./syntaxError.ts";
import { tokenize } from "./tokenize.ts";

/** Fully parenthesised rendering, to read precedence and associativity off the tree. */
function show(node: ExprNode): string {
  switch (node.type) {
    case "number":
      return String(node.value);
    case "constant":
    case "identifier":
      return node.name;
    case "unary":
      return `(${node.operator}${show(node.operand)})`;
    case "binary":
      return `(${show(node.left)} ${node.operator} ${show(node.right)})`;
    case "call":
      return `${node.callee}(${node.args.map(show).join(", ")})`;
  }
}

const parsed = (source: string): string => show(parseExpression(source));

function syntaxError(source: string): ExpressionSyntaxError {
  try {
    parseExpression(source, "parameters.x.expr");
  } catch (error) {
    expect(error).toBeInstanceOf(ExpressionSyntaxError);
    expect(error).toBeInstanceOf(ValidationError);
    return error as ExpressionSyntaxError;
  }
  throw new Error(`expected ${JSON.stringify(source)} not to parse`);
}

describe("tokenize", () => {
  it("reads numbers in every form", () => {
    const values = tokenize("1 1.5 .5 5. 1e-3 2.5E+4 7e2")
      .filter((t) => t.kind === "number")
      .map((t) => t.value);
    expect(values).toEqual([1, 1.5, 0.5, 5, 1e-3, 2.5e4, 700]);
  });

  it("reads dotted identifiers and normalises ** to ^", () => {
    const tokens = tokenize("layer1.thickness ** 2 + _x9");
    expect(tokens.map((t) => [t.kind, t.text])).toEqual([
      ["identifier", "layer1.thickness"],
      ["operator", "^"],
      ["number", "2"],
      ["operator", "+"],
      ["identifier", "_x9"],
      ["end", ""],
    ]);
    expect(tokens.map((t) => t.start)).toEqual([0, 17, 20, 22, 24, 27]);
  });
});

describe("parseExpression: precedence and associativity", () => {
  it.each([
    ["1 + 2 * 3", "(1 + (2 * 3))"],
    ["(1 + 2) * 3", "((1 + 2) * 3)"],
    ["a - b - c", "((a - b) - c)"],
    ["a / b / c", "((a / b) / c)"],
    ["a - b + c", "((a - b) + c)"],
    ["a * b / c * d", "(((a * b) / c) * d)"],
    ["2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"],
    ["2 ** 3 ** 2", "(2 ^ (3 ^ 2))"],
    ["-a ^ 2", "(-(a ^ 2))"],
    ["-a * b", "((-a) * b)"],
    ["2 ^ -1", "(2 ^ (-1))"],
    ["a * -b", "(a * (-b))"],
    ["--a", "(-(-a))"],
    ["+a - -b", "((+a) - (-b))"],
    ["a ^ b * c", "((a ^ b) * c)"],
    ["a * b ^ c", "(a * (b ^ c))"],
    ["(a + b) ^ 2", "((a + b) ^ 2)"],
    ["2 * pi * r ^ 2", "((2 * pi) * (r ^ 2))"],
    ["e ^ x", "(e ^ x)"],
  ])("%s → %s", (source, expected) => {
    expect(parsed(source)).toBe(expected);
  });

  it("parses every built-in function", () => {
    expect(parsed("sqrt(a) + exp(b) + log(c) + log10(d)")).toBe("(((sqrt(a) + exp(b)) + log(c)) + log10(d))");
    expect(parsed("sin(a)*cos(b)/tan(c) - abs(d)")).toBe("(((sin(a) * cos(b)) / tan(c)) - abs(d))");
    expect(parsed("min(a, b, 3) + max(a) + pow(a, b + 1)")).toBe("((min(a, b, 3) + max(a)) + pow(a, (b + 1)))");
    expect(parsed("sqrt(sqrt(x))")).toBe("sqrt(sqrt(x))");
  });

  it("treats pi and e as constants and everything else as names", () => {
    const node = parseExpression("pi + e");
    expect(node.type === "binary" && node.left.type).toBe("constant");
    expect(parsed("log + sqrt")).toBe("(log + sqrt)"); // function names without "(" are ordinary names
  });

  it("records the start offset of every node", () => {
    const node = parseExpression("  a +  sqrt(b)");
    expect(node.start).toBe(2);
    expect(node.type === "binary" && node.right.start).toBe(7);
  });
});

describe("parseExpression: errors name the path, position and expression", () => {
  it.each([
    ["", 1, "empty expression"],
    ["   ", 4, "empty expression"],
    ["a +", 4, "unexpected end of expression"],
    ["a + )", 5, 'unexpected ")"'],
    ["(a + b", 7, 'expected ")" to close the "(" at character 1'],
    ["a b", 3, 'unexpected "b"'],
    ["2 3", 3, 'unexpected "3"'],
    ["2a", 2, 'unexpected "a"'],
    ["a $ b", 3, 'unexpected character "$"'],
    ["1e", 2, "malformed number exponent"],
    ["1e+ 2", 2, "malformed number exponent"],
    ["a ** ** b", 6, 'unexpected "^"'],
    ["foo(1)", 1, 'unknown function "foo"'],
    ["a + constructor(1)", 5, 'unknown function "constructor"'],
    ["sqrt(1, 2)", 1, "sqrt takes 1 argument, got 2"],
    ["pow(1)", 1, "pow takes 2 arguments, got 1"],
    ["min()", 1, "min takes at least 1 argument, got 0"],
    ["sqrt(a", 7, 'expected "," or ")" in the call to sqrt'],
    ["1.2.3", 4, 'unexpected ".3"'],
  ])("%j fails at character %i", (source, column, detail) => {
    const error = syntaxError(source);
    expect(error.column).toBe(column);
    expect(error.expression).toBe(source);
    expect(error.path).toBe("parameters.x.expr");
    expect(error.message).toContain(`parameters.x.expr: syntax error at character ${column}: ${detail}`);
    expect(error.message).toContain(JSON.stringify(source));
  });

  it("refuses nesting deeper than the limit instead of overflowing the stack", () => {
    const deep = "(".repeat(MAX_EXPRESSION_DEPTH + 1) + "a" + ")".repeat(MAX_EXPRESSION_DEPTH + 1);
    expect(syntaxError(deep).message).toContain("nested deeper than");
    expect(syntaxError("-".repeat(MAX_EXPRESSION_DEPTH + 1) + "a").message).toContain("nested deeper than");
    const ok = "(".repeat(100) + "a" + ")".repeat(100);
    expect(parsed(ok)).toBe("a");
  });

  it("refuses very long sources", () => {
    expect(syntaxError("a+".repeat(3000) + "a").message).toContain("longer than");
  });
});

describe("no eval: hostile names are just names", () => {
  it.each(["constructor", "process", "__proto__", "globalThis", "toString", "hasOwnProperty", "require"])(
    "%s parses as an identifier",
    (name) => {
      const node = parseExpression(`${name} + 1`);
      expect(freeVariables(node)).toEqual([name]);
    },
  );

  it("refuses call syntax on non-built-ins, including Object.prototype names", () => {
    for (const name of ["constructor", "toString", "valueOf", "__proto__", "process.exit", "eval", "Function"]) {
      expect(() => parseExpression(`${name}(1)`)).toThrow(/unknown function/);
    }
  });

  it("refuses string and member syntax outright", () => {
    expect(() => parseExpression('"a"')).toThrow(/unexpected character/);
    expect(() => parseExpression("a[0]")).toThrow(/unexpected character/);
    expect(() => parseExpression("a; b")).toThrow(/unexpected character/);
    expect(() => parseExpression("a = 1")).toThrow(/unexpected character/);
  });
});

describe("freeVariables", () => {
  it("lists unique names in order of first appearance, without functions or constants", () => {
    expect(freeVariables(parseExpression("b*a + sqrt(a) + pi*c.d - e + min(b, x)"))).toEqual(["b", "a", "c.d", "x"]);
    expect(freeVariables(parseExpression("2*pi"))).toEqual([]);
  });
});
