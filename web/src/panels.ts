/**
 * @module web/panels
 * The campaign view: one section per panel (verdicts, thickness timeline, growth laws,
 * parameters, current and charge, latest scan, impedance, dose, quality flags, ingest), each
 * redrawn from the latest strata-live/1 document and ingest state. Every plot has a "data"
 * table beside it. Units: Å, h (time axes; the document carries s), A, C, Ω, F, Gy, Å⁻¹.
 */
import { dataDetails, el, table } from "./dom.ts";
import { clock, fmt, hours, siPrefix } from "./format.ts";
import { drawBars, drawXY, PALETTE, type Value } from "./plots.ts";
import type { IngestState, LiveCell, LiveDocument } from "./types.ts";

/** A 95 % error bar is ±1.96 standard errors (normal approximation, as the reports draw them). */
const Z95 = 1.96;

export const PANELS = ["verdicts", "timeline", "laws", "parameters", "current", "scan", "impedance", "dose", "quality", "ingest"] as const;
export type PanelName = (typeof PANELS)[number];

const TITLES: Record<PanelName, string> = {
  verdicts: "Verdict",
  timeline: "Interphase thickness over time",
  laws: "Growth law",
  parameters: "Law parameters",
  current: "Current and charge",
  scan: "Latest scan",
  impedance: "Impedance of the interphase",
  dose: "Dose per spot",
  quality: "Quality flags",
  ingest: "Ingest",
};

export interface ViewState {
  doc: LiveDocument | null;
  ingest: IngestState | null;
  /** the cell the detail panels show */
  cell: string | null;
  /** when each quality flag was first seen by this page (ms since epoch), so the newest is listed first */
  flagsSeen: Map<string, number>;
}

/** The empty sections, in page order; returns them by name. */
export function skeleton(main: HTMLElement): Record<PanelName, HTMLElement> {
  const sections = {} as Record<PanelName, HTMLElement>;
  const wide = new Set<PanelName>(["verdicts", "timeline"]);
  for (const name of PANELS) {
    const heading = el("h2", { id: `h-${name}` }, TITLES[name]);
    const section = el("section", { class: wide.has(name) ? "panel wide" : "panel", "data-panel": name, "aria-labelledby": `h-${name}` }, heading, el("div", { class: "body" }));
    main.append(section);
    sections[name] = section;
  }
  return sections;
}

function body(section: HTMLElement): HTMLElement {
  const b = section.querySelector<HTMLElement>(".body")!;
  b.replaceChildren();
  return b;
}

function figure(parent: HTMLElement, name: string): HTMLElement {
  const f = el("figure", { class: "plot", "data-plot": name });
  parent.append(f);
  return f;
}

function setCount(section: HTMLElement, n: number): void {
  section.dataset["count"] = String(n);
}

/** Redraws every panel. `onCell` is called when the reader picks another cell. */
export function render(sections: Record<PanelName, HTMLElement>, state: ViewState, onCell: (cell: string) => void): void {
  const doc = state.doc;
  const cells = doc?.cells ?? [];
  const cell = cells.find((c) => c.id === state.cell) ?? cells[0];
  const draw: Record<PanelName, () => void> = {
    verdicts: () => renderVerdicts(sections.verdicts, cells, cell?.id ?? null, onCell),
    timeline: () => renderTimeline(sections.timeline, cells),
    laws: () => renderLaws(sections.laws, cell),
    parameters: () => renderParameters(sections.parameters, cell),
    current: () => renderCurrent(sections.current, cell),
    scan: () => renderScan(sections.scan, cell),
    impedance: () => renderImpedance(sections.impedance, cell),
    dose: () => renderDose(sections.dose, cell),
    quality: () => renderQuality(sections.quality, cell, state.flagsSeen),
    ingest: () => renderIngest(sections.ingest, state.ingest, doc),
  };
  // one panel that cannot draw what it was given says so in place; the others still update
  for (const name of PANELS) {
    try {
      draw[name]();
    } catch (error) {
      const message = `${TITLES[name]}: cannot draw this document (${error instanceof Error ? error.message : String(error)})`;
      console.error(message);
      body(sections[name]).append(el("p", { class: "error", role: "alert" }, message));
    }
  }
}

