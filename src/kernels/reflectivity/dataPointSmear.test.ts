import { describe, expect, it } from "vitest";
import { reflectivity } from "./abeles.ts";
import { createDataPointSmearedReflectivity } from "./dataPointSmear.ts";

/** Float64 sums of a few dozen terms in a different order. */
const REORDER_RTOL = 1e-13;

// Si fronting | 300 Å layer | D2O-like backing
const slabs = Float64Array.from([0, 2.07, 0, 0, 300, 4.5, 0, 4, 0, 6.3, 0, 5]);

/** The scheme against refl1d's own output is tested in test/realdata/refl1dCurves.test.ts; here its invariances. */
describe("data-point smearing (refl1d's scheme)", () => {
  const q = Float64Array.from({ length: 120 }, (_, i) => 0.012 + 0.0006 * i);

  it("zero widths give the reflectivity at the points; scale and background apply", () => {
    const curve = createDataPointSmearedReflectivity(q, new Float64Array(q.length)).evaluate(slabs, 0.9, 1e-6, 0);
    const plain = reflectivity(q, slabs, 0.9, 1e-6);
    for (let i = 0; i < q.length; i++) expect(curve[i]).toBe(plain[i]);
  });

  it("the order of the points does not change the values; an angle offset moves them by sin(θ+δ)/sin θ", () => {
    const sigma = Float64Array.from(q, (x) => 0.01 * x);
    const sorted = createDataPointSmearedReflectivity(q, sigma, { fixedAngle: (0.6 * Math.PI) / 180 });
    const order = Array.from(q, (_, i) => i).reverse();
    const shuffled = createDataPointSmearedReflectivity(Float64Array.from(order, (i) => q[i]), Float64Array.from(order, (i) => sigma[i]), { fixedAngle: (0.6 * Math.PI) / 180 });
    const a = sorted.evaluate(slabs, 1, 0, 0);
    const b = shuffled.evaluate(slabs, 1, 0, 0);
    order.forEach((i, k) => expect(Math.abs(b[k] / a[i] - 1)).toBeLessThan(REORDER_RTOL));
    // with an offset the curve equals the unshifted scheme at the shifted points (widths unchanged)
    const delta = (-0.003 * Math.PI) / 180;
    const factor = Math.sin((0.6 * Math.PI) / 180 + delta) / Math.sin((0.6 * Math.PI) / 180);
    const moved = createDataPointSmearedReflectivity(q.map((x) => x * factor), sigma).evaluate(slabs, 1, 0, 0);
    const offset = sorted.evaluate(slabs, 1, 0, delta);
    for (let i = 0; i < q.length; i++) expect(Math.abs(offset[i] / moved[i] - 1)).toBeLessThan(REORDER_RTOL);
    // and back to the nominal plan
    const again = sorted.evaluate(slabs, 1, 0, 0);
    for (let i = 0; i < q.length; i++) expect(again[i]).toBe(a[i]);
  });

  it("refuses mismatched or negative widths and an angle outside (0, π/2)", () => {
    expect(() => createDataPointSmearedReflectivity(q, new Float64Array(3))).toThrow(RangeError);
    expect(() => createDataPointSmearedReflectivity(q, new Float64Array(q.length).fill(-1))).toThrow(/≥ 0/);
    expect(() => createDataPointSmearedReflectivity(q, new Float64Array(q.length), { fixedAngle: 2 })).toThrow(/fixed angle/);
  });
});
