/**
 * @module report/diagnosisReport
 * report.html of `strata diagnose`: one self-contained page (inline SVG, a few lines of
 * script only to switch the selected scan; no network). The verdict first, then the
 * evidence: reflectivity with fits and residuals per scan, SLD profiles through time,
 * thickness/roughness/density against time with credible bands over the potential and
 * current trace, the growth-law comparison, beam damage (dose per spot, observed and
 * zero-dose thickness, evidence), impedance, consistency and quality flags.
 */
import { linePlot, type Series } from "./svgPlot.ts";
import { INDISTINGUISHABLE_DELTA_IC, MIN_SCANS_FOR_LAWS, trustOf, type CellDiagnosis, type QualityFlag } from "../diagnosis/diagnoseCell.ts";
import type { PopulationSection } from "../diagnosis/diagnose.ts";
import type { PopulationResult } from "../diagnosis/population.ts";
import { REPORT_BASE_CSS } from "./pageStyle.ts";
import { interpolateLinear } from "../materials/tables.ts";

export interface ReportCell {
  id: string;
  interphase: string;
  diagnosis: CellDiagnosis;
  trace: { time_s: Float64Array; potential_V: Float64Array; current_A: Float64Array } | undefined;
}

const escapeHtml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const hours = (t: number): number => t / 3600;
/** A number to a few digits; a value that came out non-finite says so instead of a dash (issue 16 part 2). */
const fmt = (x: number, digits = 3): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(digits - 1) : x.toPrecision(digits)) : `not computed (${String(x)})`);

const LAW_TEXT: Record<string, string> = {
  linear: "linear (reaction-limited) growth",
  parabolic: "parabolic (diffusion-limited) growth",
  mixed: "mixed reaction–diffusion (Deal–Grove) growth",
  logarithmic: "logarithmic (self-passivating) growth",
  charge: "growth in step with the reduction charge",
};

/** Significant digits that keep an interval's ends apart (at least 3). */
function intervalDigits(interval: { median: number; lo95: number; hi95: number }): number {
  const width = interval.hi95 - interval.lo95;
  if (!(width > 0) || !(Math.abs(interval.median) > 0)) return 3;
  return Math.min(8, Math.max(3, Math.ceil(Math.log10(Math.abs(interval.median) / width)) + 2));
}

const hasInterval = (i: { lo95: number; hi95: number } | undefined): boolean => i !== undefined && Number.isFinite(i.lo95) && Number.isFinite(i.hi95);

/**
 * Why a cell's per-scan values carry no 95 % interval (issue 16 part 2: never a "—" in
 * place of one). Joint mode samples a posterior; independent mode gives each scan's fit
 * standard error, which is missing when the fit's curvature matrix is singular.
 */
function noIntervalReason(d: ReportCell["diagnosis"]["detail"]): string {
  if (d.posterior) return "the posterior's draws do not spread (a degenerate chain)";
  const why = d.timeline.length < MIN_SCANS_FOR_LAWS ? `fewer than ${MIN_SCANS_FOR_LAWS} scans leave no law-constrained fit to sample` : "the fits are per scan (--mode independent)";
  return `no posterior: MCMC skipped because ${why}, and the scan's own fit gives no standard error (its curvature matrix is singular: a parameter these data do not determine)`;
}

/** "[95 %: lo–hi unit]", or why there is no interval. */
function intervalText(interval: { median: number; lo95: number; hi95: number }, unit: string, digits: number, why: string): string {
  return hasInterval(interval) ? `[95 %: ${fmt(interval.lo95, digits)}–${fmt(interval.hi95, digits)} ${unit}]` : `(no 95 % interval: ${why})`;
}

/** The short reason a not-trustworthy flag puts at the head of the verdict. */
function reasonText(flag: QualityFlag, scans: number): string {
  switch (flag.code) {
    case "untrustworthy":
      return "the fits do not reach the data";
    case "fits-not-converged":
      return flag.message.replace(/ \(their thicknesses are the reported numbers\)$/, "");
    case "mcmc-time-cap":
      return "the MCMC chain stopped at its wall-time cap before mixing, so its intervals are not reliable";
    case "mcmc-not-mixed":
      return "the MCMC chain stopped at its length cap before mixing, so its intervals are not reliable";
    case "too-few-scans":
      return `${scans} scan${scans === 1 ? " is" : "s are"} too few to compare growth laws (at least ${MIN_SCANS_FOR_LAWS} are needed)`;
    default:
      return flag.message;
  }
}

/** The growth-law part of a verdict: the best law, or every law the data cannot tell from it. */
function lawText(d: ReportCell["diagnosis"]["detail"]): string {
  if (d.comparison.length === 0) return "no growth law (none could be compared)";
  const best = d.comparison[0];
  // one law has all of the evidence only because no other was asked for
  if (d.comparison.length === 1) return `${LAW_TEXT[best.law]} (the only law compared)`;
  // laws within ΔAICc < 2 of the best are not distinguished by these data (Burnham & Anderson)
  const rivals = d.comparison.slice(1).filter((c) => c.deltaIC < INDISTINGUISHABLE_DELTA_IC);
  const share = (c: { law: string; weight: number }): string => `${c.law} ${(100 * c.weight).toFixed(0)} %`;
  if (rivals.length > 0) {
    const named = [best, ...rivals].map((c) => LAW_TEXT[c.law] ?? c.law);
    return `${named.slice(0, -1).join(", ")} or ${named[named.length - 1]} — these data cannot tell them apart (${[best, ...rivals].map(share).join(", ")} of the evidence)`;
  }
  const second = d.comparison[1];
  return `${LAW_TEXT[best.law]} (${(100 * best.weight).toFixed(0)} % of the evidence${second && best.weight < 0.9 ? `; next: ${share(second)}` : ""})`;
}

/**
 * The verdict sentence of a cell: what the interphase is doing and how sure we are. When
 * the quality flags say the numbers are not solid (see trustOf), it leads with
 * "NOT TRUSTWORTHY — " and the reasons, and gives the numbers only as a best attempt.
 */
