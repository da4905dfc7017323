/**
 * diagnosis/seriesModel: the law-constrained series model, checked directly.
 *
 * Closed-form checks (numbers this code did not compute): each scan's interphase
 * thickness against the growth laws written out in this file (Deal–Grove also through
 * its implicit equation), the thickness derivatives against the laws' partial
 * derivatives by hand, the slab SLDs of a composition-defined X-ray stack against
 * periodictable (shared/data/sld_reference.json).
 * Kernel-direct checks: the reflectivity the joint objective sees for each scan equals
 * the Abelès kernel run on a slab table built here by hand with that thickness.
 * Self-consistency (Strata's own model on Strata's own numbers, weaker): the residual
 * Jacobian by central differences against the chain rule through the kernel.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CENTRAL_DIFFERENCE_RTOL, FIRST_PRINCIPLES_RTOL, RESIDUAL_JACOBIAN_CHAIN_RTOL, SERIES_MODEL_KERNEL_RTOL, SLD_REFERENCE_RTOL } from "../../test/tolerances.ts";
import { sharedRoot } from "../../test/paths.ts";
import { reflectivity } from "../kernels/reflectivity/abeles.ts";
import type { ReflectivityData } from "../io/reflectivityData.ts";
import { ValidationError } from "../core/errors.ts";
import { GROWTH_LAWS, LAW_NAMES, type LawName } from "../models/growthLaws.ts";
import type { DamageName } from "../models/damageModels.ts";
import { nuisanceSpecs, seriesObjective, seriesScales, type SeriesInput, type SeriesObjective } from "./seriesModel.ts";
import { closedFormThickness } from "../../test/reference/growthLaws.ts";

/** Scan times (s), reduction charges (C/cm²) and Q grids (different lengths per scan, so a mis-ordered block would show). */
const TIMES = [0, 1800, 5400];
const QRED = [0, 0.004, 0.01];
const PER_CHARGE = 3000;
const qGrid = (k: number): Float64Array => Float64Array.from({ length: 30 + 7 * k }, (_, i) => 0.008 + (0.22 * i) / (29 + 7 * k));

/** Neutron stack: Si | interphase | d-electrolyte, explicit SLDs (10⁻⁶ Å⁻²). */
const SLD = { si: 2.07, sei: 3.6, seiIm: 0.002, electrolyte: 6.1 };

/** A hand-built slab table [thickness, sld, isld, roughness] for the neutron stack. */
function neutronSlabs(thickness: number, interphaseRoughness: number, electrolyteRoughness: number): Float64Array {
  return Float64Array.from([0, SLD.si, 0, 0, thickness, SLD.sei, SLD.seiIm, interphaseRoughness, 0, SLD.electrolyte, 0, electrolyteRoughness]);
}

/** Data of scan k: a curve of a different thickness (so model and data differ), 3 % errors, no dQ (unsmeared). */
function scanData(k: number, slabs: (thickness: number) => Float64Array): ReflectivityData {
  const q = qGrid(k);
  const r = reflectivity(q, slabs(12 + 4 * k));
  return { source: `scan${k}`, q, r, dr: r.map((x) => 0.03 * x), dq: undefined, warnings: [] };
}

function neutronInput(): SeriesInput {
  return {
    cell: "A",
    probe: "neutron",
    stack: [
      { name: "Si", role: "substrate", sld: SLD.si, roughness_A: 0 },
      { name: "SEI", role: "interphase", sld: SLD.sei, isld: SLD.seiIm, thickness_A: 20, roughness_A: 4 },
      { name: "electrolyte", role: "electrolyte", sld: SLD.electrolyte, roughness_A: 3 },
    ],
    interphase: 1,
    scans: TIMES.map((t, k) => ({ id: `s${k}`, spot: "a", time_s: t, qred_C_per_cm2: QRED[k], data: scanData(k, (d) => neutronSlabs(d, 4, 3)) })),
    thicknessPerCharge: PER_CHARGE,
  };
}

