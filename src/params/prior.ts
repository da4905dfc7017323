/**
 * @module params/prior
 * Priors as plain, serialisable data, and their normalised log densities.
 *
 * A prior is in the units of the parameter it belongs to. Every density here is
 * normalised over its support, and its log is −Infinity outside the support
 * (never an error: "outside the prior" is a value, not a failure).
 *
 * | kind          | fields               | support      |
 * |---------------|----------------------|--------------|
 * | `uniform`     | `min`, `max`         | [min, max]   |
 * | `loguniform`  | `min`, `max` (> 0)   | [min, max]   |
 * | `normal`      | `mean`, `sd`         | ℝ            |
 * | `truncnormal` | `mean`, `sd`, `min`, `max` | [min, max] |
 * | `halfnormal`  | `sd`                 | [0, ∞)       |
 * | `lognormal`   | `mu`, `sigma` (of ln x) | (0, ∞)    |
 */

import { ValidationError } from "../core/errors.ts";
import { logNormalInterval, logNormalUpperTail, upperTailQuantile } from "./special.ts";

/** Flat density on [min, max]. */
export interface UniformPrior {
  readonly kind: "uniform";
  readonly min: number;
  readonly max: number;
}
/** Density ∝ 1/x on [min, max], 0 < min < max (flat in ln x). */
export interface LogUniformPrior {
  readonly kind: "loguniform";
  readonly min: number;
  readonly max: number;
}
/** Gaussian with mean `mean` and standard deviation `sd` > 0. */
export interface NormalPrior {
  readonly kind: "normal";
  readonly mean: number;
  readonly sd: number;
}
/** Gaussian restricted to [min, max] and renormalised; `mean`/`sd` are those of the untruncated Gaussian. */
export interface TruncatedNormalPrior {
  readonly kind: "truncnormal";
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}
/** |N(0, sd²)|: support [0, ∞). */
export interface HalfNormalPrior {
  readonly kind: "halfnormal";
  readonly sd: number;
}
/** ln x ~ N(mu, sigma²): `mu` and `sigma` are log-space parameters; support x > 0. */
export interface LogNormalPrior {
  readonly kind: "lognormal";
  readonly mu: number;
  readonly sigma: number;
}

/** A prior distribution, as plain JSON-serialisable data. */
export type Prior =
  | UniformPrior
  | LogUniformPrior
  | NormalPrior
  | TruncatedNormalPrior
  | HalfNormalPrior
  | LogNormalPrior;

/** The `kind` tags of {@link Prior}. */
export type PriorKind = Prior["kind"];

/** Every prior kind, in documentation order. */
export const PRIOR_KINDS: readonly PriorKind[] = Object.freeze([
  "uniform",
  "loguniform",
  "normal",
  "truncnormal",
  "halfnormal",
  "lognormal",
]);

/** A log density of one real variable: −Infinity outside the support. */
export type LogDensity = (x: number) => number;

/** A source of uniform random numbers in [0, 1). */
export type UniformSource = () => number;

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Fields each kind requires, and how each field is checked. */
const FIELDS: { readonly [K in PriorKind]: readonly string[] } = {
  uniform: ["min", "max"],
  loguniform: ["min", "max"],
  normal: ["mean", "sd"],
  truncnormal: ["mean", "sd", "min", "max"],
  halfnormal: ["sd"],
  lognormal: ["mu", "sigma"],
};

function isPriorKind(kind: unknown): kind is PriorKind {
  return typeof kind === "string" && Object.hasOwn(FIELDS, kind);
}

/**
 * Checks that `prior` is a well-formed {@link Prior}.
 *
 * Rules: a known `kind`; every field a number, not NaN; `sd`/`sigma` finite and
 * > 0; `mean`/`mu` finite; `min` < `max`; uniform and loguniform limits finite;
 * loguniform `min` > 0; truncnormal limits may be ±Infinity. Unknown fields are
 * refused, so that a typo (`sigma` on a normal) is not silently ignored.
 *
 * @param prior - the candidate (typically parsed JSON)
 * @param path - where it came from, for messages, e.g. `parameters.t_sei.prior`
 * @throws ValidationError naming `path` (or `path.field`) and the offending value
 * @example validatePrior({ kind: "normal", mean: 0, sd: 1 }, "prior");
 */
