import { describe, expect, it } from "vitest";
import { clearProgress, progressBar } from "./progress.ts";

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

  it("a finished bar is not cleared again; a bar off a terminal writes nothing", () => {
    const { stream, written } = terminal();
    const bar = progressBar("fit", stream);
    bar.update(0.5);
    bar.done();
    const count = written.length;
    clearProgress();
    expect(written.length).toBe(count);
    const piped = { isTTY: false, write: () => { throw new Error("must not write"); } } as unknown as NodeJS.WriteStream;
    const silent = progressBar("fit", piped);
    silent.update(0.5);
    silent.done();
    clearProgress();
  });
});
