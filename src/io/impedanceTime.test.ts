import { describe, expect, it } from "vitest";
import { ParseError } from "../core/errors.ts";
import { parseImpedanceTimes } from "./impedanceTime.ts";

const mpt = (lines: string[]): string => ["EC-Lab ASCII FILE", `Nb header lines : ${lines.length + 3}`, "", ...lines].join("\r\n");

describe("parseImpedanceTimes", () => {
  it("reads time/s per point and shifts the header's acquisition start by it", () => {
    const text = mpt(["Potentio Electrochemical Impedance Spectroscopy", "Acquisition started on : 04/20/2025 10:55:16.521", "freq/Hz\tRe(Z)/Ohm\t-Im(Z)/Ohm\ttime/s\t\tx"]) +
      "\r\n1000\t5\t1\t507.9621700546559\t\t0\r\n100\t6\t2\t589.841\t\t0\r\n";
    const t = parseImpedanceTimes(text, "a.mpt");
    expect(Array.from(t.time_s)).toEqual([507.9621700546559, 589.841]);
    expect(t.start_s).toBe(507.9621700546559);
    expect(t.mid_s).toBeCloseTo((507.9621700546559 + 589.841) / 2, 12);
    expect(t.acquisitionStart).toBe("2025-04-20T10:55:16.521");
    expect(t.startTime).toBe("2025-04-20T11:03:44.483");
    expect(t.endTime).toBe("2025-04-20T11:05:06.362");
  });

  it("works without a start line (no absolute times) and refuses what it cannot read, naming the line", () => {
    const t = parseImpedanceTimes(mpt(["freq/Hz\ttime/s"]) + "\n10\t1,5\n", "b.mpt");
    expect(Array.from(t.time_s)).toEqual([1.5]);
    expect(t.startTime).toBeUndefined();
    expect(() => parseImpedanceTimes("freq\tZ\n1\t2\n", "c.txt")).toThrow(/c\.txt:1: expected 'EC-Lab ASCII FILE'/);
    expect(() => parseImpedanceTimes(mpt(["freq/Hz\tRe(Z)/Ohm"]) + "\n1\t2\n", "d.mpt")).toThrow(/d\.mpt:4: no time\/s column/);
    expect(() => parseImpedanceTimes(mpt(["freq/Hz\ttime/s"]) + "\n1\tabc\n", "e.mpt")).toThrow(ParseError);
    expect(() => parseImpedanceTimes(mpt(["freq/Hz\ttime/s"]) + "\n1\tabc\n", "e.mpt")).toThrow(/e\.mpt:5: time\/s \(column 2\) is not a finite number: "abc"/);
    expect(() => parseImpedanceTimes("EC-Lab ASCII FILE\nNb header lines : 99\n", "f.mpt")).toThrow(/f\.mpt:2/);
  });
});

describe("parseImpedanceTimes: dates and times that leave the calendar", () => {
  it("refuses an impossible start date and an implausible time/s, naming the line (found by the fuzz test)", () => {
    const body = "\n1000\t5\n";
    expect(() => parseImpedanceTimes(mpt(["Acquisition started on : 13/45/2025 10:55:16.521", "freq/Hz\ttime/s"]) + body, "g.mpt")).toThrow(/g\.mpt:4: 'Acquisition started on' is not a valid/);
    expect(() => parseImpedanceTimes(mpt(["Acquisition started on : 04/31/2025 10:55:16", "freq/Hz\ttime/s"]) + body, "h.mpt")).toThrow(/h\.mpt:4/);
    expect(() => parseImpedanceTimes(mpt(["freq/Hz\ttime/s"]) + "\n1\t1\n\n2\t1e300\n", "i.mpt")).toThrow(/i\.mpt:7: time\/s 1e\+300 s is not a plausible time/);
  });
});
