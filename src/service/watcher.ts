/**
 * @module service/watcher
 * Follows a folder the instrument writes into and hands over each file once it is complete.
 *
 * Changes are noticed by `fs.watch` on the folder and each of its subfolders (prompt) and by
 * a polling sweep every {@link POLL_INTERVAL_MS} (the safety net: a missed notification, a
 * network file system, files written while the service was down). A file is complete when:
 * - its structure says so and it has not changed for {@link STRUCTURED_SETTLE_MS}: an ORSO
 *   `.ort` that ends with a complete data row (a newline-terminated line with as many numbers
 *   as its first data row), an EC-Lab `.mpt` holding at least the header lines it announces
 *   (`Nb header lines : N`) and ending with a newline;
 * - otherwise, when its size and modification time have been stable for {@link SETTLE_MS}.
 * The bytes are read and the file is stat'ed again: a file that changed during the read waits.
 * A file handed over once and growing later (the cycler record) is handed over again, at most
 * once per {@link GROWING_DEBOUNCE_MS}. Exactly-once is the store's (content hash); the watcher
 * only avoids asking twice for the same size and time.
 *
 * Hidden files (`.name`), and `*.tmp`, `*.part`, `*.swp`, `*~` are never handed over: writers
 * that write a temporary file and rename it make their files appear complete at once.
 *
 * Units: times in ms (since the epoch for instants), sizes in bytes.
 */
import fs from "node:fs";
import path from "node:path";

/** Size and modification time stable this long → a file of unknown structure is complete (ms). */
export const SETTLE_MS = 300;
/** A file whose structure is complete must still be unchanged this long (ms): a writer between two lines. */
export const STRUCTURED_SETTLE_MS = 40;
/** The polling sweep's period (ms). */
export const POLL_INTERVAL_MS = 1000;
/** A file already handed over that grows (the cycler record) is handed over again at most this often (ms). */
export const GROWING_DEBOUNCE_MS = 5000;
/** Bytes read from a file's end to check its structure. */
const TAIL_BYTES = 8192;

/** A file seen but not complete yet. */
export interface WaitingFile {
  path: string;
  size: number;
  /** ISO time when the file was first seen in this state */
  since: string;
}

/** What the receiver did with a complete file: `done` (ingested or refused: not asked again until it changes) or `later` (ask again on the next sweep). */
export type HandOver = "done" | "later";

export interface FolderWatcherOptions {
  /** receives each complete file: path relative to the folder (`/`-separated), its bytes, when it was found complete (ms since the epoch) */
  onComplete: (relPath: string, bytes: Buffer, completedAt: number) => Promise<HandOver>;
  /** called with an error of the receiver or the file system (the watcher keeps going) */
  onError?: (error: unknown) => void;
  settleMs?: number;
  structuredSettleMs?: number;
  pollMs?: number;
  growingDebounceMs?: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** first seen in this state (ms) */
  since: number;
}

interface Handed {
  size: number;
  mtimeMs: number;
  at: number;
}

/** true for names a writer uses while writing (never handed over) */
export function isTemporaryName(name: string): boolean {
  return name.startsWith(".") || /\.(tmp|part|swp)$/i.test(name) || name.endsWith("~");
}

/**
 * Whether the end of a file shows a complete structure (see the module header), or undefined when
 * the format has no structure to check.
 * @param name - the file name (its extension selects the check)
 * @param head - the file's first bytes
 * @param tail - the file's last bytes
 */
export function structureComplete(name: string, head: Buffer, tail: Buffer): boolean | undefined {
  const ext = path.extname(name).toLowerCase();
  if (ext === ".ort") {
    const text = tail.toString("latin1");
    if (!text.endsWith("\n")) return false;
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== "");
    const last = lines.at(-1);
    if (last === undefined || last.trimStart().startsWith("#")) return false;
    const fields = last.trim().split(/\s+/);
    if (fields.length < 3 || !fields.every((f) => Number.isFinite(Number(f)))) return false;
    const first = firstDataRow(head.toString("latin1"));
    return first === undefined || first.length === fields.length;
  }
  if (ext === ".mpt") {
    const text = head.toString("latin1");
    const match = /Nb header lines\s*:\s*(\d+)/.exec(text);
    if (!match) return undefined;
    if (!tail.toString("latin1").endsWith("\n")) return false;
    return undefined; // the header count is checked against the whole file by the caller
  }
  return undefined;
}

