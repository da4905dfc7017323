/**
 * @module report/fitReport
 * report.html of `strata fit --out DIR`: one self-contained page (inline SVG, no script
 * needed to see it, no network) in the look of the diagnosis report. The fit's numbers
 * first, each uncertainty saying what it is; then for every dataset the data with error
 * bars and the fitted curve (log R and R·Q⁴ against Q) over the normalised residuals
 * (R − fit)/dR; the SLD profile of every model at the best fit with, after MCMC, the
 * central 95 % band of the profiles of posterior draws; after MCMC the corner and trace
 * plots. When the learned estimator gave the fit's start (`strata fit --start ml|auto`), a
 * small table sets its estimate (a start only) beside the refined values.
 * Units: Q in Å⁻¹, z in Å, SLD in 10⁻⁶ Å⁻², R dimensionless.
 */
import { centralIntervals, percentileSorted } from "../core/quantiles.ts";
import { profileDepths, sldProfile } from "../kernels/reflectivity/profile.ts";
import type { Problem } from "../fit/problem.ts";
import { DATA_CONSTRAINED_RATIO, PRIOR_DOMINATED_RATIO, type PriorComparison } from "../fit/priorComparison.ts";
import type { EnsembleResult } from "../optimize/ensembleSampler.ts";
import type { LeastSquaresResult } from "../optimize/result.ts";
import type { Parameter } from "../params/index.ts";
import { bandPlot, cornerPlot, MAX_CORNER_POINTS, tracePlots, type ChainView } from "./posteriorPlots.ts";
import { linePlot, type Series } from "./svgPlot.ts";
import { REPORT_BASE_CSS } from "./pageStyle.ts";

/** What each uncertainty of the fit is, in words (strata fit's text, JSON and this page say the same). */
export interface UncertaintyWords {
  /** What `stderr` is, e.g. "LM standard error, scaled by √χ²_red = 28.7". */
  readonly stderr: string;
  /** What `stderrUnscaled` is. */
  readonly stderrUnscaled: string;
  /** What the posterior intervals are (after MCMC). */
  readonly posterior?: string;
  /** The likelihood the posterior was sampled with, e.g. "unscaled likelihood: dR taken as the true σ" (after MCMC). */
  readonly likelihood?: string;
  /** Why the two differ, when χ²_red ≫ 1 and both are shown. */
  readonly note?: string;
}

export interface FitReportInput {
  readonly title: string;
  readonly problem: Problem;
  readonly leastSquares: LeastSquaresResult;
  readonly sampler: EnsembleResult | undefined;
  readonly method: string;
  readonly uncertainty: UncertaintyWords;
  readonly warnings: readonly string[];
  /** Posterior draws whose SLD profiles make the band. @default 200 */
  readonly draws?: number;
  /** Where the first optimisation started ("ml": the network's estimate, "nominal", "global", "staged": each group of datasets fitted alone first) and why. @default least squares from the problem's values, or DE for method "de" */
  readonly start?: { readonly used: "ml" | "nominal" | "global" | "staged"; readonly reason: string };
  /** The network's estimate per parameter and the refined value, when it gave the start. */
  readonly networkStart?: readonly { readonly name: string; readonly network: number; readonly sigma: number; readonly refined: number | undefined }[];
  /** Each varying parameter's posterior width against its prior's (which the data constrain). */
  readonly priorComparison?: PriorComparison;
}

/** Depth points of a profile. */
const PROFILE_POINTS = 400;
/** Default number of posterior draws whose profiles make the 95 % band. */
const DEFAULT_PROFILE_DRAWS = 200;

const escapeHtml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const fmt = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined || !Number.isFinite(x) ? "not determined" : Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : x.toPrecision(digits);
const basename = (file: string): string => file.split(/[\\/]/).pop() ?? file;

/**
 * Units of each parameter: its own `unit`, else those of the model field it stands for
 * (thickness, roughness: Å; sld, isld: 10⁻⁶ Å⁻²; a material's density: g/cm³) — found by
 * identity in the models' layers, so a shared parameter (`{"ref": NAME}`) gets them too.
 */
function unitsOf(problem: Problem): (parameter: Parameter) => string {
  const fieldUnits = new Map<Parameter, string>();
  for (const model of problem.models.values()) {
    for (const layer of model.layers) {
      fieldUnits.set(layer.thickness, "Å");
      fieldUnits.set(layer.roughness, "Å");
      if (layer.sld) fieldUnits.set(layer.sld, "10⁻⁶ Å⁻²");
      if (layer.isld) fieldUnits.set(layer.isld, "10⁻⁶ Å⁻²");
      if (layer.material) fieldUnits.set(layer.material.density, "g/cm³");
    }
  }
  return (parameter) => parameter.unit ?? fieldUnits.get(parameter) ?? "";
}

