/**
 * The WebAssembly SIMD reflectivity kernel against the scalar one (issue 21): both paths on
 * the ORSO suite (plain and smeared), a geometry-corrected curve, refnx's SEI model through the
 * public API, random neutron and X-ray stacks, batches, in a worker thread,
 * the cases it leaves to the scalar kernel, and the committed bytes against a fresh build.
 */
import fs from "node:fs";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { Worker } from "node:worker_threads";
import { afterEach, describe, expect, it } from "vitest";
import {
  reflectivity,
  reflectivityBatch,
  reflectivityKernel,
  reflectivityScalar,
  setReflectivityKernel,
  SLAB_COLUMNS,
  WASM_MIN_WORK,
  type ReflectivityKernel,
} from "../../src/kernels/reflectivity/abeles.ts";
import { wasmKernelCalls, wasmReflectivity } from "../../src/kernels/reflectivity/abelesWasm.ts";
import { createSmearedReflectivity } from "../../src/kernels/reflectivity/smearedReflectivity.ts";
import { createGeometryReflectivity } from "../../src/kernels/reflectivity/geometryReflectivity.ts";
import { createDataPointSmearedReflectivity } from "../../src/kernels/reflectivity/dataPointSmear.ts";
import { workerBootstrap } from "../../src/core/worker.ts";
import { assembleAbeles, GENERATED_PATH, renderGenerated } from "../../scripts/build-wasm.ts";
import { reflectivity as modelReflectivity } from "../../src/api/reflectivity.ts";
import { readJsonFile } from "../../src/io/json.ts";
import { refnxToModel } from "../../src/io/refnx.ts";
import { repoRoot } from "../paths.ts";
import { readOrsoCase } from "../conformance/orsoSuite.ts";
import { seededUniform } from "../reference/transferMatrix.ts";

/** Issue 21: the SIMD path equals the scalar one within 1e-12 relative (it is built to be bit-identical). */
const KERNEL_PATHS_RTOL = 1e-12;

const linspace = (a: number, b: number, n: number): Float64Array =>
  Float64Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));

function withKernel<T>(mode: ReflectivityKernel, run: () => T): T {
  setReflectivityKernel(mode);
  try {
    return run();
  } finally {
    setReflectivityKernel("auto");
  }
}

/** Largest relative difference; NaN (a mismatch in NaN-ness) fails. */
function worstRelative(a: Float64Array, b: Float64Array): { worst: number; identical: number } {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let identical = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) {
      identical++;
      continue;
    }
    const rel = Math.abs(a[i] - b[i]) / Math.abs(a[i]);
    worst = rel > worst || Number.isNaN(rel) ? rel : worst;
  }
  return { worst, identical };
}

function randomStack(random: () => number, xray: boolean): number[][] {
  const layers = 1 + Math.floor(random() * 20);
  // X-ray: SLDs of tens with absorption a tenth of that; neutrons: a few units, weak absorption
  const sld = (): number => (xray ? random() * 120 : random() * 14 - 3);
  const isld = (): number => (xray ? random() * 12 : random() < 0.5 ? 0 : random() * 0.3);
  const rows = [[0, random() < 0.5 ? 0 : xray ? random() * 10 : random() * 6, 0, 0]];
  for (let j = 0; j < layers; j++) rows.push([1 + random() * 300, sld(), isld(), random() * 12]);
  rows.push([0, sld(), random() < 0.5 ? 0 : isld(), random() * 10]);
  return rows;
}

afterEach(() => setReflectivityKernel("auto"));

