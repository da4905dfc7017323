/**
 * @module report/posteriorPlots
 * SVG primitives for posterior pictures, beside report/svgPlot's line plots: a line plot
 * with shaded bands (an SLD profile with its 95 % posterior band), MCMC trace plots (every
 * walker's chain, burn-in marked) and a corner plot (1-D histograms on the diagonal, 2-D
 * scatter of the draws below it). Dependency-free SVG strings with the `svg.plot` class
 * and `aria-label` title of svgPlot, so reports count and name their marks alike.
 * Units: those of the data passed in; axis labels carry them.
 */
import { escapeXml, niceTicks as niceTicksOfSvgPlot } from "./svgPlot.ts";

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"];

/** SVG coordinates to 0.1 px: finer is invisible, and traces and corner plots hold tens of thousands of them. */
const px = (v: number): string => v.toFixed(1);

/** Round numbers 1, 2, 5 × 10^k spanning [lo, hi] (svgPlot's rule), at least two when the range allows. */
function niceTicks(lo: number, hi: number, count = 5): number[] {
  let ticks = niceTicksOfSvgPlot(lo, hi, count);
  // the fewest more ticks that give two (a small cell's range can fall between two round numbers)
  for (let more = count + 1; ticks.length < 2 && hi > lo && more <= 3 * count + 2; more++) ticks = niceTicksOfSvgPlot(lo, hi, more);
  return ticks;
}


function formatTick(value: number): string {
  const abs = Math.abs(value);
  if (abs === 0) return "0";
  if (abs >= 1e4 || abs < 1e-3) return value.toExponential(1);
  return Number(value.toPrecision(4)).toString();
}

/** [min, max] of the finite values of several arrays, padded by `pad` of the span (a zero span widened to ±1 %, or ±1). */
function extent(arrays: readonly ArrayLike<number>[], pad = 0.04): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      if (!Number.isFinite(a[i])) continue;
      if (a[i] < lo) lo = a[i];
      if (a[i] > hi) hi = a[i];
    }
  }
  if (!(hi >= lo)) return [0, 1];
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? 0.01 * Math.abs(lo) : 1;
    return [lo - d, hi + d];
  }
  const d = pad * (hi - lo);
  return [lo - d, hi + d];
}

/** A linear plot frame: scales, grid, ticks, box and axis labels. */
interface Frame {
  sx: (v: number) => number;
  sy: (v: number) => number;
  parts: string[];
  clip: string;
}

let clipCounter = 0;
/** Each frame its own clip-path id, so two plots of the same title cannot share (and break) one. */
function nextClipId(): string {
  clipCounter = (clipCounter + 1) % 1_000_000_007;
  return `pp-clip-${clipCounter.toString(36)}`;
}

function frame(
  box: { x: number; y: number; width: number; height: number },
  xRange: [number, number],
  yRange: [number, number],
  labels: { x?: string; y?: string; xTicks?: boolean; yTicks?: boolean; fontSize?: number },
): Frame {
  const [x0, x1] = xRange;
  const [y0, y1] = yRange;
  const sx = (v: number): number => box.x + ((v - x0) / (x1 - x0)) * box.width;
  const sy = (v: number): number => box.y + (1 - (v - y0) / (y1 - y0)) * box.height;
  const fs = labels.fontSize ?? 12;
  const parts: string[] = [];
  const id = nextClipId();
  parts.push(`<defs><clipPath id="${id}"><rect x="${px(box.x)}" y="${px(box.y)}" width="${px(box.width)}" height="${px(box.height)}"/></clipPath></defs>`);
  if (labels.xTicks !== false) {
    for (const t of niceTicks(x0, x1, Math.max(2, Math.round(box.width / 90)))) {
      parts.push(`<line x1="${px(sx(t))}" y1="${px(box.y)}" x2="${px(sx(t))}" y2="${px(box.y + box.height)}" stroke="#eee"/>`);
      parts.push(`<text x="${px(sx(t))}" y="${px(box.y + box.height + fs + 4)}" text-anchor="middle" font-size="${fs}">${formatTick(t)}</text>`);
    }
  }
  if (labels.yTicks !== false) {
    for (const t of niceTicks(y0, y1, Math.max(3, Math.round(box.height / 40)))) {
      parts.push(`<line x1="${px(box.x)}" y1="${px(sy(t))}" x2="${px(box.x + box.width)}" y2="${px(sy(t))}" stroke="#eee"/>`);
      parts.push(`<text x="${px(box.x - 5)}" y="${px(sy(t) + 4)}" text-anchor="end" font-size="${fs}">${formatTick(t)}</text>`);
    }
  }
  parts.push(`<rect x="${px(box.x)}" y="${px(box.y)}" width="${px(box.width)}" height="${px(box.height)}" fill="none" stroke="#333"/>`);
  if (labels.x) parts.push(`<text x="${px(box.x + box.width / 2)}" y="${px(box.y + box.height + 2 * fs + 10)}" text-anchor="middle" font-size="${fs + 1}">${escapeXml(labels.x)}</text>`);
  if (labels.y) parts.push(`<text transform="translate(${px(box.x - 3.6 * fs - 6)} ${px(box.y + box.height / 2)}) rotate(-90)" text-anchor="middle" font-size="${fs + 1}">${escapeXml(labels.y)}</text>`);
  return { sx, sy, parts, clip: `clip-path="url(#${id})"` };
}

