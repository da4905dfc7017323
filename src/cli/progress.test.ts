import { describe, expect, it } from "vitest";
import { clearProgress, LINE_PROGRESS_DELAY_MS, LINE_PROGRESS_INTERVAL_MS, progressBar, setQuiet } from "./progress.ts";

/** A stand-in terminal that records what is written. */
function terminal(): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const stream = { isTTY: true, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { stream, written };
}

describe("progress bar", () => {
  it("clearProgress blanks a bar left mid-line (Ctrl-C) and only once", () => {
    const { stream, written } = terminal();
    const bar = progressBar("diagnose", stream);
    bar.update(0.4, "fit");
    expect(written.at(-1)).toMatch(/^\rdiagnose \[#{12}-{18}\] 40%/);
    clearProgress();
    expect(written.at(-1)).toBe("\r".padEnd(91) + "\r");
    const count = written.length;
    clearProgress();
    expect(written.length).toBe(count);
  });

  it("a finished bar is not cleared again", () => {
    const { stream, written } = terminal();
    const bar = progressBar("fit", stream);
    bar.update(0.5);
    bar.done();
    const count = written.length;
    clearProgress();
    expect(written.length).toBe(count);
  });

  it("off a terminal: nothing for a short run, then plain lines at most one per interval and a closing line", () => {
    let t = 0;
    const now = (): number => t;
    const lines: string[] = [];
    const piped = { isTTY: false, write: (text: string) => lines.push(text) > 0 } as unknown as NodeJS.WriteStream;
    const short = progressBar("fit", piped, now);
    short.update(0.5);
    t = LINE_PROGRESS_DELAY_MS - 1;
    short.update(0.9);
    short.done();
    expect(lines).toEqual([]);
    t = 0;
    const long = progressBar("diagnose", piped, now);
    t = LINE_PROGRESS_DELAY_MS;
    long.update(0.123, "joint fits");
    t += LINE_PROGRESS_INTERVAL_MS - 1;
    long.update(0.5);
    t += 1;
    long.update(0.6);
    t = 21_400;
    long.done();
    expect(lines).toEqual(["strata: diagnose 12 % (2.0 s) joint fits\n", "strata: diagnose 60 % (7.0 s)\n", "strata: diagnose done in 21.4 s\n"]);
  });

  it("--quiet silences a terminal bar and line progress alike", () => {
    setQuiet(true);
    try {
      let t = 0;
      const never = { isTTY: true, write: () => { throw new Error("must not write"); } } as unknown as NodeJS.WriteStream;
      const bar = progressBar("fit", never, () => (t += 10_000));
      bar.update(0.5);
      bar.done();
      const line = progressBar("fit", { ...never, isTTY: false } as unknown as NodeJS.WriteStream, () => (t += 10_000));
      line.update(0.5);
      line.done();
    } finally {
      setQuiet(false);
    }
  });
});
