/**
 * @module cli/progress
 * Progress of long runs, on stderr (stdout stays the command's result):
 * - on a terminal, a one-line bar redrawn in place; {@link clearProgress} blanks a bar
 *   left mid-line (on Ctrl-C);
 * - off a terminal (a log file, CI, a pipe), plain lines `strata: <stage> 40 % (12.3 s) …`,
 *   the first after {@link LINE_PROGRESS_DELAY_MS} (a short run prints nothing) and then at
 *   most one every {@link LINE_PROGRESS_INTERVAL_MS}, and a closing `… done in 21.4 s` when
 *   any line was printed — so a logged 20-s run is not silent;
 * - `--quiet` ({@link setQuiet}) silences both.
 * Times in seconds.
 */
export interface ProgressBar {
  update(fraction: number, label?: string): void;
  done(): void;
}

/** A run shorter than this prints no progress lines off a terminal. */
export const LINE_PROGRESS_DELAY_MS = 2000;
/** Off a terminal, at most one progress line per this interval. */
export const LINE_PROGRESS_INTERVAL_MS = 5000;

/** The bars currently drawn, so an interrupt can clear their line. */
const drawn = new Set<() => void>();
let quiet = false;

/** `--quiet`: no progress output at all (errors and results are still printed). */
export function setQuiet(value: boolean): void {
  quiet = value;
}

const SILENT: ProgressBar = { update: () => undefined, done: () => undefined };

export function progressBar(title: string, stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ProgressBar {
  if (quiet) return SILENT;
  return stream.isTTY ? terminalBar(title, stream, now) : lineProgress(title, stream, now);
}

function terminalBar(title: string, stream: NodeJS.WriteStream, now: () => number): ProgressBar {
  let last = -1;
  const started = now();
  const width = 30;
  const clear = (): void => {
    drawn.delete(clear);
    stream.write("\r".padEnd(91) + "\r");
  };
  return {
    update(fraction, label = "") {
      const percent = Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
      if (percent === last) return;
      last = percent;
      const filled = Math.round((percent / 100) * width);
      const seconds = ((now() - started) / 1000).toFixed(1);
      stream.write(`\r${title} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${seconds}s ${label}`.padEnd(90));
      drawn.add(clear);
    },
    done() {
      clear();
    },
  };
}

function lineProgress(title: string, stream: NodeJS.WriteStream, now: () => number): ProgressBar {
  const started = now();
  let lastLine = -Infinity;
  let printed = false;
  return {
    update(fraction, label = "") {
      const t = now();
      if (t - started < LINE_PROGRESS_DELAY_MS || t - lastLine < LINE_PROGRESS_INTERVAL_MS) return;
      lastLine = t;
      printed = true;
      const percent = Math.floor(Math.max(0, Math.min(1, fraction)) * 100);
      stream.write(`strata: ${title} ${percent} % (${((t - started) / 1000).toFixed(1)} s)${label ? ` ${label}` : ""}\n`);
    },
    done() {
      if (printed) stream.write(`strata: ${title} done in ${((now() - started) / 1000).toFixed(1)} s\n`);
      printed = false;
    },
  };
}

/** Blank the line of every bar still drawn (the cursor returns to the line's start). */
export function clearProgress(): void {
  for (const clear of [...drawn]) clear();
}
