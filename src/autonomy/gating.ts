/**
 * @module autonomy/gating
 * Temporal gating (issue 18 part 2; operando.md §5.4): the electrochemistry as it arrives
 * says when a measurement is decisive, not a clock. From a cell's cycler record (time,
 * potential, current, and the step counter when the file has one) this finds the events
 * after the last measurement, using only the data up to now:
 * - a potential step: |E(t) − E(t − {@link POTENTIAL_STEP_WINDOW_S})| ≥ {@link POTENTIAL_STEP_V};
 * - a current spike: |I − median| of the preceding {@link CURRENT_BASELINE_POINTS} samples
 *   beyond {@link CURRENT_SPIKE_MADS} robust sds (1.4826·MAD) and beyond
 *   {@link CURRENT_SPIKE_RELATIVE} of |median| (a spike within the window of a potential
 *   step is the step's own transient and is not reported apart);
 * - the end of a step: the record's `step_count` changes.
 * Events closer than the window to one of the same kind are one event (its first sample).
 * The planner puts "measure now" first when an event is at most {@link GATING_WINDOW_S} old.
 *
 * Units: time s on the campaign clock, potential V, current A.
 */
import type { CellData } from "../campaign/campaign.ts";
import type { PlanResult } from "./types.ts";

/** A potential change at least this large (V) within {@link POTENTIAL_STEP_WINDOW_S} is a step. */
export const POTENTIAL_STEP_V = 0.05;
/** The window over which a potential step is measured, s. */
export const POTENTIAL_STEP_WINDOW_S = 60;
/** Samples before a point that set the current's baseline (median and MAD). */
export const CURRENT_BASELINE_POINTS = 20;
/** A current this many robust sds from its baseline is a spike. */
export const CURRENT_SPIKE_MADS = 8;
/** … and at least this fraction of the baseline's magnitude away from it. */
export const CURRENT_SPIKE_RELATIVE = 0.5;
/** An event at most this old (s before now) makes "measure now" the first action. */
export const GATING_WINDOW_S = 600;

export type CyclerEvent = PlanResult["events"][number];

/**
 * The electrochemical events of a cell after `since_s` and up to `now_s` (campaign clock),
 * from the cycler record as it is now. Empty without a record.
 * @param cell - the campaign's cell (its cycler record and offset)
 * @param since_s - the end of the last measurement (events before it were seen by it)
 * @param now_s - the campaign clock now (later samples are ignored)
 */
export function cyclerEvents(cell: Pick<CellData, "cycler" | "cyclerOffset_s">, since_s: number, now_s: number): CyclerEvent[] {
  const table = cell.cycler;
  if (!table) return [];
  const offset = cell.cyclerOffset_s ?? 0;
  const time = table.columns["test_time_second"];
  const potential = table.columns["voltage_volt"];
  const current = table.columns["current_ampere"];
  const steps = table.columns["step_count"];
  const n = time.length;
  const events: CyclerEvent[] = [];
  const lastOf = (kind: CyclerEvent["kind"]): CyclerEvent | undefined => {
    for (let e = events.length - 1; e >= 0; e--) if (events[e].kind === kind) return events[e];
    return undefined;
  };
  // the first sample within the window before each point (a moving pointer)
  let back = 0;
  const window: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = time[i] + offset;
    if (t > now_s) break;
    while (back < i && time[i] - time[back] > POTENTIAL_STEP_WINDOW_S) back++;
    // detection runs over the whole record (so a step seen before `since` is not found again at its next samples); only later events are reported
    if (i > 0) {
      const dE = potential[i] - potential[back === i ? i - 1 : back];
      const previous = lastOf("potential-step");
      if (Math.abs(dE) >= POTENTIAL_STEP_V && !(previous && t - previous.time_s <= POTENTIAL_STEP_WINDOW_S)) {
        const from = potential[back === i ? i - 1 : back];
        events.push({ time_s: t, kind: "potential-step", message: `potential step ${from.toFixed(3)} → ${potential[i].toFixed(3)} V at t = ${t.toFixed(0)} s` });
      }
      if (steps && steps[i] !== steps[i - 1]) {
        events.push({ time_s: t, kind: "step-end", message: `step ${steps[i - 1]} ended at t = ${t.toFixed(0)} s (step ${steps[i]} began)` });
      }
      // the spike test (a sort per sample) only where it can matter: from a window before `since` on
      if (window.length >= CURRENT_BASELINE_POINTS && t > since_s - POTENTIAL_STEP_WINDOW_S) {
        const sorted = [...window].sort((a, b) => a - b);
        const median = sorted[sorted.length >> 1];
        const deviations = sorted.map((x) => Math.abs(x - median)).sort((a, b) => a - b);
        const scale = 1.4826 * deviations[deviations.length >> 1];
        const distance = Math.abs(current[i] - median);
        const step = lastOf("potential-step");
        const spike = lastOf("current-spike");
        if (distance > CURRENT_SPIKE_MADS * scale && distance > CURRENT_SPIKE_RELATIVE * Math.abs(median) && !(step && t - step.time_s <= POTENTIAL_STEP_WINDOW_S) && !(spike && t - spike.time_s <= POTENTIAL_STEP_WINDOW_S)) {
          events.push({ time_s: t, kind: "current-spike", message: `current spike ${(current[i] * 1e6).toPrecision(3)} µA (baseline ${(median * 1e6).toPrecision(3)} µA) at t = ${t.toFixed(0)} s` });
        }
      }
    }
    window.push(current[i]);
    if (window.length > CURRENT_BASELINE_POINTS) window.shift();
  }
  return events.filter((e) => e.time_s > since_s);
}

/** Which event names a gated measurement when several share a time (the potential step is the cause of the others). */
const EVENT_PRIORITY: Record<CyclerEvent["kind"], number> = { "potential-step": 3, "current-spike": 2, "step-end": 1 };

/** The most recent event at most {@link GATING_WINDOW_S} before now, if any (a potential step first among simultaneous ones). */
export function gatingEvent(events: readonly CyclerEvent[], now_s: number): CyclerEvent | undefined {
  let found: CyclerEvent | undefined;
  for (const e of events) {
    if (now_s - e.time_s > GATING_WINDOW_S || e.time_s > now_s) continue;
    if (!found || e.time_s > found.time_s || (e.time_s === found.time_s && EVENT_PRIORITY[e.kind] > EVENT_PRIORITY[found.kind])) found = e;
  }
  return found;
}
