/**
 * Issue 21 part 3: the diagnosis posterior's MCMC proposal, measured. The example campaign's
 * parabolic-law joint fit (11 parameters, 24 scans) is sampled with the same seed, walkers and
 * chain length under the former proposal (70 % independence moves from a t₅ scaled 1.2 and
 * re-centred on the burn-in walkers) and under {@link LAPLACE_PROPOSAL}; it reports the largest
 * and mean integrated autocorrelation time τ (steps), the steps a chain needs to reach
 * 50 τ, and the wall time (one thread). `node --import tsx bench/run.ts proposal`.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { cellInput } from "../src/diagnosis/diagnose.ts";
import { independentSeries, jointLawFit, LAPLACE_PROPOSAL, POSTERIOR_MIXING_DEFAULTS, regressOnThickness, withCovariance } from "../src/diagnosis/fitSeries.ts";
import { seriesScales } from "../src/diagnosis/seriesModel.ts";
import { ensembleSampler, startFromFit } from "../src/optimize/ensembleSampler.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FORMER_PROPOSAL = { fraction: 0.7, dof: 5, scale: 1.2, adapt: true } as const;
const WALKERS = 24;
const KEPT_STEPS = 300;
const BURN = 50;

const upperMedian = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

export async function benchProposal(): Promise<Record<string, number | string>> {
  const campaign = await loadCampaign(path.join(root, "examples", "campaign"));
  const manifest = campaign.manifest as unknown as { beam: { probe: "xray" | "neutron"; energy_keV?: number; wavelength_A?: number } };
  const { series } = cellInput(campaign, campaign.cells[0], manifest.beam.probe, manifest.beam);
  const fits = independentSeries(series, { seed: 1 }).fits;
  const scales = seriesScales(series, Math.max(Math.abs(fits[fits.length - 1].thickness - fits[0].thickness), 1));
  scales.firstThickness = Math.max(fits[0].thickness, 1);
  const nuisance = Object.fromEntries(Object.keys(fits[0].nuisance).map((name) => [name, upperMedian(fits.map((f) => f.nuisance[name]))]));
  const densities = fits.map((f) => f.density).filter((d): d is number => d !== undefined);
  const law = "parabolic";
  const lawFit = withCovariance(
    jointLawFit(series, law, scales, { regression: regressOnThickness(series, fits, law, scales), roughness: upperMedian(fits.map((f) => f.roughness)), density: densities.length > 0 ? upperMedian(densities) : undefined, nuisance }),
  );
  const out: Record<string, number | string> = { problem: `example campaign, ${law} law, ${lawFit.k} parameters, ${WALKERS} walkers, ${BURN} + ${KEPT_STEPS} steps, 1 thread` };
  for (const [name, proposal] of [["former", FORMER_PROPOSAL], ["current", LAPLACE_PROPOSAL]] as const) {
    const started = performance.now();
    const result = ensembleSampler(lawFit.series.objective, {
      walkers: WALKERS,
      steps: KEPT_STEPS,
      burn: BURN,
      seed: 1,
      move: "de",
      independence: { ...proposal, center: lawFit.fit.values, covariance: lawFit.fit.covariance },
      start: startFromFit(lawFit.fit, 0.5),
      tauFactor: POSTERIOR_MIXING_DEFAULTS.tauFactor,
    });
    const tau = Array.from(result.autocorrelationTime);
    const maxTau = Math.max(...tau);
    out[`${name}: max τ (steps)`] = maxTau;
    out[`${name}: mean τ (steps)`] = tau.reduce((a, b) => a + b, 0) / tau.length;
    out[`${name}: kept steps for 50 τ`] = Math.ceil(POSTERIOR_MIXING_DEFAULTS.tauFactor * maxTau);
    out[`${name}: s for ${BURN + KEPT_STEPS} steps`] = (performance.now() - started) / 1000;
  }
  return out;
}
