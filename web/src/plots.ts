/**
 * @module web/plots
 * The page's plots, drawn by uPlot on canvas: lines, credible bands, points with vertical
 * error bars (a draw hook), bars over named categories, linear or logarithmic y. Every plot
 * is a <figure> with a caption, labelled axes and `data-points` (how many finite values it
 * draws), and sits beside a table of its numbers (see web/panels). Units: as each axis label
 * states; sizes in CSS pixels.
 */
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** Okabe–Ito: distinguishable with the common colour-vision deficiencies (blue first, as the reports). */
export const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#f0e442"];
const PLOT_HEIGHT = 260;
const MIN_PLOT_WIDTH = 280;
/** Error-bar cap half-width and line width (CSS px). */
const CAP_PX = 3;
const ERROR_BAR_WIDTH = 1.2;

export type Value = number | null;

export interface LineSeries {
  label: string;
  y: Value[];
  color: string;
  /** "line" (default), "points" (markers only), "dashed" */
  style?: "line" | "points" | "dashed";
  /** ± half-lengths of vertical error bars (same length as y) */
  err?: Value[];
  /** y axis: "y" (left, default) or "y2" (right) */
  axis?: "y" | "y2";
}

export interface Band {
  label: string;
  lo: Value[];
  hi: Value[];
  color: string;
}

export interface XYPlot {
  title: string;
  x: number[];
  xLabel: string;
  yLabel: string;
  y2Label?: string;
  logY?: boolean;
  series: LineSeries[];
  bands?: Band[];
  /** a horizontal reference line (e.g. zero residual) */
  hLine?: number;
}

export interface BarPlot {
  title: string;
  categories: string[];
  values: number[];
  color: string;
  yLabel: string;
  xLabel: string;
}

const finite = (v: Value | undefined): v is number => typeof v === "number" && Number.isFinite(v);

/** Replaces the figure's content by a new plot; returns it (destroyed on the next draw into the same figure). */
const live = new WeakMap<HTMLElement, uPlot>();

function widthOf(figure: HTMLElement): number {
  return Math.max(MIN_PLOT_WIDTH, Math.floor(figure.clientWidth || figure.parentElement?.clientWidth || 600) - 4);
}

/**
 * The canvas holds the axis labels as pixels; the figure also carries them as text (a
 * visually hidden line of the caption, and `data-axes`, separated by " | ") for screen readers
 * and tests.
 */
function mount(figure: HTMLElement, title: string, points: number, axes: string[], make: (target: HTMLElement, width: number) => uPlot): void {
  live.get(figure)?.destroy();
  figure.replaceChildren();
  figure.setAttribute("aria-label", title);
  figure.dataset["points"] = String(points);
  figure.dataset["axes"] = axes.join(" | ");
  const caption = document.createElement("figcaption");
  caption.textContent = title;
  const axesText = document.createElement("span");
  axesText.className = "visually-hidden";
  axesText.textContent = ` Axes: ${axes.join("; ")}.`;
  caption.append(axesText);
  const target = document.createElement("div");
  target.className = "canvas";
  figure.append(caption, target);
  if (points === 0) {
    const empty = document.createElement("p");
    empty.className = "empty";
    empty.textContent = "no data yet";
    target.append(empty);
    return;
  }
  live.set(figure, make(target, widthOf(figure)));
}

/** Draws ± error bars of the series that have them. */
function errorBars(spec: XYPlot, seriesOffset: number): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const ctx = u.ctx;
        ctx.save();
        ctx.beginPath();
        ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
        ctx.clip();
        const cap = CAP_PX * devicePixelRatio;
        spec.series.forEach((s, k) => {
          if (!s.err || u.series[k + seriesOffset].show === false) return;
          const scale = s.axis ?? "y";
          const [min] = [u.scales[scale].min ?? -Infinity];
          ctx.strokeStyle = s.color;
          ctx.lineWidth = ERROR_BAR_WIDTH * devicePixelRatio;
          ctx.beginPath();
          for (let i = 0; i < spec.x.length; i++) {
            const y = s.y[i];
            const e = s.err[i];
            if (!finite(y) || !finite(e)) continue;
            const low = spec.logY && y - e <= 0 ? min : y - e;
            const px = u.valToPos(spec.x[i], "x", true);
            const top = u.valToPos(y + e, scale, true);
            const bottom = u.valToPos(low, scale, true);
            ctx.moveTo(px, top);
            ctx.lineTo(px, bottom);
            ctx.moveTo(px - cap, top);
            ctx.lineTo(px + cap, top);
            if (!(spec.logY && y - e <= 0)) {
              ctx.moveTo(px - cap, bottom);
              ctx.lineTo(px + cap, bottom);
            }
          }
          ctx.stroke();
        });
        ctx.restore();
      },
    },
  };
}

