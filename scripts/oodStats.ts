/**
 * The learned estimator's out-of-distribution statistics (issue 19 part 4; learn/ood):
 * Gaussians of the curve, spectrum and hidden-layer features with their in-domain scales, the
 * outlier-exposure classifier (trained on `--curves` in-domain curves and as many
 * extra-layer stacks), the normalisations, and the threshold calibrated at the 97.5th
 * percentile of `--calibration` held-apart in-domain curves — deterministic from the seeds,
 * for the shipped weights (their SHA-256 is recorded; a retrain must rerun this script). The
 * estimator itself is not retrained. 145 s with the defaults on this 2-core machine.
 *
 * Usage: node --import tsx scripts/oodStats.ts [--curves 48000] [--calibration 2000]
 *        [--seed ood-1] [--out src/learn/weights]
 * Writes OUT/ood-v<layout>.json (manifest) and .bin (float32).
 */
import path from "node:path";
import { loadEstimator, manifestPath } from "../src/learn/estimator.ts";
import { computeOodStatistics, oodManifestPath, writeOodStatistics } from "../src/learn/ood.ts";

const flags = { curves: 48000, calibration: 2000, seed: "ood-1", out: "" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const value = argv[++i];
  if (value === undefined) throw new Error(`${arg} needs a value`);
  if (arg === "--curves" || arg === "--calibration") {
    const n = Number(value);
    if (!(Number.isInteger(n) && n > 0)) throw new Error(`${arg} must be a positive integer: ${value}`);
    flags[arg === "--curves" ? "curves" : "calibration"] = n;
  } else if (arg === "--seed") flags.seed = value;
  else if (arg === "--out") flags.out = value;
  else throw new Error(`unknown flag ${arg} (flags: --curves, --calibration, --seed, --out)`);
}
const estimator = loadEstimator(flags.out === "" ? manifestPath() : manifestPath(flags.out));
const started = performance.now();
const result = computeOodStatistics(estimator, {
  statisticsSeed: flags.seed,
  statisticsCurves: flags.curves,
  calibrationSeed: `${flags.seed}-calibration`,
  calibrationCurves: flags.calibration,
  command: `node --import tsx scripts/oodStats.ts --curves ${flags.curves} --calibration ${flags.calibration} --seed ${flags.seed}`,
});
const file = flags.out === "" ? oodManifestPath() : oodManifestPath(flags.out);
writeOodStatistics(result, file);
const m = result.statistics.manifest;
process.stdout.write(
  `wrote ${path.relative(process.cwd(), file)} (+ ${m.file}, ${(result.binary.byteLength / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(1)} s: threshold ${m.threshold.toFixed(4)}, calibration false alarms ${(100 * m.calibrationFalseAlarms).toFixed(2)} %\n`,
);
