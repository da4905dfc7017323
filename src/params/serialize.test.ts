import { describe, expect, it } from "vitest";
import { UnknownParameterError, ValidationError } from "../core/errors.ts";
import { Parameter } from "./parameter.ts";
import { ParameterSet } from "./parameterSet.ts";
import { isRefSpec, parameterFromSpec, parameterToSpec, resolveSpec } from "./serialize.ts";
import type { ParameterSpec } from "./serialize.ts";

function refused(make: () => unknown): Error {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error("expected an error");
}

describe("parameterFromSpec", () => {
  it("reads a bare number as a fixed parameter", () => {
    const p = parameterFromSpec("sld", 2.07, "parameters.sld");
    expect([p.name, p.value, p.vary, p.path]).toEqual(["sld", 2.07, false, "parameters.sld"]);
  });

  it("reads the full object form", () => {
    const p = parameterFromSpec(
      "t_sei",
      { value: 50, vary: true, min: 0, max: 200, prior: { kind: "normal", mean: 40, sd: 10 }, unit: "Å" },
      "parameters.t_sei",
    );
    expect([p.value, p.vary, p.bounds.min, p.bounds.max, p.unit]).toEqual([50, true, 0, 200, "Å"]);
    expect(p.prior).toEqual({ kind: "normal", mean: 40, sd: 10 });
  });

  it("reads an expression", () => {
    const p = parameterFromSpec("t2", { expr: "total - t1", min: 0 }, "parameters.t2");
    expect([p.expr, p.constrained, p.vary, p.bounds.min]).toEqual(["total - t1", true, false, 0]);
  });

  it.each<[string, unknown, string]>([
    ["NaN value", { value: NaN }, "parameters.t_sei.value: value must be a finite number (got NaN)"],
    ["NaN number", NaN, "parameters.t_sei: a fixed value must be a finite number (got NaN)"],
    ["string value", { value: "50" }, 'parameters.t_sei.value: value must be a finite number (got "50")'],
    ["missing value", { vary: true }, 'parameters.t_sei.value: a value is required (or give a number, or an object with "value", "expr" or "ref")'],
    ["NaN min", { value: 1, min: NaN }, "parameters.t_sei.min: min must be a number (got NaN)"],
    ["string max", { value: 1, max: "10" }, 'parameters.t_sei.max: max must be a number (got "10")'],
    ["min ≥ max", { value: 1, min: 10, max: 5 }, "parameters.t_sei.min: min must be less than max (5) (got 10)"],
    ["value outside bounds", { value: 500, min: 0, max: 200 }, "parameters.t_sei.value: value outside bounds [0, 200] (got 500)"],
    ["unknown prior kind", { value: 1, prior: { kind: "cauchy", x0: 0 } }, 'parameters.t_sei.prior.kind: unknown prior kind'],
    ["bad prior sd", { value: 1, prior: { kind: "normal", mean: 0, sd: -2 } }, "parameters.t_sei.prior.sd: sd must be > 0 (got -2)"],
    ["vary with expr", { expr: "a * 2", vary: true }, 'parameters.t_sei.vary: a constrained parameter (expr "a * 2") cannot vary (got true)'],
    ["value with expr", { expr: "a", value: 3 }, "parameters.t_sei.value: a constrained parameter takes its value from expr; remove value (got 3)"],
    ["prior with expr", { expr: "a", prior: { kind: "normal", mean: 0, sd: 1 } }, "parameters.t_sei.prior: a constrained parameter cannot have a prior"],
    ["bad expr", { expr: "a +" }, 'parameters.t_sei.expr: syntax error at character 4: unexpected end of expression (got "a +")'],
    ["non-string expr", { expr: 3 }, "parameters.t_sei.expr: expr must be a string (got 3)"],
    ["non-boolean vary", { value: 1, vary: "yes" }, 'parameters.t_sei.vary: vary must be true or false (got "yes")'],
    ["typo'd field", { value: 1, mni: 0 }, "parameters.t_sei.mni: unknown field for a parameter"],
    ["string", "50", 'parameters.t_sei: expected a number, or an object with "value", "expr" or "ref" (got "50")'],
    ["null", null, "parameters.t_sei: expected a number"],
    ["array", [1, 2], "parameters.t_sei: expected a number, or an object with \"value\", \"expr\" or \"ref\" (got [1,2])"],
    ["ref", { ref: "x" }, "parameters.t_sei.ref: a reference cannot be turned into a new parameter"],
  ])("refuses %s, naming the path and the value", (_, spec, message) => {
    const error = refused(() => parameterFromSpec("t_sei", spec, "parameters.t_sei"));
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message.startsWith(message)).toBe(true);
  });
});

