import { describe, expect, it } from "vitest";
import { ValidationError } from "../../core/errors.ts";
import { createCircuitWorkspace, evaluateCircuit } from "../../kernels/impedance/circuitEval.ts";
import { elementImpedance } from "../../kernels/impedance/elements.ts";
import { ParameterSet } from "../../params/index.ts";
import { circuitModel, compileCircuit } from "./circuitModel.ts";
import { CircuitSyntaxError, parseCircuit } from "./parseCircuit.ts";
import { FIRST_PRINCIPLES_RTOL } from "../../../test/tolerances.ts";

const syntaxError = (circuit: string): CircuitSyntaxError => {
  try {
    parseCircuit(circuit);
  } catch (error) {
    if (error instanceof CircuitSyntaxError) return error;
    throw error;
  }
  throw new Error(`parsed without error: ${circuit}`);
};

describe("parseCircuit: impedance.py grammar and names", () => {
  it("names parameters as impedance.py does, in string order", () => {
    const parsed = parseCircuit("R0-p(R1,CPE1)-p(R2-Wo1,C2)");
    expect(parsed.parameterNames).toEqual(["R0", "R1", "CPE1_0", "CPE1_1", "R2", "Wo1_0", "Wo1_1", "C2"]);
    expect(parsed.elements.map((e) => e.type)).toEqual(["R", "R", "CPE", "R", "Wo", "C"]);
    expect(parsed.circuit).toBe("R0-p(R1,CPE1)-p(R2-Wo1,C2)");
    expect(parsed.root.kind).toBe("series");
  });

  it("ignores whitespace, accepts underscores and multi-digit suffixes, and nests freely", () => {
    const parsed = parseCircuit(" R_0 - p( p(R1 , C1)-R2 , CPE12 ) - T3 ");
    expect(parsed.circuit).toBe("R_0-p(p(R1,C1)-R2,CPE12)-T3");
    expect(parsed.parameterNames).toEqual(["R_0", "R1", "C1", "R2", "CPE12_0", "CPE12_1", "T3_0", "T3_1", "T3_2", "T3_3"]);
    const single = parseCircuit("Zarc1");
    expect(single.root.kind).toBe("element");
    expect(single.parameterNames).toEqual(["Zarc1_0", "Zarc1_1", "Zarc1_2"]);
  });

  it("parses every element type of the table", () => {
    const parsed = parseCircuit("R0-C1-L2-W3-Wo4-Ws5-CPE6-La7-Lb8-G9-Gs10-K11-Zarc12-TLMQ13-T14");
    expect(parsed.elements.length).toBe(15);
    expect(parsed.parameterNames.length).toBe(1 + 1 + 1 + 1 + 2 + 2 + 2 + 2 + 2 + 2 + 3 + 2 + 3 + 3 + 4);
  });
});

describe("parseCircuit: errors name the string and the position", () => {
  it("unknown element type", () => {
    const e = syntaxError("R0-p(R1,X1)");
    expect(e).toBeInstanceOf(ValidationError);
    expect(e.position).toBe(8);
    expect(e.message).toContain('unknown element type "X"');
    expect(e.message).toContain("position 8");
    expect(e.message).toContain('"R0-p(R1,X1)"');
    expect(syntaxError("R0-Rp1").message).toContain('cannot contain "p"');
    expect(syntaxError("R0-1R").message).toContain("must start with a letter");
    expect(syntaxError("R0-s1").message).toContain("reserved");
  });

  it("unbalanced parentheses point at the unmatched one", () => {
    const open = syntaxError("R0-p(R1,p(R2,C2)");
    expect(open.position).toBe(4);
    expect(open.message).toMatch(/unbalanced parentheses: "\(" is never closed at position 4/);
    const close = syntaxError("R0-p(R1,C1))-R2");
    expect(close.position).toBe(11);
    expect(close.message).toContain('")" has no matching "("');
  });

  it("misplaced separators, single-branch parallels, grouping without p, repeated names, empty strings", () => {
    expect(syntaxError("R0--R1").position).toBe(3);
    expect(syntaxError("R0-").position).toBe(3);
    expect(syntaxError("R0,R1").message).toContain('"," outside p(…)');
    expect(syntaxError("R0-p(R1)").message).toContain("at least two branches");
    expect(syntaxError("R0-(R1-R2)").message).toContain("only p(…) opens a block");
    expect(syntaxError("R0-p").message).toContain("reserved");
    const twice = syntaxError("R1-p(R1,C1)");
    expect(twice.position).toBe(5);
    expect(twice.message).toContain("appears twice");
    expect(syntaxError("  ").message).toContain("empty circuit");
    expect(syntaxError("R0+R1").message).toContain('unexpected character "+"');
  });
});

