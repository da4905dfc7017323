import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { conformanceRoot } from "../../../test/paths.ts";
import { INDEPENDENT_KERNEL_RTOL, ORSO_POLARISED_ATOL, ORSO_POLARISED_RTOL } from "../../../test/tolerances.ts";
import { POLARISED_SLAB_COLUMNS, polarisedReflectivity, type PolarisedReflectivity } from "./polarised.ts";

const CHANNELS = ["mm", "mp", "pm", "pp"] as const;
type Channel = (typeof CHANNELS)[number];
const SPIN_FLIP: readonly Channel[] = ["mp", "pm"];

// ---------------------------------------------------------------------------------------------
// ORSO polarised files (descriptor, 6-column TAB layer file with a # header, 5-column data)

const orsoPolarisedDir = path.join(conformanceRoot, "orso-validation", "polarised");

function dataLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0 && !line.startsWith("#"));
}

function numberRows(file: string): number[][] {
  return dataLines(fs.readFileSync(file, "utf8")).map((line) => line.split(/\s+/).map(Number));
}

interface PolarisedCase {
  slabs: Float64Array;
  aguide: number;
  q: Float64Array;
  expected: Record<Channel, Float64Array>;
}

function readPolarisedCase(name: string): PolarisedCase {
  const [layerFile, dataFile, aguide] = dataLines(fs.readFileSync(path.join(orsoPolarisedDir, `${name}.txt`), "utf8"));
  const layers = numberRows(path.join(orsoPolarisedDir, layerFile));
  const data = numberRows(path.join(orsoPolarisedDir, dataFile));
  const column = (c: number) => new Float64Array(data.map((row) => row[c]));
  return {
    slabs: new Float64Array(layers.flat()),
    aguide: Number(aguide),
    q: column(0),
    expected: { mm: column(1), mp: column(2), pm: column(3), pp: column(4) },
  };
}

// ---------------------------------------------------------------------------------------------
// Independent references: complex helpers, an unpolarised Parratt recursion, and a brute-force
// 4×4 characteristic-matrix (ψ, ψ′) solution with a dense linear solve.

interface C {
  re: number;
  im: number;
}
const c = (re: number, im = 0): C => ({ re, im });
const add = (a: C, b: C): C => c(a.re + b.re, a.im + b.im);
const sub = (a: C, b: C): C => c(a.re - b.re, a.im - b.im);
const mul = (a: C, b: C): C => c(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re);
const div = (a: C, b: C): C => {
  const m = b.re * b.re + b.im * b.im;
  return c((a.re * b.re + a.im * b.im) / m, (a.im * b.re - a.re * b.im) / m);
};
const cexp = (a: C): C => c(Math.exp(a.re) * Math.cos(a.im), Math.exp(a.re) * Math.sin(a.im));
const abs2 = (a: C): number => a.re * a.re + a.im * a.im;
/** Principal root of k² (Im k² ≥ 0 here, so Im k ≥ 0: the wave decays into the stack), without cancellation. */
function kRoot(k2: C): C {
  const m = Math.hypot(k2.re, k2.im);
  if (k2.re >= 0) {
    const re = Math.sqrt(0.5 * (m + k2.re));
    return c(re, re === 0 ? 0 : k2.im / (2 * re));
  }
  const im = Math.sqrt(0.5 * (m - k2.re));
  return c(k2.im / (2 * im), im);
}
const FOUR_PI_E6 = 4 * Math.PI * 1e-6;

/** Plain Parratt recursion with Névot–Croce roughness, rows `[thickness, sld, isld, roughness]`. */
function parratt(q: number, rows: number[][]): number {
  const kz0 = q / 2;
  const k = rows.map((row, j) =>
    j === 0 ? c(Math.abs(kz0)) : kRoot(c(kz0 * kz0 - FOUR_PI_E6 * (row[1] - rows[0][1]), FOUR_PI_E6 * Math.abs(row[2]))),
  );
  let r = c(0);
  for (let j = rows.length - 2; j >= 0; j--) {
    let f = div(sub(k[j], k[j + 1]), add(k[j], k[j + 1]));
    const sigma = rows[j + 1][3];
    f = mul(f, cexp(mul(c(-2 * sigma * sigma), mul(k[j], k[j + 1]))));
    const phase = j + 1 === rows.length - 1 ? c(0) : cexp(mul(c(0, 2 * rows[j + 1][0]), k[j + 1]));
    const u = mul(r, phase);
    r = div(add(f, u), add(c(1), mul(f, u)));
  }
  return abs2(r);
}

