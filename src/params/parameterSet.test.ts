import { describe, expect, it } from "vitest";
import { ConstraintCycleError, UnknownParameterError, ValidationError } from "../core/errors.ts";
import { Parameter } from "./parameter.ts";
import { ParameterSet } from "./parameterSet.ts";

const fixed = (name: string, value: number): Parameter => new Parameter(name, { value });
const free = (name: string, value: number, min = -Infinity, max = Infinity): Parameter =>
  new Parameter(name, { value, vary: true, min, max });
const constrained = (name: string, expr: string, min?: number, max?: number): Parameter =>
  new Parameter(name, { expr, min, max });

function cycleOf(make: () => unknown): readonly string[] {
  try {
    make();
  } catch (error) {
    expect(error).toBeInstanceOf(ConstraintCycleError);
    return (error as ConstraintCycleError).cycle;
  }
  throw new Error("expected a ConstraintCycleError");
}

describe("ParameterSet: constraint cycles", () => {
  it("refuses a → a", () => {
    const a = constrained("a", "a + 1");
    expect(cycleOf(() => new ParameterSet([a]))).toEqual(["a", "a"]);
  });

  it("refuses a → b → a, listing the cycle", () => {
    const a = constrained("a", "2*b");
    const b = constrained("b", "a - 1");
    expect(cycleOf(() => new ParameterSet([a, b]))).toEqual(["a", "b", "a"]);
    expect(() => new ParameterSet([a, b])).toThrow("constraint cycle: a -> b -> a");
  });

  it("refuses a longer cycle reached from outside it, listing only the cycle", () => {
    const x = free("x", 1);
    const start = constrained("start", "b + x");
    const b = constrained("b", "c");
    const c = constrained("c", "d * 2");
    const d = constrained("d", "sqrt(b) + x");
    expect(cycleOf(() => new ParameterSet([x, start, b, c, d]))).toEqual(["b", "c", "d", "b"]);
  });

  it("refuses the cycle when the constraint is set, leaving parameter and set unchanged", () => {
    const a = free("a", 1);
    const b = constrained("b", "2*a");
    const set = new ParameterSet([a, b]);
    a.vary = false;
    expect(cycleOf(() => set.constrain(a, "b / 2"))).toEqual(["a", "b", "a"]);
    expect(a.expr).toBeUndefined();
    expect(set.evaluationOrder()).toEqual([b]);
    const c = constrained("c", "c");
    expect(cycleOf(() => set.add(c))).toEqual(["c", "c"]);
    expect(set.parameters).toEqual([a, b]);
  });

  it("notices a cycle created by editing a parameter directly, at the next query", () => {
    const a = fixed("a", 1);
    const b = constrained("b", "a");
    const set = new ParameterSet([a, b]);
    a.expr = "b";
    expect(cycleOf(() => set.fitSpace())).toEqual(["a", "b", "a"]);
  });
});