export function validatePrior(prior: unknown, path: string): asserts prior is Prior {
  if (typeof prior !== "object" || prior === null || Array.isArray(prior)) {
    throw new ValidationError(path, "a prior must be an object with a kind", prior);
  }
  const record = prior as Record<string, unknown>;
  const kind = record["kind"];
  if (!isPriorKind(kind)) {
    throw new ValidationError(`${path}.kind`, `unknown prior kind (expected one of ${PRIOR_KINDS.join(", ")})`, kind);
  }
  const fields = FIELDS[kind];
  for (const key of Object.keys(record)) {
    if (key !== "kind" && !fields.includes(key)) {
      throw new ValidationError(`${path}.${key}`, `unknown field for a ${kind} prior (expected ${fields.join(", ")})`, record[key]);
    }
  }
  for (const field of fields) {
    const value = record[field];
    if (value === undefined) throw new ValidationError(`${path}.${field}`, `a ${kind} prior requires ${field}`);
    if (typeof value !== "number" || Number.isNaN(value)) {
      throw new ValidationError(`${path}.${field}`, `${field} must be a number`, value);
    }
  }
  const num = (field: string): number => record[field] as number;
  const finite = (field: string): void => {
    if (!Number.isFinite(num(field))) throw new ValidationError(`${path}.${field}`, `${field} must be finite`, num(field));
  };
  const positive = (field: string): void => {
    finite(field);
    if (!(num(field) > 0)) throw new ValidationError(`${path}.${field}`, `${field} must be > 0`, num(field));
  };
  const ordered = (): void => {
    if (!(num("min") < num("max"))) {
      throw new ValidationError(`${path}.min`, `min must be less than max (${num("max")})`, num("min"));
    }
  };
  switch (kind) {
    case "uniform":
      finite("min");
      finite("max");
      ordered();
      return;
    case "loguniform":
      positive("min");
      finite("max");
      ordered();
      return;
    case "normal":
      finite("mean");
      positive("sd");
      return;
    case "truncnormal":
      finite("mean");
      positive("sd");
      ordered();
      return;
    case "halfnormal":
      positive("sd");
      return;
    case "lognormal":
      finite("mu");
      positive("sigma");
      return;
  }
}

/**
 * The support of a prior as a closed interval [lo, hi] (an open end such as
 * lognormal's 0 is reported as its limit; the density there is −Infinity).
 *
 * @param prior - a valid prior
 * @returns [lo, hi], possibly infinite
 * @example priorBounds({ kind: "halfnormal", sd: 2 }) // [0, Infinity]
 */
export function priorBounds(prior: Prior): readonly [number, number] {
  switch (prior.kind) {
    case "uniform":
    case "loguniform":
    case "truncnormal":
      return [prior.min, prior.max];
    case "normal":
      return [-Infinity, Infinity];
    case "halfnormal":
    case "lognormal":
      return [0, Infinity];
  }
}

/**
 * A prior reduced to numbers, so that loops over many parameters can evaluate
 * densities through one monomorphic function ({@link packedLogDensity}) with no
 * closure calls (which would box their results). Every kind maps onto one of
 * four shapes: constant (uniform; also the improper flat prior), 1/x
 * (loguniform), Gaussian in x (normal, truncnormal, halfnormal) and Gaussian
 * in ln x (lognormal).
 */
export interface PackedPrior {
  /** One of {@link PACKED_CONSTANT}, {@link PACKED_LOG_UNIFORM}, {@link PACKED_NORMAL}, {@link PACKED_LOG_NORMAL}. */
  readonly shape: number;
  /** Location (mean, or mu of ln x). */
  readonly location: number;
  /** Scale (sd, or sigma of ln x). */
  readonly scale: number;
  /** Log normalising constant: the density is (shape term) − logNorm. */
  readonly logNorm: number;
  /** Support, closed; lognormal also excludes 0. */
  readonly lo: number;
  readonly hi: number;
}

/** ln p = −logNorm. */
export const PACKED_CONSTANT = 0;
/** ln p = −ln x − logNorm. */
export const PACKED_LOG_UNIFORM = 1;
/** ln p = −z²/2 − logNorm, z = (x − location)/scale. */
export const PACKED_NORMAL = 2;
/** ln p = −z²/2 − ln x − logNorm, z = (ln x − location)/scale, x > 0. */
export const PACKED_LOG_NORMAL = 3;

/**
 * Reduces a prior (or `undefined`, the improper flat prior) to a {@link PackedPrior},
 * computing every normalising constant once.
 *
 * @param prior - a valid prior, or undefined for the improper flat prior (log density 0 everywhere)
 * @returns its packed form
 */
