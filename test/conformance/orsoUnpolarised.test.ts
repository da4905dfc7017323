/**
 * ORSO reflectivity validation suite, unpolarised cases test0–test7, read from
 * ../shared/conformance/orso-validation/unpolarised (see its README for the cases).
 */
import { describe, expect, it } from "vitest";
import { reflectivity } from "../../src/kernels/reflectivity/abeles.ts";
import { planSmearing } from "../../src/kernels/reflectivity/smear.ts";
import { createSmearedReflectivity, smearedReflectivity } from "../../src/kernels/reflectivity/smearedReflectivity.ts";
import { ORSO_EXACT_RTOL, ORSO_FLOAT64_RTOL, ORSO_SMEARED_RTOL } from "../tolerances.ts";
import { maxRelativeError, readOrsoCase } from "./orsoSuite.ts";

/** The reference smeared curves were made by 10001-node Gauss–Legendre; the same scheme reproduces them to ~5e-13. */
const POINTWISE_REFERENCE_RTOL = 1e-9;

describe("ORSO unpolarised validation suite", () => {
  it.each([
    ["test0", ORSO_FLOAT64_RTOL],
    ["test1", ORSO_EXACT_RTOL],
    ["test2", ORSO_FLOAT64_RTOL],
    ["test3", ORSO_EXACT_RTOL],
    ["test6", ORSO_FLOAT64_RTOL],
    ["test7", ORSO_FLOAT64_RTOL],
  ])("%s unsmeared within %s relative, point by point", (name, rtol) => {
    const c = readOrsoCase(name);
    expect(c.dq).toBeUndefined();
    const r = reflectivity(c.q, c.slabs);
    const { max, at } = maxRelativeError(r, c.reflectivity);
    expect(max, `worst at Q = ${c.q[at]}`).toBeLessThanOrEqual(rtol);
  });

  it.each(["test4", "test5"])("%s smeared with the default (grid) kernel within the issue's 1e-4", (name) => {
    const c = readOrsoCase(name);
    const smeared = createSmearedReflectivity(c.q, c.dq!);
    const { max, at } = maxRelativeError(smeared.evaluate(c.slabs), c.reflectivity);
    expect(max, `worst at Q = ${c.q[at]}`).toBeLessThanOrEqual(ORSO_SMEARED_RTOL);
  });

  it.each(["test4", "test5"])("%s reproduced by the pointwise reference scheme (10001 nodes)", (name) => {
    const c = readOrsoCase(name);
    const plan = planSmearing(c.q, c.dq!, { method: "pointwise", nodes: 10001 });
    const { max } = maxRelativeError(smearedReflectivity(plan, c.slabs), c.reflectivity);
    expect(max).toBeLessThanOrEqual(POINTWISE_REFERENCE_RTOL);
  });

  it("test5 fails with an untruncated renormalised Gaussian, as the suite's README says it must", () => {
    const c = readOrsoCase("test5");
    const full = createSmearedReflectivity(c.q, c.dq!, { cutoff: 6, renormalise: true });
    const { max } = maxRelativeError(full.evaluate(c.slabs), c.reflectivity);
    expect(max).toBeGreaterThan(0.03);
  });
});
