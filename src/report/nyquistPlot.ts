/**
 * @module report/nyquistPlot
 * The Nyquist plot of an impedance spectrum as a dependency-free SVG string: Z′ across, −Z″ up
 * (capacitive arcs above the axis), both axes at the same Ω per pixel so that a semicircle looks like
 * one. The marks and classes follow `svgPlot`'s `linePlot` (`svg.plot` with the title as `aria-label`,
 * `g.series` of circles for points, `polyline.series` for lines, `rect.frame`, `text.x-label`,
 * `text.y-label`, a `g.legend` below the axes), so the same browser checks read both.
 *
 * Units: impedance Ω.
 */
import { escapeXml, niceTicks } from "./svgPlot.ts";

/** One series of a Nyquist plot. */
export interface NyquistSeries {
  readonly name: string;
  /** Z′ (Ω). */
  readonly real: ArrayLike<number>;
  /** Z″ (Ω), < 0 capacitive (plotted as −Z″). */
  readonly imag: ArrayLike<number>;
  readonly color: string;
  /** Points (the data) or a line (a model). @default "line" */
  readonly style?: "points" | "line";
  /** Radius of the points (px). @default 2.6 */
  readonly radius?: number;
}

/** Options of {@link nyquistPlot}. */
export interface NyquistPlotOptions {
  readonly title: string;
  /** Width of the whole figure (px). @default 520 */
  readonly width?: number;
  /** Height of the frame and its labels, without the legend (px). @default 440 */
  readonly height?: number;
  /** Unit shown in the axis labels. @default "Ω" */
  readonly unit?: string;
}



function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(1).replace(/\.0e/, "e");
  return Number(value.toPrecision(4)).toString();
}

/**
 * A Nyquist plot with equal scales on both axes (Ω per pixel): the data range of the wider axis fills its
 * side of the frame and the other axis is widened around its data to the same scale. Non-finite points are
 * skipped.
 *
 * @param series - data (points) and models (lines)
 * @param options - title, size, unit
 * @returns the SVG element as a string
 */
