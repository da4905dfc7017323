/**
 * @module kernels/reflectivity/abeles
 * Specular reflectivity of a stack of slabs (X-rays or neutrons), exact within
 * the slab model: Parratt recursion with Névot–Croce roughness.
 *
 * Units: Q in Å⁻¹, thickness and roughness in Å, SLD in 10⁻⁶ Å⁻².
 *
 * The slab table is the one data format shared by models and kernels: N+2 rows
 * ordered fronting (beam side) → backing, {@link SLAB_COLUMNS} columns per row:
 * `[thickness, sld, isld, roughness]`. Row 0 is the fronting medium (its
 * thickness, isld and roughness are ignored: Q is measured in the fronting
 * medium, and refnx and the ORSO suite ignore its absorption); the last row is
 * the semi-infinite backing (thickness ignored). A row's roughness is the rms
 * width of the interface between it and the row before it. `isld` is the
 * absorptive part, positive = absorption (its absolute value is used).
 *
 * Sign convention (reflectometry.md §1.2, "B"): k_j² = (Q/2)² − 4π·1e-6·(ρ′_j − ρ′_0) + i·4π·1e-6·|ρ″_j|,
 * the root with Im k ≥ 0 (Re k ≥ 0 when k² is real and positive, pure
 * positive-imaginary when it is real and negative), and the layer phase factor
 * exp(+2i k d), whose modulus is ≤ 1: the wave decays into an absorbing layer.
 * Below the critical edge a non-absorbing medium's root lands on the same side
 * as an absorbing one's, which is what ORSO test6/test7 check.
 *
 * Speed notes: the kernel is latency-bound on transcendental calls. Arguments below
 * 1e-2 in magnitude (the Névot–Croce phase with weak absorption, the decay of a
 * weakly absorbing layer) use short Taylor series exact to < 1e-20; the layer
 * phase uses an inline Cody–Waite reduction and fdlibm's minimax sin/cos
 * polynomials (Estrin form), ~2× faster than Math.cos + Math.sin in V8. Numeric
 * constants are written inline because module-level constants cost a check per
 * access in optimised code.
 *
 * Kernel choice: `reflectivity()` forwards calls of at least {@link WASM_MIN_WORK} point-interfaces
 * (Q points × interfaces) to the WebAssembly SIMD kernel (./abeles.wat via ./abelesWasm.ts: two Q points per
 * instruction, the same numbers bit for bit) and keeps smaller ones, where the call into
 * wasm costs more than it saves, here. The environment variable STRATA_KERNEL=js|wasm|auto
 * (default auto) forces a path for tests and benchmarks, as does {@link setReflectivityKernel};
 * without WebAssembly SIMD every call runs here. The few points the wasm kernel leaves to
 * this one (a Névot–Croce phase beyond π/4, a layer phase ≥ 1e6 rad) rerun the call here.
 *
 * @see L. G. Parratt, Phys. Rev. 95, 359 (1954); L. Névot and P. Croce, Rev. Phys. Appl. 15, 761 (1980).
 */

import { ValidationError } from "../../core/errors.ts";
import { WASM_KERNEL_AVAILABLE, wasmReflectivity } from "./abelesWasm.ts";

/** Columns per slab-table row: thickness (Å), sld, isld (10⁻⁶ Å⁻²), roughness (Å). */
export const SLAB_COLUMNS = 4;

/**
 * Least work (Q points × interfaces) of a call sent to the wasm kernel under `auto`. Below it
 * the JS→wasm call and the copies (~0.2 µs) cost more than two-wide SIMD saves (~20 ns per
 * point-interface in JS). Measured crossovers: a bare substrate at ~20 points, 2 layers at
 * ~5–6, 10 layers at 2–3.
 */
export const WASM_MIN_WORK = 20;

/** Which kernel `reflectivity()` uses: by call size (`auto`), always the JS one, or always the wasm one. */
export type ReflectivityKernel = "auto" | "js" | "wasm";
const KERNELS: readonly ReflectivityKernel[] = ["auto", "js", "wasm"];

let kernelMode: ReflectivityKernel = "auto";
let kernelError: ValidationError | undefined;
{
  const requested = typeof process !== "undefined" ? process.env.STRATA_KERNEL : undefined;
  if (requested !== undefined && requested !== "") {
    if ((KERNELS as readonly string[]).includes(requested)) kernelMode = requested as ReflectivityKernel;
    else kernelError = new ValidationError("STRATA_KERNEL", "must be js, wasm or auto", requested);
  }
}