export function packPrior(prior: Prior | undefined): PackedPrior {
  if (prior === undefined) return { shape: PACKED_CONSTANT, location: 0, scale: 1, logNorm: 0, lo: -Infinity, hi: Infinity };
  switch (prior.kind) {
    case "uniform":
      return { shape: PACKED_CONSTANT, location: 0, scale: 1, logNorm: Math.log(prior.max - prior.min), lo: prior.min, hi: prior.max };
    case "loguniform":
      return {
        shape: PACKED_LOG_UNIFORM,
        location: 0,
        scale: 1,
        logNorm: Math.log(Math.log(prior.max / prior.min)),
        lo: prior.min,
        hi: prior.max,
      };
    case "normal":
      return {
        shape: PACKED_NORMAL,
        location: prior.mean,
        scale: prior.sd,
        logNorm: Math.log(prior.sd) + LOG_SQRT_2PI,
        lo: -Infinity,
        hi: Infinity,
      };
    case "truncnormal": {
      const { mean, sd, min, max } = prior;
      const logMass = logNormalInterval((min - mean) / sd, (max - mean) / sd);
      return { shape: PACKED_NORMAL, location: mean, scale: sd, logNorm: Math.log(sd) + LOG_SQRT_2PI + logMass, lo: min, hi: max };
    }
    case "halfnormal":
      return {
        shape: PACKED_NORMAL,
        location: 0,
        scale: prior.sd,
        logNorm: Math.log(prior.sd) + LOG_SQRT_2PI - Math.LN2,
        lo: 0,
        hi: Infinity,
      };
    case "lognormal":
      return {
        shape: PACKED_LOG_NORMAL,
        location: prior.mu,
        scale: prior.sigma,
        logNorm: Math.log(prior.sigma) + LOG_SQRT_2PI,
        lo: 0,
        hi: Infinity,
      };
  }
}

/**
 * The log density of a packed prior at `x`, from its fields passed as numbers
 * (so that callers can keep them in typed arrays).
 *
 * @returns ln p(x); −Infinity outside [lo, hi] (and at x ≤ 0 for lognormal) or for NaN
 */
export function packedLogDensity(
  shape: number,
  location: number,
  scale: number,
  logNorm: number,
  lo: number,
  hi: number,
  x: number,
): number {
  if (!(x >= lo && x <= hi)) return -Infinity;
  switch (shape) {
    case PACKED_CONSTANT:
      return -logNorm;
    case PACKED_LOG_UNIFORM:
      return -Math.log(x) - logNorm;
    case PACKED_NORMAL: {
      const z = (x - location) / scale;
      return -0.5 * z * z - logNorm;
    }
    default: {
      if (!(x > 0)) return -Infinity;
      const lx = Math.log(x);
      const z = (lx - location) / scale;
      return -0.5 * z * z - lx - logNorm;
    }
  }
}

/**
 * Compiles a prior into its log density, with every normalising constant
 * computed once.
 *
 * @param prior - a valid prior (see {@link validatePrior})
 * @returns x ↦ ln p(x), normalised; −Infinity outside the support or for NaN
 * @example compileLogPrior({ kind: "uniform", min: 0, max: 4 })(1) // −ln 4
 */
export function compileLogPrior(prior: Prior): LogDensity {
  const { shape, location, scale, logNorm, lo, hi } = packPrior(prior);
  return (x) => packedLogDensity(shape, location, scale, logNorm, lo, hi, x);
}

/**
 * The normalised log density of `prior` at `x`. For repeated evaluation use
 * {@link compileLogPrior}, which hoists the normalising constants.
 *
 * @param prior - a valid prior
 * @param x - the point, in the parameter's units
 * @returns ln p(x); −Infinity outside the support or for NaN
 * @example logPrior({ kind: "normal", mean: 0, sd: 1 }, 0) // −0.9189385332046727
 */
export function logPrior(prior: Prior, x: number): number {
  return compileLogPrior(prior)(x);
}

/** A standard normal deviate by inversion (one uniform per deviate, reproducible for a given stream). */
function standardNormal(rng: UniformSource): number {
  // u ∈ (0, 1): 0 would map to −∞.
  let u = rng();
  while (!(u > 0 && u < 1)) u = rng();
  return u < 0.5 ? -upperTailQuantile(Math.log(u)) : upperTailQuantile(Math.log1p(-u));
}

/** Standard normal restricted to [a, b], by inversion in whichever tail keeps the arithmetic exact. */
function truncatedStandardNormal(a: number, b: number, rng: UniformSource): number {
  if (b <= 0) return -truncatedStandardNormal(-b, -a, rng);
  const u = rng();
  const la = logNormalUpperTail(a);
  const lb = logNormalUpperTail(b);
  // Q(z) = Q(a) − u (Q(a) − Q(b)), done in logs: ln Q(a) + ln(1 − u (1 − Q(b)/Q(a))).
  const target = la + Math.log1p(u * Math.expm1(lb - la));
  const z = upperTailQuantile(target);
  return Math.min(b, Math.max(a, z));
}

