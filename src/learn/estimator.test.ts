/**
 * The learned estimator's inference (issue 19 part 2). Not physics and not statistics: the
 * plain-loop forward pass (learn/network) equals TensorFlow.js's output for the shipped
 * weights, the estimate respects the bounds it is given, and bad bounds are refused.
 * (Accuracy and speed are measured by bench/learn.ts; test-set metrics are in the manifest.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateBatch, generateSample, INPUT_SIZE, PARAMETER_COUNT, qGrid } from "./generator.ts";
import { curveOnGrid, estimate, estimateOnGrid, loadEstimator, type Estimator } from "./estimator.ts";
import { forward } from "./network.ts";
import { buildModel, importWeights, initTf, tf } from "./tfModel.ts";

/** float32 arithmetic in a different order (tfjs's wasm kernels vs the loops). */
const FORWARD_TOLERANCE = 1e-5;
const CURVES = 64;

let estimator: Estimator;
beforeAll(async () => {
  estimator = loadEstimator();
  await initTf("wasm");
});
afterAll(() => {
  tf.disposeVariables();
});

describe("learn/estimator", () => {
  it("computes what TensorFlow.js computes with the shipped weights (to 1e-5)", () => {
    const model = buildModel(0);
    const values = new Float32Array(estimator.network.kernels.reduce((n, k, l) => n + k.length + estimator.network.biases[l].length, 0));
    let offset = 0;
    estimator.network.kernels.forEach((kernel, l) => {
      values.set(kernel, offset);
      offset += kernel.length;
      values.set(estimator.network.biases[l], offset);
      offset += estimator.network.biases[l].length;
    });
    importWeights(model, values);
    const batch = generateBatch("estimator-test", 0, CURVES);
    const reference = tf.tidy(() => (model.predict(tf.tensor2d(batch.inputs, [CURVES, INPUT_SIZE])) as tf.Tensor2D).dataSync());
    let worst = 0;
    for (let n = 0; n < CURVES; n++) {
      const out = forward(estimator.network, batch.inputs.subarray(n * INPUT_SIZE, (n + 1) * INPUT_SIZE));
      for (let j = 0; j < out.length; j++) worst = Math.max(worst, Math.abs(out[j] - reference[n * out.length + j]));
    }
    expect(worst).toBeLessThanOrEqual(FORWARD_TOLERANCE);
  });

  it("answers inside the bounds it is given, σ > 0, NaN for parameters the family lacks", () => {
    for (let n = 0; n < 20; n++) {
      const s = generateSample("estimator-bounds", n);
      const { values, sigma } = estimateOnGrid(estimator, s.prior, s.reflectivity, s.mask, s.lower, s.upper);
      for (let j = 0; j < PARAMETER_COUNT; j++) {
        if (!s.prior.present[j]) {
          expect(values[j]).toBeNaN();
          continue;
        }
        expect(values[j]).toBeGreaterThanOrEqual(s.lower[j]);
        expect(values[j]).toBeLessThanOrEqual(s.upper[j]);
        expect(sigma[j]).toBeGreaterThan(0);
      }
    }
  });

  it("takes a curve at its own Q points (moved onto the grid) and refuses bounds outside the family prior", () => {
    const s = generateSample("estimator-curve", 0, { probe: "neutron", layers: 3 });
    const q: number[] = [];
    const r: number[] = [];
    for (let i = 0; i < s.q.length; i++) {
      if (!s.mask[i]) continue;
      q.push(s.q[i]);
      r.push(s.reflectivity[i]);
    }
    const moved = curveOnGrid("neutron", q, r);
    expect(Array.from(moved.mask)).toEqual(Array.from(qGrid("neutron"), (x) => (x >= q[0] && x <= q[q.length - 1] ? 1 : 0)));
    const answer = estimate(estimator, { probe: "neutron", layers: 3, q, reflectivity: r }, { lower: s.lower, upper: s.upper });
    expect(Number.isFinite(answer.values[0])).toBe(true);
    const wide = Float64Array.from(s.prior.upper);
    wide[0] *= 2;
    expect(() => estimate(estimator, { probe: "neutron", layers: 3, q, reflectivity: r }, { lower: s.prior.lower, upper: wide })).toThrow(/bounds\[0\]/);
  });
});
