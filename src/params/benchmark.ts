/**
 * @module params/benchmark
 * A micro-benchmark of {@link FitSpace.fromVector}, for `bench/` to call.
 * Not part of the public `params` API.
 */

import { Parameter } from "./parameter.ts";
import { ParameterSet } from "./parameterSet.ts";

/** Shape of the synthetic problem. */
export interface FromVectorBenchmarkOptions {
  /** Varying parameters. @default 20 */
  readonly varying?: number;
  /** Fixed parameters. @default 20 */
  readonly fixed?: number;
  /** Constrained parameters, each `2*a_i + b_j - c` style over earlier ones. @default 10 */
  readonly constrained?: number;
  /** Timed calls. @default 1_000_000 */
  readonly iterations?: number;
}

/** Result of {@link benchmarkFromVector}. */
export interface FromVectorBenchmarkResult {
  readonly dimension: number;
  readonly size: number;
  readonly iterations: number;
  /** Mean wall time per `fromVector` call, ns. */
  readonly nsPerCall: number;
  /** Sum of the outputs (keeps the work observable; also a checksum). */
  readonly checksum: number;
}

/**
 * Times `fromVector(theta, out)` on a synthetic set of parameters, after a warm-up.
 *
 * @param options - problem size and iterations
 * @returns ns per call and a checksum
 * @example benchmarkFromVector({ iterations: 1e5 }).nsPerCall
 */
export function benchmarkFromVector(options: FromVectorBenchmarkOptions = {}): FromVectorBenchmarkResult {
  const { varying = 20, fixed = 20, constrained = 10, iterations = 1_000_000 } = options;
  const params: Parameter[] = [];
  for (let i = 0; i < varying; i++) params.push(new Parameter(`v${i}`, { value: i + 1, vary: true, min: 0, max: 1000 }));
  for (let i = 0; i < fixed; i++) params.push(new Parameter(`f${i}`, { value: 0.5 * i }));
  for (let i = 0; i < constrained; i++) {
    const a = `v${i % Math.max(varying, 1)}`;
    const b = i > 0 ? `c${i - 1}` : `f${i % Math.max(fixed, 1)}`;
    params.push(new Parameter(`c${i}`, { expr: varying > 0 && fixed > 0 ? `2*${a} + ${b} - sqrt(abs(${a}))` : "1" }));
  }
  const space = new ParameterSet(params).fitSpace();
  const theta = space.toVector();
  const out = space.createValues();
  let checksum = 0;
  for (let i = 0; i < 10_000; i++) space.fromVector(theta, out);
  const start = performance.now();
  const last = space.size - 1;
  for (let i = 0; i < iterations; i++) {
    space.fromVector(theta, out);
    checksum += out[last];
  }
  const elapsed = performance.now() - start;
  return { dimension: space.dimension, size: space.size, iterations, nsPerCall: (elapsed * 1e6) / iterations, checksum };
}