const SUPERSCRIPT: Record<string, string> = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
/** Tolerance for a log-axis split being an exact power of ten. */
const DECADE_TOLERANCE = 1e-6;

/** Least vertical room per labelled decade on a log axis (CSS px). */
const DECADE_SPACING_PX = 22;

/**
 * Ticks of a (vertical) log axis: powers of ten, every k-th so that labels do not overlap,
 * labelled 10ⁿ. uPlot rounds split values before it asks for labels (1e-7 would come back
 * as 0), so the labels are taken from the exponents computed here.
 */
function decadeAxis(): Pick<uPlot.Axis, "splits" | "values"> {
  let exponents: number[] = [];
  return {
    splits: (u, _axisIndex, min, max) => {
      exponents = [];
      if (!(min > 0) || !(max > min)) return [];
      const first = Math.ceil(Math.log10(min) - DECADE_TOLERANCE);
      const last = Math.floor(Math.log10(max) + DECADE_TOLERANCE);
      const height = u.bbox.height / devicePixelRatio;
      const stride = Math.max(1, Math.ceil((DECADE_SPACING_PX * (last - first + 1)) / Math.max(1, height)));
      for (let e = first; e <= last; e++) if ((e - first) % stride === 0) exponents.push(e);
      return exponents.map((e) => 10 ** e);
    },
    values: (_u, splits) => splits.map((_, i) => (i < exponents.length ? `10${[...String(exponents[i])].map((c) => SUPERSCRIPT[c] ?? c).join("")}` : "")),
  };
}

/** Lines, points with error bars and 95 % bands over a numeric x. */
export function drawXY(figure: HTMLElement, spec: XYPlot): void {
  const bands = spec.bands ?? [];
  const clean = (values: Value[]): Value[] => values.map((v) => (finite(v) && (!spec.logY || v > 0) ? v : null));
  const data: uPlot.AlignedData = [spec.x, ...bands.flatMap((b) => [clean(b.hi), clean(b.lo)]), ...spec.series.map((s) => clean(s.y))];
  const points = spec.series.reduce((n, s) => n + clean(s.y).filter(finite).length, 0);
  const series: uPlot.Series[] = [{ label: spec.xLabel }];
  const uBands: uPlot.Band[] = [];
  bands.forEach((b, k) => {
    // the band's edges are series of their own (uPlot fills between two series); the legend names the band once
    series.push({ label: b.label, stroke: b.color, width: 0, points: { show: false }, spanGaps: true });
    series.push({ label: `${b.label} (lower)`, class: "band-lower", stroke: b.color, width: 0, points: { show: false }, spanGaps: true });
    uBands.push({ series: [1 + 2 * k, 2 + 2 * k], fill: `${b.color}33` });
  });
  const offset = 1 + 2 * bands.length;
  for (const s of spec.series) {
    const scale = s.axis ?? "y";
    if (s.style === "points") {
      series.push({ label: s.label, scale, stroke: s.color, fill: s.color, paths: () => null, points: { show: true, size: 6, stroke: s.color, fill: s.color } });
    } else {
      series.push({ label: s.label, scale, stroke: s.color, width: 2, spanGaps: true, dash: s.style === "dashed" ? [6, 4] : undefined, points: { show: false } });
    }
  }
  const hasY2 = spec.series.some((s) => s.axis === "y2");
  const axes: uPlot.Axis[] = [
    { label: spec.xLabel, stroke: "#222", grid: { stroke: "#eee" } },
    { label: spec.yLabel, scale: "y", stroke: "#222", grid: { stroke: "#eee" }, size: 64, ...(spec.logY ? decadeAxis() : {}) },
  ];
  if (hasY2) axes.push({ label: spec.y2Label ?? "", scale: "y2", side: 1, stroke: "#222", grid: { show: false }, size: 64 });
  // ranges cover the error bars and leave a margin, so no bar is cut at the frame
  const yRange = spanOf(spec, "y");
  const y2Range = spanOf(spec, "y2");
  const scales: uPlot.Scales = { x: { time: false, range: padded(spanOfValues(spec.x)) }, y: spec.logY ? { distr: 3, log: 10 } : { range: padded(yRange) } };
  if (hasY2) scales["y2"] = { range: padded(y2Range) };
  const plugins = [errorBars(spec, offset)];
  if (spec.hLine !== undefined) plugins.push(referenceLine(spec.hLine));
  const labels = [spec.xLabel, spec.yLabel, ...(hasY2 ? [spec.y2Label ?? ""] : [])];
  mount(figure, spec.title, points, labels, (target, width) => new uPlot({ width, height: PLOT_HEIGHT, series, axes, scales, bands: uBands, plugins, legend: { live: false }, cursor: { drag: { x: true, y: false } } }, data, target));
}