/** Solves the dense complex system A x = b by Gaussian elimination with partial pivoting. */
function solve(a: C[][], b: C[]): C[] {
  const n = b.length;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++) if (abs2(a[row][col]) > abs2(a[pivot][col])) pivot = row;
    [a[col], a[pivot]] = [a[pivot], a[col]];
    [b[col], b[pivot]] = [b[pivot], b[col]];
    for (let row = col + 1; row < n; row++) {
      const factor = div(a[row][col], a[col][col]);
      for (let k = col; k < n; k++) a[row][k] = sub(a[row][k], mul(factor, a[col][k]));
      b[row] = sub(b[row], mul(factor, b[col]));
    }
  }
  const x: C[] = new Array<C>(n);
  for (let row = n - 1; row >= 0; row--) {
    let s = b[row];
    for (let k = row + 1; k < n; k++) s = sub(s, mul(a[row][k], x[k]));
    x[row] = div(s, a[row][row]);
  }
  return x;
}

const matmul = (a: C[][], b: C[][]): C[][] =>
  a.map((row) => b[0].map((_, j) => row.reduce((s, aik, k) => add(s, mul(aik, b[k][j])), c(0))));

/**
 * The four channels at one Q from first principles: U = 4π·1e-6[(ρ − ρ₀ − i|ρ″|)·1 + ρ_m (m·σ)], lab frame,
 * layer by layer the exact transfer of (ψ, ψ′) (sin(Kd)/K via the spectral decomposition of m·σ), then one
 * 4×4 linear solve for the reflected (fronting) and transmitted (backing, its eigenstates) amplitudes.
 * No roughness. Spin index 0 = "+" (σ_z = +1 along H).
 */