function renderVerdicts(section: HTMLElement, cells: LiveCell[], selected: string | null, onCell: (cell: string) => void): void {
  const b = body(section);
  setCount(section, cells.length);
  if (cells.length === 0) {
    b.append(el("p", { class: "empty" }, "No diagnosis yet: it appears when the first scan has been ingested and fitted."));
    return;
  }
  for (const c of cells) {
    const level = c.trust?.level ?? "not assessed";
    b.append(
      el(
        "p",
        { class: "verdict", "data-cell": c.id },
        // the headline usually names its cell already
        (c.headline ?? "").startsWith(`Cell ${c.id}`) ? null : el("strong", {}, `Cell ${c.id}: `),
        c.headline ?? "no headline yet",
        " ",
        el("span", { class: `trust trust-${level.replace(/\s+/g, "-")}`, title: trustNotes(c).join("; ") }, level),
      ),
    );
  }
  if (cells.length > 1) {
    const select = el("select", { id: "cell-select" }, ...cells.map((c) => el("option", c.id === selected ? { value: c.id, selected: "" } : { value: c.id }, `cell ${c.id}`)));
    select.addEventListener("change", () => onCell(select.value));
    b.append(el("p", {}, el("label", { for: "cell-select" }, "Panels below show "), select));
  }
}

/** What the trust level rests on, for the badge's tooltip. */
function trustNotes(c: LiveCell): string[] {
  return [...(c.trust?.reasons ?? []), ...(c.trust?.qualifications ?? []).map((q) => q.message)];
}

function renderTimeline(section: HTMLElement, cells: LiveCell[]): void {
  const b = body(section);
  const times = [...new Set(cells.flatMap((c) => (c.timeline ?? []).map((e) => e.time_s)))].sort((a, z) => a - z);
  const index = new Map(times.map((t, i) => [t, i]));
  const column = (): Value[] => times.map(() => null);
  const bands = [];
  const series = [];
  const rows: string[][] = [];
  for (const [k, c] of cells.entries()) {
    const color = PALETTE[k % PALETTE.length];
    const lo = column();
    const hi = column();
    const median = column();
    const value = column();
    const err = column();
    for (const e of c.timeline ?? []) {
      const i = index.get(e.time_s)!;
      if (e.thickness_A) {
        lo[i] = e.thickness_A.lo95;
        hi[i] = e.thickness_A.hi95;
        median[i] = e.thickness_A.median;
      }
      if (e.independent_A) {
        value[i] = e.independent_A.value;
        err[i] = Z95 * e.independent_A.stderr;
      }
      rows.push([c.id, e.scan, fmt(hours(e.time_s), 4), e.spot ?? "", fmt(e.thickness_A?.median, 4), fmt(e.thickness_A?.lo95, 4), fmt(e.thickness_A?.hi95, 4), fmt(e.independent_A?.value, 4), fmt(e.independent_A?.stderr, 2)]);
    }
    const name = cells.length > 1 ? `cell ${c.id} ` : "";
    bands.push({ label: `${name}law-constrained 95 % band`, lo, hi, color });
    series.push({ label: `${name}law-constrained median`, y: median, color });
    series.push({ label: `${name}per-scan fit ±95 %`, y: value, err, color, style: "points" as const });
  }
  setCount(section, rows.length);
  drawXY(figure(b, "timeline"), { title: "Interphase thickness: law-constrained posterior (median, 95 % band) and per-scan fits", x: times.map(hours), xLabel: "time (h)", yLabel: "thickness (Å)", series, bands });
  b.append(dataDetails("Thickness per scan", ["cell", "scan", "time (h)", "spot", "median (Å)", "lo95 (Å)", "hi95 (Å)", "per-scan fit (Å)", "stderr (Å)"], rows));
}

function renderLaws(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const weights = Object.entries(cell?.law?.weights ?? {}).sort((a, z) => z[1] - a[1]);
  setCount(section, weights.length);
  if (weights.length === 0) {
    b.append(el("p", { class: "empty" }, "no law comparison yet"));
    return;
  }
  const best = cell?.law?.best ?? weights[0][0];
  b.append(el("p", { class: "best" }, "Best supported: ", el("strong", { "data-best": best }, best), ` (weight ${percent(cell?.law?.weights?.[best] ?? Number.NaN)})`));
  const rows = weights.map(([law, w]) => {
    const bar = el("span", { class: "bar", style: `width:${Math.max(0, Math.min(100, 100 * w)).toFixed(1)}%` });
    return el("tr", law === best ? { class: "best" } : {}, el("th", { scope: "row" }, law), el("td", { class: "barcell" }, bar), el("td", {}, percent(w)));
  });
  b.append(el("table", { class: "laws" }, el("caption", {}, "Posterior weight of each growth law (sums to 100 %)"), el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "law"), el("th", { scope: "col" }, "weight"), el("th", { scope: "col" }, "%"))), el("tbody", {}, ...rows)));
}