/** Law parameters inside the bounds seriesScales(input, 30) gives, with visible growth over 5400 s. */
const LAW_VALUES: Record<LawName, Record<string, number>> = {
  linear: { L0: 20, k: 4e-3 },
  parabolic: { L0: 20, kp: 0.15 },
  mixed: { L0: 18, A: 25, B: 0.2 },
  logarithmic: { L0: 20, a: 8, tau: 900 },
  charge: { L0: 20, f: 0.7 },
};

/** The growth laws in closed form (test/reference/growthLaws.ts) with this file's charge conversion. */
const closedForm = (law: LawName, p: Record<string, number>, t: number, qred: number): number => closedFormThickness(law, p, t, qred, PER_CHARGE);

/** ∂L/∂θ by hand (Deal–Grove by implicit differentiation of L² − L0² + A(L − L0) − B·t = 0). */
function closedFormGradient(law: LawName, p: Record<string, number>, t: number, qred: number): Record<string, number> {
  const L = closedForm(law, p, t, qred);
  switch (law) {
    case "linear":
      return { L0: 1, k: t };
    case "parabolic":
      return { L0: p.L0 / L, kp: t / (2 * L) };
    case "mixed": {
      const dF = 2 * L + p.A;
      return { L0: (2 * p.L0 + p.A) / dF, A: -(L - p.L0) / dF, B: t / dF };
    }
    case "logarithmic":
      return { L0: 1, a: Math.log1p(t / p.tau), tau: (-p.a * t) / (p.tau * (p.tau + t)) };
    case "charge":
      return { L0: 1, f: PER_CHARGE * qred };
  }
}

/** θ with the named entries replaced. */
function thetaWith(series: SeriesObjective, values: Record<string, number>): Float64Array {
  const theta = series.objective.initial();
  for (const [name, value] of Object.entries(values)) {
    const i = series.objective.names.indexOf(name);
    expect(i, `parameter ${name} in θ`).toBeGreaterThanOrEqual(0);
    theta[i] = value;
  }
  return theta;
}

/** The model's thickness at every scan for θ (the constrained parameters' values). */
function thicknessesAt(series: SeriesObjective, theta: Float64Array): number[] {
  const values = series.objective.valuesAt(theta);
  return series.thickness.map((p) => values[series.objective.space.slotOf(p)]);
}

/** The model curve of every scan recovered from the residuals: m = y + r·σ. */
function curvesAt(series: SeriesObjective, theta: Float64Array): Float64Array[] {
  const r = series.objective.residuals(theta);
  let offset = 0;
  return series.terms.map((term) => {
    const m = term.y.map((y, i) => y + r[offset + i] * term.sigma[i]);
    offset += term.y.length;
    return m;
  });
}

function maxRelative(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, a[i] === b[i] ? 0 : Math.abs(a[i] - b[i]) / Math.abs(b[i]));
  return m;
}

/** Nuisance values away from the manifest's (scale, background, both roughnesses). */
const NUISANCE = { scale: 0.93, background: 2e-7, interphase_roughness: 6.5, electrolyte_roughness: 4.2 };

describe("seriesObjective, law mode: parameters of the joint objective", () => {
  // Closed-form check of the fit space: which parameters vary and that shared ones are one object.
  it("varies scale, background, both roughnesses and the law's parameters once; thickness is constrained per scan", () => {
    const input = neutronInput();
    for (const law of LAW_NAMES) {
      const series = seriesObjective(input, { kind: "law", law }, seriesScales(input, 30));
      expect([...series.objective.names].sort()).toEqual(["scale", "background", "interphase_roughness", "electrolyte_roughness", ...Object.keys(LAW_VALUES[law])].sort());
      expect(series.thickness).toHaveLength(3);
      for (const p of series.thickness) expect(p.constrained).toBe(true);
      expect(series.objective.nResiduals).toBe(qGrid(0).length + qGrid(1).length + qGrid(2).length);
      // one Parameter object shared by all three scans' models
      for (const model of series.models) {
        expect(model.scale).toBe(series.nuisance.get("scale"));
        expect(model.background).toBe(series.nuisance.get("background"));
        expect(model.layers[1].roughness).toBe(series.roughness);
        expect(model.layers[2].roughness).toBe(series.nuisance.get("electrolyte_roughness"));
      }
      expect(series.density).toBeUndefined();
    }
  });

  it("nuisance bounds follow the documented rules (scale 0.5–2, background −1e-6–1e-5, roughness 0–max(20, 3×nominal))", () => {
    const specs = nuisanceSpecs(neutronInput());
    expect(specs.map((s) => [s.name, s.initial, s.min, s.max])).toEqual([
      ["electrolyte_roughness", 3, 0, 20],
      ["scale", 1, 0.5, 2],
      ["background", 0, -1e-6, 1e-5],
    ]);
  });
});