describe("resolveSpec", () => {
  const shared = new Parameter("t_sei", { value: 50, vary: true, min: 0, max: 200 });
  const named = new Map([["t_sei", shared]]);

  it("returns the shared parameter itself for a ref", () => {
    expect(resolveSpec({ ref: "t_sei" }, named, "models[0].layers[1].thickness")).toBe(shared);
    expect(resolveSpec({ ref: "t_sei" }, named, "models[1].layers[1].thickness")).toBe(shared);
  });

  it("makes fresh parameters for the other forms, named after the path", () => {
    const p = resolveSpec(12, named, "models[0].layers[1].thickness");
    expect([p.name, p.value, p.path]).toEqual(["thickness", 12, "models[0].layers[1].thickness"]);
    expect(resolveSpec({ value: 3, vary: true }, named, "models[0].layers[2]").name).toBe("layers");
    expect(resolveSpec({ expr: "t_sei / 2" }, named, "a.b", "half").name).toBe("half");
    expect(resolveSpec(1, named, "x")).not.toBe(resolveSpec(1, named, "x"));
  });

  it("refuses an unknown ref, naming the name and the path", () => {
    const error = refused(() => resolveSpec({ ref: "t_cei" }, named, "models[0].layers[1].thickness"));
    expect(error).toBeInstanceOf(UnknownParameterError);
    expect(error.message).toBe('models[0].layers[1].thickness.ref: unknown parameter "t_cei"');
  });

  it("refuses malformed refs", () => {
    expect(refused(() => resolveSpec({ ref: 3 }, named, "m.t")).message).toBe("m.t.ref: ref must be a parameter name (got 3)");
    expect(refused(() => resolveSpec({ ref: "t_sei", value: 1 }, named, "m.t")).message).toMatch(/^m\.t\.value: unknown field for a reference/);
  });

  it("refuses __proto__ and friends as ref names", () => {
    for (const ref of ["__proto__", "constructor", "toString"]) {
      expect(() => resolveSpec({ ref }, named, "m.t")).toThrow(UnknownParameterError);
    }
  });

  it("shares a referenced parameter between models: one free parameter", () => {
    const model1 = [resolveSpec({ ref: "t_sei" }, named, "m1.t"), resolveSpec({ value: 2, vary: true }, named, "m1.r")];
    const model2 = [resolveSpec({ ref: "t_sei" }, named, "m2.t"), resolveSpec({ expr: "t_sei * 2" }, named, "m2.d")];
    const space = new ParameterSet([...model1, ...model2], { named }).fitSpace();
    expect(space.names).toEqual(["t_sei", "r"]);
    const values = space.fromVector(Float64Array.of(30, 2));
    expect(values[space.slotOf(model2[1])]).toBe(60);
  });

  it("recognises the ref form", () => {
    expect(isRefSpec({ ref: "a" })).toBe(true);
    expect(isRefSpec({ value: 1 })).toBe(false);
    expect(isRefSpec(3)).toBe(false);
  });
});

describe("round trip: spec → Parameter → spec", () => {
  it.each<ParameterSpec>([
    2.07,
    -0,
    { value: 50, vary: true },
    { value: 50, min: 0 },
    { value: 50, max: 100, unit: "Å" },
    { value: 50, vary: true, min: 0, max: 200, prior: { kind: "normal", mean: 40, sd: 10 }, unit: "Å" },
    { value: 1, vary: true, prior: { kind: "truncnormal", mean: 0, sd: 1, min: -1, max: 2 } },
    { value: 0.1, vary: true, min: 1e-3, max: 10, prior: { kind: "loguniform", min: 1e-3, max: 10 } },
    { value: 3, prior: { kind: "halfnormal", sd: 2 } },
    { value: 3, vary: true, prior: { kind: "lognormal", mu: 1, sigma: 0.5 } },
    { value: 3, vary: true, prior: { kind: "uniform", min: 0, max: 5 } },
    { expr: "total - t1" },
    { expr: "2 * pi * r ^ 2", min: 0, max: 1e6, unit: "Å^2" },
  ])("%j", (spec) => {
    const p = parameterFromSpec("p", spec, "parameters.p");
    expect(parameterToSpec(p)).toEqual(spec);
    // And the JSON text itself survives.
    expect(JSON.stringify(parameterToSpec(parameterFromSpec("p", JSON.parse(JSON.stringify(spec)), "p")))).toBe(JSON.stringify(spec));
  });

  it("canonicalises a plain fixed value to a number", () => {
    expect(parameterToSpec(parameterFromSpec("p", { value: 5 }, "p"))).toBe(5);
    expect(parameterToSpec(parameterFromSpec("p", { value: 5, vary: false }, "p"))).toBe(5);
  });

  it("writes a named parameter as a ref", () => {
    const shared = new Parameter("t_sei", { value: 50 });
    expect(parameterToSpec(shared, new Map([["t_sei", shared]]))).toEqual({ ref: "t_sei" });
    expect(parameterToSpec(new Parameter("t_sei", { value: 50 }), new Map([["t_sei", shared]]))).toBe(50);
  });
});