/** Weights below this are shown as "< 0.1 %" (a 1e-120 weight is no information to a reader). */
const SMALLEST_SHOWN_WEIGHT = 1e-3;

function percent(weight: number): string {
  return Number.isFinite(weight) && weight >= 0 && weight < SMALLEST_SHOWN_WEIGHT ? "< 0.1 %" : `${fmt(100 * weight, 3)} %`;
}

function renderParameters(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const params = Object.entries(cell?.parameters ?? {});
  setCount(section, params.length);
  if (params.length === 0) {
    b.append(el("p", { class: "empty" }, "no parameters yet"));
    return;
  }
  const parameterTable = table("Posterior median and 95 % credible interval", ["parameter", "median", "95 % interval", "unit"], params.map(([name, p]) => [name, fmt(p.median, 4), `${fmt(p.lo95, 3)} – ${fmt(p.hi95, 3)}`, p.unit ?? ""]));
  parameterTable.className = "params";
  b.append(parameterTable);
  const ess = cell?.posterior?.ess;
  if (ess !== undefined) b.append(el("p", { class: "note" }, `effective sample size ${fmt(ess, 4)}`));
}

function renderCurrent(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const trace = cell?.current;
  const n = trace ? Math.min(trace.time_s.length, trace.current_A.length, trace.charge_C.length) : 0;
  setCount(section, n);
  const i = siPrefix(trace?.current_A ?? [], "A");
  const q = siPrefix(trace?.charge_C ?? [], "C");
  const x = (trace?.time_s ?? []).slice(0, n).map(hours);
  drawXY(figure(b, "current"), {
    title: "Cell current and passed charge",
    x,
    xLabel: "time (h)",
    yLabel: `current (${i.unit})`,
    y2Label: `charge (${q.unit})`,
    series: [
      { label: `current (${i.unit})`, y: (trace?.current_A ?? []).slice(0, n).map((v) => v * i.factor), color: PALETTE[1] },
      { label: `charge (${q.unit})`, y: (trace?.charge_C ?? []).slice(0, n).map((v) => v * q.factor), color: PALETTE[0], axis: "y2", style: "dashed" },
    ],
  });
  if (!trace) b.append(el("p", { class: "empty" }, "no cycler record yet"));
  b.append(dataDetails("Current and charge", ["time (h)", `current (${i.unit})`, `charge (${q.unit})`], x.map((t, k) => [fmt(t, 4), fmt(trace!.current_A[k] * i.factor, 4), fmt(trace!.charge_C[k] * q.factor, 4)])));
}

function renderScan(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const scan = cell?.latestScan;
  const n = scan ? Math.min(scan.q.length, scan.r.length) : 0;
  setCount(section, n);
  const q = (scan?.q ?? []).slice(0, n);
  const hasFit = !!scan && scan.fit.length >= n && n > 0;
  const title = scan ? `Scan ${scan.id}: reflectivity and fit${scan.chi2red !== undefined ? ` (χ²/ν = ${fmt(scan.chi2red, 3)})` : ""}` : "Latest scan";
  drawXY(figure(b, "scan"), {
    title,
    x: q,
    xLabel: "Q (Å⁻¹)",
    yLabel: "R",
    logY: true,
    series: [{ label: "data ±1σ", y: scan?.r.slice(0, n) ?? [], err: scan?.dr.slice(0, n) ?? [], color: PALETTE[0], style: "points" }, ...(hasFit ? [{ label: "fit", y: scan.fit.slice(0, n), color: PALETTE[1] }] : [])],
  });
  const residual = hasFit ? q.map((_, k) => (scan.r[k] - scan.fit[k]) / scan.dr[k]) : [];
  drawXY(figure(b, "residuals"), { title: "Normalised residuals (R − fit)/dR", x: q, xLabel: "Q (Å⁻¹)", yLabel: "(R − fit)/dR", series: [{ label: "(R − fit)/dR", y: residual, color: PALETTE[0], style: "points" }], hLine: 0 });
  b.append(dataDetails(`Scan ${scan?.id ?? ""}`, ["Q (Å⁻¹)", "R", "dR", "fit", "(R − fit)/dR"], q.map((v, k) => [fmt(v, 4), fmt(scan!.r[k], 4), fmt(scan!.dr[k], 3), hasFit ? fmt(scan.fit[k], 4) : "no fit", hasFit ? fmt(residual[k], 3) : "no fit"])));
}