describe("a layer property per scan or by a linear law in time (stack[j].fit)", () => {
  // Closed-form check of the parameters made and of each scan's value under the law.
  const withFit = (fit: SeriesInput["stack"][number]["fit"], times = TIMES): SeriesInput => {
    const input = neutronInput();
    return { ...input, stack: input.stack.map((l) => (l.role === "electrolyte" ? { ...l, fit } : l)), scans: input.scans.map((scan, k) => ({ ...scan, time_s: times[k] })) };
  };
  it("perScan: one parameter per scan, each with the declared bounds", () => {
    const specs = nuisanceSpecs(withFit({ roughness_A: { min: 1, max: 9, perScan: true } })).filter((s) => s.name.startsWith("electrolyte_roughness"));
    expect(specs.map((s) => [s.name, s.min, s.max])).toEqual(["s0", "s1", "s2"].map((id) => [`electrolyte_roughness@${id}`, 1, 9]));
  });
  it("law linear: the value at t0 and a rate within ±(max − min) per the span of scan times; each scan's value is value + rate × hours", () => {
    const input = withFit({ roughness_A: { min: 1, max: 9, law: "linear" } });
    const specs = nuisanceSpecs(input).filter((s) => s.name.startsWith("electrolyte_roughness"));
    const span_h = (TIMES[2] - TIMES[0]) / 3600;
    expect(specs.map((s) => [s.name, s.min, s.max])).toEqual([
      ["electrolyte_roughness", 1, 9],
      ["electrolyte_roughness_rate", -8 / span_h, 8 / span_h],
    ]);
    const series = seriesObjective(input, { kind: "law", law: "linear" }, seriesScales(input, 30));
    const theta = thetaWith(series, { ...LAW_VALUES.linear, ...NUISANCE, electrolyte_roughness: 4, electrolyte_roughness_rate: 1.5 });
    const values = series.objective.valuesAt(theta);
    series.models.forEach((model, k) => {
      expect(model.layers[2].roughness.name).toBe(`electrolyte_roughness@s${k}`);
      expect(values[series.objective.space.slotOf(model.layers[2].roughness)]).toBeCloseTo(4 + 1.5 * (TIMES[k] / 3600), 12);
    });
  });
  it("law linear on scans all at one time: one shared value; on one scan: the scan's own", () => {
    expect(nuisanceSpecs(withFit({ roughness_A: { min: 1, max: 9, law: "linear" } }, [600, 600, 600])).filter((s) => s.name.startsWith("electrolyte_roughness")).map((s) => s.name)).toEqual(["electrolyte_roughness"]);
    const one = withFit({ roughness_A: { min: 1, max: 9, law: "linear" } });
    expect(nuisanceSpecs({ ...one, scans: one.scans.slice(0, 1) }).filter((s) => s.name.startsWith("electrolyte_roughness")).map((s) => s.name)).toEqual(["electrolyte_roughness@s0"]);
  });
});