function svgOpen(width: number, height: number, title: string, kind: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="plot ${kind}" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeXml(title)}">` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="white"/>` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(title)}</text>`
  );
}

function polyline(f: Frame, x: ArrayLike<number>, y: ArrayLike<number>, attributes: string): string {
  const points: string[] = [];
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]) && Number.isFinite(y[i])) points.push(`${px(f.sx(x[i]))},${px(f.sy(y[i]))}`);
  return `<polyline ${f.clip} fill="none" points="${points.join(" ")}" ${attributes}/>`;
}

/** A shaded band between `lo` and `hi` over x (e.g. a central 95 % posterior interval at each depth). */
export interface Band {
  name: string;
  x: ArrayLike<number>;
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
  color?: string;
}

/** A line over x. */
export interface Line {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  dashed?: boolean;
}

/**
 * Lines over shaded bands, on linear axes. Each band is one closed path (class `band`): the
 * upper edge left to right, then the lower edge back. The legend stands in a strip below
 * the axes (as svgPlot's), where it cannot cover the curves.
 */
export function bandPlot(bands: readonly Band[], lines: readonly Line[], options: { title: string; xLabel: string; yLabel: string; width?: number; height?: number }): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  const box = { x: 72, y: 36, width: width - 72 - 16, height: height - 36 - 52 };
  const legend = [
    ...bands.map((b, k) => ({ name: b.name, color: b.color ?? PALETTE[k % PALETTE.length], kind: "band" as const })),
    ...lines.map((l, k) => ({ name: l.name, color: l.color ?? PALETTE[(k + bands.length) % PALETTE.length], kind: l.dashed ? ("dashed" as const) : ("line" as const) })),
  ];
  const placed: { x: number; row: number }[] = [];
  let x = box.x;
  let row = 0;
  for (const e of legend) {
    const w = 34 + 6.6 * e.name.length;
    if (x > box.x && x + w > width - 16) {
      row++;
      x = box.x;
    }
    placed.push({ x, row });
    x += w + 10;
  }
  const legendHeight = legend.length > 0 ? 16 * (row + 1) + 6 : 0;
  const f = frame(box, extent([...bands.map((b) => b.x), ...lines.map((l) => l.x)], 0), extent([...bands.flatMap((b) => [b.lo, b.hi]), ...lines.map((l) => l.y)]), { x: options.xLabel, y: options.yLabel });
  const parts = [svgOpen(width, height + legendHeight, options.title, "band-plot"), ...f.parts];
  bands.forEach((b, k) => {
    const upper: string[] = [];
    const lower: string[] = [];
    for (let i = 0; i < b.x.length; i++) {
      if (!Number.isFinite(b.x[i]) || !Number.isFinite(b.lo[i]) || !Number.isFinite(b.hi[i])) continue;
      upper.push(`${px(f.sx(b.x[i]))},${px(f.sy(b.hi[i]))}`);
      lower.push(`${px(f.sx(b.x[i]))},${px(f.sy(b.lo[i]))}`);
    }
    if (upper.length === 0) return;
    parts.push(`<path class="band" data-name="${escapeXml(b.name)}" ${f.clip} d="M${upper.join(" L")} L${lower.reverse().join(" L")} Z" fill="${legend[k].color}" fill-opacity="0.25" stroke="none"/>`);
  });
  lines.forEach((l, k) => {
    const e = legend[bands.length + k];
    parts.push(polyline(f, l.x, l.y, `class="series" data-name="${escapeXml(l.name)}" stroke="${e.color}" stroke-width="1.8"${l.dashed ? ' stroke-dasharray="6 4"' : ""}`));
  });
  legend.forEach((e, i) => {
    const lx = placed[i].x;
    const ly = height + 4 + 16 * placed[i].row;
    parts.push(
      e.kind === "band"
        ? `<rect x="${px(lx)}" y="${px(ly - 9)}" width="20" height="10" fill="${e.color}" fill-opacity="0.25"/>`
        : `<line x1="${px(lx)}" y1="${px(ly - 4)}" x2="${px(lx + 20)}" y2="${px(ly - 4)}" stroke="${e.color}" stroke-width="2"${e.kind === "dashed" ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    parts.push(`<text x="${px(lx + 26)}" y="${px(ly)}" font-size="12">${escapeXml(e.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}

/** The stored chain of a sampler run, as the trace and corner plots read it. */
export interface ChainView {
  /** Parameter names, in chain order. */
  names: readonly string[];
  /** Units per parameter ("" when dimensionless or unknown). */
  units: readonly string[];
  walkers: number;
  /** Stored steps (after burn-in and thinning). */
  keptSteps: number;
  /** Samples, [keptSteps][walkers][params] row-major. */
  chain: ArrayLike<number>;
  /** Steps discarded before the first stored one (burn-in, and blocks dropped at a proposal refresh). */
  burn: number;
  thin: number;
}

/** Vertices drawn per walker at most in a trace (longer chains are shown every k-th stored step). */
const MAX_TRACE_VERTICES = 150;

/**
 * One trace plot per parameter: every walker's stored chain against the step number, the
 * discarded burn-in shaded at the left (its positions are not stored, so that stretch is
 * empty: the shading marks where the kept chain starts).
 */
export function tracePlots(view: ChainView, options: { width?: number; height?: number } = {}): string[] {
  const width = options.width ?? 440;
  const height = options.height ?? 190;
  const p = view.names.length;
  const stride = Math.max(1, Math.ceil(view.keptSteps / MAX_TRACE_VERTICES));
  const shown: number[] = [];
  for (let s = 0; s < view.keptSteps; s += stride) shown.push(s);
  if (shown[shown.length - 1] !== view.keptSteps - 1 && view.keptSteps > 0) shown.push(view.keptSteps - 1);
  const stepOf = (s: number): number => view.burn + (s + 1) * view.thin;
  const lastStep = stepOf(view.keptSteps - 1);
  return view.names.map((name, j) => {
    const values: number[] = [];
    for (const s of shown) for (let w = 0; w < view.walkers; w++) values.push(view.chain[(s * view.walkers + w) * p + j]);
    const title = `Trace: ${name}`;
    const box = { x: 78, y: 32, width: width - 78 - 12, height: height - 32 - 44 };
    const yLabel = view.units[j] ? `${shortName(name)} (${view.units[j]})` : shortName(name);
    const f = frame(box, [0, Math.max(lastStep, 1)], extent([values]), { x: "step (burn-in included)", y: yLabel, fontSize: 11 });
    const parts = [svgOpen(width, height, title, "trace"), ...f.parts];
    if (view.burn > 0) {
      const x1 = f.sx(view.burn);
      const text = `burn-in ${view.burn} steps (not stored)`;
      // inside the shaded stretch when it is wide enough (≈ 5.6 px a character at 10 px), else just right of it
      const inside = x1 - box.x > 5.6 * text.length + 8;
      parts.push(`<rect class="burn-in" ${f.clip} x="${px(box.x)}" y="${px(box.y)}" width="${px(x1 - box.x)}" height="${px(box.height)}" fill="#fdf1c7"/>`);
      parts.push(`<line x1="${px(x1)}" y1="${px(box.y)}" x2="${px(x1)}" y2="${px(box.y + box.height)}" stroke="#8a6d00" stroke-dasharray="4 3"/>`);
      parts.push(`<text x="${px(inside ? x1 - 4 : x1 + 4)}" y="${px(box.y + 12)}" text-anchor="${inside ? "end" : "start"}" font-size="10" fill="#8a6d00">${escapeXml(text)}</text>`);
    }
    for (let w = 0; w < view.walkers; w++) {
      const x = shown.map(stepOf);
      const y = shown.map((s) => view.chain[(s * view.walkers + w) * p + j]);
      parts.push(polyline(f, x, y, `class="walker" stroke="${PALETTE[w % PALETTE.length]}" stroke-opacity="0.45" stroke-width="0.9"`));
    }
    parts.push("</svg>");
    return parts.join("");
  });
}

/** Draws scattered per lower-triangle cell of a corner plot at most. */
export const MAX_CORNER_POINTS = 240;
/** Histogram bins of a corner plot's diagonal. */
const CORNER_BINS = 30;

/**
 * A corner plot of the stored draws: on the diagonal each parameter's histogram with its
 * median (solid) and central 95 % interval (dashed) and, when given, a reference value
 * (e.g. the least-squares optimum, red); below it the pairwise scatter of up to
 * {@link MAX_CORNER_POINTS} draws spread evenly over the chain. No truth is drawn.
 */
export function cornerPlot(view: ChainView, options: { title: string; reference?: { name: string; values: ArrayLike<number> }; cell?: number }): string {
  const p = view.names.length;
  const cell = options.cell ?? Math.max(70, Math.min(150, Math.floor(900 / p)));
  const gap = 6;
  const labels = view.names.map((name, k) => (view.units[k] ? `${shortName(name)} (${view.units[k]})` : shortName(name)));
  // row names stand horizontally left of the tick labels (≤ 6.4 px a character at 10 px)
  const left = 56 + Math.min(200, 6.4 * Math.max(...labels.map((l) => l.length)));
  const top = 40;
  const bottom = 96;
  const size = left + p * cell + (p - 1) * gap + 16;
  const height = top + p * cell + (p - 1) * gap + bottom;
  const total = view.walkers * view.keptSteps;
  const column = (j: number): Float64Array => {
    const out = new Float64Array(total);
    for (let i = 0; i < total; i++) out[i] = view.chain[i * p + j];
    return out;
  };
  const columns = Array.from({ length: p }, (_, j) => column(j));
  const ranges = columns.map((c, j) => extent(options.reference ? [c, [options.reference.values[j]]] : [c], 0.06));
  const picks = Array.from({ length: Math.min(MAX_CORNER_POINTS, total) }, (_, i) => Math.floor(((i + 0.5) * total) / Math.min(MAX_CORNER_POINTS, total)));
  const parts = [svgOpen(size, height, options.title, "corner")];
  const origin = (k: number): number => k * (cell + gap);
  for (let row = 0; row < p; row++) {
    for (let col = 0; col <= row; col++) {
      const box = { x: left + origin(col), y: top + origin(row), width: cell, height: cell };
      const onBottom = row === p - 1;
      if (row === col) {
        const [lo, hi] = ranges[col];
        const counts = new Float64Array(CORNER_BINS);
        for (const v of columns[col]) {
          if (!Number.isFinite(v)) continue;
          counts[Math.min(CORNER_BINS - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * CORNER_BINS)))]++;
        }
        const peak = Math.max(1, ...counts);
        const f = frame(box, [lo, hi], [0, 1.08 * peak], { xTicks: onBottom, yTicks: false, fontSize: 9 });
        parts.push(`<g class="corner-diagonal" data-name="${escapeXml(view.names[col])}">`, ...f.parts);
        const d: string[] = [`M${px(f.sx(lo))},${px(f.sy(0))}`];
        for (let b = 0; b < CORNER_BINS; b++) {
          const x0 = lo + ((hi - lo) * b) / CORNER_BINS;
          const x1 = lo + ((hi - lo) * (b + 1)) / CORNER_BINS;
          d.push(`L${px(f.sx(x0))},${px(f.sy(counts[b]))}`, `L${px(f.sx(x1))},${px(f.sy(counts[b]))}`);
        }
        d.push(`L${px(f.sx(hi))},${px(f.sy(0))}`);
        parts.push(`<path class="histogram" ${f.clip} d="${d.join(" ")}" fill="#1f77b4" fill-opacity="0.2" stroke="#1f77b4"/>`);
        const sorted = Float64Array.from(columns[col]).sort();
        const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(((sorted.length - 1) * q) / 100)))];
        const vline = (x: number, attributes: string): string => `<line ${f.clip} x1="${px(f.sx(x))}" y1="${px(box.y)}" x2="${px(f.sx(x))}" y2="${px(box.y + box.height)}" ${attributes}/>`;
        parts.push(vline(at(50), 'stroke="#333"'), vline(at(2.5), 'stroke="#333" stroke-dasharray="3 3"'), vline(at(97.5), 'stroke="#333" stroke-dasharray="3 3"'));
        if (options.reference) parts.push(vline(options.reference.values[col], 'stroke="#d62728" stroke-width="1.4"'));
        parts.push("</g>");
      } else {
        const f = frame(box, ranges[col], ranges[row], { xTicks: onBottom, yTicks: col === 0, fontSize: 9 });
        parts.push(`<g class="corner-pair" data-x="${escapeXml(view.names[col])}" data-y="${escapeXml(view.names[row])}">`, ...f.parts);
        // one path of zero-length round-capped segments: a dot per draw at a fraction of <circle>'s bytes
        const dots: string[] = [];
        for (const i of picks) {
          const x = columns[col][i];
          const y = columns[row][i];
          if (Number.isFinite(x) && Number.isFinite(y)) dots.push(`M${px(f.sx(x))},${px(f.sy(y))}h0`);
        }
        parts.push(`<path class="draws" ${f.clip} d="${dots.join("")}" stroke="#1f77b4" stroke-opacity="0.5" stroke-width="2.6" stroke-linecap="round" fill="none"/>`);
        if (options.reference) parts.push(`<circle ${f.clip} cx="${px(f.sx(options.reference.values[col]))}" cy="${px(f.sy(options.reference.values[row]))}" r="3" fill="none" stroke="#d62728" stroke-width="1.4"/>`);
        parts.push("</g>");
      }
    }
  }
  // parameter names under the bottom row and beside the first column
  for (let k = 0; k < p; k++) {
    const label = escapeXml(labels[k]);
    const cx = left + origin(k) + cell / 2;
    const by = top + origin(p - 1) + cell + 24;
    parts.push(`<text transform="translate(${px(cx)} ${px(by)}) rotate(30)" font-size="10">${label}</text>`);
    if (k > 0) parts.push(`<text x="${px(left - 44)}" y="${px(top + origin(k) + cell / 2 + 4)}" text-anchor="end" font-size="10">${label}</text>`);
  }
  if (options.reference) {
    // in the empty upper triangle
    parts.push(`<line x1="${size - 250}" y1="${top + 16}" x2="${size - 230}" y2="${top + 16}" stroke="#d62728" stroke-width="1.4"/>`);
    parts.push(`<text x="${size - 225}" y="${top + 20}" font-size="11">${escapeXml(options.reference.name)}</text>`);
  }
  parts.push("</svg>");
  return parts.join("");
}

/** A parameter name short enough for an axis: a JSON path keeps its last two segments. */
export function shortName(name: string): string {
  const segments = name.split(".");
  return segments.length > 2 ? segments.slice(-2).join(".") : name;
}
