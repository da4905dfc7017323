/**
 * @module report/svgPlot
 * Small, dependency-free line/point plots rendered to SVG strings, so reports are
 * self-contained HTML files that need no network and no script to show their plots.
 */

export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  /** "line" (default), "points", or "dashed" */
  style?: "line" | "points" | "dashed";
  /** optional symmetric error bars (y ± yError) for points */
  yError?: ArrayLike<number>;
  /** error bars do not widen the y range: a bar longer than the data's spread is drawn to the frame (an unconstrained fit's ±1000 Å must not flatten everything else) @default false */
  clipErrors?: boolean;
  /** radius of points, px @default 2.2 */
  radius?: number;
  /** draw short horizontal caps on the error bars, so that a bar shorter than its point still shows @default false */
  caps?: boolean;
}

export interface PlotOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  logY?: boolean;
  logX?: boolean;
  width?: number;
  height?: number;
  /** optional shaded vertical band [x0, x1] with a label */
  band?: { from: number; to: number; label: string };
  /**
   * Where the legend goes: in a strip below the axes, where it cannot cover data (default;
   * the SVG grows by one 16-px row per line of entries), or in the top-right corner of the
   * data area (the old placement) @default "below"
   */
  legend?: "below" | "inside";
  /** show only this x range (a zoom: the y range follows the points inside it) @default the data's range */
  xDomain?: readonly [number, number];
  /** margin added on each side of the data's x (and linear y) range, as a fraction of it, so edge points are not cut by the frame @default 0.03 */
  pad?: number;
}

/** On a log axis, an error bar's lower end widens the range by at most this many decades below its point. */
const LOG_ERROR_BAR_DECADES = 1;

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Round numbers 1, 2, 5 × 10^k spanning [lo, hi] (shared by every plot module). */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

function formatTick(value: number, log: boolean): string {
  if (log) {
    const exponent = Math.round(Math.log10(value));
    return `1e${exponent}`;
  }
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(0);
  return Number(value.toPrecision(4)).toString();
}

/**
 * Render series as an SVG line plot.
 * Non-finite points, and non-positive ones on a log axis, are skipped (never drawn as 0).
 */
