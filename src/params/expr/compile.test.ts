import { describe, expect, it } from "vitest";
import { compileExpression, compileProgram, evaluateExpression } from "./compile.ts";
import { parseExpression } from "./parse.ts";

const NAMES = ["a", "b", "c", "layer1.thickness"];
const VALUES = Float64Array.of(1.5, -2.25, 4, 30);
const slotOf = (name: string): number => {
  const slot = NAMES.indexOf(name);
  if (slot < 0) throw new Error(`unknown ${name}`);
  return slot;
};
const lookup = (name: string): number => VALUES[slotOf(name)];

const compiled = (source: string): number => compileExpression(parseExpression(source), slotOf)(VALUES);
const walked = (source: string): number => evaluateExpression(parseExpression(source), lookup);

describe("compileExpression", () => {
  const [a, b, c, t] = VALUES;
  it.each<[string, number]>([
    ["1e-3", 1e-3],
    ["a", a],
    ["-a", -a],
    ["+a", a],
    ["a + b * c", a + b * c],
    ["(a + b) * c", (a + b) * c],
    ["a - b - c", a - b - c],
    ["a / b / c", a / b / c],
    ["2 ^ 3 ^ 2", 512],
    ["2 ** 3 ** 2", 512],
    ["-2 ^ 2", -4],
    ["(-2) ^ 2", 4],
    ["2 ^ -1", 0.5],
    ["a ^ 2", a * a],
    ["(a + c) ^ 2", (a + c) * (a + c)],
    ["c ^ a", Math.pow(c, a)],
    ["2 ^ c", 16],
    ["a ^ c", Math.pow(a, c)],
    ["sqrt(c)", 2],
    ["exp(a)", Math.exp(a)],
    ["log(c)", Math.log(c)],
    ["log10(100 * c)", Math.log10(400)],
    ["sin(a) + cos(b) - tan(c)", Math.sin(a) + Math.cos(b) - Math.tan(c)],
    ["abs(b)", 2.25],
    ["min(a, b)", b],
    ["max(a, b, c, 3)", c],
    ["min(a)", a],
    ["max(2, 3)", 3],
    ["pow(c, 0.5)", 2],
    ["pow(2, 10)", 1024],
    ["2 * pi * a", 2 * Math.PI * a],
    ["e", Math.E],
    ["layer1.thickness / 3 - a", t / 3 - a],
    ["a * 2 + 3 - b / 4", a * 2 + 3 - b / 4],
    ["3 - a", 3 - a],
    ["3 / a + 2 * b", 3 / a + 2 * b],
    ["a + sqrt(c) * b", a + Math.sqrt(c) * b],
    ["sqrt(c) * b - a", Math.sqrt(c) * b - a],
    ["-(a + b)", -(a + b)],
    ["-sqrt(c)", -2],
    ["1 + 2 * 3 - sqrt(16)", 3],
  ])("%s = %d", (source, expected) => {
    expect(compiled(source)).toBe(expected);
    expect(walked(source)).toBe(expected);
  });

  it("agrees with the tree walker bit for bit on every operand shape", () => {
    const leaves = ["a", "b", "2.5", "sqrt(c)", "(a*b)"];
    const ops = ["+", "-", "*", "/", "^"];
    for (const left of leaves) {
      for (const op of ops) {
        for (const right of leaves) {
          const source = `${left} ${op} ${right}`;
          expect(Object.is(compiled(source), walked(source)), source).toBe(true);
        }
      }
    }
  });

  it("propagates NaN like Math does", () => {
    expect(compiled("sqrt(b)")).toBeNaN();
    expect(compiled("min(a, sqrt(b), c)")).toBeNaN();
    expect(compiled("log(b)")).toBeNaN();
  });

  it("resolves names once, at compile time", () => {
    const calls: string[] = [];
    const f = compileExpression(parseExpression("a + a * b"), (name) => {
      calls.push(name);
      return slotOf(name);
    });
    expect(calls).toEqual(["a", "a", "b"]);
    for (let i = 0; i < 10; i++) f(VALUES);
    expect(calls).toHaveLength(3);
  });

  it("folds constant subtrees", () => {
    const f = compileExpression(parseExpression("2 * pi * 3 + sqrt(16)"), () => {
      throw new Error("no names");
    });
    expect(f(new Float64Array(0))).toBe(2 * Math.PI * 3 + 4);
  });

  it("reads the values array live", () => {
    const f = compileExpression(parseExpression("2*a + b"), slotOf);
    const v = Float64Array.of(1, 1, 0, 0);
    expect(f(v)).toBe(3);
    v[0] = 10;
    expect(f(v)).toBe(21);
  });
});

describe("compileProgram", () => {
  it("runs assignments in order over one memory, later ones reading earlier results", () => {
    // Slots: 0 = a, 1 = b, 2 = c (= 2a + 1), 3 = d (= c * b - pi), 4 = e (= max(c, d, 0.5)).
    const slots = new Map([["a", 0], ["b", 1], ["c", 2], ["d", 3]]);
    const slotOf = (name: string): number => slots.get(name)!;
    const program = compileProgram(
      [
        { node: parseExpression("2*a + 1"), target: 2, slotOf },
        { node: parseExpression("c * b - pi"), target: 3, slotOf },
        { node: parseExpression("max(c, d, 0.5)"), target: 4, slotOf },
      ],
      5,
    );
    expect(program.base).toBe(5);
    const memory = program.createMemory();
    expect(memory.length).toBe(program.memoryLength);
    memory[0] = 3;
    memory[1] = 0.5;
    program.run(memory);
    expect([...memory.subarray(0, 5)]).toEqual([3, 0.5, 7, 7 * 0.5 - Math.PI, 7]);
    memory[0] = -1;
    program.run(memory);
    expect([...memory.subarray(0, 5)]).toEqual([-1, 0.5, -1, -0.5 - Math.PI, 0.5]);
  });

  it("handles constant and bare-reference assignments", () => {
    const program = compileProgram(
      [
        { node: parseExpression("2 * pi"), target: 1, slotOf: () => 0 },
        { node: parseExpression("a"), target: 2, slotOf: () => 0 },
        { node: parseExpression("-a"), target: 3, slotOf: () => 0 },
      ],
      4,
    );
    const memory = program.createMemory();
    memory[0] = 5;
    program.run(memory);
    expect([...memory.subarray(0, 4)]).toEqual([5, 2 * Math.PI, 5, -5]);
  });
});
