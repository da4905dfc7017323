/**
 * @module report/impedanceReport
 * Self-contained HTML pages (inline SVG, no script, nothing fetched) for `strata eis fit|linkk|drt --out`,
 * in the look of the diagnosis report:
 * - {@link circuitFitPage}: the verdict line, Nyquist (equal scales, −Z″ up) and Bode (|Z| and phase against
 *   log f) with the data as points and the fitted circuit as a line on a dense grid, the parameter table,
 *   every start's χ² and the other minima the data do not decide between;
 * - {@link linKKPage}: the verdict and which fit decided it, Nyquist and Bode with the KK model, and the
 *   relative residuals (real and imaginary, %) against f with the ±threshold lines;
 * - {@link drtPage}: γ(τ) against log τ with the detected peaks marked, the measured window shaded, the credible
 *   band when computed, the peak table, and the data with the DRT's model in a Nyquist plot.
 *
 * Units: frequency Hz, impedance Ω, phase degrees (of Z: negative for capacitive), τ s, γ Ω, residuals %.
 */
import type { DrtResult } from "../analysis/impedance/drt.ts";
import type { LinKKResult } from "../analysis/impedance/linKK.ts";
import type { CircuitFitResult } from "../fit/circuitObjective.ts";
import type { ImpedanceSpectrum } from "../io/impedance.ts";
import { circuitModel } from "../models/circuit/circuitModel.ts";
import { nyquistPlot, type NyquistSeries } from "./nyquistPlot.ts";
import { linePlot, type Series } from "./svgPlot.ts";
import { REPORT_BASE_CSS } from "./pageStyle.ts";

const DATA_COLOR = "#1f77b4";
const MODEL_COLOR = "#d62728";
const SECOND_COLOR = "#2ca02c";
/** Points of the dense frequency grid (the measured range, log-spaced) a model curve is drawn on. */
const CURVE_POINTS = 240;

const escapeHtml = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
/** A number to a few digits; a non-finite one (a standard error of an unidentified parameter) says so instead of a dash. */
const fmt = (x: number, digits = 4): string => (Number.isFinite(x) ? Number(x.toPrecision(digits)).toString() : "not determined");

/** An impedance curve: frequencies (Hz) with Z′, Z″ (Ω). */
interface Curve {
  readonly frequency: ArrayLike<number>;
  readonly real: ArrayLike<number>;
  readonly imag: ArrayLike<number>;
}

/** Log-spaced frequencies from f_max down to f_min. */
function denseFrequencies(frequency: ArrayLike<number>): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < frequency.length; i++) {
    lo = Math.min(lo, frequency[i]);
    hi = Math.max(hi, frequency[i]);
  }
  return Float64Array.from({ length: CURVE_POINTS }, (_, i) => hi * Math.pow(lo / hi, i / (CURVE_POINTS - 1)));
}

/** Curve points in ascending frequency (so a line through them does not zig-zag when the file's rows are not ordered). */
function sorted(curve: Curve): Curve {
  const order = Array.from({ length: curve.frequency.length }, (_, i) => i).sort((a, b) => curve.frequency[a] - curve.frequency[b]);
  return {
    frequency: order.map((i) => curve.frequency[i]),
    real: order.map((i) => curve.real[i]),
    imag: order.map((i) => curve.imag[i]),
  };
}

const modulus = (c: Curve): number[] => Array.from({ length: c.frequency.length }, (_, i) => Math.hypot(c.real[i], c.imag[i]));
const phase = (c: Curve): number[] => Array.from({ length: c.frequency.length }, (_, i) => (Math.atan2(c.imag[i], c.real[i]) * 180) / Math.PI);

