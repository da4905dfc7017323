/**
 * @module cli/progress
 * A one-line progress bar on stderr for long runs; silent when stderr is not a
 * terminal (piped or redirected), so scripts and JSON consumers see nothing.
 * {@link clearProgress} blanks a bar left mid-line (on Ctrl-C).
 */
export interface ProgressBar {
  update(fraction: number, label?: string): void;
  done(): void;
}

/** The bars currently drawn, so an interrupt can clear their line. */
const drawn = new Set<() => void>();

export function progressBar(title: string, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  if (!stream.isTTY) return { update: () => undefined, done: () => undefined };
  let last = -1;
  const started = Date.now();
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
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      stream.write(`\r${title} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${percent}% ${seconds}s ${label}`.padEnd(90));
      drawn.add(clear);
    },
    done() {
      clear();
    },
  };
}

/** Blank the line of every bar still drawn (the cursor returns to the line's start). */
export function clearProgress(): void {
  for (const clear of [...drawn]) clear();
}