/** A model's slab table filler and buffers, compiled once against the fit space. */
function slabMaker(problem: Problem, modelId: string): { slabs: (values: Float64Array) => { slabs: Float64Array; scalars: Float64Array } } {
  const model = problem.models.get(modelId)!;
  const fill = model.bind(problem.objective.space);
  return {
    slabs: (values) => {
      const slabs = new Float64Array(model.rows * 4);
      const scalars = new Float64Array(model.scalarCount);
      fill(values, slabs, scalars);
      return { slabs, scalars };
    },
  };
}

/** Evenly spread indices of `count` stored samples out of `total` (walker varies fastest, so draws span walkers and steps). */
function spreadIndices(total: number, count: number): number[] {
  const n = Math.min(total, count);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * total) / n));
}

/** The SLD profile at the best fit and, from posterior draws, its central 95 % band at each depth. */
export interface ProfileWithBand {
  z: Float64Array;
  best: Float64Array;
  /** 2.5th, 50th and 97.5th percentiles of the draws' SLD at each z, with the draws' count. */
  band?: { lo: Float64Array; median: Float64Array; hi: Float64Array; draws: number };
}

/**
 * SLD profile of a model at θ_best and, when a chain is given, the 2.5/50/97.5 percentiles
 * over `draws` stored samples at each depth, on one z grid covering every draw's stack.
 */
export function profileWithBand(problem: Problem, modelId: string, best: Float64Array, sampler: EnsembleResult | undefined, draws = DEFAULT_PROFILE_DRAWS): ProfileWithBand {
  const objective = problem.objective;
  const maker = slabMaker(problem, modelId);
  const bestSlabs = maker.slabs(objective.valuesAt(best)).slabs;
  const tables: Float64Array[] = [];
  if (sampler && sampler.keptSteps > 0) {
    const p = sampler.params;
    const theta = new Float64Array(p);
    for (const i of spreadIndices(sampler.keptSteps * sampler.walkers, draws)) {
      for (let j = 0; j < p; j++) theta[j] = sampler.chain[i * p + j];
      tables.push(maker.slabs(objective.valuesAt(theta)).slabs);
    }
  }
  let start = Infinity;
  let end = -Infinity;
  for (const slabs of [bestSlabs, ...tables]) {
    const ends = profileDepths(slabs, 2);
    start = Math.min(start, ends[0]);
    end = Math.max(end, ends[1]);
  }
  const z = Float64Array.from({ length: PROFILE_POINTS }, (_, i) => start + ((end - start) * i) / (PROFILE_POINTS - 1));
  const result: ProfileWithBand = { z, best: sldProfile(bestSlabs, z).sld };
  if (tables.length > 0) {
    const profiles = tables.map((slabs) => sldProfile(slabs, z).sld);
    const lo = new Float64Array(z.length);
    const median = new Float64Array(z.length);
    const hi = new Float64Array(z.length);
    const column = new Float64Array(profiles.length);
    for (let i = 0; i < z.length; i++) {
      for (let d = 0; d < profiles.length; d++) column[d] = profiles[d][i];
      column.sort();
      lo[i] = percentileSorted(column, 2.5);
      median[i] = percentileSorted(column, 50);
      hi[i] = percentileSorted(column, 97.5);
    }
    result.band = { lo, median, hi, draws: profiles.length };
  }
  return result;
}

/** Data, best-fit curve and normalised residuals of one dataset (one curve of the problem). */
interface DatasetCurves {
  name: string;
  model: string;
  q: Float64Array;
  r: Float64Array;
  dr: Float64Array;
  fit: Float64Array;
  residual: Float64Array;
  chi2: number;
}

function datasetCurves(problem: Problem, best: Float64Array): DatasetCurves[] {
  const values = Float64Array.from(problem.objective.valuesAt(best));
  const makers = new Map<string, ReturnType<typeof slabMaker>>();
  return problem.terms.map((term, k) => {
    const modelId = problem.datasetModels[k];
    let maker = makers.get(modelId);
    if (!maker) makers.set(modelId, (maker = slabMaker(problem, modelId)));
    const { slabs, scalars } = maker.slabs(values);
    const fit = term.evaluateAt(slabs, scalars[0], scalars[1], scalars);
    const residual = term.y.map((y, i) => (y - fit[i]) / term.sigma[i]);
    let chi2 = 0;
    for (const r of residual) chi2 += r * r;
    return { name: basename(term.name), model: modelId, q: term.q, r: term.y, dr: term.sigma, fit, residual, chi2 };
  });
}

