/**
 * @module autonomy/twinReport
 * The report page of a twin run (OUT/twin.html): a verdict (the target's interval against
 * the truth, the law identified, the doses), the timeline of decisions drawn over the final
 * posterior's thickness band (with the hidden truth), the dose of every spot over time with
 * its budget, the target's 95 % interval and the information per Gy over time, and the action
 * log with each reason and the refused proposals. Self-contained HTML and SVG in the house
 * look (report/pageStyle), no script needed to see the plots.
 *
 * Units: time shown in h (the document's s / 3600), thickness Å, dose Gy, information nats.
 */
import { REPORT_BASE_CSS } from "../report/pageStyle.ts";
import { escapeXml, linePlot, type Series } from "../report/svgPlot.ts";
import type { TwinDocument } from "./twin.ts";

const HOUR_S = 3600;
const SPOT_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

const fmt = (x: number | null | undefined, digits = 4): string => (x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toPrecision(digits));

/** One sentence: what the run found. */
function verdict(doc: TwinDocument): string {
  const t = doc.target;
  const target =
    t.median !== null && t.lo95 !== null && t.hi95 !== null
      ? `${t.parameter} = ${fmt(t.median)} (95 % ${fmt(t.lo95)} – ${fmt(t.hi95)}), truth ${fmt(t.truth)}: ${t.covered ? "covered" : "not covered"}`
      : `${t.parameter ?? t.kind}: no interval under the identified law`;
  const scans = doc.actions.filter((a) => a.kind === "reflectivity").length;
  return `Policy ${doc.policy} (seed ${doc.seed}): ${scans} scans, ${fmt(doc.totalDose_Gy, 3)} Gy in all, at most ${fmt(doc.maxSpotDose_Gy, 3)} Gy on a spot (${doc.budgetExceeded ? "a budget was exceeded" : "every budget held"}); ${target}; law ${doc.law.identified ?? "none"} (truth ${doc.law.truth}).`;
}

/** The decisions over the thickness band: band and median per scan, truth, and each scan as a point coloured by spot. */
function timelinePlot(doc: TwinDocument, spots: string[]): string {
  const tl = doc.timeline;
  const x = tl.map((p) => p.time_s / HOUR_S);
  const series: Series[] = [
    { name: "posterior 2.5 %", x, y: tl.map((p) => p.lo95), color: "#9bb7d4", style: "dashed" },
    { name: "posterior 97.5 %", x, y: tl.map((p) => p.hi95), color: "#9bb7d4", style: "dashed" },
    { name: "posterior median", x, y: tl.map((p) => p.median), color: "#1f77b4" },
    { name: "truth (chemistry)", x, y: tl.map((p) => p.truth_A ?? NaN), color: "#555", style: "dashed" },
  ];
  spots.forEach((spot, i) => {
    const scans = doc.actions.filter((a) => a.kind === "reflectivity" && a.spot === spot && a.truth);
    if (scans.length === 0) return;
    series.push({ name: `scan on ${spot} (seen, with damage)`, x: scans.map((a) => (a.at_s + a.end_s) / 2 / HOUR_S), y: scans.map((a) => a.truth!.observedThickness_A), color: SPOT_COLORS[i % SPOT_COLORS.length], style: "points", radius: 4 });
  });
  const step = doc.step;
  return linePlot(series, {
    title: "Decisions over the posterior thickness band",
    xLabel: "time (h)",
    yLabel: "interphase thickness (Å)",
    width: 760,
    height: 420,
    ...(step ? { band: { from: step.at_s / HOUR_S, to: (step.at_s + 120) / HOUR_S, label: "potential step" } } : {}),
  });
}

/** Dose of every spot over time (a step at each scan) with its budget. */
function dosePlot(doc: TwinDocument, spots: string[]): string {
  const end = doc.beamTime_s / HOUR_S;
  const series: Series[] = [];
  spots.forEach((spot, i) => {
    const color = SPOT_COLORS[i % SPOT_COLORS.length];
    const xs: number[] = [0];
    const ys: number[] = [0];
    for (const a of doc.actions) {
      if (a.kind !== "reflectivity" || a.spot !== spot) continue;
      xs.push(a.at_s / HOUR_S, a.end_s / HOUR_S);
      ys.push(ys[ys.length - 1], a.spotDose_Gy ?? 0);
    }
    xs.push(end);
    ys.push(ys[ys.length - 1]);
    series.push({ name: spot, x: xs, y: ys, color });
    const budget = doc.budgets[spot]?.budget_Gy;
    if (budget !== undefined && Number.isFinite(budget)) series.push({ name: `${spot} budget`, x: [0, end], y: [budget, budget], color, style: "dashed" });
  });
  return linePlot(series, { title: "Dose per spot", xLabel: "time (h)", yLabel: "dose (Gy)", width: 560, height: 420 });
}