describe("seriesObjective, law mode: thickness and reflectivity per scan", () => {
  // Closed-form check: thickness against the laws written out above; kernel-direct check:
  // the curve each scan's residuals imply against abeles on a hand-built slab table.
  for (const law of LAW_NAMES) {
    it(`${law}: thickness at each scan is the closed form, and R is the kernel on that stack`, () => {
      const input = neutronInput();
      const series = seriesObjective(input, { kind: "law", law }, seriesScales(input, 30));
      const p = LAW_VALUES[law];
      const theta = thetaWith(series, { ...p, ...NUISANCE });
      expect(series.objective.logPrior(theta)).toBeGreaterThan(-Infinity);
      const expected = TIMES.map((t, k) => closedForm(law, p, t, QRED[k]));
      const actual = thicknessesAt(series, theta);
      for (let k = 0; k < 3; k++) expect(Math.abs(actual[k] - expected[k]) / expected[k]).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      // the laws do grow over the series (the check is not on a constant)
      expect(expected[2] - expected[0]).toBeGreaterThan(5);
      const curves = curvesAt(series, theta);
      curves.forEach((m, k) => {
        const direct = reflectivity(qGrid(k), neutronSlabs(expected[k], NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background);
        expect(maxRelative(m, direct)).toBeLessThanOrEqual(SERIES_MODEL_KERNEL_RTOL);
      });
    });
  }

  it("mixed (Deal–Grove): the thickness satisfies L² − L0² + A(L − L0) = B·t", () => {
    const input = neutronInput();
    const series = seriesObjective(input, { kind: "law", law: "mixed" }, seriesScales(input, 30));
    const { L0, A, B } = LAW_VALUES.mixed;
    const L = thicknessesAt(series, thetaWith(series, LAW_VALUES.mixed));
    TIMES.forEach((t, k) => {
      const lhs = L[k] ** 2 - L0 ** 2 + A * (L[k] - L0);
      // residual relative to the terms' size (L², A·L ~ 1e3 Å²)
      expect(Math.abs(lhs - B * t)).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL * (L[k] ** 2 + A * L[k]));
    });
    expect(L[0]).toBeCloseTo(L0, 12);
  });

  it("charge: thickness follows the charge passed, not the time (same times, other charges)", () => {
    const input = neutronInput();
    const recharged: SeriesInput = { ...input, scans: input.scans.map((s, k) => ({ ...s, qred_C_per_cm2: [0.01, 0, 0.005][k] })) };
    const series = seriesObjective(recharged, { kind: "law", law: "charge" }, seriesScales(recharged, 30));
    const L = thicknessesAt(series, thetaWith(series, LAW_VALUES.charge));
    expect(L).toEqual([0.01, 0, 0.005].map((q) => expect.closeTo(20 + 0.7 * PER_CHARGE * q, 10) as number));
  });
});

