import { describe, expect, it } from "vitest";
import { ELEMENTS, ELEMENT_BY_CODE, elementImpedance } from "./elements.ts";
import type { ElementType } from "./elements.ts";
import { ELEMENT_GOLDEN_RTOL, FIRST_PRINCIPLES_RTOL } from "../../../test/tolerances.ts";

/** A tiny, independent complex type for the closed forms (textbook cosh/sinh formulas, no expm1 tricks). */
class Cx {
  constructor(
    readonly re: number,
    readonly im = 0,
  ) {}
  add(b: Cx | number): Cx {
    const o = typeof b === "number" ? new Cx(b) : b;
    return new Cx(this.re + o.re, this.im + o.im);
  }
  mul(b: Cx | number): Cx {
    const o = typeof b === "number" ? new Cx(b) : b;
    return new Cx(this.re * o.re - this.im * o.im, this.re * o.im + this.im * o.re);
  }
  div(b: Cx | number): Cx {
    const o = typeof b === "number" ? new Cx(b) : b;
    const d = o.re * o.re + o.im * o.im;
    return new Cx((this.re * o.re + this.im * o.im) / d, (this.im * o.re - this.re * o.im) / d);
  }
  inv(): Cx {
    return new Cx(1).div(this);
  }
  abs(): number {
    return Math.hypot(this.re, this.im);
  }
  arg(): number {
    return Math.atan2(this.im, this.re);
  }
  /** Principal power by polar form. */
  pow(a: number): Cx {
    const m = Math.pow(this.abs(), a);
    const t = this.arg() * a;
    return new Cx(m * Math.cos(t), m * Math.sin(t));
  }
  sqrt(): Cx {
    return this.pow(0.5);
  }
  sinh(): Cx {
    return new Cx(Math.sinh(this.re) * Math.cos(this.im), Math.cosh(this.re) * Math.sin(this.im));
  }
  cosh(): Cx {
    return new Cx(Math.cosh(this.re) * Math.cos(this.im), Math.sinh(this.re) * Math.sin(this.im));
  }
  tanh(): Cx {
    return this.sinh().div(this.cosh());
  }
}
const j = new Cx(0, 1);

/** Closed forms Z(ω; p), written from the formulas in impedance.md §2 / impedance.py's docstrings. */
const closedForms: Record<ElementType, (p: number[], w: number) => Cx> = {
  R: (p) => new Cx(p[0]),
  C: (p, w) => j.mul(w * p[0]).inv(),
  L: (p, w) => j.mul(w * p[0]),
  W: (p, w) => new Cx(1, -1).mul(p[0] / Math.sqrt(w)),
  Wo: (p, w) => {
    const s = j.mul(w * p[1]).sqrt();
    return s.cosh().div(s.sinh()).div(s).mul(p[0]);
  },
  Ws: (p, w) => {
    const s = j.mul(w * p[1]).sqrt();
    return s.tanh().div(s).mul(p[0]);
  },
  CPE: (p, w) => j.mul(w).pow(p[1]).mul(p[0]).inv(),
  La: (p, w) => j.mul(p[0] * w).pow(p[1]),
  Lb: (p, w) => j.mul(w).pow(p[1]).mul(p[0]),
  G: (p, w) => new Cx(p[0]).div(j.mul(w * p[1]).add(1).sqrt()),
  Gs: (p, w) => {
    const r = j.mul(w * p[1]).add(1).sqrt();
    return new Cx(p[0]).div(r.mul(r.mul(p[2]).tanh()));
  },
  K: (p, w) => new Cx(p[0]).div(j.mul(w * p[1]).add(1)),
  Zarc: (p, w) => new Cx(p[0]).div(j.mul(w * p[1]).pow(p[2]).add(1)),
  TLMQ: (p, w) => {
    const zs = j.mul(w).pow(p[2]).mul(p[1]).inv();
    const x = new Cx(p[0]).div(zs).sqrt();
    return zs.mul(p[0]).sqrt().mul(x.cosh().div(x.sinh()));
  },
  T: (p, w) => {
    const beta = j.mul(w * p[3]).add(p[2]).sqrt();
    const coth = beta.cosh().div(beta.sinh());
    return coth.div(beta).mul(p[0]).add(beta.mul(beta.sinh()).inv().mul(p[1]));
  },
};