export function verdict(cell: ReportCell): string {
  const d = cell.diagnosis.detail;
  const timeline = d.timeline;
  const trust = trustOf(d.quality);
  if (timeline.length === 0) return `Cell ${cell.id}: NOT TRUSTWORTHY — no usable scans: nothing to diagnose.`;
  const first = timeline[0];
  const last = timeline[timeline.length - 1];
  const growth = last.thickness.median - first.thickness.median;
  const errors = d.quality.filter((q) => q.level !== "info").length;
  const flagsBelow = `${errors} quality flag${errors === 1 ? "" : "s"} below`;
  if (!trust.trustworthy) {
    // a diagnosis whose numbers are not solid gets no confident headline (issue 13 part 2, issue 16 part 2)
    const reasons = [...new Set(trust.reasons.map((q) => reasonText(q, timeline.length)))];
    const tooFew = trust.reasons.some((q) => q.code === "too-few-scans");
    const onlyTooFew = trust.reasons.every((q) => q.code === "too-few-scans");
    const span = `${fmt(first.thickness.median, 3)} → ${fmt(last.thickness.median, 3)} Å over ${fmt(hours(last.time_s - first.time_s), 3)} h`;
    const what = onlyTooFew
      ? `No growth law is reported (per-scan thicknesses: ${span})`
      : `The ${cell.interphase}'s ${tooFew ? "thickness is therefore not reported as a finding" : "thickness and growth law are therefore not reported as findings"} (best attempt: ${span}, ${tooFew || d.comparison.length === 0 ? "no growth law" : `${d.bestLaw} law`})`;
    return `Cell ${cell.id}: NOT TRUSTWORTHY — ${reasons.join("; ")}. ${what}. ${flagsBelow} say why.`;
  }
  const digits = intervalDigits(last.thickness);
  return (
    `Cell ${cell.id}: the ${cell.interphase} ${growth >= 0 ? "grew" : "thinned"} from ${fmt(first.thickness.median, digits)} Å to ${fmt(last.thickness.median, digits)} Å ` +
    `${intervalText(last.thickness, "Å", digits, noIntervalReason(d))} over ${fmt(hours(last.time_s - first.time_s), 3)} h, following ${lawText(d)}. ` +
    (errors === 0 ? "No quality flags: the numbers below can be relied on." : `${flagsBelow}: read them before using these numbers.`)
  );
}

/** One population parameter in a line: median, cell-to-cell log-sd, the pooling model that predicts best. */
function populationParameterText(p: PopulationResult): string {
  return `${p.parameter}: median ${fmt(p.populationMedian.median, 4)} [95 %: ${fmt(p.populationMedian.lo95, 4)}–${fmt(p.populationMedian.hi95, 4)}] ${p.unit}, cell-to-cell log-sd ${fmt(p.logSd.median, 3)} [${fmt(p.logSd.lo95, 3)}–${fmt(p.logSd.hi95, 3)}] (${p.comparison[0].model} predicts best)`;
}

/** One line on the population across cells, for the terminal and the report. */
export function populationVerdict(population: PopulationSection): string {
  if (!population.fitted) return `Population of ${population.cells.length} cells: not fitted — ${population.reason ?? ""}`;
  const parts = Object.values(population.parameters).map(populationParameterText);
  const alternatives = (population.alternatives ?? []).map((a) => ` Under the ${a.law} law (pooled ΔAICc ${fmt(a.deltaIC, 2)}): ${Object.values(a.parameters).map(populationParameterText).join("; ")}.`);
  const own = population.lawChoice?.cells.filter((c) => c.ownLaw !== population.law).map((c) => `${c.cell}: ${c.ownLaw}`) ?? [];
  const chosen = population.lawChoice ? `${population.law} law, chosen by the pooled evidence of all cells${own.length > 0 ? `; alone, ${own.join(", ")}` : ""}` : `${population.law} law`;
  const contradicting = population.lawChoice?.cells.filter((c) => c.contradicts).map((c) => c.cell) ?? [];
  const disagreement = contradicting.length > 0 ? ` Cell${contradicting.length > 1 ? "s" : ""} ${contradicting.join(", ")} strongly contradict${contradicting.length > 1 ? "" : "s"} the pooled law on ${contradicting.length > 1 ? "their" : "its"} own.` : "";
  return `Population of ${population.cells.length} cells (${chosen}): ${parts.join("; ")}.${alternatives.join("")}${disagreement}`;
}

/** How the law was chosen: pooled evidence per law, and each cell's own preference. */
function lawChoiceTable(population: PopulationSection): string {
  const choice = population.lawChoice;
  if (!choice) return "";
  const pooled = choice.pooled.map((p) => `<tr><td>${escapeHtml(p.law)}</td><td>${fmt(p.deltaIC, 3)}</td><td>${fmt(100 * p.weight, 3)} %</td></tr>`).join("");
  const cells = choice.cells
    .map((c) => `<tr${c.contradicts ? ' class="bad"' : ""}><td>${escapeHtml(c.cell)}</td><td>${escapeHtml(c.ownLaw)}</td><td>${fmt(c.deltaIC, 3)}</td><td>${c.contradicts ? "strongly contradicts" : c.ownLaw === population.law ? "agrees" : "compatible"}</td></tr>`)
    .join("");
  return `<p>Law chosen by the pooled evidence (${escapeHtml(choice.criterion)}).</p>
<table><thead><tr><th>law</th><th>pooled ΔAICc</th><th>weight</th></tr></thead><tbody>${pooled}</tbody></table>
<table><thead><tr><th>cell</th><th>its own law</th><th>its ΔAICc for the ${escapeHtml(population.law ?? "")} law</th><th></th></tr></thead><tbody>${cells}</tbody></table>`;
}