describe("seriesObjective, free mode", () => {
  // Closed-form check: per-scan free thicknesses go straight into the slab table.
  it("varies one thickness per scan and puts each into its own scan's stack", () => {
    const input = neutronInput();
    const series = seriesObjective(input, { kind: "free" }, seriesScales(input, 30));
    expect([...series.objective.names].sort()).toEqual(["background", "electrolyte_roughness", "interphase_roughness", "scale", "thickness_0", "thickness_1", "thickness_2"]);
    const thick = [15, 27.5, 41];
    const theta = thetaWith(series, { thickness_0: thick[0], thickness_1: thick[1], thickness_2: thick[2], ...NUISANCE });
    curvesAt(series, theta).forEach((m, k) => {
      const direct = reflectivity(qGrid(k), neutronSlabs(thick[k], NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background);
      expect(maxRelative(m, direct)).toBeLessThanOrEqual(SERIES_MODEL_KERNEL_RTOL);
    });
  });
});

describe("seriesObjective: one fitted angle offset per sample alignment", () => {
  // Closed-form check: a scan at angle offset δ sees the stack at Q′ = (4π/λ)·sin(asin(Qλ/4π) + δ),
  // computed here; scans of alignment "B" share angle_offset@B, the others angle_offset.
  it("scans of an alignment share its offset, the rest the cell's; each curve is the kernel at its own shifted Q", () => {
    const wavelength = 5;
    const base = neutronInput();
    const input: SeriesInput = {
      ...base,
      wavelength_A: wavelength,
      geometry: { angleOffset_deg: { value: 0, sd: 0.01 } },
      alignments: { B: { angleOffset_deg: { value: 0, sd: 0.01 } } },
      scans: base.scans.map((scan, k) => (k > 0 ? { ...scan, alignment: "B" } : scan)),
    };
    const series = seriesObjective(input, { kind: "free" }, seriesScales(input, 30));
    expect(series.objective.names.filter((n) => n.startsWith("angle_offset")).sort()).toEqual(["angle_offset", "angle_offset@B"]);
    const offsets = { angle_offset: 0.004, "angle_offset@B": -0.007 };
    const thick = [15, 27.5, 41];
    const theta = thetaWith(series, { thickness_0: thick[0], thickness_1: thick[1], thickness_2: thick[2], ...NUISANCE, ...offsets });
    curvesAt(series, theta).forEach((m, k) => {
      const delta = ((k === 0 ? offsets.angle_offset : offsets["angle_offset@B"]) * Math.PI) / 180;
      const shifted = qGrid(k).map((q) => ((4 * Math.PI) / wavelength) * Math.sin(Math.asin((q * wavelength) / (4 * Math.PI)) + delta));
      const direct = reflectivity(shifted, neutronSlabs(thick[k], NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background);
      expect(maxRelative(m, direct)).toBeLessThanOrEqual(SERIES_MODEL_KERNEL_RTOL);
    });
    // every scan in an alignment: no cell-wide offset
    const all = seriesObjective({ ...input, scans: input.scans.map((scan) => ({ ...scan, alignment: "B" })) }, { kind: "free" }, seriesScales(input, 30));
    expect(all.objective.names.filter((n) => n.startsWith("angle_offset"))).toEqual(["angle_offset@B"]);
    // a fixed alignment offset and a geometry without one: only the named alignment's scans are shifted, by the fixed value
    const fixed = seriesObjective({ ...input, geometry: undefined, alignments: { B: { angleOffset_deg: { value: -0.007 } } } }, { kind: "free" }, seriesScales(input, 30));
    expect(fixed.objective.names.filter((n) => n.startsWith("angle_offset"))).toEqual([]);
    const fixedTheta = thetaWith(fixed, { thickness_0: thick[0], thickness_1: thick[1], thickness_2: thick[2], ...NUISANCE });
    curvesAt(fixed, fixedTheta).forEach((m, k) => {
      const delta = ((k === 0 ? 0 : -0.007) * Math.PI) / 180;
      const shifted = qGrid(k).map((q) => ((4 * Math.PI) / wavelength) * Math.sin(Math.asin((q * wavelength) / (4 * Math.PI)) + delta));
      expect(maxRelative(m, reflectivity(shifted, neutronSlabs(thick[k], NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background))).toBeLessThanOrEqual(SERIES_MODEL_KERNEL_RTOL);
    });
  });
});

interface SldReference {
  formula: string;
  density_g_cm3: number;
  energy_keV: number | "neutron";
  sld_real: number;
  sld_imag: number;
}

describe("seriesObjective, X-ray stack from compositions", () => {
  // Closed-form check against periodictable's SLDs (shared/data/sld_reference.json), scaled
  // linearly with the fitted density; kernel-direct check of R on the model's slab table.
  const references = JSON.parse(readFileSync(path.join(sharedRoot, "data", "sld_reference.json"), "utf8")) as SldReference[];
  const ref = (formula: string): SldReference => references.find((r) => r.formula === formula && r.energy_keV === 8.048)!;

  it("interphase density sets the SLD at 8.048 keV; thickness from the parabolic law; R equals the kernel", () => {
    const stack = [
      { name: "Si", role: "substrate", formula: "Si", density: 2.33, roughness_A: 0 },
      { name: "Cu", role: "electrode", formula: "Cu", density: 8.96, thickness_A: 150, roughness_A: 5 },
      { name: "SEI", role: "interphase", formula: "LiF", density: 2.635, thickness_A: 20, roughness_A: 4 },
      { name: "electrolyte", role: "electrolyte", formula: "C3H4O3", density: 1.32, roughness_A: 3 },
    ];
    const data = (k: number): ReflectivityData => {
      const q = qGrid(k);
      const r = q.map((x) => 1e-4 / (1 + (x / 0.03) ** 4));
      return { source: `x${k}`, q, r, dr: r.map((x) => 0.05 * x), dq: undefined, warnings: [] };
    };
    const input: SeriesInput = {
      cell: "X",
      probe: "xray",
      energy_keV: 8.048,
      stack,
      interphase: 2,
      scans: TIMES.map((t, k) => ({ id: `x${k}`, spot: "a", time_s: t, qred_C_per_cm2: QRED[k], data: data(k) })),
      thicknessPerCharge: PER_CHARGE,
    };
    const series = seriesObjective(input, { kind: "law", law: "parabolic" }, seriesScales(input, 30));
    expect([...series.objective.names].sort()).toEqual(
      ["Cu_density", "Cu_roughness", "Cu_thickness", "L0", "background", "electrolyte_density", "electrolyte_roughness", "interphase_density", "interphase_roughness", "kp", "scale"].sort(),
    );
    const density = 2.2;
    const nuisance = { ...NUISANCE, interphase_density: density, Cu_thickness: 160, Cu_roughness: 6, Cu_density: 8.5, electrolyte_density: 1.25 };
    const theta = thetaWith(series, { ...LAW_VALUES.parabolic, ...nuisance });
    expect(series.objective.logPrior(theta)).toBeGreaterThan(-Infinity);
    const sld = (formula: string, rho: number): [number, number] => {
      const r = ref(formula);
      return [(r.sld_real * rho) / r.density_g_cm3, (r.sld_imag * rho) / r.density_g_cm3];
    };
    const expectedSld = [sld("Si", 2.33), sld("Cu", 8.5), sld("LiF", density), sld("C3H4O3", 1.25)];
    const values = series.objective.valuesAt(theta);
    const curves = curvesAt(series, theta);
    series.models.forEach((model, k) => {
      const slabs = new Float64Array(model.rows * 4);
      model.bind(series.objective.space)(values, slabs, new Float64Array(model.scalarCount));
      const L = closedForm("parabolic", LAW_VALUES.parabolic, TIMES[k], QRED[k]);
      expect(Math.abs(slabs[2 * 4] - L) / L).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      expect(slabs[1 * 4]).toBe(160);
      expectedSld.forEach(([re, im], j) => {
        expect(Math.abs(slabs[j * 4 + 1] - re) / re, `layer ${j} SLD`).toBeLessThanOrEqual(SLD_REFERENCE_RTOL);
        // the fronting medium's absorption is ignored by the kernel; the others carry periodictable's
        if (j > 0) expect(Math.abs(slabs[j * 4 + 2] - im) / im, `layer ${j} iSLD`).toBeLessThanOrEqual(SLD_REFERENCE_RTOL);
      });
      expect([slabs[4 + 3], slabs[8 + 3], slabs[12 + 3]]).toEqual([6, NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness]);
      // R on the hand table: the model's SLDs (checked above), closed-form thickness, set roughnesses
      const hand = Float64Array.from(slabs);
      hand[2 * 4] = L;
      const direct = reflectivity(qGrid(k), hand, NUISANCE.scale, NUISANCE.background);
      expect(maxRelative(curves[k], direct)).toBeLessThanOrEqual(SERIES_MODEL_KERNEL_RTOL);
    });
  });
});

describe("seriesObjective, derivatives for least squares", () => {
  // Closed-form check: ∂L/∂θ of each scan by central differences of the model's constrained
  // thickness against the laws' partial derivatives by hand.
  for (const law of LAW_NAMES) {
    it(`${law}: ∂thickness/∂(law parameter) by central differences equals the hand derivative`, () => {
      const input = neutronInput();
      const series = seriesObjective(input, { kind: "law", law }, seriesScales(input, 30));
      const p = LAW_VALUES[law];
      const theta = thetaWith(series, p);
      for (const name of Object.keys(p)) {
        const j = series.objective.names.indexOf(name);
        const h = 1e-5 * Math.abs(theta[j]);
        const plus = Float64Array.from(theta);
        const minus = Float64Array.from(theta);
        plus[j] += h;
        minus[j] -= h;
        const lp = thicknessesAt(series, plus);
        const lm = thicknessesAt(series, minus);
        const exact = TIMES.map((t, k) => closedFormGradient(law, p, t, QRED[k])[name]);
        const scale = Math.max(...exact.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        TIMES.forEach((_, k) => {
          const fd = (lp[k] - lm[k]) / (2 * h);
          expect(Math.abs(fd - exact[k]), `∂L${k}/∂${name}`).toBeLessThanOrEqual(CENTRAL_DIFFERENCE_RTOL * scale);
        });
      }
    });
  }

  // Self-consistency: the residual Jacobian LM differentiates numerically, against the chain
  // rule (1/σ)·∂R/∂L (kernel, central difference on the hand stack)·∂L/∂θ (hand derivative).
  for (const law of ["linear", "mixed", "logarithmic"] as const) {
    it(`${law}: residual Jacobian columns of the law parameters follow the chain rule through the kernel`, () => {
      const input = neutronInput();
      const series = seriesObjective(input, { kind: "law", law }, seriesScales(input, 30));
      const p = LAW_VALUES[law];
      const theta = thetaWith(series, { ...p, ...NUISANCE });
      const hL = 1e-4;
      const dRdL = TIMES.map((t, k) => {
        const L = closedForm(law, p, t, QRED[k]);
        const up = reflectivity(qGrid(k), neutronSlabs(L + hL, NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background);
        const down = reflectivity(qGrid(k), neutronSlabs(L - hL, NUISANCE.interphase_roughness, NUISANCE.electrolyte_roughness), NUISANCE.scale, NUISANCE.background);
        return up.map((u, i) => (u - down[i]) / (2 * hL));
      });
      for (const name of Object.keys(p)) {
        const j = series.objective.names.indexOf(name);
        const h = 1e-6 * Math.abs(theta[j]);
        const plus = Float64Array.from(theta);
        const minus = Float64Array.from(theta);
        plus[j] += h;
        minus[j] -= h;
        const rp = series.objective.residuals(plus);
        const rm = series.objective.residuals(minus);
        let offset = 0;
        let diff2 = 0;
        let norm2 = 0;
        series.terms.forEach((term, k) => {
          const dLdTheta = closedFormGradient(law, p, TIMES[k], QRED[k])[name];
          for (let i = 0; i < term.y.length; i++) {
            const fd = (rp[offset + i] - rm[offset + i]) / (2 * h);
            const chain = (dRdL[k][i] * dLdTheta) / term.sigma[i];
            diff2 += (fd - chain) ** 2;
            norm2 += chain ** 2;
            // a scan whose thickness does not depend on the parameter has an exactly zero block
            if (dLdTheta === 0 && law !== "mixed") expect(fd).toBe(0);
          }
          offset += term.y.length;
        });
        expect(norm2).toBeGreaterThan(0);
        expect(Math.sqrt(diff2 / norm2), `column ${name}`).toBeLessThanOrEqual(RESIDUAL_JACOBIAN_CHAIN_RTOL);
      }
    });
  }
});

describe("seriesObjective, bad input: a ValidationError naming the field, never a silent default", () => {
  const scales = seriesScales(neutronInput(), 30);

  /** The ValidationError `run` throws (fails the test when it throws something else or nothing). */
  function validationError(run: () => unknown): ValidationError {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      return error as ValidationError;
    }
    expect.fail("expected a ValidationError, nothing was thrown");
  }

  it("an unknown law or damage name names `law` or `damage` (was a TypeError)", () => {
    const law = validationError(() => seriesObjective(neutronInput(), { kind: "law", law: "cubic" as LawName }, scales));
    expect([law.path, law.value]).toEqual(["law", "cubic"]);
    const damage = validationError(() => seriesObjective(neutronInput(), { kind: "law", law: "linear", damage: "melting" as DamageName }, scales));
    expect([damage.path, damage.value]).toEqual(["damage", "melting"]);
  });

  it("zero scans name `scans` in both modes (was an objective with no parameters or a complaint about objective.names)", () => {
    const empty = { ...neutronInput(), scans: [] };
    expect(validationError(() => seriesObjective(empty, { kind: "free" }, scales)).path).toBe("scans");
    expect(validationError(() => seriesObjective(empty, { kind: "law", law: "parabolic" }, scales)).path).toBe("scans");
  });

  it("R, dR or dQ of another length than Q names that array of that scan when the term is built", () => {
    const cut = (k: number, field: "r" | "dr" | "dq"): SeriesInput => {
      const input = neutronInput();
      const data = input.scans[k].data;
      const arrays = { r: data.r, dr: data.dr, dq: data.dq ?? Float64Array.from(data.q, (q) => 0.02 * q) };
      input.scans[k] = { ...input.scans[k], data: { ...data, dq: arrays.dq, [field]: arrays[field].subarray(0, 5) } };
      return input;
    };
    expect(validationError(() => seriesObjective(cut(1, "r"), { kind: "free" }, scales)).message).toBe('scans[1].data.r: must hold one value per Q point (37) of scan "s1" (got 5)');
    expect(validationError(() => seriesObjective(cut(2, "dr"), { kind: "law", law: "linear" }, scales)).path).toBe("scans[2].data.dr");
    expect(validationError(() => seriesObjective(cut(0, "dq"), { kind: "law", law: "linear" }, scales)).path).toBe("scans[0].data.dq");
  });

  it("a non-finite time names scans[k].time_s for every law and the free mode; a non-finite charge names qred_C_per_cm2 for the charge law only", () => {
    const withScan = (k: number, change: Partial<SeriesInput["scans"][number]>): SeriesInput => {
      const input = neutronInput();
      input.scans[k] = { ...input.scans[k], ...change };
      return input;
    };
    for (const law of LAW_NAMES) {
      const error = validationError(() => seriesObjective(withScan(2, { time_s: Number.NaN }), { kind: "law", law }, scales));
      expect(error.message, law).toBe('scans[2].time_s: must be a finite time (s since t0) for scan "s2" (got NaN)');
    }
    expect(validationError(() => seriesObjective(withScan(0, { time_s: Number.NEGATIVE_INFINITY }), { kind: "free" }, scales)).path).toBe("scans[0].time_s");
    const charge = validationError(() => seriesObjective(withScan(1, { qred_C_per_cm2: Number.NaN }), { kind: "law", law: "charge" }, scales));
    expect(charge.message).toBe('scans[1].qred_C_per_cm2: must be a finite reduction charge (C/cm²) for scan "s1" (got NaN)');
    // a time law does not read the charge: same objective as with a finite one
    const timeLaw = seriesObjective(withScan(1, { qred_C_per_cm2: Number.NaN }), { kind: "law", law: "parabolic" }, scales);
    expect(thicknessesAt(timeLaw, timeLaw.objective.initial())).toEqual(thicknessesAt(seriesObjective(neutronInput(), { kind: "law", law: "parabolic" }, scales), timeLaw.objective.initial()));
  });

  it("a non-finite dose names scans[k].dose_Gy under a damage model", () => {
    const input = neutronInput();
    input.scans = input.scans.map((s, k) => ({ ...s, dose_Gy: k === 1 ? Number.NaN : 1e3 * k }));
    expect(validationError(() => seriesObjective(input, { kind: "law", law: "linear", damage: "linear" }, scales)).path).toBe("scans[1].dose_Gy");
  });

  it("growthLaws itself never inlines a non-finite time or charge as 0", () => {
    const names = { L0: "L0", k: "k", kp: "kp", A: "A", B: "B", a: "a", tau: "tau", f: "f", perCharge: "perCharge" };
    for (const law of LAW_NAMES) {
      const field = law === "charge" ? "qredPerArea" : "t";
      const error = validationError(() => (law === "charge" ? GROWTH_LAWS[law].expression(100, Number.NaN, names) : GROWTH_LAWS[law].expression(Number.NaN, 0, names)));
      expect(error.path, law).toBe(field);
    }
    expect(GROWTH_LAWS.linear.expression(1800, Number.NaN, names)).toBe(`L0 + k*${(1800).toPrecision(17)}`);
  });
});
