/** `CircuitModel.evaluate` / `evaluator` (issue 14 point 3): the one way to a circuit's impedance, bit-identical to the kernel. */
import { describe, expect, it } from "vitest";
import { evaluateCircuit } from "../../kernels/impedance/circuitEval.ts";
import { createFitSpace, resolveConstraints } from "../../params/index.ts";
import { circuitModel, compileCircuit } from "./circuitModel.ts";

const CIRCUIT = "R0-p(R1,C1)-p(R2-Wo1,C2)";
const VALUES = [0.01, 0.005, 0.1, 0.005, 0.1, 0.001, 200];
const frequency = Float64Array.from({ length: 40 }, (_, i) => 1e5 * Math.pow(10, -i / 6));

describe("CircuitModel.evaluate", () => {
  it("is the kernel at the parameters' current values", () => {
    const model = circuitModel(CIRCUIT, { initial: VALUES });
    const direct = evaluateCircuit(compileCircuit(model.circuit, (i) => i), Float64Array.from(VALUES), frequency);
    const z = model.evaluate(frequency);
    expect(Array.from(z.re)).toEqual(Array.from(direct.re));
    expect(Array.from(z.im)).toEqual(Array.from(direct.im));
  });

  it("writes into the out buffers it is given, and follows a changed parameter value", () => {
    const model = circuitModel(CIRCUIT, { initial: VALUES });
    const out = { re: new Float64Array(frequency.length), im: new Float64Array(frequency.length) };
    expect(model.evaluate(frequency, out)).toBe(out);
    const first = { re: Float64Array.from(out.re), im: Float64Array.from(out.im) };
    model.parameter("R1").value = 0.02;
    model.evaluate(frequency, out);
    const fresh = circuitModel(CIRCUIT, { initial: VALUES.map((v, i) => (i === 1 ? 0.02 : v)) }).evaluate(frequency);
    expect(Array.from(out.re)).toEqual(Array.from(fresh.re));
    expect(Array.from(out.im)).toEqual(Array.from(fresh.im));
    model.parameter("R1").value = 0.005;
    model.evaluate(frequency, out);
    expect(Array.from(out.re)).toEqual(Array.from(first.re));
    expect(Array.from(out.im)).toEqual(Array.from(first.im));
    // another frequency array gets its own scratch
    const fewer = frequency.subarray(0, 10);
    expect(Array.from(model.evaluate(fewer).re)).toEqual(Array.from(first.re.subarray(0, 10)));
  });

  it("bound to a fit space, the evaluator gives the impedance at the values vector", () => {
    const model = circuitModel(CIRCUIT, { initial: VALUES, constants: {} });
    const space = createFitSpace(resolveConstraints([...model.parameters]));
    const evaluate = model.evaluator(space, frequency);
    const out = { re: new Float64Array(frequency.length), im: new Float64Array(frequency.length) };
    expect(evaluate(space.fromVector(space.toVector()), out)).toBe(out);
    const z = model.evaluate(frequency);
    expect(Array.from(out.re)).toEqual(Array.from(z.re));
    expect(Array.from(out.im)).toEqual(Array.from(z.im));
  });
});