/**
 * Choose the reflectivity kernel for this thread (overrides STRATA_KERNEL).
 * @throws ValidationError for `wasm` when WebAssembly SIMD is unavailable here
 */
export function setReflectivityKernel(mode: ReflectivityKernel): void {
  if (!KERNELS.includes(mode)) throw new ValidationError("kernel", "must be js, wasm or auto", mode);
  if (mode === "wasm" && !WASM_KERNEL_AVAILABLE) throw new ValidationError("kernel", "WebAssembly SIMD is not available in this runtime", mode);
  kernelMode = mode;
  kernelError = undefined;
}

/** The kernel mode in force and whether the wasm kernel compiled in this thread. */
export function reflectivityKernel(): { mode: ReflectivityKernel; wasmAvailable: boolean } {
  return { mode: kernelMode, wasmAvailable: WASM_KERNEL_AVAILABLE };
}

const FOUR_PI_E6 = 4 * Math.PI * 1e-6;

/** Per-call scratch: one entry per medium, reused across calls of the same size. */
let scratchSize = 0;
let potentialReal = new Float64Array(0);
let potentialImag = new Float64Array(0);
let thicknesses = new Float64Array(0);
let roughnessFactor = new Float64Array(0);

function ensureScratch(media: number): void {
  if (media <= scratchSize) return;
  scratchSize = media;
  potentialReal = new Float64Array(media);
  potentialImag = new Float64Array(media);
  thicknesses = new Float64Array(media);
  roughnessFactor = new Float64Array(media);
}

/**
 * Reflectivity R(Q) = scale·|r(Q)|² + background of a slab stack.
 *
 * @param q - momentum transfer (Å⁻¹), any order, may contain 0 (R = 1 there)
 * @param slabs - slab table, N+2 rows × 4 columns (see module header); at least 2 rows
 * @param scale - multiplies |r|²
 * @param background - added after scaling
 * @param out - optional output buffer of length ≥ q.length; nothing is allocated when given
 * @param offset - index into `slabs` where the table starts (for batched tables)
 * @param rows - number of rows (defaults to the whole array)
 * @param outOffset - index into `out` where R(q[0]) goes (batched outputs, no subarray views)
 * @returns `out` (or a new array) holding R at each Q
 * @example
 * const slabs = new Float64Array([0, 0, 0, 0,   100, 3.47, 0, 3,   0, 2.07, 0, 3]);
 * reflectivity(new Float64Array([0.01, 0.1]), slabs);
 */
export function reflectivity(
  q: Float64Array,
  slabs: Float64Array,
  scale = 1,
  background = 0,
  out?: Float64Array,
  offset = 0,
  rows = (slabs.length - offset) / SLAB_COLUMNS,
  outOffset = 0,
): Float64Array {
  const result = out ?? new Float64Array(q.length);
  if (kernelMode !== "js") {
    if (kernelError !== undefined) throw kernelError;
    if (kernelMode === "wasm") {
      if (!WASM_KERNEL_AVAILABLE) throw new ValidationError("STRATA_KERNEL", "WebAssembly SIMD is not available in this runtime", "wasm");
      if (wasmReflectivity(q, slabs, scale, background, result, offset, rows, outOffset)) return result;
    } else if (WASM_KERNEL_AVAILABLE && q.length * (rows - 1) >= WASM_MIN_WORK) {
      if (wasmReflectivity(q, slabs, scale, background, result, offset, rows, outOffset)) return result;
    }
  }
  return reflectivityScalar(q, slabs, scale, background, result, offset, rows, outOffset);
}

/**
 * The scalar (JS) kernel behind `reflectivity()`, same arguments; what every call used
 * before the wasm kernel, kept as its reference and fallback.
 */