/** The target's interval and the information per Gy over time. */
function informationPlots(doc: TwinDocument): string {
  const info = doc.information;
  if (info.length === 0) return "<p>The target had no posterior interval during the run.</p>";
  const x = info.map((p) => p.time_s / HOUR_S);
  const truth = doc.target.truth;
  const interval = linePlot(
    [
      { name: "2.5 %", x, y: info.map((p) => p.lo95), color: "#9bb7d4", style: "dashed" },
      { name: "97.5 %", x, y: info.map((p) => p.hi95), color: "#9bb7d4", style: "dashed" },
      { name: "median", x, y: info.map((p) => p.median), color: "#1f77b4" },
      ...(truth !== null ? [{ name: "truth", x: [x[0], x[x.length - 1]], y: [truth, truth], color: "#555", style: "dashed" as const }] : []),
    ],
    { title: `${doc.target.parameter ?? doc.target.kind}: posterior over time`, xLabel: "time (h)", yLabel: doc.target.parameter ?? "", width: 560, height: 380 },
  );
  const perGy = linePlot(
    [
      { name: "information since the first posterior (nats)", x, y: info.map((p) => p.info_nats), color: "#2ca02c" },
      { name: "per Gy (nats/Gy)", x, y: info.map((p) => p.infoPerGy ?? NaN), color: "#9467bd", style: "dashed" },
    ],
    { title: "Information gained on the target", xLabel: "time (h)", yLabel: "nats, nats/Gy", width: 560, height: 380 },
  );
  return `<div class="plots">${interval}${perGy}</div>`;
}

function actionTable(doc: TwinDocument): string {
  const rows = doc.actions
    .map(
      (a) =>
        `<tr><td>${a.n}</td><td>${fmt(a.at_s / HOUR_S, 3)}</td><td>${escapeXml(a.kind)}</td><td>${escapeXml(a.spot ?? "")}</td><td>${a.setting ? `${a.setting.qMin}–${a.setting.qMax} Å⁻¹, ${a.setting.points} pts, ${a.setting.countTime_s} s` : ""}</td><td>${fmt(a.dose_Gy, 3)}</td><td>${fmt(a.spotDose_Gy, 3)}</td><td>${fmt(a.totalDose_Gy, 3)}</td><td>${a.target ? `${fmt(a.target.median)} [${fmt(a.target.lo95)}, ${fmt(a.target.hi95)}]` : "–"}</td><td>${escapeXml(a.law ?? "–")}</td><td class="reason">${escapeXml(a.reason)}</td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>#</th><th>start (h)</th><th>action</th><th>spot</th><th>setting</th><th>dose (Gy)</th><th>spot dose (Gy)</th><th>total (Gy)</th><th>${escapeXml(doc.target.parameter ?? "target")} after</th><th>law</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function refusedList(doc: TwinDocument): string {
  if (doc.refused.length === 0) return "<p>No proposal was refused.</p>";
  return `<ul>${doc.refused.map((r) => `<li>${fmt(r.time_s / HOUR_S, 3)} h: ${escapeXml(r.action.kind)}${r.action.kind === "reflectivity" ? ` on ${escapeXml(r.action.spot)}` : ""} — ${escapeXml(r.reason)}${r.repeated ? ` (${r.repeated} times)` : ""}</li>`).join("")}</ul>`;
}

/** The page (see the module comment). */
export function twinPage(doc: TwinDocument): string {
  const spots = Object.keys(doc.budgets);
  const budgets = spots.map((s) => `<tr><td>${escapeXml(s)}</td><td>${doc.budgets[s].scans}</td><td>${fmt(doc.budgets[s].dose_Gy, 3)}</td><td>${Number.isFinite(doc.budgets[s].budget_Gy) ? fmt(doc.budgets[s].budget_Gy, 3) : "none"}</td></tr>`).join("");
  const step = doc.step ? `<p>Potential step of ${doc.step.deltaV_V} V at ${fmt(doc.step.at_s / HOUR_S, 3)} h; first scan after it at ${doc.step.firstScanAfter_s === null ? "–" : `${fmt(doc.step.firstScanAfter_s / HOUR_S, 3)} h (${fmt(doc.step.delay_s, 3)} s later)`}.</p>` : "";
  const title = `Digital twin: ${doc.scenario}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeXml(title)}</title>
<style>
${REPORT_BASE_CSS}
table{border-collapse:collapse;margin:.5rem 0} td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right} td:first-child,th:first-child{text-align:left}
td.reason{text-align:left;max-width:34rem}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots svg{border:1px solid #ddd;border-radius:4px}
</style></head><body>
<h1>${escapeXml(title)}</h1>
<p class="verdict">${escapeXml(verdict(doc))}</p>
<h2>Timeline of decisions</h2>
<div class="plots">${timelinePlot(doc, spots)}${dosePlot(doc, spots)}</div>
${step}
<h2>Spots and budgets</h2>
<table><thead><tr><th>spot</th><th>scans</th><th>dose (Gy)</th><th>budget (Gy)</th></tr></thead><tbody>${budgets}</tbody></table>
<h2>Target over time</h2>
${informationPlots(doc)}
<h2>Law</h2>
<p>Identified: ${escapeXml(doc.law.identified ?? "none")} (truth ${escapeXml(doc.law.truth)}). Weights: ${escapeXml(
    Object.entries(doc.law.weights)
      .map(([k, v]) => `${k} ${fmt(100 * v, 3)} %`)
      .join(", "),
  )}. Damage rate: truth ${fmt(doc.damage.truth_A_per_Gy, 3)} Å/Gy, posterior ${doc.damage.posterior ? `${fmt(doc.damage.posterior.median, 3)} [${fmt(doc.damage.posterior.lo95, 3)}, ${fmt(doc.damage.posterior.hi95, 3)}]` : "not modelled"}.</p>
<h2>Action log</h2>
${actionTable(doc)}
<h2>Refused proposals</h2>
${refusedList(doc)}
<p>${doc.fullRuns} batch diagnoses; ${fmt(doc.elapsed_s, 3)} s of computing; ${escapeXml(doc.software.name)} ${escapeXml(doc.software.version)}.</p>
</body></html>
`;
}