function datasetSection(curves: DatasetCurves, k: number): string {
  const label = `dataset ${k + 1} (${curves.name}, model ${curves.model})`;
  // plot titles short enough for the plot; the heading above names the file
  const tag = `dataset ${k + 1}`;
  const q4 = (v: ArrayLike<number>): number[] => Array.from(v, (x, i) => x * curves.q[i] ** 4);
  const data: Series = { name: "data ± dR", x: curves.q, y: curves.r, yError: curves.dr, style: "points", color: "#333" };
  const fit: Series = { name: "best fit", x: curves.q, y: curves.fit, color: "#d62728" };
  const logR = linePlot([data, fit], { title: `Reflectivity, ${tag}`, xLabel: "Q (Å⁻¹)", yLabel: "R", logY: true });
  const rq4 = linePlot(
    [
      { ...data, y: q4(curves.r), yError: q4(curves.dr) },
      { ...fit, y: q4(curves.fit) },
    ],
    { title: `R·Q⁴, ${tag}`, xLabel: "Q (Å⁻¹)", yLabel: "R·Q⁴ (Å⁻⁴)", logY: true },
  );
  const qEnds = [curves.q[0], curves.q[curves.q.length - 1]];
  const residuals = linePlot(
    [
      { name: "(R − fit)/dR", x: curves.q, y: curves.residual, style: "points", color: "#1f77b4" },
      { name: "±2", x: qEnds, y: [2, 2], color: "#888", style: "dashed" },
      { name: " ", x: qEnds, y: [-2, -2], color: "#888", style: "dashed" },
      { name: " ", x: qEnds, y: [0, 0], color: "#bbb" },
    ],
    { title: `Normalised residuals, ${tag}`, xLabel: "Q (Å⁻¹)", yLabel: "(R − fit)/dR", height: 260 },
  );
  const n = curves.q.length;
  return `<h3>${escapeHtml(label)}</h3>
<p>${n} points; χ² of this dataset ${fmt(curves.chi2, 5)} (χ²/N = ${fmt(curves.chi2 / n, 4)}).</p>
<div class="plots">${logR}${rq4}</div>
<div class="plots">${residuals}</div>`;
}

/** Profiles of the models the datasets use; models whose best-fit stacks are identical share one plot. */
function profileSection(input: FitReportInput): string {
  const { problem, leastSquares, sampler } = input;
  const modelIds = [...new Set(problem.datasetModels)];
  const groups: { ids: string[]; key: string }[] = [];
  const values = Float64Array.from(problem.objective.valuesAt(leastSquares.values));
  for (const id of modelIds) {
    const key = Array.from(slabMaker(problem, id).slabs(values).slabs, (x) => x.toPrecision(12)).join(",");
    const same = groups.find((g) => g.key === key);
    if (same) same.ids.push(id);
    else groups.push({ ids: [id], key });
  }
  const plots = groups.map((group) => {
    const profile = profileWithBand(problem, group.ids[0], leastSquares.values, sampler, input.draws ?? DEFAULT_PROFILE_DRAWS);
    const names = group.ids.length > 1 ? `models ${group.ids.join(", ")} (same stack)` : `model ${group.ids[0]}`;
    const bands = profile.band ? [{ name: `95 % posterior band (${profile.band.draws} draws)`, x: profile.z, lo: profile.band.lo, hi: profile.band.hi, color: "#1f77b4" }] : [];
    const lines = [
      { name: "best fit (least squares)", x: profile.z, y: profile.best, color: "#d62728" },
      ...(profile.band ? [{ name: "posterior median", x: profile.z, y: profile.band.median, color: "#1f77b4", dashed: true }] : []),
    ];
    const title = `SLD profile, ${names}`;
    // wide enough for its title (≈ 8.8 px a character at 15 px bold)
    return bandPlot(bands, lines, { title, xLabel: "z (Å), beam side at left", yLabel: "SLD (10⁻⁶ Å⁻²)", width: Math.max(640, Math.ceil(8.8 * title.length)) });
  });
  const how = sampler && sampler.keptSteps > 0
    ? `<p>The band is the central 95 % (2.5th to 97.5th percentile) of the SLD at each depth over the profiles of ${Math.min(input.draws ?? DEFAULT_PROFILE_DRAWS, sampler.keptSteps * sampler.walkers)} posterior draws spread evenly over the stored chain; ${escapeHtml(input.uncertainty.posterior ?? "")}.</p>`
    : `<p>Least-squares fit only: no posterior band (run <code>--method mcmc</code> for one).</p>`;
  return `<h2>SLD profiles</h2>${how}<div class="plots">${plots.join("")}</div>`;
}