export function reflectivityScalar(
  q: Float64Array,
  slabs: Float64Array,
  scale = 1,
  background = 0,
  out?: Float64Array,
  offset = 0,
  rows = (slabs.length - offset) / SLAB_COLUMNS,
  outOffset = 0,
): Float64Array {
  const n = q.length;
  const result = out ?? new Float64Array(n);
  const media = rows;
  ensureScratch(media);
  const vr = potentialReal;
  const vi = potentialImag;
  const d = thicknesses;
  const rf = roughnessFactor;
  const frontSld = slabs[offset + 1];
  for (let j = 0; j < media; j++) {
    const base = offset + j * SLAB_COLUMNS;
    d[j] = slabs[base];
    vr[j] = FOUR_PI_E6 * (slabs[base + 1] - frontSld);
    vi[j] = j === 0 ? 0 : FOUR_PI_E6 * Math.abs(slabs[base + 2]);
    const sigma = slabs[base + 3];
    rf[j] = -2 * sigma * sigma;
  }
  const last = media - 1;
  for (let p = 0; p < n; p++) {
    const kz0 = 0.5 * q[p];
    const kz0sq = kz0 * kz0;
    if (kz0sq === 0) {
      result[outOffset + p] = scale + background;
      continue;
    }
    // k of the backing: principal root of (kz0² − vr) + i·vi with vi ≥ 0 → Im k ≥ 0
    let br: number;
    let bi: number;
    {
      const x = kz0sq - vr[last];
      const y = vi[last];
      if (y === 0) {
        if (x >= 0) {
          br = Math.sqrt(x);
          bi = 0;
        } else {
          br = 0;
          bi = Math.sqrt(-x);
        }
      } else {
        // |x + iy|; for |y| ≤ 1e-4·|x| the series |x|·(1 + t/2), t = (y/x)², is exact to < 2e-17
        const ax = x < 0 ? -x : x;
        const m = y <= 1e-4 * ax ? ax + (0.5 * y * y) / ax : Math.sqrt(x * x + y * y);
        if (x >= 0) {
          br = Math.sqrt(0.5 * (m + x));
          bi = (0.5 * y) / br;
        } else {
          bi = Math.sqrt(0.5 * (m - x));
          br = (0.5 * y) / bi;
        }
      }
    }
    // Parratt recursion from the backing upwards. With f = g·(a − b)/(a + b) the
    // interface coefficient (g the Névot–Croce factor) and u = r_{j+1}·P,
    // r_j = (f + u)/(1 + f·u) = (g(a − b) + (a + b)u)/((a + b) + g(a − b)u):
    // one complex division per interface.
    let rr = 0;
    let ri = 0;
    for (let j = last - 1; j >= 0; j--) {
      let ar: number;
      let ai: number;
      if (j === 0) {
        ar = Math.abs(kz0);
        ai = 0;
      } else {
        const x = kz0sq - vr[j];
        const y = vi[j];
        if (y === 0) {
          if (x >= 0) {
            ar = Math.sqrt(x);
            ai = 0;
          } else {
            ar = 0;
            ai = Math.sqrt(-x);
          }
        } else {
          const ax = x < 0 ? -x : x;
          const m = y <= 1e-4 * ax ? ax + (0.5 * y * y) / ax : Math.sqrt(x * x + y * y);
          if (x >= 0) {
            ar = Math.sqrt(0.5 * (m + x));
            ai = (0.5 * y) / ar;
          } else {
            ai = Math.sqrt(0.5 * (m - x));
            ar = (0.5 * y) / ai;
          }
        }
      }
      // g(a − b)
      let nr = ar - br;
      let ni = ai - bi;
      const rough = rf[j + 1];
      if (rough !== 0) {
        // Névot–Croce factor g = exp(−2 σ² a b)
        const pr = ar * br - ai * bi;
        const pi = ar * bi + ai * br;
        const mag = Math.exp(rough * pr);
        const ang = rough * pi;
        let gr: number;
        let gi: number;
        if (ang > -1e-2 && ang < 1e-2) {
          // |ang| < 1e-2: Taylor series exact to < 1e-20 (the common case: weak absorption)
          const a2 = ang * ang;
          gr = mag * (1 - a2 * (0.5 - a2 * (1 / 24 - a2 * (1 / 720))));
          gi = mag * ang * (1 - a2 * (1 / 6 - a2 * (1 / 120 - a2 * (1 / 5040))));
        } else {
          gr = mag * Math.cos(ang);
          gi = mag * Math.sin(ang);
        }
        const tr = nr * gr - ni * gi;
        ni = nr * gi + ni * gr;
        nr = tr;
      }
      const sr = ar + br;
      const si = ai + bi;
      if (j === last - 1) {
        // first interface from the bottom: r = f
        const inv = 1 / (sr * sr + si * si);
        rr = (nr * sr + ni * si) * inv;
        ri = (ni * sr - nr * si) * inv;
      } else {
        // phase factor P = exp(2i k_{j+1} d_{j+1})
        const thickness = d[j + 1];
        const decay = -2 * bi * thickness;
        // |decay| < 1e-2: Taylor series exact to < 1e-20 (weakly absorbing layer above its critical edge)
        const mag =
          decay === 0
            ? 1
            : decay > -1e-2 && decay < 1e-2
            ? 1 + decay * (1 + decay * (0.5 + decay * (1 / 6 + decay * (1 / 24 + decay * (1 / 120 + decay * (1 / 720))))))
            : Math.exp(decay);
        // cos and sin of the phase angle, inline (see module note on speed)
        const ang = 2 * br * thickness;
        let pr: number;
        let pi: number;
        if (ang < 1e6) {
          const quadrant = Math.round(ang * 0.6366197723675814);
          const x = ang - quadrant * 1.5707963267341256 - quadrant * 6.077100506303966e-11;
          const z = x * x;
          const z2 = z * z;
          const z4 = z2 * z2;
          const sinx =
            x +
            x *
              z *
              (-1.66666666666666324348e-1 +
                z * 8.33333333332248946124e-3 +
                z2 * (-1.98412698298579493134e-4 + z * 2.75573137070700676789e-6) +
                z4 * (-2.50507602534068634195e-8 + z * 1.58969099521155010221e-10));
          const cosx =
            1 -
            0.5 * z +
            z2 *
              (4.16666666666666019037e-2 +
                z * -1.38888888888741095749e-3 +
                z2 * (2.48015872894767294178e-5 + z * -2.75573143513906633035e-7) +
                z4 * (2.08757232129817482790e-9 + z * -1.13596475577881948265e-11));
          // rotate by quadrant·π/2 without branches: odd quadrants swap, quadrants 2 and 3 negate
          const odd = quadrant & 1;
          const sign = 1 - (quadrant & 2);
          pr = sign * mag * (odd === 0 ? cosx : -sinx);
          pi = sign * mag * (odd === 0 ? sinx : cosx);
        } else {
          pr = mag * Math.cos(ang);
          pi = mag * Math.sin(ang);
        }
        // u = r_{j+1}·P
        const ur = rr * pr - ri * pi;
        const ui = rr * pi + ri * pr;
        // (g(a − b) + (a + b)u) / ((a + b) + g(a − b)u)
        const topR = nr + sr * ur - si * ui;
        const topI = ni + sr * ui + si * ur;
        const botR = sr + nr * ur - ni * ui;
        const botI = si + nr * ui + ni * ur;
        const inv = 1 / (botR * botR + botI * botI);
        rr = (topR * botR + topI * botI) * inv;
        ri = (topI * botR - topR * botI) * inv;
      }
      br = ar;
      bi = ai;
    }
    result[outOffset + p] = scale * (rr * rr + ri * ri) + background;
  }
  return result;
}

/**
 * Reflectivity of many stacks of the same shape in one call (e.g. a population of
 * MCMC walkers or a batch of model variants): curve c uses the slab table at
 * `slabs[c·rows·4 …]` and writes R into `out[c·q.length …]`.
 *
 * @param q - shared Q grid (Å⁻¹)
 * @param slabs - `curves` slab tables of `rows` rows each, concatenated
 * @param rows - rows per table (N+2)
 * @param scale - one scale per curve, or a single number for all
 * @param background - one background per curve, or a single number for all
 * @param out - optional output of length ≥ curves·q.length
 */
export function reflectivityBatch(
  q: Float64Array,
  slabs: Float64Array,
  rows: number,
  scale: number | Float64Array = 1,
  background: number | Float64Array = 0,
  out?: Float64Array,
): Float64Array {
  const stride = rows * SLAB_COLUMNS;
  const curves = Math.floor(slabs.length / stride);
  const n = q.length;
  const result = out ?? new Float64Array(curves * n);
  for (let c = 0; c < curves; c++) {
    const s = typeof scale === "number" ? scale : scale[c];
    const b = typeof background === "number" ? background : background[c];
    reflectivity(q, slabs, s, b, result, c * stride, rows, c * n);
  }
  return result;
}