/** One law's population parameters: median and log-sd, each cell with and without pooling, models compared. */
function populationBlocks(parameters: Record<string, PopulationResult>, sampling: PopulationSection["sampling"], skippedList: string[] | undefined, resampled: string[] | undefined): string {
  const blocks = Object.values(parameters).map((p) => {
    const x = p.perCell.map((_, k) => k + 1);
    const half = (i: { lo95: number; hi95: number }): number => (i.hi95 - i.lo95) / 2;
    const plot = linePlot(
      [
        { name: "population median", x: [0.5, p.perCell.length + 0.5], y: [p.populationMedian.median, p.populationMedian.median], color: "#555" },
        { name: "95 % interval", x: [0.5, p.perCell.length + 0.5], y: [p.populationMedian.lo95, p.populationMedian.lo95], color: "#555", style: "dashed" },
        { name: " ", x: [0.5, p.perCell.length + 0.5], y: [p.populationMedian.hi95, p.populationMedian.hi95], color: "#555", style: "dashed" },
        { name: "no pooling (each cell alone)", x: x.map((v) => v - 0.1), y: p.perCell.map((c) => (c.noPooling.lo95 + c.noPooling.hi95) / 2), yError: p.perCell.map((c) => half(c.noPooling)), style: "points", color: "#d62728", radius: 4 },
        { name: "partial pooling (hierarchical)", x: x.map((v) => v + 0.1), y: p.perCell.map((c) => (c.partialPooling.lo95 + c.partialPooling.hi95) / 2), yError: p.perCell.map((c) => half(c.partialPooling)), style: "points", color: "#1f77b4", radius: 4 },
      ],
      { title: `${p.parameter} per cell (${p.perCell.map((c) => c.cell).join(", ")}; 95 % intervals)`, xLabel: "cell (in order)", yLabel: `${p.parameter} (${p.unit})` },
    );
    const rows = p.perCell
      .map((c) => `<tr><td>${escapeHtml(c.cell)}</td><td>${fmt(c.noPooling.median, 5)} [${fmt(c.noPooling.lo95, 5)}, ${fmt(c.noPooling.hi95, 5)}]</td><td>${fmt(c.partialPooling.median, 5)} [${fmt(c.partialPooling.lo95, 5)}, ${fmt(c.partialPooling.hi95, 5)}]</td></tr>`)
      .join("");
    const models = p.comparison.map((c) => `<tr><td>${c.model}</td><td>${fmt(c.elpd, 5)}</td><td>${fmt(c.pEffective, 3)}</td><td>${fmt(c.deltaElpd, 3)}</td></tr>`).join("");
    return `<h3>${escapeHtml(p.parameter)} (${escapeHtml(p.unit)})</h3>
<p>Population median ${fmt(p.populationMedian.median, 5)} [95 %: ${fmt(p.populationMedian.lo95, 5)}–${fmt(p.populationMedian.hi95, 5)}]; cell-to-cell log-sd ${fmt(p.logSd.median, 3)} [95 %: ${fmt(p.logSd.lo95, 3)}–${fmt(p.logSd.hi95, 3)}].</p>
<div class="plots">${plot}</div>
<table><thead><tr><th>cell</th><th>no pooling: median [95 %]</th><th>partial pooling: median [95 %]</th></tr></thead><tbody>${rows}</tbody></table>
<table><thead><tr><th>model</th><th>elpd (WAIC)</th><th>p_eff</th><th>Δelpd</th></tr></thead><tbody>${models}</tbody></table>`;
  });
  const how = sampling
    ? `<p>μ and τ sampled jointly with every cell's parameters: ${escapeHtml(sampling.method)}, ${sampling.iterations} sweeps after ${sampling.burn}; row acceptance per cell ${sampling.cells.map((c) => `${escapeHtml(c.cell)} ${fmt(c.acceptance, 2)}`).join(", ")}.</p>${sampling.warnings.map((w) => `<p class="bad">${escapeHtml(w)}</p>`).join("")}`
    : "";
  const again = resampled && resampled.length > 0 ? `<p>Posterior under this law sampled for cell${resampled.length > 1 ? "s" : ""} ${escapeHtml(resampled.join(", "))}, which preferred another law alone.</p>` : "";
  const skipped = (skippedList ?? []).map((w) => `<p class="bad">${escapeHtml(w)}</p>`).join("");
  return `${how}${again}${skipped}${blocks.join("\n")}`;
}

/** The hierarchical model across cells: the law's choice, then each law's populations. */
function populationSection(population: PopulationSection | undefined): string {
  if (!population) return "";
  if (!population.fitted) return `<h2>Population across cells</h2><p class="bad">${escapeHtml(population.reason ?? "")}</p>`;
  const warnings = (population.warnings ?? []).map((w) => `<p class="bad">${escapeHtml(w)}</p>`).join("");
  const alternatives = (population.alternatives ?? [])
    .map((a) => `<h2>Population under the ${escapeHtml(a.law)} law (pooled ΔAICc ${fmt(a.deltaIC, 3)}, weight ${fmt(100 * a.weight, 3)} %)</h2>${populationBlocks(a.parameters, a.sampling, a.skipped, a.resampled)}`)
    .join("\n");
  return `<h2>Population across cells (${escapeHtml(population.law ?? "")} law, log-normal)</h2>${warnings}${lawChoiceTable(population)}${populationBlocks(population.parameters, population.sampling, population.skipped, population.resampled)}${alternatives}`;
}