describe("wasm SIMD kernel = scalar kernel", () => {
  it(`ORSO test0–test7 (plain kernel at the data's Q) within ${KERNEL_PATHS_RTOL} relative, bit for bit in practice`, () => {
    let points = 0;
    let identical = 0;
    for (const name of ["test0", "test1", "test2", "test3", "test4", "test5", "test6", "test7"]) {
      const c = readOrsoCase(name);
      const scalar = reflectivityScalar(c.q, c.slabs);
      const simd = withKernel("wasm", () => reflectivity(c.q, c.slabs));
      const result = worstRelative(scalar, simd);
      expect(result.worst, name).toBeLessThanOrEqual(KERNEL_PATHS_RTOL);
      points += c.q.length;
      identical += result.identical;
    }
    expect(identical).toBe(points);
  });

  it("ORSO test4/test5 smeared (the grid kernel's dense grid and kink corrections), a geometry-corrected and a data-point-smeared curve: both paths agree", () => {
    for (const name of ["test4", "test5"]) {
      const c = readOrsoCase(name);
      // separate functions (plans are shared by content, the curves are evaluated per path)
      const js = withKernel("js", () => createSmearedReflectivity(c.q, c.dq!).evaluate(c.slabs));
      const simd = withKernel("wasm", () => createSmearedReflectivity(c.q, c.dq!).evaluate(c.slabs));
      expect(worstRelative(js, simd).worst, name).toBeLessThanOrEqual(KERNEL_PATHS_RTOL);
    }
    // geometry-corrected, smeared, with an angle offset (the curve at shifted Q′ on an auxiliary grid)
    const c = readOrsoCase("test2");
    const q = c.q.filter((x) => x > 0);
    const sigma = q.map((x) => 0.03 * x);
    const options = { wavelength_A: 1.54, sigma, footprint: "gaussian" as const };
    const evaluate = (): Float64Array => createGeometryReflectivity(q, options).evaluate(c.slabs, 0.95, 1e-7, 2e-4, 0.1, 20);
    const js = withKernel("js", evaluate);
    const simd = withKernel("wasm", evaluate);
    expect(worstRelative(js, simd).worst).toBeLessThanOrEqual(KERNEL_PATHS_RTOL);
    // refl1d's data-point smearing with a time-of-flight angle offset (the curve at shifted Q′)
    const tof = (): Float64Array =>
      createDataPointSmearedReflectivity(q, sigma, { fixedAngle: 0.01 }).evaluate(c.slabs, 0.95, 1e-7, 1e-4);
    expect(worstRelative(withKernel("js", tof), withKernel("wasm", tof)).worst).toBeLessThanOrEqual(KERNEL_PATHS_RTOL);
  });

  it("refnx's SEI model (absorption, solvent, scale, background) through the public API, plain and 5 % smeared: both paths agree", () => {
    const dir = path.join(repoRoot, "test", "examples", "refnx");
    const q = fs
      .readFileSync(path.join(dir, "sei.refnx.txt"), "utf8")
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.startsWith("#"))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
    const { model } = refnxToModel(readJsonFile(path.join(dir, "sei.refnx.json")));
    const { resolution: _resolution, ...unsmeared } = model;
    for (const m of [unsmeared, model]) {
      const js = withKernel("js", () => modelReflectivity(m, q).reflectivity);
      const simd = withKernel("wasm", () => modelReflectivity(m, q).reflectivity);
      expect(worstRelative(js, simd).identical).toBe(q.length);
    }
  });

  it("400 random neutron and X-ray stacks of 1–20 layers, odd and even point counts, Q = 0 and negative Q, scale and background", () => {
    const random = seededUniform(21);
    let worst = 0;
    let points = 0;
    let identical = 0;
    for (let trial = 0; trial < 400; trial++) {
      const rows = randomStack(random, trial % 2 === 1);
      const slabs = Float64Array.from(rows.flat());
      const n = 1 + Math.floor(random() * 150);
      const q = Float64Array.from({ length: n }, () => (random() - 0.1) * 0.5);
      if (n > 3) q[3] = 0;
      const scale = 0.5 + random();
      const background = random() * 1e-6;
      const scalar = reflectivityScalar(q, slabs, scale, background);
      const simd = withKernel("wasm", () => reflectivity(q, slabs, scale, background));
      const result = worstRelative(scalar, simd);
      worst = Math.max(worst, result.worst);
      points += n;
      identical += result.identical;
    }
    expect(worst).toBeLessThanOrEqual(KERNEL_PATHS_RTOL);
    expect(identical).toBe(points);
  });

  it("batched curves and offsets into shared tables and outputs", () => {
    const random = seededUniform(5);
    const rows = 5;
    const curves = 30;
    const slabs = new Float64Array(curves * rows * SLAB_COLUMNS);
    for (let c = 0; c < curves; c++) {
      slabs.set([0, 0, 0, 0, 50 + 100 * random(), 3 + random(), 0.01, 3, 20 + 50 * random(), 6 * random(), 0.2, 4, 10, 1, 0, 2, 0, 2.07, 0, 3], c * rows * SLAB_COLUMNS);
    }
    const q = linspace(0.005, 0.3, 77);
    const scales = Float64Array.from({ length: curves }, () => 0.9 + 0.2 * random());
    const js = withKernel("js", () => reflectivityBatch(q, slabs, rows, scales, 1e-7));
    const simd = withKernel("wasm", () => reflectivityBatch(q, slabs, rows, scales, 1e-7));
    expect(worstRelative(js, simd).identical).toBe(js.length);
  });

  it("a Névot–Croce phase beyond π/4 or a layer phase ≥ 1e6 rad is left to the scalar kernel, and reflectivity() still returns its numbers", () => {
    const q = linspace(0.002, 0.2, 50);
    for (const slabs of [
      Float64Array.from([0, 0, 0, 0, 100, 6, 200, 60, 0, 2.07, 50, 40]),
      Float64Array.from([0, 0, 0, 0, 5e7, 6, 0, 3, 0, 2.07, 0, 3]),
    ]) {
      expect(wasmReflectivity(q, slabs, 1, 0, new Float64Array(50), 0, 3, 0)).toBe(false);
      const simd = withKernel("wasm", () => reflectivity(q, slabs));
      expect(worstRelative(reflectivityScalar(q, slabs), simd).identical).toBe(50);
    }
  });

  it("auto sends small calls to JS and larger ones to wasm, with the same numbers", () => {
    const slabs = Float64Array.from([0, 0, 0, 0, 120, 3.47, 0, 3, 45, 6.0, 0.01, 3, 0, 2.07, 0, 3]);
    expect(reflectivityKernel()).toEqual({ mode: "auto", wasmAvailable: true });
    // 3 interfaces: JS below WASM_MIN_WORK / 3 points, wasm from there
    const threshold = Math.ceil(WASM_MIN_WORK / 3);
    for (const n of [1, 2, threshold - 1, threshold, 200]) {
      const q = linspace(0.01, 0.25, n);
      const before = wasmKernelCalls();
      const r = reflectivity(q, slabs);
      expect(wasmKernelCalls() - before, `${n} points`).toBe(n >= threshold ? 1 : 0);
      expect(worstRelative(reflectivityScalar(q, slabs), r).identical).toBe(n);
    }
    const forced = wasmKernelCalls();
    withKernel("wasm", () => reflectivity(linspace(0.01, 0.25, 2), slabs));
    expect(wasmKernelCalls() - forced).toBe(1);
    withKernel("js", () => reflectivity(linspace(0.01, 0.25, 200), slabs));
    expect(wasmKernelCalls() - forced).toBe(1);
    expect(() => setReflectivityKernel("fast" as ReflectivityKernel)).toThrow(/kernel: must be js, wasm or auto/);
  });
});

