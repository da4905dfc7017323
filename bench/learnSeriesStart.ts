/**
 * Issue 19 part 3, step 4 (a benchmark, not a test): how reliable and how fast the learned
 * estimator's start (`strata diagnose --start ml`, and `auto`: ml unless out of domain or
 * distribution or a misfit, then the global stage) is against the global stage (`--start
 * global`, the default) on the first scan of a campaign. For each seed of the families of
 * test/diagnosis/families.ts — X-ray through-electrolyte (`xrayElectrolyteScenario`, law
 * cycled over seeds, damage off) and neutron through-substrate (`neutronScenario`) — a
 * two-scan campaign is simulated (the simulator's minimum) and its first scan alone fitted by diagnosis/fitSeries
 * independentSeries with each start: the first scan's χ² over its points, whether it lands in
 * the truth's basin (interphase and Cu thickness within {@link INTERPHASE_BASIN_A} and
 * {@link CU_BASIN_A} of truth.json), and wall time. A series outside the network's domain
 * records the reason (`--start ml` refuses it; `auto` uses the global stage).
 *
 * Kind: statistics on Strata's own simulator fitted by Strata's own model — it measures the
 * search, not the physics.
 *
 * Usage: nice -n 10 node --import tsx bench/learnSeriesStart.ts [--seeds 10]
 *        [--out bench/learn-series-start-results.json]
 * Units: thickness Å; wall time s; χ² dimensionless.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { cellInput } from "../src/diagnosis/diagnose.ts";
import { independentSeries, type SeriesStart } from "../src/diagnosis/fitSeries.ts";
import { simulateCampaign } from "../src/simulation/simulate.ts";
import { FAMILY_LAWS, neutronScenario, xrayElectrolyteScenario } from "../test/diagnosis/families.ts";

/** A first-scan interphase thickness within this of the truth is the truth's basin (Å; a fringe slip moves it by tens). */
const INTERPHASE_BASIN_A = 3;
/** A Cu thickness within this of the truth is the truth's basin (Å; one fringe at Q ≈ 0.3 Å⁻¹ is ~20 Å). */
const CU_BASIN_A = 5;

/** A first-scan χ² within this fraction of the global stage's is the same optimum. */
const SAME_CHI2 = 0.01;

const flags = { seeds: 10, out: "bench/learn-series-start-results.json" };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  const value = argv[++i];
  if (arg === "--seeds" && Number.isInteger(Number(value)) && Number(value) > 0) flags.seeds = Number(value);
  else if (arg === "--out" && value !== undefined) flags.out = value;
  else throw new Error(`bad flag ${arg} ${value ?? ""} (flags: --seeds N, --out FILE)`);
}

interface Truth {
  cells: { A: { stack: { name: string; thickness_A?: number }[]; scans: { thickness_A: number }[] } };
}

interface Run {
  family: string;
  seed: number;
  start: SeriesStart;
  used?: string;
  reason?: string;
  error?: string;
  seconds?: number;
  chi2?: number;
  points?: number;
  interphase?: number;
  cu?: number;
  truthInterphase: number;
  truthCu: number;
  inBasin?: boolean;
  fromNetwork?: boolean;
}