export function diagnosisReport(title: string, cells: ReportCell[], population?: PopulationSection): string {
  const sections = cells.map((cell) => cellSection(cell)).join("\n") + populationSection(population);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${REPORT_BASE_CSS}
.flags li.warning{color:#8a4b00} .flags li.error{color:#b00020;font-weight:600} .flags li.info{color:#555}
table{border-collapse:collapse;margin:.5rem 0} td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right} td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots svg{border:1px solid #ddd;border-radius:4px}
.scan{display:none} .scan.selected{display:block} select{font-size:1rem;margin:.5rem 0}
.ok{color:#17702a;font-weight:600} .bad{color:#b00020;font-weight:600}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
${cells.map((c) => `<p class="verdict" data-cell="${escapeHtml(c.id)}">${escapeHtml(verdict(c))}</p>`).join("\n")}
${population ? `<p class="verdict">${escapeHtml(populationVerdict(population))}</p>` : ""}
${sections}
<script>
for (const select of document.querySelectorAll("select.scan-select")) {
  const show = () => { for (const el of document.querySelectorAll('.scan[data-cell="' + select.dataset.cell + '"]')) el.classList.toggle("selected", el.dataset.scan === select.value); };
  select.addEventListener("change", show); show();
}
window.__plotsDone = document.querySelectorAll("svg.plot").length;
</script>
</body></html>
`;
}

function cellSection(cell: ReportCell): string {
  const d = cell.diagnosis.detail;
  const json = cell.diagnosis.json;
  const t = d.timeline;
  const x = t.map((e) => hours(e.time_s));
  const band = (pick: (e: (typeof t)[number]) => { median: number; lo95: number; hi95: number } | undefined, name: string, color: string): Series[] => {
    const values = t.map(pick);
    if (values.some((v) => !v)) return [];
    return [
      { name: `${name} (median)`, x, y: values.map((v) => v!.median), color },
      { name: "95 % interval", x, y: values.map((v) => v!.lo95), color, style: "dashed" },
      { name: " ", x, y: values.map((v) => v!.hi95), color, style: "dashed" },
    ];
  };
  // per-scan error bars longer than the spread of every thickness drawn (a slice that cannot fix
  // the interphase alone: ±1000 Å) are drawn to the frame instead of flattening the plot
  const bars = d.independent.map((f) => (Number.isFinite(f.thicknessStderr) ? 1.96 * f.thicknessStderr : 0));
  const drawn = [...d.independent.map((f) => f.thickness), ...t.flatMap((e) => [e.thickness.lo95, e.thickness.hi95])].filter(Number.isFinite);
  const spread = drawn.length > 0 ? Math.max(...drawn) - Math.min(...drawn) : 0;
  const clipErrors = spread > 0 && bars.some((b) => b > 2 * spread);
  const independent: Series = {
    name: clipErrors ? "independent per-scan fits (95 % bars cut at the frame)" : "independent per-scan fits",
    x: d.independent.map((f) => hours(f.time_s)),
    y: d.independent.map((f) => f.thickness),
    yError: bars,
    ...(clipErrors ? { clipErrors } : {}),
    style: "points",
    color: "#555",
  };
  const plots: string[] = [];
  plots.push(linePlot([...band((e) => e.thickness, "thickness", "#1f77b4"), independent], { title: `${cell.interphase} thickness (Å)`, xLabel: "time (h)", yLabel: "thickness (Å)" }));
  // a parameter every scan shares (one value in the joint fit) is a value with its interval, not a flat line over time
  const constantParameters: { name: string; interval: IntervalJson; unit: string }[] = [];
  const overTime = (pick: (e: (typeof t)[number]) => IntervalJson | undefined, name: string, unit: string, color: string): void => {
    const values = t.map(pick);
    if (values.length === 0 || values.some((v) => !v)) return;
    const same = values.every((v) => v!.median === values[0]!.median && v!.lo95 === values[0]!.lo95 && v!.hi95 === values[0]!.hi95);
    if (same) constantParameters.push({ name, interval: values[0]!, unit });
    else plots.push(linePlot(band(pick, name, color), { title: `${cell.interphase} ${name} (${unit})`, xLabel: "time (h)", yLabel: `${name} (${unit})` }));
  };
  overTime((e) => e.roughness, "roughness", "Å", "#2ca02c");
  overTime((e) => e.density, "density", "g/cm³", "#9467bd");
  if (cell.trace) {
    const tx = Array.from(cell.trace.time_s, hours);
    plots.push(linePlot([{ name: "potential", x: tx, y: cell.trace.potential_V, color: "#d62728" }], { title: "Working-electrode potential", xLabel: "time (h)", yLabel: "E (V)" }));
    plots.push(linePlot([{ name: "current", x: tx, y: Array.from(cell.trace.current_A, (i) => i * 1e6), color: "#ff7f0e" }], { title: "Current", xLabel: "time (h)", yLabel: "I (µA)" }));
  }
  // growth law comparison
  const comparisonRows = d.comparison
    .map((c) => `<tr><td>${c.law}</td><td>${fmt(c.chi2, 6)}</td><td>${c.k}</td><td>${fmt(c.deltaIC, 3)}</td><td>${(100 * c.weight).toFixed(1)} %</td><td>${c.check ? `χ² ${fmt(c.check.chi2, 3)} / ${c.check.dof}, p = ${fmt(c.check.p, 2)}` : "none: the law was fitted to the per-scan thicknesses themselves"}</td></tr>`)
    .join("");
  const growth = (json["growth"] as Record<string, { law: string; parameters: Record<string, { median: number; lo95: number; hi95: number; unit?: string }> }>)[cell.interphase];
  const why = noIntervalReason(d);
  const parameterRows = Object.entries(growth?.parameters ?? {})
    .map(([name, p]) => `<tr><td>${escapeHtml(name)}</td><td>${fmt(p.median, 5)}</td>${intervalCells(p, why)}<td>${escapeHtml(p.unit ?? "")}</td></tr>`)
    .join("");
  // per-scan reflectivity with fit and residuals, selectable
  const scanOptions = d.curves.map((c, k) => `<option value="${escapeHtml(c.scan)}"${k === d.curves.length - 1 ? " selected" : ""}>${escapeHtml(c.scan)} (t = ${fmt(hours(t[k]?.time_s ?? 0), 3)} h)</option>`).join("");
  const scanBlocks = d.curves
    .map((c) => {
      const data: Series = { name: "data", x: c.q, y: c.r, yError: c.dr, style: "points", color: "#333" };
      const series: Series[] = c.model.length > 0 ? [data, { name: "joint fit", x: c.q, y: c.model, color: "#d62728" }] : [data];
      const residuals: Series[] = c.model.length > 0 ? [{ name: "(data − fit)/σ", x: c.q, y: Array.from(c.q, (_, i) => (c.r[i] - c.model[i]) / c.dr[i]), style: "points", color: "#1f77b4" }] : [];
      return `<div class="scan" data-cell="${escapeHtml(cell.id)}" data-scan="${escapeHtml(c.scan)}"><div class="plots">${linePlot(series, { title: `Reflectivity ${c.scan}`, xLabel: "Q (Å⁻¹)", yLabel: "R", logY: true })}${residuals.length > 0 ? linePlot(residuals, { title: `Normalised residuals ${c.scan}`, xLabel: "Q (Å⁻¹)", yLabel: "(R − model)/σ" }) : ""}</div></div>`;
    })
    .join("");
  const profileStep = Math.max(1, Math.floor(d.profiles.length / 6));
  const profileSeries: Series[] = d.profiles.filter((_, k) => k % profileStep === 0 || k === d.profiles.length - 1).map((p) => ({ name: p.scan, x: p.z, y: p.sld }));
  const zoom = interphaseWindow(d.profiles);
  const profilePlot =
    profileSeries.length > 0
      ? linePlot(profileSeries, { title: "SLD profiles through time (beam side at left)", xLabel: "depth z (Å)", yLabel: "SLD (10⁻⁶ Å⁻²)", ...(zoom ? { band: { from: zoom[0], to: zoom[1], label: "zoomed at right" } } : {}) }) +
        (zoom ? linePlot(profileSeries, { title: `SLD profiles near the ${cell.interphase} (z ${fmt(zoom[0], 3)}–${fmt(zoom[1], 3)} Å)`, xLabel: "depth z (Å)", yLabel: "SLD (10⁻⁶ Å⁻²)", xDomain: zoom }) : "")
      : "";
  // impedance
  let impedanceHtml = "";
  if (d.impedance.length > 0) {
    const nyquist: Series[] = d.impedance.flatMap((s, k) => [
      { name: `${s.id}`, x: s.real, y: Array.from(s.imag, (v) => -v), style: "points" as const, color: palette(k) },
      { name: " ", x: s.fitReal, y: Array.from(s.fitImag, (v) => -v), color: palette(k) },
    ]);
    const rx = d.impedance.map((s) => hours(s.time_s));
    const noStderr = d.impedance.filter((s) => !Number.isFinite(s.resistanceStderr) || !Number.isFinite(s.capacitanceStderr)).map((s) => s.id);
    const stderrNote = noStderr.length > 0 ? `<p>No error bar for ${escapeHtml(noStderr.join(", "))}: the circuit fit's covariance is singular there (an element these spectra do not determine).</p>` : "";
    const relative = (v: number, e: number): number => (Number.isFinite(e) && v !== 0 ? (1.96 * e) / Math.abs(v) : NaN);
    const widest = (values: number[]): string => {
      const finite = values.filter(Number.isFinite);
      return finite.length > 0 ? `±${fmt(100 * Math.max(...finite), 2)} %` : "none";
    };
    const sizeNote = `<p class="error-bar-note">95 % intervals (error bars) of the circuit fits: R up to ${widest(d.impedance.map((s) => relative(s.resistance, s.resistanceStderr)))}, C up to ${widest(d.impedance.map((s) => relative(s.capacitance, s.capacitanceStderr)))}; where a bar is not visible it is shorter than its marker.</p>`;
    impedanceHtml = `<h3>Impedance</h3>${stderrNote}${sizeNote}<div class="plots">${linePlot(nyquist, { title: "Nyquist (points: data, lines: fits)", xLabel: "Z′ (Ω)", yLabel: "−Z″ (Ω)" })}${linePlot(
      [{ name: "R_interphase", x: rx, y: d.impedance.map((s) => s.resistance), yError: d.impedance.map((s) => 1.96 * s.resistanceStderr), style: "points", color: "#d62728", radius: 3.5, caps: true }],
      { title: "Interphase resistance (error bars: 95 %)", xLabel: "time (h)", yLabel: "R (Ω)" },
    )}${linePlot(
      [{ name: "C_interphase", x: rx, y: d.impedance.map((s) => s.capacitance * 1e6), yError: d.impedance.map((s) => 1.96e6 * s.capacitanceStderr), style: "points", color: "#9467bd", radius: 3.5, caps: true }],
      { title: "Interphase capacitance (error bars: 95 %)", xLabel: "time (h)", yLabel: "C (µF)" },
    )}</div>`;
  }
  const consistency = json["consistency"] as Record<string, unknown>;
  const consistencyHtml = consistencyTable(consistency, noIntervalReason(d));
  const flags = d.quality.length === 0 ? "<p class=\"ok\">No quality flags.</p>" : `<ul class="flags">${d.quality.map((q) => `<li class="${q.level}">${q.level}: ${escapeHtml(q.message)}</li>`).join("")}</ul>`;
  return `<h2>Cell ${escapeHtml(cell.id)} — ${escapeHtml(cell.interphase)} (${d.mode} fit)</h2>
<h3>Quality flags</h3>${flags}
<h3>Through time</h3><div class="plots">${plots.join("")}</div>
${timelineDownloads(cell)}
<h3>Growth law</h3>
<table><thead><tr><th>law</th><th>χ²</th><th>parameters</th><th>ΔAICc</th><th>weight</th><th>check against per-scan fits</th></tr></thead><tbody>${comparisonRows}</tbody></table>
<table><thead><tr><th>${escapeHtml(growth?.law ?? "")} parameter</th><th>median</th><th>2.5 %</th><th>97.5 %</th><th>unit</th></tr></thead><tbody>${parameterRows}</tbody></table>
${interphaseConstantsTable(cell.interphase, constantParameters, why)}
${sharedTable(json["shared"] as Record<string, IntervalJson> | undefined, why)}
${startSection(json["start"] as StartJson | undefined)}
${damageSection(cell)}
<h3>Reflectivity per scan</h3><select class="scan-select" data-cell="${escapeHtml(cell.id)}">${scanOptions}</select>${scanBlocks}
<div class="plots">${profilePlot}</div>
${impedanceHtml}
<h3>Do the modalities agree?</h3>${consistencyHtml}`;
}

type IntervalJson = { median: number; lo95: number; hi95: number; unit?: string };

/** diagnosis.json's `start` block (diagnosis/fitSeries SeriesStartRecord, with the first scan's refined values). */
type StartJson = { requested: string; used: string; reason: string; network?: Record<string, { value: number; sigma: number; firstScan?: number }> };

/** What started the series: the learned estimator (its estimate beside the first scan's refined values) or the global stage. */
function startSection(start: StartJson | undefined): string {
  if (!start) return "";
  const head = start.used === "ml" ? "The learned estimator started the series" : "The global stage started the series";
  const note = `<p>${head} (--start ${escapeHtml(start.requested)}): ${escapeHtml(start.reason)}.</p>`;
  if (start.used !== "ml" || !start.network) return `<h3>Start of the first scan's fit</h3>${note}`;
  const rows = Object.entries(start.network)
    .map(([name, e]) => `<tr><td>${escapeHtml(name)}</td><td>${fmt(e.value, 5)} ± ${fmt(e.sigma, 2)}</td><td>${e.firstScan === undefined ? "" : fmt(e.firstScan, 6)}</td></tr>`)
    .join("");
  return `<h3>Start of the first scan's fit</h3>${note}<p>The network's answer was only the start of the first scan's least-squares fit; every number above is refined.</p>
<table class="network-start"><thead><tr><th>parameter</th><th>network estimate ± its 1-σ (start)</th><th>first scan, refined</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** A CSV field: numbers as they are (empty when not finite), text quoted when it needs it. */
function csvField(value: number | string | boolean | undefined): string {
  if (value === undefined) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csv = (header: string[], rows: (number | string | boolean | undefined)[][]): string => [header, ...rows].map((row) => row.map(csvField).join(",")).join("\n") + "\n";

/** JSON with non-finite numbers as null (JSON has no NaN). */
const finiteOrNull = (x: number | undefined): number | null => (x !== undefined && Number.isFinite(x) ? x : null);

/**
 * Links that download the cell's timeline from the page itself (data: URIs, no network):
 * a CSV with one row per scan (time, thickness with its 95 % interval, observed thickness,
 * roughness, density, dose, spot, the independent fit's thickness and χ²), a CSV of the
 * impedance-derived R and C per spectrum, and one JSON holding both.
 */
function timelineDownloads(cell: ReportCell): string {
  const d = cell.diagnosis.detail;
  const independentOf = new Map(d.independent.map((f) => [f.id, f]));
  const triple = (i: IntervalJson | undefined): (number | undefined)[] => [i?.median, i?.lo95, i?.hi95];
  // a campaign with several beams: the beam of each scan (diagnosis.json's timeline names it; blank: the campaign's `beam`)
  const beamOf = new Map(((cell.diagnosis.json["timeline"] ?? []) as { scan: string; beam?: string }[]).filter((e) => e.beam !== undefined).map((e) => [e.scan, e.beam!]));
  const beams = beamOf.size > 0;
  const header = [
    "scan", ...(beams ? ["beam"] : []), "time_s", "time_h", "spot", "dose_Gy",
    "thickness_A", "thickness_lo95_A", "thickness_hi95_A",
    "observed_thickness_A", "observed_thickness_lo95_A", "observed_thickness_hi95_A",
    "roughness_A", "roughness_lo95_A", "roughness_hi95_A",
    "density_g_cm3", "density_lo95_g_cm3", "density_hi95_g_cm3",
    "independent_thickness_A", "independent_thickness_stderr_A", "independent_chi2", "independent_points", "independent_converged",
  ];
  const rows = d.timeline.map((e) => {
    const f = independentOf.get(e.scan);
    return [e.scan, ...(beams ? [beamOf.get(e.scan) ?? "beam"] : []), e.time_s, hours(e.time_s), e.spot, e.dose_Gy, ...triple(e.thickness), ...triple(e.observedThickness), ...triple(e.roughness), ...triple(e.density), f?.thickness, f?.thicknessStderr, f?.chi2, f?.points, f?.converged];
  });
  const impedanceHeader = ["spectrum", "time_s", "time_h", "resistance_ohm", "resistance_stderr_ohm", "capacitance_F", "capacitance_stderr_F"];
  const impedanceRows = d.impedance.map((s) => [s.id, s.time_s, hours(s.time_s), s.resistance, s.resistanceStderr, s.capacitance, s.capacitanceStderr]);
  const interval = (i: IntervalJson | undefined): Record<string, number | null> | null => (i ? { median: finiteOrNull(i.median), lo95: finiteOrNull(i.lo95), hi95: finiteOrNull(i.hi95) } : null);
  const json = {
    format: "strata-timeline/1",
    cell: cell.id,
    interphase: cell.interphase,
    units: { time: "s", thickness: "Å", roughness: "Å", density: "g/cm³", dose: "Gy", resistance: "Ω", capacitance: "F" },
    timeline: d.timeline.map((e) => {
      const f = independentOf.get(e.scan);
      return {
        scan: e.scan,
        ...(beamOf.has(e.scan) ? { beam: beamOf.get(e.scan) } : {}),
        time_s: e.time_s,
        ...(e.spot !== undefined ? { spot: e.spot } : {}),
        ...(e.dose_Gy !== undefined ? { dose_Gy: e.dose_Gy } : {}),
        thickness_A: interval(e.thickness),
        ...(e.observedThickness ? { observedThickness_A: interval(e.observedThickness) } : {}),
        roughness_A: interval(e.roughness),
        density_g_cm3: interval(e.density),
        independent: f ? { thickness_A: finiteOrNull(f.thickness), thicknessStderr_A: finiteOrNull(f.thicknessStderr), chi2: finiteOrNull(f.chi2), points: f.points, converged: f.converged } : null,
      };
    }),
    impedance: d.impedance.map((s) => ({ spectrum: s.id, time_s: s.time_s, resistance_ohm: finiteOrNull(s.resistance), resistanceStderr_ohm: finiteOrNull(s.resistanceStderr), capacitance_F: finiteOrNull(s.capacitance), capacitanceStderr_F: finiteOrNull(s.capacitanceStderr) })),
  };
  const link = (kind: string, name: string, type: string, text: string, label: string): string =>
    `<a class="download" data-kind="${kind}" download="${escapeHtml(name)}" href="data:${type};charset=utf-8,${encodeURIComponent(text)}">${escapeHtml(label)}</a>`;
  const base = `timeline-${cell.id.replace(/[^\w.-]+/g, "_")}`;
  const links = [
    link("timeline-csv", `${base}.csv`, "text/csv", csv(header, rows), `timeline (CSV, ${rows.length} scans)`),
    ...(impedanceRows.length > 0 ? [link("impedance-csv", `${base}-impedance.csv`, "text/csv", csv(impedanceHeader, impedanceRows), `impedance R and C (CSV, ${impedanceRows.length} spectra)`)] : []),
    link("timeline-json", `${base}.json`, "application/json", JSON.stringify(json, null, 1), "timeline and impedance (JSON)"),
  ];
  return `<p class="downloads" data-cell="${escapeHtml(cell.id)}">Download: ${links.join(" · ")}</p>`;
}

/** Beam damage: why it is or is not modelled, the evidence, dose per spot and observed vs zero-dose thickness. */
function damageSection(cell: ReportCell): string {
  const d = cell.diagnosis.detail;
  const damage = d.damage as {
    modelled?: boolean;
    separable?: boolean;
    detected?: boolean;
    reason?: string;
    suggestion?: string;
    model?: string;
    evidence?: { deltaChi2: number; dof: number; p: number; deltaAICc: number; log10BayesFactorBIC: number };
    parameters?: Record<string, IntervalJson>;
    ignoringDamage?: { law: string; parameters: Record<string, IntervalJson> };
    undetected?: { note: string };
    comparison?: { law: string; damage: string; chi2: number; parameters: number; deltaIC: number; weight: number }[];
  };
  if (!damage || !damage.modelled) return `<h3>Beam damage</h3><p>${escapeHtml(damage?.reason ?? "not modelled")}</p>`;
  if (damage.separable === false) return `<h3>Beam damage</h3><p class="bad">${escapeHtml(damage.reason ?? "")}</p><p>Suggestion: ${escapeHtml(damage.suggestion ?? "")}</p>`;
  const t = d.timeline;
  const spots = [...new Set(t.map((e) => e.spot ?? "?"))];
  const plots: string[] = [];
  plots.push(
    linePlot(
      spots.map((spot, k) => {
        const at = t.filter((e) => (e.spot ?? "?") === spot);
        return { name: `spot ${spot}`, x: at.map((e) => hours(e.time_s)), y: at.map((e) => e.dose_Gy ?? 0), style: "points" as const, color: palette(k), radius: 4 };
      }),
      { title: "Accumulated dose at each scan's spot (mid exposure)", xLabel: "time (h)", yLabel: "dose (Gy)" },
    ),
  );
  const x = t.map((e) => hours(e.time_s));
  const zeroDose: Series[] = [
    { name: "zero-dose (chemistry) median", x, y: t.map((e) => e.thickness.median), color: "#1f77b4" },
    { name: "95 % interval", x, y: t.map((e) => e.thickness.lo95), color: "#1f77b4", style: "dashed" },
    { name: " ", x, y: t.map((e) => e.thickness.hi95), color: "#1f77b4", style: "dashed" },
  ];
  const observed: Series[] = t[0]?.observedThickness
    ? spots.map((spot, k) => {
        const at = t.filter((e) => (e.spot ?? "?") === spot);
        return {
          name: `observed at ${spot}`,
          x: at.map((e) => hours(e.time_s)),
          y: at.map((e) => e.observedThickness!.median),
          yError: at.map((e) => (e.observedThickness!.hi95 - e.observedThickness!.lo95) / 2),
          style: "points" as const,
          color: palette(k + 1),
          radius: 4,
        };
      })
    : [];
  const independent: Series = { name: "independent per-scan fits", x: d.independent.map((f) => hours(f.time_s)), y: d.independent.map((f) => f.thickness), style: "points", color: "#999" };
  plots.push(linePlot([...zeroDose, ...observed, independent], { title: `${cell.interphase} thickness: observed at each spot vs zero dose`, xLabel: "time (h)", yLabel: "thickness (Å)" }));
  const e = damage.evidence;
  const verdictText = damage.detected
    ? `<p class="bad">Beam damage detected: ${escapeHtml(damage.model ?? "")} in the accumulated dose. The growth law above is the zero-dose chemistry.</p>`
    : `<p class="ok">No significant beam damage. ${escapeHtml(damage.undetected?.note ?? "")}</p>`;
  const evidence = e ? `<p>Evidence (best damage term against none, same law): Δχ² = ${fmt(e.deltaChi2, 4)} for ${e.dof} parameter(s), p = ${fmt(e.p, 2)}, ΔAICc = ${fmt(e.deltaAICc, 4)}, log₁₀ Bayes factor (BIC) = ${fmt(e.log10BayesFactorBIC, 3)}.</p>` : "";
  const rows = (parameters: Record<string, IntervalJson> | undefined): string =>
    Object.entries(parameters ?? {})
      .map(([name, p]) => `<tr><td>${escapeHtml(name)}</td><td>${fmt(p.median, 5)}</td>${intervalCells(p, noIntervalReason(d))}<td>${escapeHtml(p.unit ?? "")}</td></tr>`)
      .join("");
  const parameterTable = damage.parameters ? `<table><thead><tr><th>damage parameter</th><th>median</th><th>2.5 %</th><th>97.5 %</th><th>unit</th></tr></thead><tbody>${rows(damage.parameters)}</tbody></table>` : "";
  const ignoring = damage.ignoringDamage
    ? `<table><thead><tr><th>${escapeHtml(damage.ignoringDamage.law)} parameter, damage ignored</th><th>value</th><th>2.5 %</th><th>97.5 %</th><th>unit</th></tr></thead><tbody>${rows(damage.ignoringDamage.parameters)}</tbody></table>`
    : "";
  const comparison = (damage.comparison ?? [])
    .map((c) => `<tr><td>${escapeHtml(c.law)}</td><td>${escapeHtml(c.damage)}</td><td>${fmt(c.chi2, 6)}</td><td>${c.parameters}</td><td>${fmt(c.deltaIC, 3)}</td><td>${(100 * c.weight).toFixed(1)} %</td></tr>`)
    .join("");
  return `<h3>Beam damage</h3>${verdictText}${evidence}<div class="plots">${plots.join("")}</div>${parameterTable}${ignoring}
<table><thead><tr><th>law</th><th>damage</th><th>χ²</th><th>parameters</th><th>ΔAICc</th><th>weight</th></tr></thead><tbody>${comparison}</tbody></table>`;
}

/** Two table cells, 2.5 % and 97.5 %, or one spanning both that says why there is no interval. */
function intervalCells(p: { lo95: number; hi95: number }, why: string): string {
  return hasInterval(p) ? `<td>${fmt(p.lo95, 5)}</td><td>${fmt(p.hi95, 5)}</td>` : `<td colspan="2" class="no-interval">no interval: ${escapeHtml(why)}</td>`;
}

/** The interphase's parameters that every scan shares (one value in the joint fit): value and 95 % interval. */
function interphaseConstantsTable(interphase: string, parameters: { name: string; interval: IntervalJson; unit: string }[], why: string): string {
  if (parameters.length === 0) return "";
  const rows = parameters
    .map(({ name, interval: p, unit }) => `<tr><td>${escapeHtml(name)}</td><td>${fmt(p.median, 5)}</td>${intervalCells(p, why)}<td>${escapeHtml(unit)}</td></tr>`)
    .join("");
  return `<h3>${escapeHtml(interphase)} parameters shared by every scan</h3><p>One value for the whole series (the joint fit does not let them change with time), so they are given as a value with its interval rather than drawn as a flat line.</p><table class="shared-parameters"><thead><tr><th>parameter</th><th>median</th><th>2.5 %</th><th>97.5 %</th><th>unit</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function sharedTable(shared: Record<string, IntervalJson> | undefined, why: string): string {
  if (!shared || Object.keys(shared).length === 0) return "";
  const rows = Object.entries(shared)
    .map(([name, p]) => `<tr><td>${escapeHtml(name)}</td><td>${fmt(p.median, 5)}</td>${intervalCells(p, why)}<td>${escapeHtml(p.unit ?? "")}</td></tr>`)
    .join("");
  return `<h3>The rest of the stack and the instrument (shared by every scan)</h3><table class="shared-parameters"><thead><tr><th>parameter</th><th>median</th><th>2.5 %</th><th>97.5 %</th><th>unit</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/**
 * The depth window where the SLD profile changes between the first and the last scan (the
 * growing interphase), padded by half its width (at least 20 Å); undefined when nothing
 * changes or the change already fills most of the depth axis.
 */
function interphaseWindow(profiles: { z: Float64Array; sld: Float64Array }[]): [number, number] | undefined {
  if (profiles.length < 2) return undefined;
  const a = profiles[0];
  const b = profiles[profiles.length - 1];
  const grid = Float64Array.from([...a.z, ...b.z]).sort();
  // linear between depths, held constant beyond the ends
  const at = (p: { z: Float64Array; sld: Float64Array }, z: number): number => interpolateLinear(z, p.z, p.sld, p.sld[0], p.sld[p.sld.length - 1]);
  const spread = Array.from(grid, (z) => Math.abs(at(a, z) - at(b, z)));
  const largest = Math.max(...spread);
  if (!(largest > 0)) return undefined;
  const changed = Array.from(grid).filter((_, i) => spread[i] > PROFILE_CHANGE_FRACTION * largest);
  const lo = changed[0];
  const hi = changed[changed.length - 1];
  const pad = Math.max(20, 0.5 * (hi - lo));
  const from = Math.max(grid[0], lo - pad);
  const to = Math.min(grid[grid.length - 1], hi + pad);
  return to - from < 0.6 * (grid[grid.length - 1] - grid[0]) ? [from, to] : undefined;
}

/** A profile's change counts as the interphase's when above this fraction of the largest change. */
const PROFILE_CHANGE_FRACTION = 0.05;

/** "median [lo, hi]", or the median and why there is no interval. */
function bracketed(i: { median: number; lo95: number; hi95: number }, why: string): string {
  return hasInterval(i) ? `${fmt(i.median)} [${fmt(i.lo95)}, ${fmt(i.hi95)}]` : `${fmt(i.median)} (no interval: ${escapeHtml(why)})`;
}

function consistencyTable(consistency: Record<string, unknown>, why: string): string {
  const rows: string[] = [];
  const charge = consistency["charge"] as Record<string, unknown> | undefined;
  if (charge) {
    const f = charge["faradaicFraction"] as { median: number; lo95: number; hi95: number };
    rows.push(`<tr><td>Faradaic fraction (film / reduction charge)</td><td>${bracketed(f, why)}</td><td>${charge["declaredFaradaicFraction"] !== undefined ? `declared ${fmt(charge["declaredFaradaicFraction"] as number)}, p = ${fmt(charge["p"] as number, 2)}` : "not declared"}</td><td>${agreeCell(charge["agree"])}</td></tr>`);
  }
  const impedance = consistency["impedance"] as Record<string, unknown> | undefined;
  if (impedance) {
    const s = impedance["conductivity"] as { median: number; lo95: number; hi95: number };
    const e = impedance["permittivity"] as { median: number; lo95: number; hi95: number };
    rows.push(`<tr><td>ionic conductivity σ (S/m)</td><td>${bracketed(s, why)}</td><td rowspan="2">ε constant in time: p = ${fmt(impedance["p"] as number, 2)}</td><td rowspan="2">${agreeCell(impedance["agree"])}</td></tr>`);
    rows.push(`<tr><td>relative permittivity ε</td><td>${bracketed(e, why)}</td></tr>`);
  }
  if (rows.length === 0) return "<p>Only reflectivity is available for this cell: no cross-modality check.</p>";
  return `<table><thead><tr><th>quantity</th><th>median [95 %]</th><th>test</th><th>verdict</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function agreeCell(agree: unknown): string {
  return agree === true ? '<span class="ok">agree</span>' : agree === false ? '<span class="bad">disagree</span>' : "not tested";
}

function palette(k: number): string {
  return ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"][k % 8];
}