export function nyquistPlot(series: readonly NyquistSeries[], options: NyquistPlotOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 440;
  const unit = options.unit ?? "Ω";
  const margin = { left: 78, right: 16, top: 36, bottom: 52 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.real.length; i++) {
      const x = s.real[i];
      const y = -s.imag[i];
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      xMin = Math.min(xMin, x);
      xMax = Math.max(xMax, x);
      yMin = Math.min(yMin, y);
      yMax = Math.max(yMax, y);
    }
  }
  if (!(xMax >= xMin) || !(yMax >= yMin)) {
    xMin = 0;
    xMax = 1;
    yMin = 0;
    yMax = 1;
  }
  // −Z″ = 0 stays in view (where the arcs start), and a 4 % margin keeps edge points off the frame
  yMin = Math.min(yMin, 0);
  yMax = Math.max(yMax, 0);
  const span = Math.max(xMax - xMin, yMax - yMin, Number.MIN_VALUE);
  const padX = 0.04 * Math.max(xMax - xMin, span * 0.02);
  const padY = 0.04 * Math.max(yMax - yMin, span * 0.02);
  xMin -= padX;
  xMax += padX;
  yMin -= padY;
  yMax += padY;
  // Equal scales: Ω per pixel is the larger of the two needs; the other axis grows around its centre.
  const scale = Math.max((xMax - xMin) / plotWidth, (yMax - yMin) / plotHeight);
  const xMid = (xMin + xMax) / 2;
  xMin = xMid - (scale * plotWidth) / 2;
  xMax = xMid + (scale * plotWidth) / 2;
  const yGrow = scale * plotHeight - (yMax - yMin);
  // widen −Z″ upwards first (the arcs are above the axis), below 0 only as far as the data go
  yMax += yGrow;
  const sx = (v: number): number => margin.left + ((v - xMin) / (xMax - xMin)) * plotWidth;
  const sy = (v: number): number => margin.top + (1 - (v - yMin) / (yMax - yMin)) * plotHeight;

  const legendEntries = series.filter((s) => s.name.trim() !== "");
  const entryWidth = (name: string): number => 34 + 6.6 * name.length;
  const legendRows: { s: NyquistSeries; x: number; row: number }[] = [];
  let lx = margin.left;
  let row = 0;
  for (const s of legendEntries) {
    const w = entryWidth(s.name);
    if (lx > margin.left && lx + w > width - margin.right) {
      row++;
      lx = margin.left;
    }
    legendRows.push({ s, x: lx, row });
    lx += w + 10;
  }
  const legendHeight = legendRows.length > 0 ? 16 * (row + 1) + 6 : 0;
  const totalHeight = height + legendHeight;
  const clipId = `clip-nyquist-${hashCode(options.title)}`;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot nyquist" data-series="${series.length}" data-scale-x="${((xMax - xMin) / plotWidth).toPrecision(6)}" data-scale-y="${((yMax - yMin) / plotHeight).toPrecision(6)}" viewBox="0 0 ${width} ${totalHeight}" width="${width}" height="${totalHeight}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${totalHeight}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  parts.push(`<defs><clipPath id="${clipId}"><rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}"/></clipPath></defs>`);
  // one tick step for both axes, so that the grid is made of squares
  const step = tickStep(Math.max(xMax - xMin, yMax - yMin) / 6);
  for (const t of ticksWithStep(xMin, xMax, step)) {
    const x = sx(t);
    parts.push(`<line x1="${x.toFixed(2)}" y1="${margin.top}" x2="${x.toFixed(2)}" y2="${margin.top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${x.toFixed(2)}" y="${margin.top + plotHeight + 18}" text-anchor="middle" font-size="12">${formatTick(t)}</text>`);
  }
  for (const t of ticksWithStep(yMin, yMax, step)) {
    const y = sy(t);
    parts.push(`<line x1="${margin.left}" y1="${y.toFixed(2)}" x2="${margin.left + plotWidth}" y2="${y.toFixed(2)}" stroke="${t === 0 ? "#bbb" : "#eee"}"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${(y + 4).toFixed(2)}" text-anchor="end" font-size="12">${formatTick(t)}</text>`);
  }
  parts.push(`<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text class="x-label" x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" font-size="13">Z′ (${escapeXml(unit)})</text>`);
  parts.push(`<text class="y-label" transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="13">−Z″ (${escapeXml(unit)})</text>`);
  const clip = `clip-path="url(#${clipId})"`;
  for (const s of series) {
    if (s.style === "points") {
      const marks: string[] = [];
      for (let i = 0; i < s.real.length; i++) {
        if (!Number.isFinite(s.real[i]) || !Number.isFinite(s.imag[i])) continue;
        marks.push(`<circle cx="${sx(s.real[i]).toFixed(2)}" cy="${sy(-s.imag[i]).toFixed(2)}" r="${s.radius ?? 2.6}" fill="${s.color}"/>`);
      }
      parts.push(`<g class="series" data-name="${escapeXml(s.name)}" ${clip}>${marks.join("")}</g>`);
    } else {
      const points: string[] = [];
      for (let i = 0; i < s.real.length; i++) {
        if (!Number.isFinite(s.real[i]) || !Number.isFinite(s.imag[i])) continue;
        points.push(`${sx(s.real[i]).toFixed(2)},${sy(-s.imag[i]).toFixed(2)}`);
      }
      parts.push(`<polyline class="series" data-name="${escapeXml(s.name)}" ${clip} fill="none" stroke="${s.color}" stroke-width="1.8" points="${points.join(" ")}"/>`);
    }
  }
  const legend = legendRows.map(({ s, x, row: r }) => {
    const y = height + 12 + 16 * r;
    const key =
      s.style === "points"
        ? `<circle cx="${x + 10}" cy="${y - 4}" r="${Math.max(3, s.radius ?? 2.6)}" fill="${s.color}"/>`
        : `<line x1="${x}" y1="${y - 4}" x2="${x + 20}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"/>`;
    return `${key}<text x="${x + 26}" y="${y}" font-size="12">${escapeXml(s.name)}</text>`;
  });
  if (legend.length > 0) parts.push(`<g class="legend">${legend.join("")}</g>`);
  parts.push("</svg>");
  return parts.join("");
}

/** A round step (1, 2, 5 × 10^k) at least `raw`. */
function tickStep(raw: number): number {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
}

function ticksWithStep(lo: number, hi: number, step: number): number[] {
  if (!(hi > lo) || !(step > 0)) return niceTicks(lo, hi, 6);
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function hashCode(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
