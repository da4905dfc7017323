/**
 * Issue 2 benchmark: the reflectivity kernel and its smearing, the cases of
 * shared/reference/reflectometry.md §6 (refnx's C kernel: (a) 24.6 µs, (b) 543 µs,
 * (c) 387 µs, (d) 24.5 ms per 1000 curves, measured as CPU time on this machine kind).
 * Model: air | 120 Å (3.47) | 45 Å (6.0 + 0.01i) | Si, roughness 3 Å; Q 0.005–0.3 Å⁻¹.
 * The cases run with the kernel choice in force (STRATA_KERNEL, default auto: the wasm SIMD
 * kernel for these sizes); the `*_js_*` rows force the scalar JS kernel for comparison.
 */
import { reflectivity, reflectivityBatch, reflectivityKernel, setReflectivityKernel, SLAB_COLUMNS } from "../src/kernels/reflectivity/abeles.ts";
import { FWHM_TO_SIGMA, planSmearing } from "../src/kernels/reflectivity/smear.ts";
import { createSmearedReflectivity, smearedReflectivity } from "../src/kernels/reflectivity/smearedReflectivity.ts";
import { time, type Timing } from "./harness.ts";

const linspace = (a: number, b: number, n: number): Float64Array => Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

export function benchReflectivity(): Record<string, Timing | number | string> {
  const twoLayers = Float64Array.from([0, 0, 0, 0, 120, 3.47, 0, 3, 45, 6.0, 0.01, 3, 0, 2.07, 0, 3]);
  const q200 = linspace(0.005, 0.3, 200);
  const out200 = new Float64Array(200);
  const a = time(() => reflectivity(q200, twoLayers, 1, 0, out200), { calls: 2000 });

  const tenRows: number[] = [0, 0, 0, 0];
  for (let j = 0; j < 10; j++) tenRows.push(20 + 7 * j, 1 + (j % 4), 0.01 * (j % 2), 2 + (j % 3));
  tenRows.push(0, 2.07, 0, 3);
  const tenLayers = Float64Array.from(tenRows);
  const q1000 = linspace(0.005, 0.3, 1000);
  const out1000 = new Float64Array(1000);
  const b = time(() => reflectivity(q1000, tenLayers, 1, 0, out1000), { calls: 200 });

  const sigma = q200.map((x) => x * 0.05 * FWHM_TO_SIGMA);
  const smear = createSmearedReflectivity(q200, sigma);
  const c = time(() => smear.evaluate(twoLayers, 1, 0, out200), { calls: 1000 });
  const fast = smear.evaluate(twoLayers);
  const brute = smearedReflectivity(planSmearing(q200, sigma, { method: "pointwise", nodes: 20001 }), twoLayers);
  let smearError = 0;
  for (let i = 0; i < 200; i++) smearError = Math.max(smearError, Math.abs(fast[i] - brute[i]) / brute[i]);
  const gridPoints = (() => {
    const plan = planSmearing(q200, sigma, {});
    return plan.grid.length;
  })();

  // pointwise dQ from the data (here the same σ given as a column), refnx's 17-node quadrature for comparison
  const refnxLike = planSmearing(q200, sigma, { method: "pointwise", nodes: 17 });
  const c17 = time(() => smearedReflectivity(refnxLike, twoLayers, 1, 0, out200), { calls: 200 });
  const refnxLikeCurve = smearedReflectivity(refnxLike, twoLayers);
  let refnxLikeError = 0;
  for (let i = 0; i < 200; i++) refnxLikeError = Math.max(refnxLikeError, Math.abs(refnxLikeCurve[i] - brute[i]) / brute[i]);

  const curves = 1000;
  const batch = new Float64Array(curves * 4 * SLAB_COLUMNS);
  for (let k = 0; k < curves; k++) {
    batch.set(twoLayers, k * 4 * SLAB_COLUMNS);
    batch[k * 16 + 4] = 100 + (k % 50);
  }
  const batchOut = new Float64Array(curves * 200);
  const d = time(() => reflectivityBatch(q200, batch, 4, 1, 0, batchOut), { calls: 5, rounds: 15 });

  // the same cases on the scalar JS kernel
  const mode = reflectivityKernel().mode;
  setReflectivityKernel("js");
  const aJs = time(() => reflectivity(q200, twoLayers, 1, 0, out200), { calls: 2000 });
  const bJs = time(() => reflectivity(q1000, tenLayers, 1, 0, out1000), { calls: 200 });
  const cJs = time(() => smear.evaluate(twoLayers, 1, 0, out200), { calls: 1000 });
  const dJs = time(() => reflectivityBatch(q200, batch, 4, 1, 0, batchOut), { calls: 5, rounds: 15 });
  setReflectivityKernel(mode);

  return {
    "a_2layers_200q_us": a,
    "b_10layers_1000q_us": b,
    "c_2layers_200q_5pct_dqq_us": c,
    "c_over_a": c.minUs / a.minUs,
    "c_max_rel_error_vs_bruteforce": smearError,
    "c_grid_points": gridPoints,
    "c17_refnx_like_17node_pointwise_us": c17,
    "c17_max_rel_error_vs_bruteforce": refnxLikeError,
    "d_1000_curves_batch_us": d,
    "d_curves_per_second": (curves / d.minUs) * 1e6,
    "kernel": `${mode}${reflectivityKernel().wasmAvailable ? "" : " (no WebAssembly SIMD: JS)"}`,
    "a_js_2layers_200q_us": aJs,
    "b_js_10layers_1000q_us": bJs,
    "c_js_2layers_200q_5pct_dqq_us": cJs,
    "d_js_curves_per_second": (curves / dJs.minUs) * 1e6,
  };
}