/** Nyquist and Bode (|Z|, phase) plots of the data (points) and a model (line). */
function spectrumPlots(data: Curve, model: Curve, modelName: string, title: string): string {
  const d = sorted(data);
  const m = sorted(model);
  const nyquist = nyquistPlot(
    [
      { name: "data", real: d.real, imag: d.imag, color: DATA_COLOR, style: "points" },
      { name: modelName, real: m.real, imag: m.imag, color: MODEL_COLOR, style: "line" },
    ] satisfies NyquistSeries[],
    { title: `Nyquist: ${title}` },
  );
  const bodeSeries = (y: (c: Curve) => number[]): Series[] => [
    { name: "data", x: d.frequency, y: y(d), color: DATA_COLOR, style: "points", radius: 2.6 },
    { name: modelName, x: m.frequency, y: y(m), color: MODEL_COLOR },
  ];
  const size = { width: 520, height: 360 };
  const magnitude = linePlot(bodeSeries(modulus), { title: `Bode |Z|: ${title}`, xLabel: "f (Hz)", yLabel: "|Z| (Ω)", logX: true, logY: true, ...size });
  const angle = linePlot(bodeSeries(phase), { title: `Bode phase: ${title}`, xLabel: "f (Hz)", yLabel: "phase (°)", logX: true, ...size });
  return `<div class="plots">${nyquist}${magnitude}${angle}</div>`;
}