describe("wasm kernel in other threads and processes", () => {
  it("a worker thread compiles its own instance and computes the same curve", async () => {
    const q = linspace(0.005, 0.3, 101);
    const slabs = Float64Array.from([0, 0, 0, 0, 120, 3.47, 0.1, 3, 45, 6.0, 0.01, 3, 0, 2.07, 0, 3]);
    const url = new URL("./abelesWorker.ts", import.meta.url);
    const worker = new Worker(workerBootstrap(url), { eval: true, workerData: { q, slabs } });
    const message = await new Promise<{ r: Float64Array; kernel: { mode: string; wasmAvailable: boolean } }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
    });
    await worker.terminate();
    expect(message.kernel).toEqual({ mode: "wasm", wasmAvailable: true });
    expect(worstRelative(reflectivityScalar(q, slabs), message.r).identical).toBe(101);
  });

  it("STRATA_KERNEL forces a path, and a bad value is one clear error", () => {
    const script = [
      'import { reflectivity, reflectivityKernel } from "./src/kernels/reflectivity/abeles.ts";',
      "console.log(reflectivityKernel().mode);",
      "reflectivity(new Float64Array([0.1]), new Float64Array([0, 0, 0, 0, 0, 2.07, 0, 3]));",
    ].join("\n");
    const run = (value: string) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: new URL("../..", import.meta.url),
        env: { ...process.env, STRATA_KERNEL: value },
        encoding: "utf8",
      });
    const js = run("js");
    expect(js.status, js.stderr).toBe(0);
    expect(js.stdout.trim()).toBe("js");
    const bad = run("turbo");
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/STRATA_KERNEL: must be js, wasm or auto/);
  });
});

describe("build", () => {
  it("assembling abeles.wat with wabt reproduces the committed abelesWasm.generated.ts exactly", async () => {
    const fresh = renderGenerated(await assembleAbeles());
    expect(fresh).toBe(fs.readFileSync(GENERATED_PATH, "utf8"));
  });
});
