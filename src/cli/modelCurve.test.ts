/** `strata reflect`'s model curve (`ReflectModel.evaluate`) honours the geometry block (issue 7 part 3). */
import { describe, expect, it } from "vitest";
import { GEOMETRY_MODEL_HAND_RTOL } from "../../test/tolerances.ts";
import { parseReflectModel } from "../models/reflectModel.ts";
import { reflectivity } from "../kernels/reflectivity/abeles.ts";
import { shiftQ } from "../kernels/reflectivity/geometry.ts";

describe("ReflectModel.evaluate with a geometry block", () => {
  it("unsmeared: scale·F(α′)·R(Q′) + background at the parameters' values, α′ = α + δ the angle the beam meets the sample", () => {
    const layers = [{ sld: 0 }, { thickness: 120, sld: 40, isld: 1, roughness: 4 }, { sld: 20.1, isld: 0.46, roughness: 3 }];
    const model = parseReflectModel({ probe: "xray", wavelength_A: 1.5406, layers, scale: 0.9, background: 1e-8, geometry: { angleOffset_deg: 0.01, footprint: { beamHeight_mm: 0.1, sampleLength_mm: 20 } } });
    const q = Float64Array.from({ length: 50 }, (_, i) => 0.01 + 0.004 * i);
    const got = model.evaluate(q);
    const k = (4 * Math.PI) / 1.5406;
    const r = reflectivity(shiftQ(q, 1.5406, (0.01 * Math.PI) / 180), model.currentSlabs());
    const delta = (0.01 * Math.PI) / 180;
    for (let i = 0; i < q.length; i++) {
      const sinTrue = Math.sin(Math.asin(q[i] / k) + delta);
      const expected = 0.9 * Math.min(1, (20 * sinTrue) / 0.1) * r[i] + 1e-8;
      expect(Math.abs(got[i] - expected) / expected).toBeLessThan(GEOMETRY_MODEL_HAND_RTOL);
    }
  });
});