/** The page around the sections, in the diagnosis report's look. */
function page(title: string, verdict: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${REPORT_BASE_CSS}
table{border-collapse:collapse;margin:.5rem 0} td,th{border-bottom:1px solid #ddd;padding:.25rem .6rem;text-align:right} td:first-child,th:first-child{text-align:left}
.plots{display:flex;flex-wrap:wrap;gap:1rem} .plots svg{border:1px solid #ddd;border-radius:4px}
.ok{color:#17702a;font-weight:600} .bad{color:#b00020;font-weight:600} .note{color:#555}
ul.warnings li{color:#8a4b00}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="verdict">${escapeHtml(verdict)}</p>
${body}
</body></html>
`;
}

const warningList = (warnings: readonly string[]): string =>
  warnings.length === 0 ? "" : `<h2>Warnings</h2><ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>`;

/**
 * The report of `strata eis fit --out`: the data and the fitted circuit.
 *
 * @param fit - the fit (its circuit is evaluated on a dense grid for the curves)
 * @param spectrum - the points fitted
 * @returns the HTML page
 */
export function circuitFitPage(fit: CircuitFitResult, spectrum: ImpedanceSpectrum): string {
  const frequency = denseFrequencies(spectrum.frequency);
  const z = circuitModel(fit.circuit, { initial: fit.parameters.map((p) => p.value) }).evaluate(frequency);
  const model: Curve = { frequency, real: z.re, imag: z.im };
  const alternatives = fit.alternatives ?? [];
  const verdict =
    `${fit.circuit} fitted to ${spectrum.source} (${fit.nPoints} points, ${fit.weighting} weights): ${fit.converged ? "converged" : "NOT converged"}, ` +
    `χ²/ν = ${fmt(fit.reducedChi2)}, RSS = ${fmt(fit.rss)} Ω²` +
    (alternatives.length > 0 ? `; the data do not decide between this minimum and ${alternatives.length} other${alternatives.length > 1 ? "s" : ""} (below)` : "");
  const rows = fit.parameters
    .map((q) => `<tr><td>${escapeHtml(q.name)}</td><td>${fmt(q.value, 6)}</td><td>${q.fixed ? "fixed" : fmt(q.stderr, 3)}</td><td>${escapeHtml(q.unit ?? "")}</td><td>${fmt(q.initial, 4)}</td></tr>`)
    .join("");
  const table = `<table><thead><tr><th>parameter</th><th>value</th><th>± (scaled)</th><th>unit</th><th>start</th></tr></thead><tbody>${rows}</tbody></table>`;
  const starts =
    fit.starts === undefined
      ? `<p class="note">Started from the given values (${escapeHtml(fit.initialSource)}).</p>`
      : `<h2>Starts</h2><table><thead><tr><th>start</th><th>χ² after its first descent</th><th></th></tr></thead><tbody>${fit.starts
          .map((s) => `<tr><td>${escapeHtml(s.source)}</td><td>${fmt(s.chi2, 5)}</td><td>${s.converged ? "" : "still descending"}</td></tr>`)
          .join("")}</tbody></table>`;
  const others = alternatives
    .map(
      (a) =>
        `<h3>Other minimum (start: ${escapeHtml(a.source)}): χ² ${fmt(a.chi2, 5)}, ${fmt(a.chi2 / fit.chi2, 3)}× this fit's; differs in ${escapeHtml(a.differences.map((d) => d.name).join(", "))}</h3>` +
        `<table><thead><tr><th>parameter</th><th>value</th><th>±</th><th>this fit</th></tr></thead><tbody>${a.parameters
          .map((q) => `<tr><td>${escapeHtml(q.name)}</td><td>${fmt(q.value, 5)}</td><td>${fmt(q.stderr, 3)}</td><td>${fmt(fit.parameters.find((p) => p.name === q.name)?.value ?? Number.NaN, 5)}</td></tr>`)
          .join("")}</tbody></table>`,
    )
    .join("");
  const body =
    spectrumPlots(spectrum, model, `fit: ${fit.circuit}`, fit.circuit) +
    `<h2>Parameters</h2>${table}<p class="note">${escapeHtml(fit.message)}. Standard errors scaled by √(χ²/ν).</p>` +
    starts +
    others +
    warningList([...spectrum.warnings, ...fit.warnings]);
  return page(`Equivalent-circuit fit — ${spectrum.source}`, verdict, body);
}

/** Z of the Lin-KK model (R₀ + jωL + 1/(jωC) + Σ R_k/(1 + jωτ_k)) on a grid. */
function linKKCurve(kk: LinKKResult, frequency: Float64Array): Curve {
  const real = new Float64Array(frequency.length);
  const imag = new Float64Array(frequency.length);
  frequency.forEach((f, i) => {
    const w = 2 * Math.PI * f;
    let re = kk.seriesResistance;
    let im = w * kk.inductance;
    if (kk.capacitance !== undefined && Number.isFinite(kk.capacitance) && kk.capacitance !== 0) im -= 1 / (w * kk.capacitance);
    for (let k = 0; k < kk.tau.length; k++) {
      const wt = w * kk.tau[k];
      const d = kk.resistances[k] / (1 + wt * wt);
      re += d;
      im -= d * wt;
    }
    real[i] = re;
    imag[i] = im;
  });
  return { frequency, real, imag };
}

/**
 * The report of `strata eis linkk --out`: the verdict and which fit decided it, the data with the KK model,
 * and the residuals against the threshold.
 *
 * @param kk - the Lin-KK result
 * @param spectrum - the data tested
 * @returns the HTML page
 */
export function linKKPage(kk: LinKKResult, spectrum: ImpedanceSpectrum): string {
  const model = linKKCurve(kk, denseFrequencies(spectrum.frequency));
  const order = Array.from({ length: spectrum.frequency.length }, (_, i) => i).sort((a, b) => spectrum.frequency[a] - spectrum.frequency[b]);
  const f = order.map((i) => spectrum.frequency[i]);
  const fMin = f[0];
  const fMax = f[f.length - 1];
  const t = 100 * kk.threshold;
  const residuals = linePlot(
    [
      { name: "real (ΔZ′/|Z|)", x: f, y: order.map((i) => 100 * kk.residuals.real[i]), color: DATA_COLOR },
      { name: "imaginary (ΔZ″/|Z|)", x: f, y: order.map((i) => 100 * kk.residuals.imag[i]), color: MODEL_COLOR },
      { name: `± threshold (${fmt(t, 3)} %)`, x: [fMin, fMax], y: [t, t], color: "#555", style: "dashed" },
      { name: " ", x: [fMin, fMax], y: [-t, -t], color: "#555", style: "dashed" },
    ],
    { title: `Lin-KK residuals (M = ${kk.M}, ${kk.mode} fit)`, xLabel: "f (Hz)", yLabel: "residual (%)", logX: true, width: 760, height: 360 },
  );
  const others =
    kk.otherModes.length === 0
      ? ""
      : `<h2>The other modes</h2><table><thead><tr><th>mode</th><th>M rule</th><th>M</th><th>max |residual|</th><th>at f (Hz)</th><th>verdict</th></tr></thead><tbody>${kk.otherModes
          .map(
            (o) =>
              `<tr><td>${o.mode}</td><td>${o.method === "mu" ? "μ rule" : o.method === "fixed" ? "fixed M" : "residual sweep"}</td><td>${o.M}</td><td>${fmt(100 * o.maxResidual, 3)} % in ${o.maxResidualPart === "real" ? "Z′" : "Z″"}</td><td>${fmt(o.maxResidualFrequency, 3)}</td><td class="${o.valid ? "ok" : "bad"}">${o.valid ? "KK-consistent" : "NOT KK-consistent"}</td></tr>`,
          )
          .join("")}</tbody></table>`;
  const body =
    `<p>Decided by ${escapeHtml(kk.decidedBy)}.</p><p class="note">${escapeHtml(kk.explanation)}</p>` +
    spectrumPlots(spectrum, model, `KK model (M = ${kk.M})`, `Lin-KK, M = ${kk.M}`) +
    `<div class="plots">${residuals}</div>` +
    others +
    warningList(spectrum.warnings);
  return page(`Lin-KK test — ${spectrum.source}`, kk.summary, body);
}

/**
 * The report of `strata eis drt --out`: γ(τ) with its peaks (and band), and the data with the DRT's model.
 *
 * @param result - the DRT
 * @param spectrum - the data
 * @returns the HTML page
 */
export function drtPage(result: DrtResult, spectrum: ImpedanceSpectrum): string {
  let fMin = Infinity;
  let fMax = -Infinity;
  for (const f of spectrum.frequency) {
    fMin = Math.min(fMin, f);
    fMax = Math.max(fMax, f);
  }
  const series: Series[] = [{ name: "γ(τ)", x: result.tau, y: result.gamma, color: DATA_COLOR }];
  if (result.band) {
    series.push(
      { name: `${Math.round(100 * result.band.level)} % credible band`, x: result.tau, y: result.band.lo, color: SECOND_COLOR, style: "dashed" },
      { name: " ", x: result.tau, y: result.band.hi, color: SECOND_COLOR, style: "dashed" },
    );
  }
  series.push({ name: "peaks", x: result.peaks.map((p) => p.tau), y: result.peaks.map((p) => p.height), color: MODEL_COLOR, style: "points", radius: 5 });
  const gamma = linePlot(series, {
    title: `DRT γ(τ), λ = ${fmt(result.lambda, 3)}`,
    xLabel: "τ (s)",
    yLabel: "γ (Ω)",
    logX: true,
    width: 760,
    height: 400,
    band: { from: 1 / (2 * Math.PI * fMax), to: 1 / (2 * Math.PI * fMin), label: "measured window" },
  });
  const d = sorted(spectrum);
  const m = sorted({ frequency: spectrum.frequency, real: result.fit.real, imag: result.fit.imag });
  const nyquist = nyquistPlot(
    [
      { name: "data", real: d.real, imag: d.imag, color: DATA_COLOR, style: "points" },
      { name: "DRT model", real: m.real, imag: m.imag, color: MODEL_COLOR, style: "line" },
    ],
    { title: "Nyquist: data and DRT model" },
  );
  const peaks = `<table><thead><tr><th>peak</th><th>τ (s)</th><th>f (Hz)</th><th>R (Ω)</th><th>width (decades)</th><th>outside the window</th><th></th></tr></thead><tbody>${result.peaks
    .map(
      (p, k) =>
        `<tr><td>${k + 1}</td><td>${fmt(p.tau, 4)}</td><td>${fmt(p.frequency, 4)}</td><td>${fmt(p.resistance, 4)}</td><td>${fmt(p.width, 3)}</td><td>${Math.round(100 * p.outsideFraction)} %</td><td>${p.truncated === "high" ? "cut at the high-frequency edge" : p.truncated === "low" ? "does not close at the low-frequency edge" : ""}</td></tr>`,
    )
    .join("")}</tbody></table>`;
  const verdict =
    `${result.peaks.length} peak${result.peaks.length === 1 ? "" : "s"}; R∞ = ${fmt(result.rInf)} Ω, polarisation ${fmt(result.polarizationResistance)} Ω ` +
    `(${fmt(result.polarizationInWindow)} Ω inside the measured window); λ = ${fmt(result.lambda, 3)} (${result.lambdaMethod})`;
  const body = `<div class="plots">${gamma}${nyquist}</div><h2>Peaks</h2>${peaks}` + warningList([...spectrum.warnings, ...result.warnings]);
  return page(`Distribution of relaxation times — ${spectrum.source}`, verdict, body);
}
