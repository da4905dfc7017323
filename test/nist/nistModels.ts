/**
 * The 27 NIST StRD nonlinear-regression models as plain functions (no eval),
 * transcribed from the formulas on lines 34–36 of each `.dat` file.
 * `x[0]` is the predictor (Nelson: x[0] = x1, x[1] = x2). Nelson models log(y):
 * its response is transformed before fitting.
 */
import { curveObjective } from "../../src/optimize/curveObjective.ts";
import type { FitObjective } from "../../src/optimize/objective.ts";
import type { NistProblem } from "./nistData.ts";

export type NistModelFunction = (b: Float64Array, x: readonly Float64Array[], out: Float64Array) => void;

export interface NistModel {
  readonly f: NistModelFunction;
  /** Response transform applied to y before fitting (Nelson: natural log). */
  readonly response?: (y: number) => number;
}

const PI = Math.PI;

const misra1a: NistModelFunction = (b, [x], out) => {
  for (let i = 0; i < x.length; i++) out[i] = b[0] * (1 - Math.exp(-b[1] * x[i]));
};
const chwirut: NistModelFunction = (b, [x], out) => {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(-b[0] * x[i]) / (b[1] + b[2] * x[i]);
};
const lanczos: NistModelFunction = (b, [x], out) => {
  for (let i = 0; i < x.length; i++) {
    const t = x[i];
    out[i] = b[0] * Math.exp(-b[1] * t) + b[2] * Math.exp(-b[3] * t) + b[4] * Math.exp(-b[5] * t);
  }
};
const gauss: NistModelFunction = (b, [x], out) => {
  for (let i = 0; i < x.length; i++) {
    const t = x[i];
    const g1 = (t - b[3]) / b[4];
    const g2 = (t - b[6]) / b[7];
    out[i] = b[0] * Math.exp(-b[1] * t) + b[2] * Math.exp(-g1 * g1) + b[5] * Math.exp(-g2 * g2);
  }
};
const rational33: NistModelFunction = (b, [x], out) => {
  for (let i = 0; i < x.length; i++) {
    const t = x[i];
    const t2 = t * t;
    const t3 = t2 * t;
    out[i] = (b[0] + b[1] * t + b[2] * t2 + b[3] * t3) / (1 + b[4] * t + b[5] * t2 + b[6] * t3);
  }
};

export const nistModels: Readonly<Record<string, NistModel>> = {
  Misra1a: { f: misra1a },
  Chwirut2: { f: chwirut },
  Chwirut1: { f: chwirut },
  Lanczos3: { f: lanczos },
  Gauss1: { f: gauss },
  Gauss2: { f: gauss },
  DanWood: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] * x[i] ** b[1];
    },
  },
  Misra1b: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] * (1 - (1 + (b[1] * x[i]) / 2) ** -2);
    },
  },
  Kirby2: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) {
        const t = x[i];
        out[i] = (b[0] + b[1] * t + b[2] * t * t) / (1 + b[3] * t + b[4] * t * t);
      }
    },
  },
  Hahn1: { f: rational33 },
  Nelson: {
    f: (b, [x1, x2], out) => {
      for (let i = 0; i < x1.length; i++) out[i] = b[0] - b[1] * x1[i] * Math.exp(-b[2] * x2[i]);
    },
    response: Math.log,
  },
  MGH17: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] + b[1] * Math.exp(-x[i] * b[3]) + b[2] * Math.exp(-x[i] * b[4]);
    },
  },
  Lanczos1: { f: lanczos },
  Lanczos2: { f: lanczos },
  Gauss3: { f: gauss },
  Misra1c: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] * (1 - (1 + 2 * b[1] * x[i]) ** -0.5);
    },
  },
  Misra1d: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = (b[0] * b[1] * x[i]) / (1 + b[1] * x[i]);
    },
  },
  Roszman1: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] - b[1] * x[i] - Math.atan(b[2] / (x[i] - b[3])) / PI;
    },
  },
  ENSO: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) {
        const t = 2 * PI * x[i];
        out[i] =
          b[0] +
          b[1] * Math.cos(t / 12) +
          b[2] * Math.sin(t / 12) +
          b[4] * Math.cos(t / b[3]) +
          b[5] * Math.sin(t / b[3]) +
          b[7] * Math.cos(t / b[6]) +
          b[8] * Math.sin(t / b[6]);
      }
    },
  },
  MGH09: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) {
        const t = x[i];
        out[i] = (b[0] * (t * t + t * b[1])) / (t * t + t * b[2] + b[3]);
      }
    },
  },
  Thurber: { f: rational33 },
  BoxBOD: { f: misra1a },
  Rat42: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] / (1 + Math.exp(b[1] - b[2] * x[i]));
    },
  },
  MGH10: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] * Math.exp(b[1] / (x[i] + b[2]));
    },
  },
  Eckerle4: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) {
        const z = (x[i] - b[2]) / b[1];
        out[i] = (b[0] / b[1]) * Math.exp(-0.5 * z * z);
      }
    },
  },
  Rat43: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] / (1 + Math.exp(b[1] - b[2] * x[i])) ** (1 / b[3]);
    },
  },
  Bennett5: {
    f: (b, [x], out) => {
      for (let i = 0; i < x.length; i++) out[i] = b[0] * (b[1] + x[i]) ** (-1 / b[2]);
    },
  },
};

/** Options for {@link nistObjective}. */
export interface NistObjectiveOptions {
  readonly start: 1 | 2 | "certified";
  readonly lower?: ArrayLike<number>;
  readonly upper?: ArrayLike<number>;
  readonly nanPolicy?: "raise" | "propagate";
}

/** The curve objective of a NIST problem (unit σ, so χ² is the residual sum of squares). */
export function nistObjective(problem: NistProblem, options: NistObjectiveOptions): FitObjective {
  const model = nistModels[problem.name];
  if (!model) throw new Error(`no model for ${problem.name}`);
  const response = model.response;
  const initial = problem.parameters.map((q) =>
    options.start === 1 ? q.start1 : options.start === 2 ? q.start2 : q.certified,
  );
  return curveObjective({
    name: problem.name,
    names: problem.parameters.map((q) => q.name),
    model: model.f,
    x: problem.x,
    y: response ? problem.y.map(response) : problem.y,
    initial,
    lower: options.lower,
    upper: options.upper,
    nanPolicy: options.nanPolicy ?? "propagate",
  });
}

/** Log relative error: −log10(|est − cert| / |cert|), capped at 15 digits (exact agreement). */
export function digits(estimate: number, certified: number): number {
  if (!Number.isFinite(estimate)) return 0;
  if (estimate === certified) return 15;
  const lre = -Math.log10(Math.abs(estimate - certified) / Math.abs(certified));
  return Math.max(0, Math.min(15, lre));
}
