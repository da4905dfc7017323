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
import { logNormalDensity, logNormalInterval, logNormalUpperTail, upperTailQuantile } from "./special.ts";

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
 * Compiles a prior into its log density, with every normalising constant
 * computed once. This is what {@link FitSpace} calls on the hot path.
 *
 * @param prior - a valid prior (see {@link validatePrior})
 * @returns x ↦ ln p(x), normalised; −Infinity outside the support or for NaN
 * @example compileLogPrior({ kind: "uniform", min: 0, max: 4 })(1) // −ln 4
 */
export function compileLogPrior(prior: Prior): LogDensity {
  switch (prior.kind) {
    case "uniform": {
      const { min, max } = prior;
      const logDensity = -Math.log(max - min);
      return (x) => (x >= min && x <= max ? logDensity : -Infinity);
    }
    case "loguniform": {
      const { min, max } = prior;
      const logNorm = Math.log(Math.log(max / min));
      return (x) => (x >= min && x <= max ? -Math.log(x) - logNorm : -Infinity);
    }
    case "normal": {
      const { mean, sd } = prior;
      const logNorm = Math.log(sd) + LOG_SQRT_2PI;
      return (x) => {
        const z = (x - mean) / sd;
        // NaN falls through to NaN here; map it to −∞ like every other density.
        return z === z ? -0.5 * z * z - logNorm : -Infinity;
      };
    }
    case "truncnormal": {
      const { mean, sd, min, max } = prior;
      const logNorm = Math.log(sd) + logNormalInterval((min - mean) / sd, (max - mean) / sd);
      return (x) => {
        if (!(x >= min && x <= max)) return -Infinity;
        return logNormalDensity((x - mean) / sd) - logNorm;
      };
    }
    case "halfnormal": {
      const { sd } = prior;
      const logNorm = Math.log(sd) + LOG_SQRT_2PI - Math.LN2;
      return (x) => {
        if (!(x >= 0)) return -Infinity;
        const z = x / sd;
        return -0.5 * z * z - logNorm;
      };
    }
    case "lognormal": {
      const { mu, sigma } = prior;
      const logNorm = Math.log(sigma) + LOG_SQRT_2PI;
      return (x) => {
        if (!(x > 0)) return -Infinity;
        const lx = Math.log(x);
        if (lx === Infinity) return -Infinity;
        const z = (lx - mu) / sigma;
        return -0.5 * z * z - lx - logNorm;
      };
    }
  }
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