const relativeError = (re: number, im: number, expected: Cx): number => Math.hypot(re - expected.re, im - expected.im) / expected.abs();
const FREQUENCIES = Float64Array.of(1e-3, 0.0316, 0.5, 1, 7.3, 100, 2.5e3, 1e5);

/** Parameter sets per element: typical values and a few extreme ones (all with moderate arguments). */
const PARAMETER_SETS: Record<ElementType, number[][]> = {
  R: [[0.1], [1234.5]],
  C: [[1e-6], [3.3]],
  L: [[1e-7], [2.5]],
  W: [[0.05], [120]],
  Wo: [[0.063, 232], [10, 0.01], [1, 1e-4]],
  Ws: [[0.5, 2], [10, 0.01], [1, 1e-4]],
  CPE: [[1e-4, 0.85], [0.3, 0.5], [2, 1]],
  La: [[1e-6, 0.8], [2e-3, 0.95], [0.1, 1]],
  Lb: [[1e-6, 0.8], [2e-3, 0.95]],
  G: [[5, 0.01], [0.2, 3]],
  Gs: [[5, 0.01, 2], [0.2, 3, 0.5]],
  K: [[3, 1e-3], [0.1, 10]],
  Zarc: [[10, 1e-3, 0.8], [0.5, 2, 0.95], [1, 0.1, 1]],
  TLMQ: [[20, 1e-3, 0.9], [0.5, 0.1, 0.7]],
  T: [[0.1, 0.2, 0.3, 0.4], [2, 1, 0.5, 1e-3], [1, 3, 2, 0.02]],
};

describe("impedance elements: closed forms", () => {
  it("lists impedance.py's element types with their parameter counts", () => {
    const counts = Object.fromEntries(Object.entries(ELEMENTS).map(([k, v]) => [k, v.symbols.length]));
    expect(counts).toEqual({ R: 1, C: 1, L: 1, W: 1, Wo: 2, Ws: 2, CPE: 2, La: 2, Lb: 2, G: 2, Gs: 3, K: 2, Zarc: 3, TLMQ: 3, T: 4 });
    ELEMENT_BY_CODE.forEach((e, code) => expect(e.code).toBe(code));
    for (const e of Object.values(ELEMENTS)) expect(e.units.length).toBe(e.symbols.length);
  });

  for (const type of Object.keys(PARAMETER_SETS) as ElementType[]) {
    it(`${type} matches its closed form at ${FREQUENCIES.length} frequencies (rtol ${FIRST_PRINCIPLES_RTOL})`, () => {
      let compared = 0;
      for (const p of PARAMETER_SETS[type]) {
        const z = elementImpedance(type, p, FREQUENCIES);
        for (let i = 0; i < FREQUENCIES.length; i++) {
          expect(Number.isFinite(z.re[i]) && Number.isFinite(z.im[i])).toBe(true);
          const expected = closedForms[type](p, 2 * Math.PI * FREQUENCIES[i]);
          // the textbook cosh/sinh forms overflow for Re √(jωτ) ≳ 355: those points are checked below against the limits
          if (!Number.isFinite(expected.re) || !Number.isFinite(expected.im)) continue;
          compared++;
          expect(relativeError(z.re[i], z.im[i], expected), `${type}(${p.join(", ")}) at ${FREQUENCIES[i]} Hz`).toBeLessThanOrEqual(
            FIRST_PRINCIPLES_RTOL,
          );
        }
      }
      expect(compared).toBeGreaterThanOrEqual(FREQUENCIES.length * PARAMETER_SETS[type].length - 2);
    });
  }

  it("reproduces impedance.py's own element test values (test_circuit_elements.py, p = [0.1, 0.2, 0.3, 0.4])", () => {
    // impedance.py v1.7.1 impedance/tests/test_circuit_elements.py, asserted there with np.isclose (rtol 1e-5)
    const f = Float64Array.of(0.001, 1.0, 1000);
    const golden: Partial<Record<ElementType, [number, number][]>> = {
      R: [[0.1, 0], [0.1, 0], [0.1, 0]],
      C: [[0, -1591.5494309189532], [0, -1.5915494309189535], [0, -0.0015915494309189533]],
      L: [[0, 0.000628319], [0, 0.628319], [0, 628.319]],
      W: [[1.26156626, -1.26156626], [0.03989423, -0.03989423], [0.00126157, -0.00126157]],
      Wo: [[0.033333332999112786, -79.57747433847442], [0.03300437046673635, -0.08232866785870396], [0.0019947114020071634, -0.0019947114020071634]],
      Ws: [[0.09999998, -4.18878913e-5], [0.08327519, -3.33838167e-2], [0.00199471, -1.9947114e-3]],
      CPE: [[26.216236841407248, -8.51817171087997], [6.585220960717244, -2.139667994182814], [1.6541327179718126, -0.537460300252313]],
      G: [[0.09999994078244179, -0.00006283179105931961], [0.07107755021941357, -0.03427465211788068], [0.00199550459845528, -0.0019939172581851707]],
      Gs: [[0.3432733166533134, -0.00041895248193532704], [0.1391819314527732, -0.16248466787637972], [0.0019955029598887875, -0.0019939170758457437]],
      T: [[1.00041, -0.00837309], [0.0156037, -0.114062], [0.00141056, -0.00141039]],
      K: [[0.099999842086579, -0.000125663507704], [0.038772663673915, -0.048723166143232], [6.332569967499333e-8, -7.957742115295703e-5]],
    };
    const input = [0.1, 0.2, 0.3, 0.4];
    for (const [type, values] of Object.entries(golden) as [ElementType, [number, number][]][]) {
      const z = elementImpedance(type, input.slice(0, ELEMENTS[type].symbols.length), f);
      values.forEach(([re, im], i) => {
        expect(relativeError(z.re[i], z.im[i], new Cx(re, im)), `${type} at ${f[i]} Hz`).toBeLessThanOrEqual(ELEMENT_GOLDEN_RTOL);
      });
    }
  });
});