function characteristicMatrix(q: number, slabs: Float64Array, aguideDeg: number): Record<Channel, number> {
  const rows = slabs.length / POLARISED_SLAB_COLUMNS;
  const kz0 = Math.abs(q) / 2;
  const rad = Math.PI / 180;
  const layer = (j: number) => {
    const b = j * POLARISED_SLAB_COLUMNS;
    const nuclear = c(slabs[b + 1] - slabs[1], -Math.abs(slabs[b + 2]));
    const theta = slabs[b + 3] * rad;
    const a = aguideDeg * rad;
    const m = [Math.cos(theta), Math.sin(theta) * Math.cos(a), Math.sin(theta) * Math.sin(a)];
    // projectors onto the ±1 eigenstates of m·σ: (1 ± m·σ)/2
    const sigmaM = [
      [c(m[2]), c(m[0], -m[1])],
      [c(m[0], m[1]), c(-m[2])],
    ];
    const proj = (s: number) =>
      sigmaM.map((row, i) => row.map((e, k) => c(((i === k ? 1 : 0) + s * e.re) / 2, (s * e.im) / 2)));
    const k = [1, -1].map((s) => kRoot(sub(c(kz0 * kz0), mul(c(FOUR_PI_E6), add(nuclear, c(s * slabs[b + 4]))))));
    return { d: slabs[b], projectors: [proj(1), proj(-1)], k };
  };
  // f(K) = Σ_s f(k_s) P_s for the 2×2 blocks
  const spectral = (projectors: C[][][], values: C[]) =>
    [0, 1].map((i) => [0, 1].map((k) => add(mul(values[0], projectors[0][i][k]), mul(values[1], projectors[1][i][k]))));
  let total: C[][] = [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((k) => c(i === k ? 1 : 0)));
  for (let j = 1; j < rows - 1; j++) {
    const { d, projectors, k } = layer(j);
    const cos = k.map((kk) => mul(c(0.5), add(cexp(mul(c(0, d), kk)), cexp(mul(c(0, -d), kk)))));
    // sin(kd)/k and k·sin(kd), written to stay finite as k → 0
    const sin = k.map((kk) => mul(c(0, -0.5), sub(cexp(mul(c(0, d), kk)), cexp(mul(c(0, -d), kk)))));
    const sinc = k.map((kk, s) => (abs2(kk) * d * d < 1e-20 ? c(d) : div(sin[s], kk)));
    const ksin = k.map((kk, s) => mul(kk, sin[s]));
    const cc = spectral(projectors, cos);
    const sc = spectral(projectors, sinc);
    const ks = spectral(projectors, ksin);
    // (ψ, ψ′)(z + d) = [[cos, sin/K], [−K sin, cos]] (ψ, ψ′)(z)
    const block: C[][] = [0, 1, 2, 3].map((i) =>
      [0, 1, 2, 3].map((k) => {
        const ii = i % 2;
        const kk = k % 2;
        if (i < 2) return k < 2 ? cc[ii][kk] : sc[ii][kk];
        return k < 2 ? mul(c(-1), ks[ii][kk]) : cc[ii][kk];
      }),
    );
    total = matmul(block, total);
  }
  const backing = layer(rows - 1);
  // backing eigenvectors: a non-zero column of each projector
  const eigen = backing.projectors.map((p) =>
    abs2(p[0][0]) + abs2(p[1][0]) > 0.25 ? [p[0][0], p[1][0]] : [p[0][1], p[1][1]],
  );
  const result: Record<Channel, number> = { mm: 0, mp: 0, pm: 0, pp: 0 };
  for (const incident of [0, 1]) {
    // unknowns x = [B0, B1, t+, t−]; total · [A + B; i k0 (A − B)] = [Σ t e; i Σ k t e]
    const ik0 = c(0, kz0);
    const a: C[][] = [];
    const rhs: C[] = [];
    for (let row = 0; row < 4; row++) {
      const line: C[] = [];
      let known = c(0);
      for (let spin = 0; spin < 2; spin++) {
        const psi = total[row][spin];
        const dpsi = mul(total[row][spin + 2], ik0);
        line.push(sub(psi, dpsi)); // coefficient of B_spin
        if (spin === incident) known = add(psi, dpsi); // incident A = unit vector
      }
      for (let s = 0; s < 2; s++) {
        const e = eigen[s][row % 2];
        const value = row < 2 ? e : mul(mul(c(0, 1), backing.k[s]), e);
        line.push(mul(c(-1), value));
      }
      a.push(line);
      rhs.push(mul(c(-1), known));
    }
    const x = solve(a, rhs);
    if (incident === 0) {
      result.pp = abs2(x[0]);
      result.pm = abs2(x[1]);
    } else {
      result.mp = abs2(x[0]);
      result.mm = abs2(x[1]);
    }
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function table(rows: number[][]): Float64Array {
  for (const row of rows) expect(row).toHaveLength(POLARISED_SLAB_COLUMNS);
  return new Float64Array(rows.flat());
}

function linspace(from: number, to: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

/** Small deterministic generator (LCG) for random stacks. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** A random stack: fronting SLD 0–2, 1–4 magnetic layers, backing; optional absorption and roughness. */
function randomStack(
  random: () => number,
  options: { absorbing: boolean; rough: boolean; magneticBacking?: boolean },
): Float64Array {
  const rows: number[][] = [[0, 2 * random(), 0, 0, 0, 0]];
  const layers = 1 + Math.floor(4 * random());
  for (let l = 0; l < layers; l++) {
    rows.push([
      20 + 200 * random(),
      8 * random() - 1,
      options.absorbing ? 0.5 * random() : 0,
      360 * random(),
      3 * random() - 1,
      options.rough ? 6 * random() : 0,
    ]);
  }
  const backingSldm = options.magneticBacking ? random() : 0;
  rows.push([0, 2 + 4 * random(), 0, 360 * random(), backingSldm, options.rough ? 5 * random() : 0]);
  return table(rows);
}

function maxRelative(actual: Float64Array, expected: Float64Array): number {
  let max = 0;
  for (let i = 0; i < expected.length; i++) max = Math.max(max, Math.abs(actual[i] - expected[i]) / Math.abs(expected[i]));
  return max;
}

const q = linspace(0.001, 0.2, 400);

// ---------------------------------------------------------------------------------------------

describe("polarisedReflectivity: ORSO polarised validation suite", () => {
  const maxErrors: Record<string, Record<Channel, number>> = {};

  it.each(["test0", "test1"])("%s: all four channels within ORSO_POLARISED_RTOL", (name) => {
    const orso = readPolarisedCase(name);
    const computed = polarisedReflectivity(orso.q, orso.slabs, orso.aguide);
    const errors = {} as Record<Channel, number>;
    for (const channel of CHANNELS) {
      const expected = orso.expected[channel];
      const actual = computed[channel];
      // only test0's spin flip (≤1e-31 in the file, sldm = 0 there) gets an absolute floor
      const atol = name === "test0" && SPIN_FLIP.includes(channel) ? ORSO_POLARISED_ATOL : 0;
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        const diff = Math.abs(actual[i] - expected[i]);
        const allowed = ORSO_POLARISED_RTOL * Math.abs(expected[i]) + atol;
        expect(diff, `${name} ${channel} at Q = ${orso.q[i]}`).toBeLessThanOrEqual(allowed);
        // spin flip of test0 is reported as the absolute difference
        worst = Math.max(worst, atol > 0 ? diff : diff / Math.abs(expected[i]));
      }
      errors[channel] = worst;
    }
    maxErrors[name] = errors;
    const summary = CHANNELS.map((ch) => {
      const absolute = name === "test0" && SPIN_FLIP.includes(ch) ? " (absolute)" : "";
      return `${ch} ${errors[ch].toExponential(2)}${absolute}`;
    });
    console.info(`ORSO polarised ${name} (AGUIDE ${orso.aguide}°): max relative error ${summary.join(", ")}`);
    // float64 and refl1d agree to ~1.5e-8 here (refl1d adds 1e-10 to every imaginary SLD)
    for (const channel of CHANNELS) expect(errors[channel]).toBeLessThan(1e-7);
  });

  it("parses the descriptors as documented", () => {
    expect(readPolarisedCase("test0").aguide).toBe(5);
    const test1 = readPolarisedCase("test1");
    expect(test1.aguide).toBe(90);
    expect(test1.slabs).toHaveLength(4 * POLARISED_SLAB_COLUMNS);
    expect(test1.q).toHaveLength(251);
  });
});

describe("polarisedReflectivity: against independent calculations", () => {
  it("sldm = 0: R−− = R++ = unpolarised Parratt/Névot–Croce (absorbing, rough), no spin flip, any AGUIDE", () => {
    const random = rng(7);
    for (let trial = 0; trial < 6; trial++) {
      const slabs = randomStack(random, { absorbing: true, rough: true });
      for (let row = 0; row < slabs.length / POLARISED_SLAB_COLUMNS; row++) slabs[row * POLARISED_SLAB_COLUMNS + 4] = 0;
      const rows: number[][] = [];
      for (let row = 0; row < slabs.length; row += POLARISED_SLAB_COLUMNS) {
        rows.push([slabs[row], slabs[row + 1], slabs[row + 2], slabs[row + 5]]);
      }
      const result = polarisedReflectivity(q, slabs, 360 * random());
      for (let i = 0; i < q.length; i++) {
        const expected = parratt(q[i], rows);
        // same expressions, but phases come as exp(ikd)² rather than exp(2ikd): ~1e-12 apart in deep minima
        expect(Math.abs(result.pp[i] - expected)).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL * expected);
        expect(result.mm[i]).toBe(result.pp[i]);
        expect(result.pm[i]).toBe(0);
        expect(result.mp[i]).toBe(0);
      }
    }
  });

  it("M ∥ H (AGUIDE 90°, thetaM 90°/270°): no spin flip, R±± = Parratt with sld ± sldm (pins '+')", () => {
    const slabs = table([
      [0, 0, 0, 0, 0, 0],
      [150, 6, 0.02, 90, 1.5, 4],
      [80, 3, 0, 270, 0.7, 3],
      [0, 2.07, 0, 90, 0, 2],
    ]);
    const result = polarisedReflectivity(q, slabs, 90);
    const plus = [
      [0, 0, 0, 0],
      [150, 6 + 1.5, 0.02, 4],
      [80, 3 - 0.7, 0, 3],
      [0, 2.07, 0, 2],
    ];
    const minus = [
      [0, 0, 0, 0],
      [150, 6 - 1.5, 0.02, 4],
      [80, 3 + 0.7, 0, 3],
      [0, 2.07, 0, 2],
    ];
    for (let i = 0; i < q.length; i++) {
      expect(result.pm[i]).toBe(0);
      expect(result.mp[i]).toBe(0);
      const rpp = parratt(q[i], plus);
      const rmm = parratt(q[i], minus);
      expect(Math.abs(result.pp[i] - rpp)).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL * rpp);
      expect(Math.abs(result.mm[i] - rmm)).toBeLessThanOrEqual(INDEPENDENT_KERNEL_RTOL * rmm);
    }
  });

  it.each([
    { aguide: 90, absorbing: false },
    { aguide: 45, absorbing: false },
    { aguide: 0, absorbing: true },
    { aguide: 5, absorbing: true },
    { aguide: 270, absorbing: true },
    { aguide: 123, absorbing: false },
  ])("matches a brute-force 4×4 characteristic-matrix solution (AGUIDE $aguide°, absorbing $absorbing)", (options) => {
    const { aguide, absorbing } = options;
    const random = rng(1000 + aguide);
    const grid = linspace(0.002, 0.15, 60);
    for (let trial = 0; trial < 3; trial++) {
      const slabs = randomStack(random, { absorbing, rough: false, magneticBacking: trial === 2 });
      const result = polarisedReflectivity(grid, slabs, aguide);
      for (let i = 0; i < grid.length; i++) {
        const expected = characteristicMatrix(grid[i], slabs, aguide);
        for (const channel of CHANNELS) {
          const e = expected[channel];
          expect(Math.abs(result[channel][i] - e), `${channel} at Q = ${grid[i]}`).toBeLessThanOrEqual(
            INDEPENDENT_KERNEL_RTOL * Math.max(e, 1e-12),
          );
        }
      }
    }
  });

  it("stays finite and accurate right at a magnetic layer's critical edge (k± → 0)", () => {
    const slabs = table([
      [0, 0, 0, 0, 0, 0],
      [300, 6, 0, 30, 1.2, 0],
      [0, 2.07, 0, 0, 0, 0],
    ]);
    const aguide = 60;
    const edges = [6 + 1.2, 6 - 1.2].map((v) => 4 * Math.sqrt(Math.PI * 1e-6 * v));
    const grid = Float64Array.from(edges.flatMap((edge) => [edge * (1 - 1e-9), edge, edge * (1 + 1e-9)]));
    const result = polarisedReflectivity(grid, slabs, aguide);
    for (let i = 0; i < grid.length; i++) {
      const expected = characteristicMatrix(grid[i], slabs, aguide);
      for (const channel of CHANNELS) {
        expect(Number.isFinite(result[channel][i])).toBe(true);
        const allowed = 1e-6 * Math.max(expected[channel], 1e-12);
        expect(Math.abs(result[channel][i] - expected[channel])).toBeLessThanOrEqual(allowed);
      }
    }
  });
});

