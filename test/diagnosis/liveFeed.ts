/**
 * Feeding a finished campaign to the live diagnosis one scan at a time, as `strata serve`
 * sees it: a temporary folder gets campaign.json and the cycler record first, then each
 * scan (and the impedance spectra measured by then) in manifest order, and after each
 * scan the folder is loaded with `presentOnly`. Also the batch `strata diagnose` of the
 * same campaign (the compiled CLI, in a child process so that it runs beside the feed) and
 * the agreement of the two. Units: thickness Å, time s.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCampaign, type Campaign } from "../../src/campaign/campaign.ts";
import type { LiveDocument } from "../../src/diagnosis/live.ts";
import { repoRoot } from "../paths.ts";

/** Issue 17's agreement acceptance: medians within this many batch posterior sd… */
export const MEDIAN_TOLERANCE_SD = 0.5;
/** …and 95 % widths within this fraction of the batch's. */
export const WIDTH_TOLERANCE = 0.2;

interface ManifestJson {
  scans: { file: string; end?: string }[];
  electrochemistry?: { file: string }[];
  impedance?: { file: string; end?: string }[];
}

/** A folder that receives a campaign's files progressively. */
export class ProgressiveCampaign {
  readonly dir: string;
  readonly scans: number;
  readonly #source: string;
  readonly #manifest: ManifestJson;
  #next = 0;

  constructor(source: string, options: { cycler?: boolean } = {}) {
    this.#source = source;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-feed-"));
    this.#manifest = JSON.parse(fs.readFileSync(path.join(source, "campaign.json"), "utf8")) as ManifestJson;
    this.scans = this.#manifest.scans.length;
    fs.copyFileSync(path.join(source, "campaign.json"), path.join(this.dir, "campaign.json"));
    if (options.cycler !== false) for (const e of this.#manifest.electrochemistry ?? []) this.copy(e.file);
  }

  /** Copy one manifest file (relative path) into the folder. */
  copy(file: string): void {
    const target = path.join(this.dir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(this.#source, file), target);
  }

  /** Add the next scan (and every spectrum that ended before it did); false when none is left. */
  addScan(): boolean {
    const scan = this.#manifest.scans[this.#next];
    if (!scan) return false;
    this.copy(scan.file);
    for (const e of this.#manifest.impedance ?? []) {
      if (!fs.existsSync(path.join(this.dir, e.file)) && e.end !== undefined && scan.end !== undefined && e.end <= scan.end) this.copy(e.file);
    }
    this.#next++;
    return true;
  }

  load(): Promise<Campaign> {
    return loadCampaign(this.dir, { presentOnly: true });
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** `strata diagnose DIR --out OUT` in a child process (compiled CLI); resolves to diagnosis.json. */
export function batchDiagnose(dir: string, out: string, args: string[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(repoRoot, "bin", "strata.js"), "diagnose", dir, "--out", out, "--force", "--quiet", ...args], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      // exit 3/4 are verdicts (not trustworthy / qualified), not failures
      if (code !== 0 && code !== 3 && code !== 4) return reject(new Error(`strata diagnose ${dir} exited ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as Record<string, unknown>);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

interface BatchInterval {
  median: number;
  lo95: number;
  hi95: number;
}

/** One quantity compared: live and batch median and 95 % width, and the two criteria. */
export interface Agreement {
  name: string;
  live: BatchInterval;
  batch: BatchInterval;
  /** |live − batch| median in batch posterior sd ((hi95 − lo95)/3.92) */
  medianSd: number;
  /** live 95 % width / batch's − 1 */
  widthError: number;
}

/** Each law parameter's and the last scan's thickness, live (cell `cell`) against batch. */
export function agreement(live: LiveDocument, batch: Record<string, unknown>, cell = 0): { law: string; liveLaw: string | null; rows: Agreement[] } {
  const liveCell = live.cells[cell];
  const batchCell = (batch["cells"] as Record<string, Record<string, unknown>>)[liveCell.id];
  const growth = Object.values(batchCell["growth"] as Record<string, { law: string; parameters: Record<string, BatchInterval> }>)[0];
  const timeline = batchCell["timeline"] as { layers: Record<string, { thickness_A: BatchInterval }> }[];
  const lastBatch = Object.values(timeline[timeline.length - 1].layers)[0].thickness_A;
  const lastLive = liveCell.timeline[liveCell.timeline.length - 1].thickness_A!;
  const row = (name: string, l: BatchInterval, b: BatchInterval): Agreement => {
    const sd = (b.hi95 - b.lo95) / 3.92;
    return { name, live: pick(l), batch: pick(b), medianSd: Math.abs(l.median - b.median) / sd, widthError: (l.hi95 - l.lo95) / (b.hi95 - b.lo95) - 1 };
  };
  const rows = Object.entries(growth.parameters).map(([name, b]) => row(name, liveCell.parameters[name] ?? { median: NaN, lo95: NaN, hi95: NaN }, b));
  rows.push(row("last scan thickness", lastLive, lastBatch));
  return { law: growth.law, liveLaw: liveCell.law.posterior, rows };
}

function pick(i: BatchInterval): BatchInterval {
  return { median: i.median, lo95: i.lo95, hi95: i.hi95 };
}

/** A document without its time stamp, for equality. */
export function withoutTime(doc: LiveDocument): Omit<LiveDocument, "generated"> {
  const { generated: _generated, ...rest } = doc;
  void _generated;
  return rest;
}
