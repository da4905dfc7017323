import { describe, expect, it } from "vitest";
import { ValidationError } from "../core/errors.ts";
import { ExpressionSyntaxError } from "./expr/syntaxError.ts";
import { Parameter } from "./parameter.ts";

function refused(make: () => unknown): ValidationError {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error("expected a ValidationError");
}

describe("Parameter", () => {
  it("has defaults: fixed, unbounded, no prior", () => {
    const p = new Parameter("d", { value: 3 });
    expect(p.value).toBe(3);
    expect(p.vary).toBe(false);
    expect(p.bounds).toEqual({ min: -Infinity, max: Infinity });
    expect(p.prior).toBeUndefined();
    expect(p.effectivePrior()).toBeUndefined();
    expect(p.expr).toBeUndefined();
    expect(p.constrained).toBe(false);
    expect(p.unit).toBeUndefined();
    expect(p.logPrior()).toBe(0);
  });

  it("gets a unique id, or keeps a given one", () => {
    const a = new Parameter("a", { value: 1 });
    const b = new Parameter("a", { value: 1 });
    expect(a.id).not.toBe(b.id);
    expect(new Parameter("c", { value: 1, id: "p-42" }).id).toBe("p-42");
  });

  it("derives a uniform prior from finite bounds, and intersects an explicit prior with them", () => {
    const p = new Parameter("t", { value: 5, vary: true, min: 0, max: 10, unit: "Å" });
    expect(p.effectivePrior()).toEqual({ kind: "uniform", min: 0, max: 10 });
    expect(p.logPrior(2)).toBeCloseTo(-Math.log(10), 15);
    expect(p.logPrior(11)).toBe(-Infinity);
    const q = new Parameter("q", { value: 5, vary: true, min: -10, max: 10, prior: { kind: "lognormal", mu: 1, sigma: 1 } });
    expect(q.support()).toEqual([0, 10]);
    expect(q.logPrior(-1)).toBe(-Infinity);
    expect(q.logPrior(20)).toBe(-Infinity);
  });

  it("refuses a value outside its bounds instead of clamping", () => {
    const p = new Parameter("t_sei", { value: 50, min: 0, max: 100 });
    const error = refused(() => {
      p.value = 150;
    });
    expect(error.message).toBe("t_sei.value: value outside bounds [0, 100] (got 150)");
    expect(p.value).toBe(50);
    expect(refused(() => new Parameter("t", { value: -1, min: 0 })).message).toContain("value outside bounds [0, ∞] (got -1)");
  });

  it.each<[string, () => unknown, string]>([
    ["NaN value", () => new Parameter("x", { value: NaN }), "x.value: value must be a finite number (got NaN)"],
    ["infinite value", () => new Parameter("x", { value: Infinity }), "x.value: value must be a finite number (got Infinity)"],
    ["missing value", () => new Parameter("x", {}), "x.value: a value is required"],
    ["min = max", () => new Parameter("x", { value: 1, min: 1, max: 1 }), "x.min: min must be less than max (1) (got 1)"],
    ["min > max", () => new Parameter("x", { value: 1, min: 2, max: 0 }), "x.min: min must be less than max (0) (got 2)"],
    ["NaN min", () => new Parameter("x", { value: 1, min: NaN }), "x.min: min must be a number (got NaN)"],
    ["vary with expr", () => new Parameter("x", { expr: "a", vary: true }), 'x.vary: a constrained parameter (expr "a") cannot vary (got true)'],
    ["bad prior", () => new Parameter("x", { value: 1, prior: { kind: "normal", mean: 0, sd: 0 } }), "x.prior.sd: sd must be > 0 (got 0)"],
    ["empty name", () => new Parameter("", { value: 1 }, "layers[0]"), 'layers[0].name: name must be a non-empty string (got "")'],
    ["empty expr", () => new Parameter("x", { expr: " " }), 'x.expr: expr must be a non-empty string (got " ")'],
  ])("refuses %s", (_, make, message) => {
    expect(refused(make).message).toBe(message);
  });

  it("names the given path in messages", () => {
    const error = refused(() => new Parameter("t_sei", { value: 5, min: 10, max: 20 }, "parameters.t_sei"));
    expect(error.path).toBe("parameters.t_sei.value");
    expect(error.value).toBe(5);
  });

  it("refuses an unparsable expression with its position", () => {
    const error = refused(() => new Parameter("x", { expr: "a + * b" }));
    expect(error).toBeInstanceOf(ExpressionSyntaxError);
    expect(error.message).toBe('x.expr: syntax error at character 5: unexpected "*" (got "a + * b")');
  });

  it("cannot vary while constrained, in either order", () => {
    const c = new Parameter("c", { expr: "2*a" });
    expect(c.value).toBeNaN();
    expect(c.expression?.type).toBe("binary");
    expect(() => {
      c.vary = true;
    }).toThrow(/cannot vary/);
    const v = new Parameter("v", { value: 1, vary: true });
    expect(() => {
      v.expr = "2*a";
    }).toThrow(/cannot vary/);
    expect(v.expr).toBeUndefined();
    v.update({ vary: false, expr: "2*a" });
    expect(v.constrained).toBe(true);
    v.expr = undefined;
    expect(v.constrained).toBe(false);
  });

  it("updates atomically: new bounds and value together, nothing on failure", () => {
    const p = new Parameter("t", { value: 50, min: 0, max: 100 });
    expect(() => p.setBounds(200, 300)).toThrow(/value outside bounds/);
    expect(p.bounds).toEqual({ min: 0, max: 100 });
    p.update({ min: 200, max: 300, value: 250 });
    expect([p.bounds.min, p.bounds.max, p.value]).toEqual([200, 300, 250]);
    expect(() => p.update({ value: 260, vary: true, prior: { kind: "normal", mean: 0, sd: -1 } })).toThrow(ValidationError);
    expect([p.value, p.vary, p.prior]).toEqual([250, false, undefined]);
  });

  it("freezes bounds and priors so they cannot be changed behind its back", () => {
    const prior = { kind: "normal" as const, mean: 0, sd: 1 };
    const p = new Parameter("x", { value: 1, min: 0, max: 2, prior });
    expect(Object.isFrozen(p.bounds)).toBe(true);
    expect(Object.isFrozen(p.prior)).toBe(true);
    expect(p.prior).not.toBe(prior);
  });

  it("prints itself", () => {
    expect(String(new Parameter("t_sei", { value: 50, vary: true, min: 0, max: 200, unit: "Å" }))).toBe(
      "Parameter(t_sei = 50 Å, vary, [0, 200])",
    );
    expect(String(new Parameter("c", { expr: "2*a" }))).toBe("Parameter(c = 2*a (= NaN))");
  });
});