function renderImpedance(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const spectra = [...(cell?.impedance ?? [])].sort((a, z) => a.time_s - z.time_s);
  setCount(section, spectra.length);
  const r = siPrefix(spectra.map((s) => s.R_int_ohm), "Ω");
  const c = siPrefix(spectra.map((s) => s.C_int_F), "F");
  drawXY(figure(b, "impedance"), {
    title: "Interphase resistance and capacitance from each impedance spectrum",
    x: spectra.map((s) => hours(s.time_s)),
    xLabel: "time (h)",
    yLabel: `R interphase (${r.unit})`,
    y2Label: `C interphase (${c.unit})`,
    series: [
      { label: `R (${r.unit})`, y: spectra.map((s) => s.R_int_ohm * r.factor), color: PALETTE[1], style: "points" },
      { label: `C (${c.unit})`, y: spectra.map((s) => s.C_int_F * c.factor), color: PALETTE[0], style: "points", axis: "y2" },
    ],
  });
  b.append(dataDetails("Interphase R and C", ["spectrum", "time (h)", `R (${r.unit})`, `C (${c.unit})`], spectra.map((s) => [s.id, fmt(hours(s.time_s), 4), fmt(s.R_int_ohm * r.factor, 4), fmt(s.C_int_F * c.factor, 4)])));
}

function renderDose(section: HTMLElement, cell: LiveCell | undefined): void {
  const b = body(section);
  const spots = Object.entries(cell?.dose_Gy ?? {});
  setCount(section, spots.length);
  const d = siPrefix(spots.map(([, v]) => v), "Gy");
  drawBars(figure(b, "dose"), { title: "Absorbed dose per beam spot", categories: spots.map(([s]) => s), values: spots.map(([, v]) => v * d.factor), color: PALETTE[4], xLabel: "spot", yLabel: `dose (${d.unit})` });
  if (spots.length === 0) b.append(el("p", { class: "empty" }, "the dose ledger is not computable yet"));
  b.append(dataDetails("Dose per spot", ["spot", `dose (${d.unit})`], spots.map(([s, v]) => [s, fmt(v * d.factor, 4)])));
}

function renderQuality(section: HTMLElement, cell: LiveCell | undefined, seen: Map<string, number>): void {
  const b = body(section);
  const now = Date.now();
  const flags = (cell?.quality ?? []).map((f, order) => {
    const key = `${cell!.id}|${f.severity}|${f.code ?? ""}|${f.message}`;
    if (!seen.has(key)) seen.set(key, now);
    return { ...f, order, first: seen.get(key)! };
  });
  flags.sort((a, z) => z.first - a.first || z.order - a.order);
  setCount(section, flags.length);
  if (flags.length === 0) {
    b.append(el("p", { class: "empty" }, "no quality flags"));
    return;
  }
  b.append(
    el(
      "ul",
      { class: "flags" },
      ...flags.map((f) => el("li", { class: f.severity, "data-severity": f.severity }, el("span", { class: "severity" }, f.severity), f.code ? el("code", {}, f.code) : null, ` ${f.message} `, el("span", { class: "seen" }, `(seen ${clock(f.first)})`))),
    ),
  );
}

function renderIngest(section: HTMLElement, ingest: IngestState | null, doc: LiveDocument | null): void {
  const b = body(section);
  const pending = doc?.pending ?? [];
  if (!ingest) {
    setCount(section, 0);
    b.append(el("p", { class: "empty" }, "ingest state not loaded yet"));
    return;
  }
  setCount(section, ingest.seen);
  b.append(
    el(
      "dl",
      { class: "counts" },
      el("dt", {}, "files seen"),
      el("dd", { "data-count": "seen" }, String(ingest.seen)),
      el("dt", {}, "ingested"),
      el("dd", { "data-count": "ingested" }, String(ingest.ingested)),
      el("dt", {}, "waiting"),
      el("dd", { "data-count": "waiting" }, String(ingest.waiting.length)),
      el("dt", {}, "rejected"),
      el("dd", { "data-count": "rejected", class: ingest.rejected.length > 0 ? "bad" : "" }, String(ingest.rejected.length)),
      el("dt", {}, "named in the manifest, not arrived"),
      el("dd", { "data-count": "pending" }, String(pending.length)),
    ),
  );
  if (ingest.rejected.length > 0) b.append(table("Rejected files and why", ["file", "reason"], ingest.rejected.map((r) => [r.path, r.error])));
  if (ingest.waiting.length > 0) b.append(table("Waiting until complete", ["file", "size (bytes)", "since"], ingest.waiting.map((w) => [w.path, String(w.size), w.since])));
  if (pending.length > 0) b.append(el("details", {}, el("summary", {}, `not arrived yet (${pending.length})`), el("ul", { class: "pending" }, ...pending.map((p) => el("li", {}, p)))));
}