function parameterTable(input: FitReportInput): string {
  const { problem, leastSquares, sampler } = input;
  const objective = problem.objective;
  const parameterUnit = unitsOf(problem);
  const rows = objective.names.map((name, i) => {
    const unit = parameterUnit(objective.space.varying[i]);
    const post = sampler?.summaries[i];
    const posteriorCells = sampler
      ? `<td>${fmt(post?.median, 5)}</td><td>[${fmt(post?.lo68, 5)}, ${fmt(post?.hi68, 5)}]</td><td>[${fmt(post?.lo95, 5)}, ${fmt(post?.hi95, 5)}]</td><td>${fmt(sampler.autocorrelationTime[i], 3)}</td><td>${fmt(sampler.effectiveSampleSize[i], 3)}</td>`
      : "";
    const versus = input.priorComparison?.parameters[name];
    const priorCell = input.priorComparison
      ? `<td>${versus?.ratio === null || versus?.ratio === undefined ? "no proper prior" : `${fmt(versus.ratio, 2)} (${escapeHtml(versus.constrainedBy ?? "")})`}</td>`
      : "";
    return `<tr><td>${escapeHtml(name)}</td><td>${escapeHtml(unit)}</td><td>${fmt(leastSquares.values[i], 6)}</td><td>± ${fmt(leastSquares.stderr[i], 3)}</td><td>± ${fmt(leastSquares.stderrUnscaled[i], 3)}</td>${posteriorCells}${priorCell}</tr>`;
  });
  const constrained = objective.space.parameters.filter((p) => p.constrained);
  const values = objective.valuesAt(leastSquares.values);
  for (const parameter of constrained) {
    const empty = (sampler ? "<td></td>".repeat(5) : "") + (input.priorComparison ? "<td></td>" : "");
    rows.push(`<tr><td>${escapeHtml(problem.displayName(parameter))} (constrained)</td><td>${escapeHtml(parameterUnit(parameter))}</td><td>${fmt(values[objective.space.slotOf(parameter)], 6)}</td><td>—</td><td>—</td>${empty}</tr>`);
  }
  const posteriorHead = sampler ? "<th>posterior median</th><th>68 % credible interval</th><th>95 % credible interval</th><th>τ (steps)</th><th>ESS</th>" : "";
  const words = input.uncertainty;
  const priorHead = input.priorComparison ? "<th>posterior sd / prior sd (constrained by)</th>" : "";
  return `<table class="parameters"><thead><tr><th>parameter</th><th>unit</th><th>best fit (least squares)</th><th>${escapeHtml(words.stderr)}</th><th>${escapeHtml(words.stderrUnscaled)}</th>${posteriorHead}${priorHead}</tr></thead><tbody>${rows.join("")}</tbody></table>
<ul class="legend"><li><b>${escapeHtml(words.stderr)}</b>: √ of the diagonal of the least-squares covariance (JᵀJ)⁻¹ at the optimum${leastSquares.scaleCovar ? ", the covariance multiplied by χ²_red (as if every dR were too small by √χ²_red)" : ""}.</li>
<li><b>${escapeHtml(words.stderrUnscaled)}</b>: √ of the diagonal of (JᵀJ)⁻¹ alone, every dR taken as the true σ.</li>
${words.posterior ? `<li><b>posterior</b>: ${escapeHtml(words.posterior)}; τ is the integrated autocorrelation time, ESS the effective sample size.</li>` : ""}${
    input.priorComparison
      ? `<li><b>posterior sd / prior sd</b>: ${escapeHtml(input.priorComparison.from)}; ≤ ${DATA_CONSTRAINED_RATIO}: the data decided the value; ≥ ${PRIOR_DOMINATED_RATIO}: the value is the prior's, the data narrowed it by 10 % or less.</li>`
      : ""
  }</ul>`;
}

function posteriorSection(input: FitReportInput): string {
  const sampler = input.sampler;
  if (!sampler) return "";
  if (sampler.keptSteps === 0) return `<h2>Posterior</h2><p class="bad">No steps were kept after the burn-in (fit.mcmc.steps 0): no corner or trace plots.</p>`;
  const varying = input.problem.objective.space.varying;
  const view: ChainView = {
    names: sampler.names,
    units: varying.map(unitsOf(input.problem)),
    walkers: sampler.walkers,
    keptSteps: sampler.keptSteps,
    chain: sampler.chain,
    burn: sampler.burn,
    thin: sampler.thin,
  };
  const draws = sampler.walkers * sampler.keptSteps;
  const corner = cornerPlot(view, { title: `Corner plot: ${draws} stored draws (histograms of all, scatter of ${Math.min(draws, MAX_CORNER_POINTS)}; median solid, 95 % dashed)`, reference: { name: "least-squares best fit", values: input.leastSquares.values } });
  const mixing = sampler.mixing;
  return `<h2>Posterior</h2>
