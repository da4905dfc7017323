/**
 * @module learn/network
 * The estimator network's architecture, its weight file and its forward pass.
 *
 * Architecture (layout v1): a multilayer perceptron, {@link INPUT_SIZE} inputs (see
 * learn/generator `encodeInput`) → {@link HIDDEN_UNITS} ReLU layers → 2·P linear outputs: for
 * each of the P = {@link PARAMETER_COUNT} parameters the estimate μ as a fraction of the
 * sample's [min, max] bounds, then log σ of that fraction (a Gaussian negative-log-likelihood
 * head). Training (scripts/train.ts) uses TensorFlow.js; inference does not.
 *
 * Why plain loops: tfjs's per-operation overhead makes one curve cost ~100–200 µs on its wasm
 * backend and ~900 µs on its CPU backend (measured here), and loading tfjs costs far more than
 * that; the issue asks ≤ 1 ms per curve and the estimator sits inside fits and the live
 * service, so the forward pass below reads the same float32 weights with Float32Array loops
 * (learn/estimator.test.ts checks it equals tfjs's output to 1e-5).
 *
 * Weight file: little-endian float32, for each dense layer in order its kernel (rows = inputs,
 * columns = outputs, row-major, as tfjs stores it) then its bias; the JSON manifest beside it
 * records the architecture, the generator settings and seed, the test-set metrics and the
 * file's SHA-256.
 */
import { INPUT_SIZE, PARAMETER_COUNT } from "./generator.ts";

/** Hidden layer widths. */
export const HIDDEN_UNITS: readonly number[] = [384, 384, 256];
export const OUTPUT_SIZE = 2 * PARAMETER_COUNT;
/** log σ (fraction of the bounds) is clamped to this range in the loss and at inference. */
export const LOG_SIGMA_MIN = -7;
export const LOG_SIGMA_MAX = 1;

/** Layer widths from input to output. */
export function layerSizes(): number[] {
  return [INPUT_SIZE, ...HIDDEN_UNITS, OUTPUT_SIZE];
}

/** Number of float32 values in a weight file. */
export function weightCount(sizes: readonly number[] = layerSizes()): number {
  let total = 0;
  for (let l = 1; l < sizes.length; l++) total += sizes[l - 1] * sizes[l] + sizes[l];
  return total;
}

/** A loaded network: its dense layers' kernels and biases (views into one buffer). */
export interface DenseNetwork {
  readonly sizes: readonly number[];
  readonly kernels: readonly Float32Array[];
  readonly biases: readonly Float32Array[];
  /** Scratch activations, one per layer after the input. */
  readonly scratch: Float32Array[];
}

/** The network whose weights are `values` (a weight file's contents, see the module header). */
export function denseNetwork(values: Float32Array, sizes: readonly number[] = layerSizes()): DenseNetwork {
  const expected = weightCount(sizes);
  if (values.length !== expected) throw new RangeError(`weight file holds ${values.length} values, the architecture ${sizes.join("-")} needs ${expected}`);
  const kernels: Float32Array[] = [];
  const biases: Float32Array[] = [];
  let offset = 0;
  for (let l = 1; l < sizes.length; l++) {
    kernels.push(values.subarray(offset, offset + sizes[l - 1] * sizes[l]));
    offset += sizes[l - 1] * sizes[l];
    biases.push(values.subarray(offset, offset + sizes[l]));
    offset += sizes[l];
  }
  return { sizes, kernels, biases, scratch: sizes.slice(1).map((n) => new Float32Array(n)) };
}

/**
 * The forward pass for one input vector: ReLU hidden layers, linear output. Returns the
 * network's output buffer (reused by the next call; copy it to keep it).
 */
export function forward(network: DenseNetwork, input: Float32Array): Float32Array {
  const { sizes, kernels, biases, scratch } = network;
  let x = input;
  for (let l = 1; l < sizes.length; l++) {
    const nIn = sizes[l - 1];
    const nOut = sizes[l];
    const w = kernels[l - 1];
    const y = scratch[l - 1];
    y.set(biases[l - 1]);
    // kernel rows are inputs: accumulate row by row (contiguous reads, no zero-skipping branch
    // cost worth more than it saves: half the ReLU outputs are 0)
    for (let i = 0; i < nIn; i++) {
      const xi = x[i];
      if (xi === 0) continue;
      const row = i * nOut;
      for (let o = 0; o < nOut; o++) y[o] += xi * w[row + o];
    }
    if (l < sizes.length - 1) for (let o = 0; o < nOut; o++) if (y[o] < 0) y[o] = 0;
    x = y;
  }
  return x;
}