function firstDataRow(text: string): string[] | undefined {
  const lines = text.split(/\r?\n/);
  // the last line of the head may be cut: only whole lines count
  for (const line of lines.slice(0, -1)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    return t.split(/\s+/);
  }
  return undefined;
}

/** An EC-Lab .mpt holds at least the header lines it announces. */
function mptHeaderComplete(bytes: Buffer): boolean {
  const text = bytes.toString("latin1");
  const match = /Nb header lines\s*:\s*(\d+)/.exec(text.slice(0, 4096));
  if (!match) return true;
  let lines = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lines++;
  return lines >= Number(match[1]) && text.endsWith("\n");
}

/** Follows one folder (see the module header). */
export class FolderWatcher {
  readonly dir: string;
  private readonly options: Required<Omit<FolderWatcherOptions, "onError">> & Pick<FolderWatcherOptions, "onError">;
  private readonly seen = new Map<string, Seen>();
  private readonly handed = new Map<string, Handed>();
  private readonly checking = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly fsWatchers = new Map<string, fs.FSWatcher>();
  private poll: NodeJS.Timeout | undefined;
  private stopped = true;
  private sweeping: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(dir: string, options: FolderWatcherOptions) {
    this.dir = path.resolve(dir);
    this.options = {
      settleMs: SETTLE_MS,
      structuredSettleMs: STRUCTURED_SETTLE_MS,
      pollMs: POLL_INTERVAL_MS,
      growingDebounceMs: GROWING_DEBOUNCE_MS,
      ...options,
    };
  }

  /** Start following the folder (created when missing); the first sweep runs at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    fs.mkdirSync(this.dir, { recursive: true });
    this.watchFolder(this.dir);
    this.poll = setInterval(() => void this.sweep(), this.options.pollMs);
    void this.sweep();
  }

  /** Stop following; waits for a hand-over in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poll) clearInterval(this.poll);
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    for (const w of this.fsWatchers.values()) w.close();
    this.fsWatchers.clear();
    await Promise.allSettled([...this.pending, this.sweeping]);
  }

  /** Resolves when every look at a file started so far (and its hand-over) has finished. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /** Files seen and not complete yet (or complete and waiting to be taken). */
  waiting(): WaitingFile[] {
    return [...this.seen.entries()].map(([p, s]) => ({ path: p, size: s.size, since: new Date(s.since).toISOString() })).sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Paths handed over at least once. */
  handedOver(): string[] {
    return [...this.handed.keys()].sort();
  }

  /** Look at every file of the folder now (also run every {@link POLL_INTERVAL_MS}). */
  sweep(): Promise<void> {
    if (this.sweeping) return this.sweeping;
    const run = (async () => {
      await Promise.resolve();
      try {
        const files: string[] = [];
        this.walk(this.dir, "", files);
        // the manifest first: the other files are classified by it
        files.sort((a, b) => (a === "campaign.json" ? -1 : b === "campaign.json" ? 1 : a.localeCompare(b)));
        for (const rel of files) {
          if (this.stopped) break;
          await this.check(rel);
        }
      } catch (error) {
        this.options.onError?.(error);
      }
    })();
    this.sweeping = run;
    void run.finally(() => {
      if (this.sweeping === run) this.sweeping = undefined;
    });
    return run;
  }

  private walk(abs: string, rel: string, out: string[]): void {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (isTemporaryName(entry.name)) continue;
      const childRel = rel === "" ? entry.name : `${rel}/${entry.name}`;
      const childAbs = path.join(abs, entry.name);
      if (entry.isDirectory()) {
        this.watchFolder(childAbs);
        this.walk(childAbs, childRel, out);
      } else if (entry.isFile()) out.push(childRel);
    }
  }