/**
 * Draws one value from `prior`.
 *
 * @param prior - a valid prior
 * @param rng - uniform source on [0, 1); the draw is a deterministic function of its stream
 * @returns a value inside the prior's support
 * @example samplePrior({ kind: "uniform", min: 0, max: 10 }, () => 0.5) // 5
 */
export function samplePrior(prior: Prior, rng: UniformSource): number {
  switch (prior.kind) {
    case "uniform":
      return prior.min + rng() * (prior.max - prior.min);
    case "loguniform":
      return prior.min * Math.exp(rng() * Math.log(prior.max / prior.min));
    case "normal":
      return prior.mean + prior.sd * standardNormal(rng);
    case "truncnormal": {
      const { mean, sd, min, max } = prior;
      const z = truncatedStandardNormal((min - mean) / sd, (max - mean) / sd, rng);
      return Math.min(max, Math.max(min, mean + sd * z));
    }
    case "halfnormal":
      return prior.sd * Math.abs(standardNormal(rng));
    case "lognormal":
      return Math.exp(prior.mu + prior.sigma * standardNormal(rng));
  }
}

/** Intervals of the composite Simpson rule in {@link priorStandardDeviation} (even). */
const PRIOR_SD_INTERVALS = 4096;
/** A Gaussian tail beyond this many of its sd carries < 1e-30 of its mass: the quadrature stops there. */
const PRIOR_SD_TAIL = 12;

/**
 * The standard deviation of a parameter's prior restricted to its bounds [lo, hi] —
 * the width the data are compared with when a report says which parameters the data
 * constrain. No prior means uniform over the bounds. Computed by Simpson's rule over
 * the restricted support (in ln x for the loguniform and lognormal kinds, where the
 * density is smooth), the mean first, then the second central moment, so a narrow
 * prior far from zero loses no digits.
 *
 * @param prior - a valid prior, or undefined (flat)
 * @param lo - the parameter's lower bound (may be −Infinity)
 * @param hi - the parameter's upper bound (may be +Infinity)
 * @returns the sd in the parameter's units; undefined when the restricted prior is
 *   improper (flat with an infinite bound) or has no mass inside the bounds
 * @example priorStandardDeviation(undefined, 0, 12) // 3.4641… = 12/√12
 */
export function priorStandardDeviation(prior: Prior | undefined, lo: number, hi: number): number | undefined {
  const [supportLo, supportHi] = prior ? priorBounds(prior) : [-Infinity, Infinity];
  let a = Math.max(lo, supportLo);
  let b = Math.min(hi, supportHi);
  const logScale = prior?.kind === "loguniform" || prior?.kind === "lognormal";
  // u: the integration variable (x, or ln x); w(u): the density in u, up to a constant
  let weight: (u: number) => number;
  switch (prior?.kind) {
    case undefined:
    case "uniform":
      weight = () => 1;
      break;
    case "loguniform":
      weight = () => 1;
      break;
    case "normal":
    case "truncnormal":
    case "halfnormal": {
      const mean = prior.kind === "halfnormal" ? 0 : prior.mean;
      const sd = prior.sd;
      a = Math.max(a, mean - PRIOR_SD_TAIL * sd);
      b = Math.min(b, mean + PRIOR_SD_TAIL * sd);
      weight = (u) => Math.exp(-0.5 * ((u - mean) / sd) ** 2);
      break;
    }
    case "lognormal": {
      const { mu, sigma } = prior;
      a = Math.max(a, Math.exp(mu - PRIOR_SD_TAIL * sigma));
      b = Math.min(b, Math.exp(mu + PRIOR_SD_TAIL * sigma));
      weight = (u) => Math.exp(-0.5 * ((u - mu) / sigma) ** 2);
      break;
    }
  }
  if (!(Number.isFinite(a) && Number.isFinite(b)) || !(b > a)) return undefined;
  const u0 = logScale ? Math.log(a) : a;
  const u1 = logScale ? Math.log(b) : b;
  const h = (u1 - u0) / PRIOR_SD_INTERVALS;
  const x = (i: number): number => (logScale ? Math.exp(u0 + i * h) : u0 + i * h);
  const moment = (f: (x: number) => number): number => {
    let sum = 0;
    for (let i = 0; i <= PRIOR_SD_INTERVALS; i++) {
      const coefficient = i === 0 || i === PRIOR_SD_INTERVALS ? 1 : i % 2 === 1 ? 4 : 2;
      const xi = x(i);
      sum += coefficient * weight(u0 + i * h) * f(xi);
    }
    return sum;
  };
  const mass = moment(() => 1);
  if (!(mass > 0)) return undefined;
  const mean = moment((xi) => xi) / mass;
  const variance = moment((xi) => (xi - mean) ** 2) / mass;
  return Math.sqrt(variance);
}