describe("circuitModel: parameters and compiled evaluation", () => {
  const f = Float64Array.of(0.01, 0.3, 5, 120, 4e3, 1e5);

  it("R0-p(R1,C1)-p(R2-Wo1,C2) compiled against a FitSpace equals the series/parallel composition of its elements", () => {
    const values = [0.0165, 0.0087, 3.32, 0.0054, 0.063, 232.5, 0.22];
    const model = circuitModel("R0-p(R1,C1)-p(R2-Wo1,C2)", { initial: values });
    const space = new ParameterSet(model.parameters).fitSpace();
    const compiled = model.compile(space);
    const z = evaluateCircuit(compiled, space.fromVector(space.toVector()), f, undefined, createCircuitWorkspace(compiled, f.length));
    const e = (type: Parameters<typeof elementImpedance>[0], p: number[]) => elementImpedance(type, p, f);
    const [r0, r1, c1, r2, wo, c2] = [e("R", [values[0]]), e("R", [values[1]]), e("C", [values[2]]), e("R", [values[3]]), e("Wo", [values[4], values[5]]), e("C", [values[6]])];
    for (let i = 0; i < f.length; i++) {
      const inv = (re: number, im: number): [number, number] => [re / (re * re + im * im), -im / (re * re + im * im)];
      const par = (a: [number, number], b: [number, number]): [number, number] => {
        const ia = inv(...a);
        const ib = inv(...b);
        return inv(ia[0] + ib[0], ia[1] + ib[1]);
      };
      const p1 = par([r1.re[i], r1.im[i]], [c1.re[i], c1.im[i]]);
      const p2 = par([r2.re[i] + wo.re[i], r2.im[i] + wo.im[i]], [c2.re[i], c2.im[i]]);
      const expected = [r0.re[i] + p1[0] + p2[0], r0.im[i] + p1[1] + p2[1]];
      const err = Math.hypot(z.re[i] - expected[0], z.im[i] - expected[1]) / Math.hypot(expected[0], expected[1]);
      expect(err).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
    expect(compiled.stackDepth).toBe(3);
    expect(model.evaluate(f).re[2]).toBeCloseTo(z.re[2], 14);
  });

  it("a short-circuited branch (R = 0 in parallel) gives 0 for the block, not NaN", () => {
    const model = circuitModel("R0-p(R1,C1)", { initial: [2, 0, 1e-3] });
    const z = model.evaluate(f);
    for (let i = 0; i < f.length; i++) {
      expect(z.re[i]).toBe(2);
      expect(Math.abs(z.im[i])).toBe(0);
    }
  });

  it("constants are fixed and removed from the free list; initial covers the rest in order; default bounds", () => {
    const model = circuitModel("R0-p(R1,CPE1)", { initial: [0.02, 1e-3, 0.85], constants: { R0: 0.1 } });
    expect(model.parameter("R0").vary).toBe(false);
    expect(model.parameter("R0").value).toBe(0.1);
    expect(model.free.map((p) => p.name)).toEqual(["R1", "CPE1_0", "CPE1_1"]);
    expect(model.parameter("CPE1_1").bounds).toEqual({ min: 0, max: 1 });
    expect(model.parameter("R1").bounds).toEqual({ min: 0, max: Infinity });
    expect(model.parameter("CPE1_0").unit).toBe("Ohm^-1 s^alpha");
  });

  it("refuses a wrong number of initial values, unknown constant names and out-of-bounds starts", () => {
    expect(() => circuitModel("R0-p(R1,C1)", { initial: [1, 2] })).toThrow(/needs 3 values, one per non-constant parameter \(R0, R1, C1\)/);
    expect(() => circuitModel("R0-p(R1,C1)", { initial: [1, 2], constants: { R9: 1 } })).toThrow(/constants\.R9: unknown parameter/);
    expect(() => circuitModel("R0-p(R1,CPE1)", { initial: [1, 2, 1e-3, 1.5] })).toThrow(/CPE1_1\.value: value outside bounds/);
    expect(() => circuitModel("R0-L1", { initial: [1, -1e-6] })).toThrow(ValidationError);
    expect(circuitModel("R0-L1", { initial: [1, -1e-6], bounds: { L1: [-1, 1] } }).parameter("L1").value).toBe(-1e-6);
  });

  it("compileCircuit emits the documented postfix program", () => {
    const compiled = compileCircuit(parseCircuit("R0-p(R1,C1)"), (i) => i);
    expect(Array.from(compiled.program)).toEqual([0, 0, 0, 1, 2, 0, 0, 2, 2, 0, 1, 0, 2, 0, 1, 0]);
    expect(Array.from(compiled.parameterStart)).toEqual([0, 1, 2, 3]);
  });
});