  private watchFolder(abs: string): void {
    if (this.stopped || this.fsWatchers.has(abs)) return;
    try {
      const watcher = fs.watch(abs, { persistent: false }, (_event, name) => {
        if (this.stopped || name === null) return;
        const base = path.basename(name);
        if (isTemporaryName(base)) return;
        const rel = path.relative(this.dir, path.join(abs, name)).split(path.sep).join("/");
        this.track(this.check(rel));
      });
      watcher.on("error", () => {
        watcher.close();
        this.fsWatchers.delete(abs);
      });
      this.fsWatchers.set(abs, watcher);
    } catch {
      // the sweep still sees it
    }
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private schedule(rel: string, delayMs: number): void {
    if (this.stopped || this.timers.has(rel)) return;
    this.timers.set(
      rel,
      setTimeout(() => {
        this.timers.delete(rel);
        this.track(this.check(rel));
      }, Math.max(1, Math.ceil(delayMs))),
    );
  }

  /** Look at one file; hand it over when complete. */
  private async check(rel: string): Promise<void> {
    if (this.stopped) return;
    if (this.checking.has(rel)) {
      this.again.add(rel);
      return;
    }
    this.checking.add(rel);
    try {
      await this.checkOnce(rel);
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.checking.delete(rel);
      if (this.again.delete(rel)) this.track(this.check(rel));
    }
  }

  private async checkOnce(rel: string): Promise<void> {
    const abs = path.join(this.dir, ...rel.split("/"));
    let stat: fs.Stats;
    try {
      stat = fs.statSync(abs);
    } catch {
      this.seen.delete(rel);
      return;
    }
    if (stat.isDirectory()) {
      this.watchFolder(abs);
      return;
    }
    if (!stat.isFile()) return;
    const handed = this.handed.get(rel);
    if (handed && handed.size === stat.size && handed.mtimeMs === stat.mtimeMs) {
      this.seen.delete(rel);
      return;
    }
    const now = Date.now();
    const seen = this.seen.get(rel);
    if (!seen || seen.size !== stat.size || seen.mtimeMs !== stat.mtimeMs) this.seen.set(rel, { size: stat.size, mtimeMs: stat.mtimeMs, since: seen?.since ?? now });

    const structured = this.structure(abs, stat.size);
    const settle = structured === true ? this.options.structuredSettleMs : this.options.settleMs;
    const age = now - stat.mtimeMs;
    if (structured === false || age < settle) {
      this.schedule(rel, structured === false ? this.options.settleMs : settle - age);
      return;
    }
    if (handed && now - handed.at < this.options.growingDebounceMs) {
      this.schedule(rel, this.options.growingDebounceMs - (now - handed.at));
      return;
    }
    const bytes = fs.readFileSync(abs);
    const after = fs.statSync(abs);
    if (after.size !== stat.size || after.mtimeMs !== stat.mtimeMs || bytes.length !== stat.size) {
      this.schedule(rel, settle);
      return;
    }
    if (path.extname(rel).toLowerCase() === ".mpt" && !mptHeaderComplete(bytes)) {
      this.schedule(rel, this.options.settleMs);
      return;
    }
    const outcome = await this.options.onComplete(rel, bytes, now);
    if (outcome === "done") {
      this.handed.set(rel, { size: stat.size, mtimeMs: stat.mtimeMs, at: Date.now() });
      const current = this.seen.get(rel);
      if (current && current.size === stat.size && current.mtimeMs === stat.mtimeMs) this.seen.delete(rel);
    }
  }

  private structure(abs: string, size: number): boolean | undefined {
    const ext = path.extname(abs).toLowerCase();
    if (ext !== ".ort" && ext !== ".mpt") return undefined;
    const fd = fs.openSync(abs, "r");
    try {
      const head = Buffer.alloc(Math.min(size, TAIL_BYTES));
      fs.readSync(fd, head, 0, head.length, 0);
      const tail = Buffer.alloc(Math.min(size, TAIL_BYTES));
      fs.readSync(fd, tail, 0, tail.length, size - tail.length);
      return structureComplete(abs, head, tail);
    } finally {
      fs.closeSync(fd);
    }
  }
}
