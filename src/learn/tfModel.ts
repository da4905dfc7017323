/**
 * @module learn/tfModel
 * The estimator network in TensorFlow.js (training, and the reference the plain-loop forward
 * pass of learn/network is tested against). Only scripts/train.ts and tests import this
 * module: inference does not load tfjs.
 *
 * Backend: tfjs's wasm backend (SIMD; Node has no wasm threads for it), measured here at
 * ~110 ms per training step of 256 curves against ~500 ms for its pure-JS CPU backend.
 * `PROD` is set so tfjs neither runs its debug checks nor prints its "install tfjs-node"
 * banner (which would leak into CLI output).
 */
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-cpu";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import * as tfl from "@tensorflow/tfjs-layers";
import { createRequire } from "node:module";
import path from "node:path";
import { PARAMETER_COUNT } from "./generator.ts";
import { LOG_SIGMA_MAX, LOG_SIGMA_MIN, layerSizes, weightCount } from "./network.ts";

export { tf, tfl };

/** Use tfjs's wasm backend (falls back to its CPU backend when wasm cannot start); returns the backend's name. */
export async function initTf(backend: "wasm" | "cpu" = "wasm"): Promise<string> {
  tf.env().set("PROD", true);
  if (backend === "wasm") {
    const require = createRequire(import.meta.url);
    const dist = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
    setWasmPaths(dist + path.sep);
  }
  const ok = await tf.setBackend(backend);
  if (!ok) await tf.setBackend("cpu");
  await tf.ready();
  return tf.getBackend();
}

/** The network (dense ReLU layers, linear output), kernels initialised from `seed`. */
export function buildModel(seed: number): tfl.Sequential {
  const sizes = layerSizes();
  const model = tfl.sequential();
  for (let l = 1; l < sizes.length; l++) {
    model.add(
      tfl.layers.dense({
        ...(l === 1 ? { inputShape: [sizes[0]] } : {}),
        units: sizes[l],
        activation: l < sizes.length - 1 ? "relu" : "linear",
        kernelInitializer: tfl.initializers.heNormal({ seed: seed * 101 + l }),
        biasInitializer: "zeros",
      }),
    );
  }
  return model;
}

/**
 * Mean Gaussian negative log-likelihood over the present parameters: per entry
 * ½((t − μ)/σ)² + log σ, log σ clamped to [LOG_SIGMA_MIN, LOG_SIGMA_MAX].
 * @param output - [batch, 2P] network output
 * @param targets - [batch, P] truth as fractions of the bounds
 * @param weights - [batch, P] 1 for present parameters
 */
export function nllLoss(output: tf.Tensor2D, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // functional ops: tfjs-core's node bundle does not register the chained tensor methods
    const mean = tf.slice(output, [0, 0], [-1, PARAMETER_COUNT]);
    const logSigma = tf.clipByValue(tf.slice(output, [0, PARAMETER_COUNT], [-1, PARAMETER_COUNT]), LOG_SIGMA_MIN, LOG_SIGMA_MAX);
    const z = tf.mul(tf.sub(targets, mean), tf.exp(tf.neg(logSigma)));
    const nll = tf.mul(tf.add(tf.mul(tf.square(z), 0.5), logSigma), weights);
    return tf.div(tf.sum(nll), tf.sum(weights));
  });
}

/** The model's weights in the weight-file layout of learn/network. */
export function exportWeights(model: tfl.Sequential): Float32Array {
  const out = new Float32Array(weightCount());
  let offset = 0;
  for (const layer of model.layers) {
    for (const w of layer.getWeights()) {
      const values = w.dataSync() as Float32Array;
      out.set(values, offset);
      offset += values.length;
    }
  }
  if (offset !== out.length) throw new RangeError(`exported ${offset} weights, expected ${out.length}`);
  return out;
}

/** Load weight-file values into a model built by {@link buildModel}. */
export function importWeights(model: tfl.Sequential, values: Float32Array): void {
  const sizes = layerSizes();
  let offset = 0;
  model.layers.forEach((layer, l) => {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const kernel = tf.tensor2d(values.subarray(offset, offset + nIn * nOut), [nIn, nOut]);
    offset += nIn * nOut;
    const bias = tf.tensor1d(values.subarray(offset, offset + nOut));
    offset += nOut;
    layer.setWeights([kernel, bias]);
  });
}