describe("ParameterSet: names", () => {
  it("refuses unknown names, naming the name, the parameter and its expression", () => {
    const a = fixed("a", 1);
    const c = constrained("c", "a + thickness");
    let error: unknown;
    try {
      new ParameterSet([a, c]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnknownParameterError);
    expect((error as UnknownParameterError).parameter).toBe("thickness");
    expect((error as Error).message).toBe('c.expr "a + thickness": unknown parameter "thickness"');
  });

  it.each(["constructor", "__proto__", "toString", "process", "hasOwnProperty"])("treats %s as an unknown name", (name) => {
    const c = constrained("c", `${name} + 1`);
    expect(() => new ParameterSet([c])).toThrow(UnknownParameterError);
    expect(() => new ParameterSet([c], { named: new Map() })).toThrow(`unknown parameter "${name}"`);
  });

  it("refuses an ambiguous name unless the named map settles it", () => {
    const t1 = fixed("thickness", 10);
    const t2 = fixed("thickness", 20);
    const total = constrained("total", "thickness * 2");
    expect(() => new ParameterSet([t1, t2, total])).toThrow(ValidationError);
    expect(() => new ParameterSet([t1, t2, total])).toThrow(/ambiguous parameter name "thickness"/);
    const set = new ParameterSet([t1, t2, total], { named: new Map([["thickness", t2]]) });
    expect(set.dependenciesOf(total)).toEqual([t2]);
  });

  it("pulls in parameters reached only through the named map, transitively", () => {
    const base = free("base", 2, 0, 10);
    const scale = constrained("scale", "base * 3");
    const t = constrained("t", "scale + 1");
    const set = new ParameterSet([t], { named: new Map([["base", base], ["scale", scale]]) });
    expect(set.parameters).toEqual([t, scale, base]);
    const space = set.fitSpace();
    expect(space.names).toEqual(["base"]);
    const values = space.fromVector(Float64Array.of(4));
    expect(values[space.slotOf(t)]).toBe(13);
  });
});

describe("ParameterSet: identity", () => {
  it("counts a parameter shared by several models once", () => {
    const roughness = free("roughness", 3, 0, 10);
    const model1 = [free("thickness", 50, 0, 200), roughness];
    const model2 = [free("thickness", 80, 0, 200), roughness, fixed("sld", 2.07)];
    const set = new ParameterSet([...model1, ...model2]);
    const space = set.fitSpace();
    expect(space.dimension).toBe(3);
    expect(space.names).toEqual(["thickness", "roughness", "thickness"]);
    expect(space.varying.filter((p) => p === roughness)).toHaveLength(1);
    expect(space.size).toBe(4);
    const values = space.fromVector(Float64Array.of(60, 4, 90));
    expect(values[space.slotOf(roughness)]).toBe(4);
    expect(values[space.slotOf(model2[0])]).toBe(90);
  });
});

describe("ParameterSet: evaluation order", () => {
  it("orders constraints after their dependencies, whatever order they came in", () => {
    const a = free("a", 1);
    const d = constrained("d", "c + b");
    const c = constrained("c", "b * 2");
    const b = constrained("b", "a + 1");
    const set = new ParameterSet([d, c, b, a]);
    expect(set.evaluationOrder()).toEqual([b, c, d]);
    const space = set.fitSpace();
    const values = space.fromVector(Float64Array.of(10));
    expect(values[space.slotOf(b)]).toBe(11);
    expect(values[space.slotOf(c)]).toBe(22);
    expect(values[space.slotOf(d)]).toBe(33);
  });

  it("updateConstraints writes constrained values from the current ones", () => {
    const total = fixed("total", 100);
    const t1 = free("t1", 30, 0, 100);
    const t2 = constrained("t2", "total - t1", 0, 100);
    const set = new ParameterSet([total, t1, t2]);
    expect(t2.value).toBeNaN();
    set.updateConstraints();
    expect(t2.value).toBe(70);
  });
});

describe("FitSpace", () => {
  function problem() {
    const total = fixed("total", 100);
    const t1 = new Parameter("t1", { value: 30, vary: true, min: 0, max: 100, unit: "Å" });
    const sld = new Parameter("sld", { value: 2, vary: true, prior: { kind: "normal", mean: 2, sd: 0.5 } });
    const r = new Parameter("r", { value: 1, vary: true, min: -5, max: 5, prior: { kind: "lognormal", mu: 0, sigma: 1 } });
    const t2 = constrained("t2", "total - t1", 0, 100);
    const area = constrained("area", "pi * r^2");
    const set = new ParameterSet([t2, total, t1, sld, area, r]);
    return { total, t1, sld, r, t2, area, set, space: set.fitSpace() };
  }

  it("describes θ: names, bounds intersected with the prior's support", () => {
    const { space, t1, sld, r } = problem();
    expect(space.varying).toEqual([t1, sld, r]);
    expect(space.names).toEqual(["t1", "sld", "r"]);
    expect([...space.lower]).toEqual([0, -Infinity, 0]);
    expect([...space.upper]).toEqual([100, Infinity, 5]);
    expect(space.dimension).toBe(3);
    expect(space.size).toBe(6);
    expect(Object.isFrozen(space)).toBe(true);
    expect(Object.isFrozen(space.names)).toBe(true);
    expect([...space.toVector()]).toEqual([30, 2, 1]);
  });

  it("puts varying slots first, in θ order, then fixed, then constrained in evaluation order", () => {
    const { space, t1, sld, r, total, t2, area } = problem();
    expect(space.parameters).toEqual([t1, sld, r, total, t2, area]);
    expect(space.varying.map((p) => space.slotOf(p))).toEqual([0, 1, 2]);
    expect(space.indexOf(r)).toBe(2);
    expect(space.indexOf(total)).toBe(-1);
    expect(() => space.slotOf(fixed("stranger", 1))).toThrow(UnknownParameterError);
  });

  it("fromVector computes every value into the given buffer, without touching the parameters", () => {
    const { space, t1, total, t2, area, r } = problem();
    const out = space.createValues();
    const theta = Float64Array.of(40, 3, 2);
    expect(space.fromVector(theta, out)).toBe(out);
    expect(out[space.slotOf(t1)]).toBe(40);
    expect(out[space.slotOf(total)]).toBe(100);
    expect(out[space.slotOf(t2)]).toBe(60);
    expect(out[space.slotOf(area)]).toBe(Math.PI * 4);
    expect([...theta]).toEqual([40, 3, 2]);
    expect([t1.value, r.value, t2.value]).toEqual([30, 1, NaN]);
    // Reusing the buffer overwrites every slot.
    out.fill(-1);
    space.fromVector(Float64Array.of(10, 3, 1), out);
    expect([...out]).toEqual([10, 3, 1, 100, 90, Math.PI]);
  });

  it("reads fixed values live, so a change between fits is picked up", () => {
    const { space, total, t2 } = problem();
    total.value = 200;
    expect(space.fromVector(Float64Array.of(40, 3, 2))[space.slotOf(t2)]).toBe(160);
  });

  it("matches a from-scratch evaluation over many random vectors", () => {
    const { space } = problem();
    const out = space.createValues();
    let seed = 1;
    const rand = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let k = 0; k < 1000; k++) {
      const theta = Float64Array.of(100 * rand(), 4 * rand(), 5 * rand());
      space.fromVector(theta, out);
      expect([...out]).toEqual([theta[0], theta[1], theta[2], 100, 100 - theta[0], Math.PI * (theta[2] * theta[2])]);
    }
  });

  it("refuses wrong lengths", () => {
    const { space } = problem();
    expect(() => space.fromVector(new Float64Array(2))).toThrow("theta: expected a vector of 3 varying parameter values (got \"length 2\")");
    expect(() => space.fromVector(new Float64Array(3), new Float64Array(5))).toThrow(/valuesOut: expected a values array of 6 slots/);
    expect(() => space.logPrior(new Float64Array(4))).toThrow(ValidationError);
  });

  it("logPrior sums the varying parameters' priors and is −∞ outside any support", () => {
    const { space } = problem();
    const expected =
      -Math.log(100) + // t1: uniform over its bounds
      (-0.5 * ((3 - 2) / 0.5) ** 2 - Math.log(0.5) - 0.5 * Math.log(2 * Math.PI)) + // sld: normal
      (-0.5 * Math.log(2) ** 2 - Math.log(2) - 0.5 * Math.log(2 * Math.PI)); // r: lognormal at 2
    expect(space.logPrior(Float64Array.of(40, 3, 2))).toBeCloseTo(expected, 12);
    expect(space.logPrior(Float64Array.of(101, 3, 2))).toBe(-Infinity); // t1 above its bound
    expect(space.logPrior(Float64Array.of(40, 3, 0))).toBe(-Infinity); // r outside the lognormal support
    expect(space.logPrior(Float64Array.of(40, 3, 5.5))).toBe(-Infinity); // r above its bound
    expect(space.logPrior(Float64Array.of(40, NaN, 2))).toBe(-Infinity);
  });

  it("logPrior is −∞ when a constrained value leaves its bounds or is NaN", () => {
    const a = free("a", 1);
    const b = constrained("b", "10 - a", 0, 100);
    const s = constrained("s", "sqrt(a)");
    const space = new ParameterSet([a, b, s]).fitSpace();
    expect(space.logPrior(Float64Array.of(4))).toBe(0); // improper flat prior on a
    expect(space.logPrior(Float64Array.of(11))).toBe(-Infinity); // b = −1 < 0
    expect(space.logPrior(Float64Array.of(-1))).toBe(-Infinity); // s = sqrt(−1)
  });

  it("applyValues writes varying and constrained values back, all or nothing", () => {
    const { space, t1, sld, r, t2, area } = problem();
    space.applyValues(Float64Array.of(40, 3, 2));
    expect([t1.value, sld.value, r.value, t2.value, area.value]).toEqual([40, 3, 2, 60, 4 * Math.PI]);
    expect([...space.toVector()]).toEqual([40, 3, 2]);
    expect(() => space.applyValues(Float64Array.of(150, 1, 1))).toThrow("t1.value: value outside bounds [0, 100] (got 150)");
    expect(() => space.applyValues(Float64Array.of(40, NaN, 1))).toThrow(/sld.value/);
    expect([t1.value, sld.value, r.value]).toEqual([40, 3, 2]);
  });

  it("freezes structure: vary flags changed after building do not alter it", () => {
    const { set, space, sld } = problem();
    sld.vary = false;
    expect(space.dimension).toBe(3);
    expect(set.fitSpace().dimension).toBe(2);
  });

  it("handles the degenerate cases", () => {
    const empty = new ParameterSet().fitSpace();
    expect([empty.dimension, empty.size]).toEqual([0, 0]);
    expect(empty.fromVector(new Float64Array(0))).toHaveLength(0);
    expect(empty.logPrior(new Float64Array(0))).toBe(0);
    const onlyFixed = new ParameterSet([fixed("a", 1), fixed("b", 2)]).fitSpace();
    expect([...onlyFixed.fromVector(new Float64Array(0))]).toEqual([1, 2]);
  });
});