describe("impedance elements: large and small arguments", () => {
  const huge = Float64Array.of(1e4, 1e6, 1e9, 1e12);

  it("Wo and Ws at |√(jωτ)| up to ~1e7 stay finite and equal Z0/√(jωτ) (coth, tanh → 1)", () => {
    for (const type of ["Wo", "Ws"] as const) {
      const p = [0.063, 232.52];
      const z = elementImpedance(type, p, huge);
      for (let i = 0; i < huge.length; i++) {
        expect(Number.isFinite(z.re[i]) && Number.isFinite(z.im[i])).toBe(true);
        const s = j.mul(2 * Math.PI * huge[i] * p[1]).sqrt();
        expect(relativeError(z.re[i], z.im[i], new Cx(p[0]).div(s))).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      }
      // the textbook form overflows to NaN (impedance.py issue #291)
      expect(Number.isNaN(closedForms[type](p, 2 * Math.PI * 1e9).re)).toBe(true);
    }
  });

  it("T at Re β ≫ 1 (impedance.py's overflow test [1, 2, 50, 100] at 10 kHz and beyond) equals A/β without overflow", () => {
    const p = [1, 2, 50, 100];
    const f = Float64Array.of(1e4, 1e8, 1e13);
    const z = elementImpedance("T", p, f);
    for (let i = 0; i < f.length; i++) {
      const beta = j.mul(2 * Math.PI * f[i] * p[3]).add(p[2]).sqrt();
      expect(beta.re).toBeGreaterThan(700); // sinh β overflows in float64 beyond Re β ≈ 710
      expect(relativeError(z.re[i], z.im[i], new Cx(p[0]).div(beta))).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });

  it("Gs and TLMQ at large arguments stay finite and reach their limits", () => {
    const f = Float64Array.of(1e6, 1e10);
    const gs = elementImpedance("Gs", [5, 100, 3], f);
    const g = elementImpedance("G", [5, 100], f);
    const tl = elementImpedance("TLMQ", [1e3, 10, 0.9], f);
    for (let i = 0; i < f.length; i++) {
      expect(relativeError(gs.re[i], gs.im[i], new Cx(g.re[i], g.im[i]))).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      // coth → 1: Z = √(R_ion Z_s)
      const zs = j.mul(2 * Math.PI * f[i]).pow(0.9).mul(10).inv();
      expect(relativeError(tl.re[i], tl.im[i], zs.mul(1e3).sqrt())).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });

  it("Wo and Ws are accurate at tiny ωτ (series expansions coth s/s = 1/s² + 1/3 − s²/45, tanh s/s = 1 − s²/3 + 2s⁴/15)", () => {
    const f = Float64Array.of(1e-9, 1e-7);
    const tau = 1;
    const wo = elementImpedance("Wo", [2, tau], f);
    const ws = elementImpedance("Ws", [2, tau], f);
    for (let i = 0; i < f.length; i++) {
      const s2 = j.mul(2 * Math.PI * f[i] * tau);
      const expectedWo = s2.inv().add(1 / 3).add(s2.mul(-1 / 45)).mul(2);
      const expectedWs = s2.mul(-1 / 3).add(1).add(s2.mul(s2).mul(2 / 15)).mul(2);
      expect(relativeError(wo.re[i], wo.im[i], expectedWo)).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      expect(relativeError(ws.re[i], ws.im[i], expectedWs)).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      // the real part of Wo → Z0/3 is a difference of O(1/s²) terms in the textbook form; ours keeps it
      expect(Math.abs(wo.re[i] - 2 / 3) / (2 / 3)).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });

  it("Wo and Ws are continuous where the series hand over to the closed forms (|ωτ| = 1e-2 and 1e-3)", () => {
    for (const [type, v] of [["Wo", 1e-2], ["Ws", 1e-3]] as const) {
      const below = v * (1 - 1e-12);
      const above = v * (1 + 1e-12);
      const z = elementImpedance(type, [1, 1], Float64Array.of(below / (2 * Math.PI), above / (2 * Math.PI)));
      // Re varies as v² and Im as 1/v (Wo) or v (Ws): compare the slowly varying parts across the seam
      expect(Math.abs(z.re[0] - z.re[1]) / Math.abs(z.re[1])).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
      const scaled = type === "Wo" ? [z.im[0] * below, z.im[1] * above] : [z.im[0] / below, z.im[1] / above];
      expect(Math.abs(scaled[0] - scaled[1]) / Math.abs(scaled[1])).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
    }
  });
});

describe("impedance elements: identities between elements", () => {
  const f = Float64Array.of(0.01, 1, 37, 1e4);
  const close = (a: { re: Float64Array; im: Float64Array }, b: { re: Float64Array; im: Float64Array }): void => {
    for (let i = 0; i < f.length; i++) expect(relativeError(a.re[i], a.im[i], new Cx(b.re[i], b.im[i]))).toBeLessThanOrEqual(FIRST_PRINCIPLES_RTOL);
  };

  it("Zarc(R, τ, γ) = R ‖ CPE(Q, α = γ) with τ = (RQ)^(1/α); Zarc(γ = 1) = K", () => {
    const [R, Q, alpha] = [12, 3e-4, 0.82];
    const zarc = elementImpedance("Zarc", [R, Math.pow(R * Q, 1 / alpha), alpha], f);
    const cpe = elementImpedance("CPE", [Q, alpha], f);
    const parallel = { re: new Float64Array(f.length), im: new Float64Array(f.length) };
    for (let i = 0; i < f.length; i++) {
      const z = new Cx(1 / R).add(new Cx(cpe.re[i], cpe.im[i]).inv()).inv();
      parallel.re[i] = z.re;
      parallel.im[i] = z.im;
    }
    close(zarc, parallel);
    close(elementImpedance("Zarc", [3, 0.01, 1], f), elementImpedance("K", [3, 0.01], f));
  });

  it("T with a = B = 0 is Wo(Z0 = A, τ = b); La and Lb equal L at α = 1", () => {
    close(elementImpedance("T", [2, 0, 0, 0.5], f), elementImpedance("Wo", [2, 0.5], f));
    close(elementImpedance("La", [1e-3, 1], f), elementImpedance("L", [1e-3], f));
    close(elementImpedance("Lb", [1e-3, 1], f), elementImpedance("L", [1e-3], f));
  });

  it("La (impedance.py code) and Lb (BioLogic) differ by the factor L^(α−1) for α ≠ 1", () => {
    const [L, alpha] = [2e-3, 0.8];
    const la = elementImpedance("La", [L, alpha], f);
    const lb = elementImpedance("Lb", [Math.pow(L, alpha), alpha], f);
    close(la, lb);
  });

  it("writes into the given buffers without allocating new ones", () => {
    const out = { re: new Float64Array(f.length), im: new Float64Array(f.length) };
    const result = elementImpedance("Wo", [1, 2], f, out);
    expect(result).toBe(out);
    expect(out.im[0]).toBeLessThan(0);
  });
});