const families: { name: string; scenario: (seed: number) => Record<string, unknown> }[] = [
  { name: "xray-electrolyte", scenario: (seed) => xrayElectrolyteScenario(seed, FAMILY_LAWS[seed % FAMILY_LAWS.length]) },
  { name: "neutron", scenario: (seed) => neutronScenario(seed, FAMILY_LAWS[seed % FAMILY_LAWS.length]) },
];
const runs: Run[] = [];
for (const family of families) {
  for (let seed = 1; seed <= flags.seeds; seed++) {
    const { damage: _damage, ...scenario } = family.scenario(seed);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-learn-series-"));
    try {
      const truth = simulateCampaign({ ...scenario, scans: { ...(scenario["scans"] as object), count: 2 } }, dir) as unknown as Truth;
      const campaign = await loadCampaign(dir);
      const manifest = campaign.manifest as unknown as { beam: { probe: "xray" | "neutron"; energy_keV?: number } };
      const input = cellInput(campaign, campaign.cells[0], manifest.beam.probe, manifest.beam, { damage: "off", cellIndex: 0 });
      const truthInterphase = truth.cells.A.scans[0].thickness_A;
      const truthCu = truth.cells.A.stack.find((l) => l.name === "Cu")?.thickness_A ?? NaN;
      for (const start of ["ml", "auto", "global"] as const) {
        const run: Run = { family: family.name, seed, start, truthInterphase, truthCu };
        const began = performance.now();
        try {
          const series = independentSeries({ ...input.series, scans: input.series.scans.slice(0, 1) }, { seed, start });
          run.seconds = (performance.now() - began) / 1000;
          const fit = series.fits[0];
          run.used = series.start?.used;
          run.fromNetwork = series.start?.firstScan?.from === "network";
          run.chi2 = fit.chi2;
          run.points = fit.points;
          run.interphase = fit.thickness;
          run.cu = fit.nuisance["Cu_thickness"];
          run.inBasin = Math.abs(fit.thickness - truthInterphase) <= INTERPHASE_BASIN_A && Math.abs((run.cu ?? NaN) - truthCu) <= CU_BASIN_A;
        } catch (error) {
          run.error = error instanceof Error ? error.message : String(error);
        }
        runs.push(run);
        const line = run.error ? `refused: ${run.error}` : `χ²/N ${(run.chi2! / run.points!).toFixed(3)}  SEI ${run.interphase!.toFixed(2)} (truth ${truthInterphase.toFixed(2)})  Cu ${run.cu!.toFixed(1)} (truth ${truthCu.toFixed(1)})  basin ${run.inBasin}  ${run.seconds!.toFixed(2)} s${start !== "global" ? `  used ${run.used}${run.used === "ml" ? ` from ${run.fromNetwork ? "network" : "nominal"}` : ""}` : ""}`;
        console.log(`${family.name} seed ${seed} ${start}: ${line}`);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
const summary: Record<string, unknown> = {};
for (const family of families) {
  for (const start of ["ml", "auto", "global"] as const) {
    const mine = runs.filter((r) => r.family === family.name && r.start === start);
    const fitted = mine.filter((r) => r.error === undefined);
    const seconds = fitted.map((r) => r.seconds!).sort((a, b) => a - b);
    summary[`${family.name}/${start}`] = {
      runs: mine.length,
      refused: mine.length - fitted.length,
      inBasin: fitted.filter((r) => r.inBasin).length,
      usedMl: fitted.filter((r) => r.used === "ml").length,
      fromNetwork: fitted.filter((r) => r.used === "ml" && r.fromNetwork).length,
      medianReducedChi2: fitted.length ? fitted.map((r) => r.chi2! / r.points!).sort((a, b) => a - b)[fitted.length >> 1] : null,
      medianSeconds: seconds.length ? seconds[seconds.length >> 1] : null,
      maxSeconds: seconds.length ? seconds[seconds.length - 1] : null,
      // χ² within SAME_CHI2 of the global stage's on the same seed: the same optimum
      atGlobalChi2: fitted.filter((r) => {
        const global = runs.find((g) => g.family === r.family && g.seed === r.seed && g.start === "global");
        return global?.chi2 !== undefined && r.chi2! <= global.chi2 * (1 + SAME_CHI2);
      }).length,
      refusal: mine.find((r) => r.error)?.error,
    };
  }
}
console.log(JSON.stringify(summary, null, 2));
fs.writeFileSync(flags.out, JSON.stringify({ generated: new Date().toISOString(), flags, basin: { interphase_A: INTERPHASE_BASIN_A, cu_A: CU_BASIN_A }, summary, runs }, null, 2) + "\n");