describe("polarisedReflectivity: symmetries and bounds", () => {
  // The exact symmetries below come from reciprocity (r(Uᵀ) = r(U)ᵀ) and hold for sharp interfaces; the
  // refl1d-style Névot–Croce factors on magnetic interfaces break them at the 1e-3 level, as they do in refl1d.

  it("R−+ = R+− whenever every magnetisation is coplanar with H (AGUIDE 90°/270°: U = Uᵀ), absorbing or not", () => {
    const random = rng(11);
    for (let trial = 0; trial < 6; trial++) {
      const slabs = randomStack(random, { absorbing: trial % 2 === 1, rough: false, magneticBacking: trial >= 3 });
      const result = polarisedReflectivity(q, slabs, trial % 2 ? 90 : 270);
      expect(maxRelative(result.mp, result.pm)).toBeLessThan(1e-10);
    }
  });

  it("non-coplanar (chiral) stacks split R−+ and R+−; mirroring the lab y components swaps them exactly", () => {
    // thetaM → −thetaM together with AGUIDE → −AGUIDE flips only m_y (lab), i.e. U → Uᵀ, so r → rᵀ.
    const random = rng(12);
    for (let trial = 0; trial < 4; trial++) {
      const slabs = randomStack(random, { absorbing: trial % 2 === 1, rough: false, magneticBacking: trial >= 2 });
      const mirrored = slabs.slice();
      for (let row = 0; row < slabs.length; row += POLARISED_SLAB_COLUMNS) mirrored[row + 3] = -slabs[row + 3];
      const aguide = 40 + 20 * trial;
      const result = polarisedReflectivity(q, slabs, aguide);
      const mirror = polarisedReflectivity(q, mirrored, -aguide);
      expect(maxRelative(mirror.pm, result.mp)).toBeLessThan(1e-10);
      expect(maxRelative(mirror.mp, result.pm)).toBeLessThan(1e-10);
      expect(maxRelative(mirror.pp, result.pp)).toBeLessThan(1e-10);
      expect(maxRelative(mirror.mm, result.mm)).toBeLessThan(1e-10);
    }
    // and the split is physical, not rounding: a twisted non-absorbing bilayer at AGUIDE 45°
    const twisted = table([
      [0, 0, 0, 0, 0, 0],
      [100, 5, 0, 0, 1.5, 0],
      [100, 5, 0, 60, 1.5, 0],
      [0, 2.07, 0, 0, 0, 0],
    ]);
    const chiral = polarisedReflectivity(q, twisted, 45);
    expect(maxRelative(chiral.mp, chiral.pm)).toBeGreaterThan(1e-2);
  });

  it("AGUIDE = 0 (H ∥ Q): R++ = R−−, in-plane M ⟂ H flips spins, a common thetaM rotation changes nothing", () => {
    const random = rng(13);
    for (let trial = 0; trial < 4; trial++) {
      const rough = trial >= 2;
      const slabs = randomStack(random, { absorbing: trial % 2 === 1, rough, magneticBacking: true });
      const rotated = slabs.slice();
      for (let row = 0; row < slabs.length; row += POLARISED_SLAB_COLUMNS) rotated[row + 3] = slabs[row + 3] + 77;
      const result = polarisedReflectivity(q, slabs, 0);
      const turned = polarisedReflectivity(q, rotated, 0);
      // a rotation about H is a unitary change of spin phase: exact even with roughness
      for (const channel of CHANNELS) expect(maxRelative(turned[channel], result[channel])).toBeLessThan(1e-10);
      if (!rough) expect(maxRelative(result.mm, result.pp)).toBeLessThan(1e-10);
      // spin flip does not vanish: all of the in-plane magnetisation is perpendicular to H
      expect(Math.max(...result.pm)).toBeGreaterThan(1e-4);
    }
  });

  it("all channels lie in [0, 1]; without absorption R++ + R+− ≤ 1 and = 1 below every backing critical edge", () => {
    const random = rng(14);
    for (let trial = 0; trial < 8; trial++) {
      const absorbing = trial % 2 === 1;
      const slabs = randomStack(random, { absorbing, rough: false, magneticBacking: trial % 4 === 0 });
      const aguide = 360 * random();
      const result = polarisedReflectivity(q, slabs, aguide);
      const rows = slabs.length / POLARISED_SLAB_COLUMNS;
      const back = (rows - 1) * POLARISED_SLAB_COLUMNS;
      const edge = Math.min(...[1, -1].map((s) => slabs[back + 1] + s * slabs[back + 4] - slabs[1]));
      const qc = edge > 0 ? 4 * Math.sqrt(Math.PI * 1e-6 * edge) : 0;
      for (let i = 0; i < q.length; i++) {
        for (const channel of CHANNELS) {
          expect(result[channel][i]).toBeGreaterThanOrEqual(0);
          expect(result[channel][i]).toBeLessThanOrEqual(1 + 1e-12);
        }
        if (absorbing) continue;
        const plus = result.pp[i] + result.pm[i];
        const minus = result.mm[i] + result.mp[i];
        expect(plus).toBeLessThanOrEqual(1 + 1e-12);
        expect(minus).toBeLessThanOrEqual(1 + 1e-12);
        if (q[i] < qc) {
          expect(plus).toBeCloseTo(1, 12);
          expect(minus).toBeCloseTo(1, 12);
        }
      }
    }
  });

  it("Q = 0 gives R−− = R++ = 1 without spin flip; the sign of Q is ignored", () => {
    const slabs = randomStack(rng(15), { absorbing: true, rough: true });
    const grid = new Float64Array([0, 0.03, -0.03]);
    const result = polarisedReflectivity(grid, slabs, 33);
    expect([result.mm[0], result.mp[0], result.pm[0], result.pp[0]]).toEqual([1, 0, 0, 1]);
    for (const channel of CHANNELS) expect(result[channel][2]).toBe(result[channel][1]);
  });
});

describe("polarisedReflectivity: buffers", () => {
  it("writes into and returns the given out object; results do not depend on earlier calls", () => {
    const random = rng(16);
    const deep = randomStack(random, { absorbing: true, rough: true, magneticBacking: true });
    const shallow = table([
      [0, 0, 0, 0, 0, 0],
      [120, 4, 0.01, 200, 1, 3],
      [0, 2.07, 0, 0, 0, 2],
    ]);
    const fresh = polarisedReflectivity(q, shallow, 90);
    const out: PolarisedReflectivity = {
      mm: new Float64Array(q.length),
      mp: new Float64Array(q.length),
      pm: new Float64Array(q.length),
      pp: new Float64Array(q.length),
    };
    const arrays = [out.mm, out.mp, out.pm, out.pp];
    polarisedReflectivity(q, deep, 10, out);
    const returned = polarisedReflectivity(q, shallow, 90, out);
    expect(returned).toBe(out);
    expect([returned.mm, returned.mp, returned.pm, returned.pp]).toEqual(arrays);
    for (const channel of CHANNELS) expect(out[channel]).toEqual(fresh[channel]);
  });
});
