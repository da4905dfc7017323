/**
 * Temporal gating (issue 18 part 2) on a cycler record written as a BDF CSV file and read by
 * the cycler reader: a potential hold with a potential step, a lone current spike, and the
 * end of a formation step are found, each once, from the data up to now only; events before
 * the last measurement are not reported; the step's own current transient is not a separate
 * spike; the gating window picks the most recent event.
 *
 * Units: time s, potential V, current A.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCyclerFile } from "../../src/io/cycler/readCycler.ts";
import { cyclerEvents, gatingEvent, GATING_WINDOW_S, POTENTIAL_STEP_V } from "../../src/autonomy/gating.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-gating-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Sample times of the record, s (every 10 s for 3 h). */
const DT = 10;
const END = 3 * 3600;
/** The potential step (0.10 → 0.30 V), the spike and the end of step 1, s. */
const STEP_AT = 5000;
const SPIKE_AT = 7000;
const STEP_END_AT = 9000;

function writeRecord(): string {
  const rows = ["test_time_second,voltage_volt,current_ampere,cycle_count,step_count"];
  for (let t = 0; t <= END; t += DT) {
    const potential = t >= STEP_AT ? 0.3 : 0.1;
    // a small decaying reduction current, a transient after the step, one spike; noise of ±1 %
    const noise = 1 + 0.01 * Math.sin(0.7 * t);
    let current = -1e-7 * noise;
    if (t >= STEP_AT && t < STEP_AT + 60) current = 5e-6 * Math.exp(-(t - STEP_AT) / 20);
    if (t === SPIKE_AT) current = -2e-6;
    const step = t >= STEP_END_AT ? 2 : 1;
    rows.push([t, potential.toFixed(6), current.toExponential(6), 0, step].join(","));
  }
  const file = path.join(tmp, "A.bdf.csv");
  fs.writeFileSync(file, `${rows.join("\n")}\n`);
  return file;
}

describe("cycler events", () => {
  const cycler = readCyclerFile(writeRecord());
  const cell = { cycler, cyclerOffset_s: 0 };

  it("finds the potential step, the spike and the step end, once each", () => {
    const events = cyclerEvents(cell, 0, END);
    expect(events.map((e) => [e.kind, e.time_s])).toEqual([
      ["potential-step", STEP_AT],
      ["current-spike", SPIKE_AT],
      ["step-end", STEP_END_AT],
    ]);
    expect(events[0].message).toBe(`potential step 0.100 → 0.300 V at t = ${STEP_AT} s`);
    expect(POTENTIAL_STEP_V).toBeLessThan(0.2);
  });

  it("uses only the data up to now and after the last measurement", () => {
    expect(cyclerEvents(cell, 0, STEP_AT - DT)).toEqual([]);
    expect(cyclerEvents(cell, 0, STEP_AT).map((e) => e.kind)).toEqual(["potential-step"]);
    expect(cyclerEvents(cell, STEP_AT, END).map((e) => e.kind)).toEqual(["current-spike", "step-end"]);
    // the campaign clock: a record that started 1000 s after t0
    expect(cyclerEvents({ cycler, cyclerOffset_s: 1000 }, 0, END)[0].time_s).toBe(STEP_AT + 1000);
    expect(cyclerEvents({ cycler: undefined, cyclerOffset_s: undefined }, 0, END)).toEqual([]);
  });

  it("gates on the most recent event within the window", () => {
    const events = cyclerEvents(cell, 0, END);
    expect(gatingEvent(events, STEP_AT + 60)?.kind).toBe("potential-step");
    expect(gatingEvent(events, STEP_AT + GATING_WINDOW_S + 1)).toBeUndefined();
    expect(gatingEvent(events, STEP_END_AT + 1)?.kind).toBe("step-end");
  });
});