/** Fraction of the data span added on each side of a linear axis. */
const RANGE_MARGIN = 0.05;

function spanOfValues(values: readonly Value[]): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values)
    if (finite(v)) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  return lo <= hi ? [lo, hi] : null;
}

/** The extent of everything drawn on one y axis: series, their error bars, bands, the reference line. */
function spanOf(spec: XYPlot, axis: "y" | "y2"): [number, number] | null {
  const values: Value[] = [];
  for (const s of spec.series) {
    if ((s.axis ?? "y") !== axis) continue;
    s.y.forEach((y, i) => {
      const e = s.err?.[i];
      if (finite(y) && finite(e)) values.push(y - e, y + e);
      else values.push(y);
    });
  }
  if (axis === "y") {
    for (const b of spec.bands ?? []) values.push(...b.lo, ...b.hi);
    if (spec.hLine !== undefined) values.push(spec.hLine);
  }
  return spanOfValues(values);
}

/** A range function: the span with a margin (one value alone gets ±1 or ±10 %). */
function padded(span: [number, number] | null): uPlot.Range.Function {
  return (_u, dataMin, dataMax) => {
    const [lo, hi] = span ?? [dataMin, dataMax];
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
    const width = hi - lo;
    const margin = width > 0 ? RANGE_MARGIN * width : Math.abs(lo) > 0 ? 0.1 * Math.abs(lo) : 1;
    return [lo - margin, hi + margin];
  };
}

function referenceLine(value: number): uPlot.Plugin {
  return {
    hooks: {
      draw: (u) => {
        const y = u.valToPos(value, "y", true);
        const ctx = u.ctx;
        ctx.save();
        ctx.strokeStyle = "#888";
        ctx.setLineDash([4, 4]);
        ctx.beginPath();
        ctx.moveTo(u.bbox.left, y);
        ctx.lineTo(u.bbox.left + u.bbox.width, y);
        ctx.stroke();
        ctx.restore();
      },
    },
  };
}

/** Bars over named categories (x = 0, 1, … labelled by name). */
export function drawBars(figure: HTMLElement, spec: BarPlot): void {
  const x = spec.categories.map((_, i) => i);
  const bars = uPlot.paths.bars!({ size: [0.6, 80] });
  const points = spec.values.filter(finite).length;
  mount(figure, spec.title, points, [spec.xLabel, spec.yLabel], (target, width) =>
    new uPlot(
      {
        width,
        height: PLOT_HEIGHT,
        series: [{ label: spec.xLabel }, { label: spec.yLabel, stroke: spec.color, fill: `${spec.color}cc`, paths: bars, points: { show: false } }],
        scales: { x: { time: false, range: [-0.5, spec.categories.length - 0.5] }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
        axes: [
          { label: spec.xLabel, stroke: "#222", grid: { show: false }, splits: () => x, values: (_u, splits) => splits.map((i) => spec.categories[i] ?? "") },
          { label: spec.yLabel, stroke: "#222", grid: { stroke: "#eee" }, size: 64 },
        ],
        legend: { show: false },
        cursor: { show: false },
      },
      [x, spec.values],
      target,
    ),
  );
}

/** Keeps every plot as wide as its figure when the window changes size. */
export function resizeAll(root: ParentNode): void {
  for (const figure of root.querySelectorAll<HTMLElement>("figure.plot")) {
    const plot = live.get(figure);
    if (plot) plot.setSize({ width: widthOf(figure), height: PLOT_HEIGHT });
  }
}