<p>${sampler.walkers} walkers × ${sampler.keptSteps * sampler.thin} steps kept (thinned by ${sampler.thin}) after ${sampler.burn} burn-in steps; ${sampler.stepsRun} steps run; acceptance ${fmt(mixing.keptAcceptance, 2)}; ${mixing.mixed ? '<span class="ok">mixed</span>' : `<span class="bad">not mixed (${escapeHtml(mixing.stop)})</span>`}: τ ≤ ${fmt(mixing.maxTau.tau, 3)} steps (${escapeHtml(mixing.maxTau.name)}), ESS ≥ ${fmt(mixing.minEssReached.ess, 3)} (${escapeHtml(mixing.minEssReached.name)}).</p>
<h3>Corner plot</h3>
<div class="plots">${corner}</div>
<h3>Traces</h3>
<p>Each walker's stored chain per parameter against the step number; the shaded stretch is the burn-in, run and discarded (its positions are not stored).</p>
<div class="plots">${tracePlots(view).join("")}</div>`;
}

/** The network's estimate (a start) beside the refined values, when the network gave the start. */
function networkStartSection(input: FitReportInput): string {
  const rows = input.networkStart;
  if (!rows || rows.length === 0) return "";
  const body = rows.map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${fmt(r.network, 5)} ± ${fmt(r.sigma, 2)}</td><td>${fmt(r.refined, 6)}</td></tr>`).join("");
  return `<h3>Network estimate (start) vs refined value</h3>
<p>The learned estimator's answer was used only as the start of the least-squares fit; the results above are the refined ones. ${escapeHtml(input.start?.reason ?? "")}</p>
<table class="network-start"><thead><tr><th>parameter</th><th>network estimate ± its 1-σ (start)</th><th>refined value</th></tr></thead><tbody>${body}</tbody></table>`;
}

/** The report page of a fit. */
export function fitReport(input: FitReportInput): string {
  const { leastSquares, problem } = input;
  const curves = datasetCurves(problem, leastSquares.values);
  const used = input.start?.used ?? (input.method === "de" ? "global" : "nominal");
  const first = used === "global" ? "differential evolution polished by least squares" : used === "ml" ? "least squares from the learned estimator's start" : used === "staged" ? "least squares from each group of datasets' own fit (a staged start)" : "least squares (Levenberg–Marquardt)";
  const summary = `${input.method === "mcmc" ? `MCMC posterior after ${first}` : first}: χ² = ${fmt(leastSquares.chi2, 6)}, reduced χ² = ${fmt(leastSquares.reducedChi2, 4)} (${leastSquares.nData} points, ${leastSquares.nFree} free parameters${problem.terms.length > 1 ? `, ${problem.terms.length} datasets fitted jointly` : ""}).`;
  const note = input.uncertainty.note ? `<p class="note">${escapeHtml(input.uncertainty.note)}</p>` : "";
  const warnings = input.warnings.length > 0 ? `<h3>Warnings</h3><ul class="flags">${input.warnings.map((w) => `<li class="warning">${escapeHtml(w)}</li>`).join("")}</ul>` : "";
  const spread = centralIntervals(curves.flatMap((c) => Array.from(c.residual)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>
${REPORT_BASE_CSS}
.note{background:#fff8e6;border-left:5px solid #d48a00;padding:.6rem 1rem}
.flags li.warning{color:#8a4b00}
table{border-collapse:collapse;margin:.5rem 0} table.parameters td:nth-child(2){white-space:nowrap} td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right} td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots svg{border:1px solid #ddd;border-radius:4px}
.ok{color:#17702a;font-weight:600} .bad{color:#b00020;font-weight:600}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<p class="verdict">${escapeHtml(summary)}</p>
${note}
<h2>Parameters</h2>
${parameterTable(input)}
${networkStartSection(input)}
${warnings}
<h2>Data, fit and residuals</h2>
<p>Normalised residuals over all datasets: median ${fmt(spread.median, 3)}, central 95 % [${fmt(spread.lo95, 3)}, ${fmt(spread.hi95, 3)}] (about [−2, 2] when the model reaches the data within dR).</p>
${curves.map(datasetSection).join("\n")}
${profileSection(input)}
${posteriorSection(input)}
<script>window.__plotsDone = document.querySelectorAll("svg.plot").length;</script>
</body></html>
`;
}

