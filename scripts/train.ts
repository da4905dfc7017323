/**
 * `npm run train` — train the learned estimator (issue 19) from a seed and write the weights
 * Strata ships: src/learn/weights/estimator-v<layout>.bin (float32) and .json (manifest:
 * architecture, generator settings, seeds, training settings, wall time, test-set metrics,
 * the weights' SHA-256), rewritten after every epoch (`epochsCompleted` says how many ran).
 *
 * Data: `--samples` training curves of learn/generator with seed `--seed` (streams
 * `learn:<seed>:<i>`), `--test` test curves with seed `<seed>-test` (disjoint streams).
 * Training: Adam, batch `--batch`, learning rate `--lr` decaying by cosine to 1 % over
 * `--epochs` epochs, Gaussian negative log-likelihood; tfjs's wasm backend, kernels initialised
 * and batches shuffled from the seed. Test metrics come from the plain-loop forward pass the
 * estimator uses (learn/network), so `npm run train` from a clean clone can be checked
 * against the shipped manifest (test NLL and errors within 1 %).
 *
 * Usage: node --import tsx scripts/train.ts [--seed 1] [--samples 200000] [--epochs 6]
 *        [--batch 256] [--lr 0.001] [--test 5000] [--out src/learn/weights]
 * Bad flags: a one-line error, exit 2.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createRandom } from "../src/core/random.ts";
import {
  generateBatch,
  GRID_POINTS,
  INPUT_SIZE,
  LAYOUT_VERSION,
  PARAMETER_COUNT,
  PARAMETER_NAMES,
  type LearnBatch,
} from "../src/learn/generator.ts";
import * as generatorSettings from "../src/learn/generator.ts";
import { denseNetwork, forward, layerSizes, LOG_SIGMA_MAX, LOG_SIGMA_MIN } from "../src/learn/network.ts";
import { buildModel, exportWeights, initTf, nllLoss, tf } from "../src/learn/tfModel.ts";

interface Flags {
  seed: number;
  samples: number;
  epochs: number;
  batch: number;
  lr: number;
  test: number;
  out: string;
}

function parseFlags(argv: string[]): Flags {
  const flags: Flags = { seed: 1, samples: 200_000, epochs: 6, batch: 256, lr: 1e-3, test: 5000, out: "src/learn/weights" };
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    if (!(name in flags) || !argv[i].startsWith("--")) throw new Error(`unknown flag ${argv[i]} (flags: ${Object.keys(flags).map((k) => `--${k}`).join(", ")})`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value`);
    if (name === "out") flags.out = value;
    else {
      const number = Number(value);
      const integer = name !== "lr";
      if (!(Number.isFinite(number) && number > 0 && (!integer || Number.isInteger(number)))) throw new Error(`--${name} must be a positive ${integer ? "integer" : "number"}: ${value}`);
      (flags as unknown as Record<string, number>)[name] = number;
    }
  }
  return flags;
}

/** Test-set metrics of the plain-loop forward pass: mean NLL, median |error| (fraction of the bounds) and 1-σ coverage per parameter. */
function evaluate(weights: Float32Array, test: LearnBatch): Record<string, unknown> {
  const network = denseNetwork(weights);
  const errors: number[][] = PARAMETER_NAMES.map(() => []);
  const covered = new Float64Array(PARAMETER_COUNT);
  let nll = 0;
  let count = 0;
  for (let n = 0; n < test.count; n++) {
    const out = forward(network, test.inputs.subarray(n * INPUT_SIZE, (n + 1) * INPUT_SIZE));
    for (let j = 0; j < PARAMETER_COUNT; j++) {
      if (!test.weights[n * PARAMETER_COUNT + j]) continue;
      const t = test.targets[n * PARAMETER_COUNT + j];
      const s = Math.min(LOG_SIGMA_MAX, Math.max(LOG_SIGMA_MIN, out[PARAMETER_COUNT + j]));
      const z = (t - out[j]) / Math.exp(s);
      nll += 0.5 * z * z + s;
      count++;
      errors[j].push(Math.abs(t - Math.min(1, Math.max(0, out[j]))));
      if (Math.abs(z) <= 1) covered[j]++;
    }
  }
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
  };
  const perParameter: Record<string, { medianAbsError: number; coverage1Sigma: number; n: number }> = {};
  PARAMETER_NAMES.forEach((name, j) => {
    perParameter[name] = { medianAbsError: Number(median(errors[j]).toPrecision(4)), coverage1Sigma: Number((covered[j] / errors[j].length).toPrecision(4)), n: errors[j].length };
  });
  const all = errors.flat();
  return {
    curves: test.count,
    meanNll: Number((nll / count).toPrecision(6)),
    medianAbsError: Number(median(all).toPrecision(4)),
    meanAbsError: Number((all.reduce((a, b) => a + b, 0) / all.length).toPrecision(4)),
    note: "errors are fractions of each sample's [min, max] bounds; coverage1Sigma is the share of |truth − estimate| ≤ σ (0.683 when calibrated)",
    perParameter,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const started = performance.now();
  const backend = await initTf("wasm");
  console.log(`backend ${backend}; generating ${flags.samples} training and ${flags.test} test curves (seed ${flags.seed})`);
  const train = generateBatch(flags.seed, 0, flags.samples);
  const test = generateBatch(`${flags.seed}-test`, 0, flags.test);
  const generated = performance.now();
  console.log(`generated in ${((generated - started) / 1000).toFixed(1)} s`);

  const model = buildModel(flags.seed);
  const stepsPerEpoch = Math.floor(flags.samples / flags.batch);
  const totalSteps = stepsPerEpoch * flags.epochs;
  const optimizer = tf.train.adam(flags.lr);
  const random = createRandom(`train:${flags.seed}`);
  const order = Uint32Array.from({ length: flags.samples }, (_, i) => i);
  const xBatch = new Float32Array(flags.batch * INPUT_SIZE);
  const yBatch = new Float32Array(flags.batch * PARAMETER_COUNT);
  const wBatch = new Float32Array(flags.batch * PARAMETER_COUNT);
  let step = 0;
  for (let epoch = 0; epoch < flags.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = random.integer(i + 1);
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let epochLoss = 0;
    for (let b = 0; b < stepsPerEpoch; b++, step++) {
      for (let r = 0; r < flags.batch; r++) {
        const n = order[b * flags.batch + r];
        xBatch.set(train.inputs.subarray(n * INPUT_SIZE, (n + 1) * INPUT_SIZE), r * INPUT_SIZE);
        yBatch.set(train.targets.subarray(n * PARAMETER_COUNT, (n + 1) * PARAMETER_COUNT), r * PARAMETER_COUNT);
        wBatch.set(train.weights.subarray(n * PARAMETER_COUNT, (n + 1) * PARAMETER_COUNT), r * PARAMETER_COUNT);
      }
      // Adam reads its rate at every step
      optimizer.learningRate = flags.lr * (0.01 + 0.99 * 0.5 * (1 + Math.cos((Math.PI * step) / totalSteps)));
      const loss = tf.tidy(() => {
        const x = tf.tensor2d(xBatch, [flags.batch, INPUT_SIZE]);
        const y = tf.tensor2d(yBatch, [flags.batch, PARAMETER_COUNT]);
        const w = tf.tensor2d(wBatch, [flags.batch, PARAMETER_COUNT]);
        return optimizer.minimize(() => nllLoss(model.apply(x) as tf.Tensor2D, y, w), true)!;
      });
      epochLoss += (await loss.data())[0];
      loss.dispose();
      if ((b + 1) % 200 === 0) console.log(`  step ${step + 1}/${totalSteps}: batch NLL ${(epochLoss / (b + 1)).toFixed(4)} (${((performance.now() - started) / 60000).toFixed(1)} min)`);
    }
    const weights = exportWeights(model);
    const metrics = evaluate(weights, test);
    // every epoch writes its weights and manifest: a run stopped early ships its last epoch
    write(weights, metrics, epoch + 1);
    console.log(
      `epoch ${epoch + 1}/${flags.epochs}: train NLL ${(epochLoss / stepsPerEpoch).toFixed(4)}, test NLL ${String(metrics.meanNll)}, median |err| ${String(metrics.medianAbsError)} (${((performance.now() - started) / 60000).toFixed(1)} min)`,
    );
  }

  function write(weights: Float32Array, testMetrics: Record<string, unknown>, epochsCompleted: number): void {
    fs.mkdirSync(flags.out, { recursive: true });
    const binName = `estimator-v${LAYOUT_VERSION}.bin`;
    const bytes = Buffer.from(weights.buffer, weights.byteOffset, weights.byteLength);
    fs.writeFileSync(path.join(flags.out, binName), bytes);
    const manifest = {
      layoutVersion: LAYOUT_VERSION,
      architecture: layerSizes(),
      weights: { file: binName, values: weights.length, format: "float32 little-endian; per dense layer kernel [in][out] row-major then bias", sha256: crypto.createHash("sha256").update(bytes).digest("hex") },
      generator: {
        module: "src/learn/generator.ts",
        layoutVersion: LAYOUT_VERSION,
        parameters: PARAMETER_NAMES,
        gridPoints: GRID_POINTS,
        roughnessFraction: generatorSettings.ROUGHNESS_FRACTION,
        roughnessMax: generatorSettings.ROUGHNESS_MAX,
        angleOffsetMax_deg: generatorSettings.ANGLE_OFFSET_MAX_DEG,
        xrayEnergy_keV: generatorSettings.XRAY_ENERGY_KEV,
        neutronFixedAngle_deg: generatorSettings.NEUTRON_FIXED_ANGLE_DEG,
        fullPriorProbability: generatorSettings.FULL_PRIOR_PROBABILITY,
        trainingSeed: flags.seed,
        testSeed: `${flags.seed}-test`,
      },
      training: {
        command: `node --import tsx scripts/train.ts --seed ${flags.seed} --samples ${flags.samples} --epochs ${flags.epochs} --batch ${flags.batch} --lr ${flags.lr} --test ${flags.test}`,
        samples: flags.samples,
        epochs: flags.epochs,
        epochsCompleted,
        batch: flags.batch,
        learningRate: flags.lr,
        schedule: "cosine over all epochs' steps to 1 % of the rate",
        optimizer: "adam",
        loss: "Gaussian NLL on the present parameters",
        backend,
        tfjs: tf.version_core,
        wallTime_s: Number(((performance.now() - started) / 1000).toFixed(1)),
        machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? "?"}`,
      },
      testMetrics,
    };
    fs.writeFileSync(path.join(flags.out, `estimator-v${LAYOUT_VERSION}.json`), JSON.stringify(manifest, null, 2) + "\n");
    if (epochsCompleted === flags.epochs) {
      console.log(`wrote ${path.join(flags.out, binName)} (${(bytes.byteLength / 1e6).toFixed(2)} MB); test NLL ${String(testMetrics.meanNll)}, median |err| ${String(testMetrics.medianAbsError)}; ${manifest.training.wallTime_s} s`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(`train: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
});