export function linePlot(series: readonly Series[], options: PlotOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const margin = { left: 72, right: 16, top: 36, bottom: 52 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const tx = (v: number): number => (options.logX ? Math.log10(v) : v);
  const ty = (v: number): number => (options.logY ? Math.log10(v) : v);
  const valid = (x: number, y: number): boolean =>
    Number.isFinite(x) && Number.isFinite(y) && (!options.logX || x > 0) && (!options.logY || y > 0);
  const zoom = options.xDomain;
  const inWindow = (x: number): boolean => !zoom || (x >= Math.min(zoom[0], zoom[1]) && x <= Math.max(zoom[0], zoom[1]));
  const padFraction = options.pad ?? 0.03;
  let xMin = Infinity;
  let xMax = -Infinity;
  let yMin = Infinity;
  let yMax = -Infinity;
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      if (!valid(s.x[i], s.y[i]) || !inWindow(s.x[i])) continue;
      xMin = Math.min(xMin, tx(s.x[i]));
      xMax = Math.max(xMax, tx(s.x[i]));
      // error bars are data too: the y range holds them (on a log axis, their positive ends)
      const e = s.yError && !s.clipErrors ? Math.abs(s.yError[i]) : 0;
      const lo = Number.isFinite(e) ? s.y[i] - e : s.y[i];
      const hi = Number.isFinite(e) ? s.y[i] + e : s.y[i];
      // (an error bar reaching down to R − dR ≈ 1e-16 must not stretch a log axis over 10 decades:
      // at most LOG_ERROR_BAR_DECADES below its point counts; the bar is drawn to the frame)
      yMin = Math.min(yMin, ty(options.logY ? (lo > 0 ? Math.max(lo, s.y[i] / 10 ** LOG_ERROR_BAR_DECADES) : s.y[i]) : lo));
      yMax = Math.max(yMax, ty(hi));
    }
  }
  if (zoom) {
    xMin = tx(Math.min(zoom[0], zoom[1]));
    xMax = tx(Math.max(zoom[0], zoom[1]));
  }
  if (!(xMax >= xMin)) {
    xMin = 0;
    xMax = 1;
  }
  if (!(yMax >= yMin)) {
    yMin = 0;
    yMax = 1;
  }
  if (xMax === xMin) {
    xMin -= 0.5;
    xMax += 0.5;
  }
  if (yMax === yMin) {
    const half = Math.abs(yMin) > 0 ? 0.05 * Math.abs(yMin) : 0.5;
    yMin -= half;
    yMax += half;
  }
  if (!zoom) {
    const padX = padFraction * (xMax - xMin);
    xMin -= padX;
    xMax += padX;
  }
  if (!options.logY) {
    const pad = Math.max(padFraction, 0.05) * (yMax - yMin);
    yMin -= pad;
    yMax += pad;
  } else {
    // a few decades or fewer: whole decades, so that there are ticks; more: a margin, so that a point is not on the frame
    if (yMax - yMin <= 2) {
      yMin = Math.floor(yMin - 0.02);
      yMax = Math.ceil(yMax + 0.02);
    } else {
      const pad = Math.max(padFraction, 0.03) * (yMax - yMin);
      yMin -= pad;
      yMax += pad;
    }
  }
  const sx = (v: number): number => margin.left + ((tx(v) - xMin) / (xMax - xMin)) * plotWidth;
  const sy = (v: number): number => margin.top + (1 - (ty(v) - yMin) / (yMax - yMin)) * plotHeight;
  // legend entries (series with a blank name share the entry above them), laid out in rows
  const entries = series.map((s, k) => ({ s, color: s.color ?? PALETTE[k % PALETTE.length] })).filter((e) => e.s.name.trim() !== "");
  const below = (options.legend ?? "below") === "below";
  const entryWidth = (name: string): number => 34 + 6.6 * name.length;
  const legendRows: { s: Series; color: string; x: number; row: number }[] = [];
  if (below) {
    let x = margin.left;
    let row = 0;
    for (const e of entries) {
      const w = entryWidth(e.s.name);
      if (x > margin.left && x + w > width - margin.right) {
        row++;
        x = margin.left;
      }
      legendRows.push({ ...e, x, row });
      x += w + 10;
    }
  }
  const legendHeight = below && legendRows.length > 0 ? 16 * (legendRows[legendRows.length - 1].row + 1) + 6 : 0;
  const totalHeight = height + legendHeight;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot" data-series="${series.length}" viewBox="0 0 ${width} ${totalHeight}" width="${width}" height="${totalHeight}" role="img" aria-label="${escapeXml(options.title)}">`,
  );
  parts.push(`<rect x="0" y="0" width="${width}" height="${totalHeight}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(options.title)}</text>`);
  parts.push(`<defs><clipPath id="clip-${hashCode(options.title)}"><rect x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}"/></clipPath></defs>`);
  // axes and ticks
  const xTicks = options.logX
    ? rangeInt(Math.ceil(xMin), Math.floor(xMax)).map((e) => Math.pow(10, e))
    : niceTicks(xMin, xMax);
  const yTicks = options.logY
    ? rangeInt(Math.ceil(yMin), Math.floor(yMax), Math.ceil((yMax - yMin) / 8)).map((e) => Math.pow(10, e))
    : niceTicks(yMin, yMax);
  for (const t of xTicks) {
    const x = sx(t);
    parts.push(`<line x1="${x}" y1="${margin.top}" x2="${x}" y2="${margin.top + plotHeight}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${margin.top + plotHeight + 18}" text-anchor="middle" font-size="12">${formatTick(t, !!options.logX)}</text>`);
  }
  for (const t of yTicks) {
    const y = sy(t);
    parts.push(`<line x1="${margin.left}" y1="${y}" x2="${margin.left + plotWidth}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${margin.left - 6}" y="${y + 4}" text-anchor="end" font-size="12">${formatTick(t, !!options.logY)}</text>`);
  }
  parts.push(`<rect class="frame" x="${margin.left}" y="${margin.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text class="x-label" x="${margin.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle" font-size="13">${escapeXml(options.xLabel)}</text>`);
  parts.push(
    `<text class="y-label" transform="translate(16 ${margin.top + plotHeight / 2}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(options.yLabel)}</text>`,
  );
  const clip = `clip-path="url(#clip-${hashCode(options.title)})"`;
  if (options.band) {
    const x0 = sx(options.band.from);
    const x1 = sx(options.band.to);
    parts.push(`<rect ${clip} x="${Math.min(x0, x1)}" y="${margin.top}" width="${Math.abs(x1 - x0)}" height="${plotHeight}" fill="#fdf1c7"/>`);
    parts.push(`<text x="${(x0 + x1) / 2}" y="${margin.top + 14}" text-anchor="middle" font-size="11" fill="#8a6d00">${escapeXml(options.band.label)}</text>`);
  }
  series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const points: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (!valid(s.x[i], s.y[i])) continue;
      points.push(`${sx(s.x[i]).toFixed(2)},${sy(s.y[i]).toFixed(2)}`);
    }
    if (s.style === "points") {
      const marks: string[] = [];
      for (let i = 0; i < s.x.length; i++) {
        if (!valid(s.x[i], s.y[i])) continue;
        const x = sx(s.x[i]);
        const y = sy(s.y[i]);
        if (s.yError && Number.isFinite(s.yError[i])) {
          const e = s.yError[i];
          const lo = s.y[i] - e;
          const y0 = options.logY && !(lo > 0) ? margin.top + plotHeight : Math.min(sy(lo), margin.top + plotHeight);
          const y1 = sy(s.y[i] + e);
          marks.push(`<line class="error-bar" x1="${x.toFixed(2)}" y1="${y0.toFixed(2)}" x2="${x.toFixed(2)}" y2="${y1.toFixed(2)}" stroke="${color}" stroke-opacity="${s.caps ? 0.8 : 0.5}"/>`);
          if (s.caps) {
            for (const yc of [y0, y1]) marks.push(`<line class="error-cap" x1="${(x - 4).toFixed(2)}" y1="${yc.toFixed(2)}" x2="${(x + 4).toFixed(2)}" y2="${yc.toFixed(2)}" stroke="${color}" stroke-opacity="0.8"/>`);
          }
        }
        marks.push(`<circle cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="${s.radius ?? 2.2}" fill="${color}"/>`);
      }
      parts.push(`<g class="series" data-name="${escapeXml(s.name)}" ${clip}>${marks.join("")}</g>`);
    } else {
      const dash = s.style === "dashed" ? ' stroke-dasharray="6 4"' : "";
      parts.push(
        `<polyline class="series" data-name="${escapeXml(s.name)}" ${clip} fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${points.join(" ")}"/>`,
      );
    }
  });
  // the legend: below the axes (default), or in the data area's top-right corner
  const legend: string[] = [];
  const entry = (s: Series, color: string, lx: number, ly: number): void => {
    const key =
      s.style === "points"
        ? `<circle cx="${lx + 10}" cy="${ly - 4}" r="${Math.max(3, s.radius ?? 2.2)}" fill="${color}"/>`
        : `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 20}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${s.style === "dashed" ? ' stroke-dasharray="6 4"' : ""}/>`;
    legend.push(`${key}<text x="${lx + 26}" y="${ly}" font-size="12">${escapeXml(s.name)}</text>`);
  };
  if (below) {
    for (const e of legendRows) entry(e.s, e.color, e.x, height + 12 + 16 * e.row);
  } else {
    const legendWidth = Math.min(plotWidth - 10, entryWidth("x".repeat(Math.max(0, ...entries.map((e) => e.s.name.length)))));
    entries.forEach((e, i) => entry(e.s, e.color, margin.left + plotWidth - legendWidth, margin.top + 14 + 16 * i));
  }
  if (legend.length > 0) parts.push(`<g class="legend">${legend.join("")}</g>`);
  parts.push("</svg>");
  return parts.join("");
}

function rangeInt(from: number, to: number, step = 1): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i += Math.max(1, step)) out.push(i);
  return out;
}

function hashCode(text: string): string {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}
