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
import { INDISTINGUISHABLE_DELTA_IC } from "../../src/diagnosis/diagnoseCell.ts";
import type { LawName } from "../../src/models/growthLaws.ts";
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

/** Each law's Akaike weight, live and batch, agree within this (absolute): both come from the laws' optima, not from sampling. */
export const LAW_WEIGHT_TOLERANCE = 0.05;

interface BatchLaw {
  law: string;
  deltaIC: number;
  weight: number;
}

/** The result of {@link agreement}. */
export interface AgreementResult {
  /** the batch's law (the best of its comparison) and the live posterior's */
  law: string;
  liveLaw: string | null;
  /** the two laws differ but the batch cannot tell them apart (ΔAICc within INDISTINGUISHABLE_DELTA_IC) */
  tied: boolean;
  /** every law's weight, live and batch */
  weights: { law: string; live: number; batch: number }[];
  /** the posterior law's parameters, then every scan's thickness (against the same law's batch) */
  rows: Agreement[];
}

/**
 * The live document (cell `cell`) against the batch diagnosis of the same campaign:
 * - every law's weight;
 * - the posterior law's parameters and every scan's thickness under it, against `batch` when
 *   both follow the same law; when the live posterior follows another law that the batch
 *   cannot tell apart from its own (a tie, such as the charge and parabolic laws of a
 *   potentiostatic hold), against `sameLaw`, the batch diagnosis restricted to the live
 *   posterior's law (`--laws <it>`): parameters of different laws are different quantities,
 *   and so, slightly, are the thicknesses each law's curve gives.
 */
export function agreement(live: LiveDocument, batch: Record<string, unknown>, options: { cell?: number; sameLaw?: Record<string, unknown> } = {}): AgreementResult {
  const liveCell = live.cells[options.cell ?? 0];
  const batchCell = (batch["cells"] as Record<string, Record<string, unknown>>)[liveCell.id];
  const growth = Object.values(batchCell["growth"] as Record<string, { law: string; parameters: Record<string, BatchInterval>; comparison?: BatchLaw[] }>)[0];
  const comparison = growth.comparison ?? [];
  const liveLaw = liveCell.law.posterior;
  const tied = liveLaw !== null && liveLaw !== growth.law && (comparison.find((c) => c.law === liveLaw)?.deltaIC ?? Infinity) <= INDISTINGUISHABLE_DELTA_IC;
  const row = (name: string, l: BatchInterval, b: BatchInterval): Agreement => {
    const sd = (b.hi95 - b.lo95) / 3.92;
    return { name, live: pick(l), batch: pick(b), medianSd: Math.abs(l.median - b.median) / sd, widthError: (l.hi95 - l.lo95) / (b.hi95 - b.lo95) - 1 };
  };
  let reference = batchCell;
  if (tied) {
    if (!options.sameLaw) throw new Error(`the live posterior follows the ${liveLaw} law, tied with the batch's ${growth.law}: pass the batch restricted to ${liveLaw} as sameLaw`);
    reference = (options.sameLaw["cells"] as Record<string, Record<string, unknown>>)[liveCell.id];
  }
  const referenceGrowth = Object.values(reference["growth"] as Record<string, { law: string; parameters: Record<string, BatchInterval> }>)[0];
  if (tied && referenceGrowth.law !== liveLaw) throw new Error(`sameLaw follows the ${referenceGrowth.law} law, not ${liveLaw}`);
  const missing = { median: NaN, lo95: NaN, hi95: NaN };
  const rows = Object.entries(referenceGrowth.parameters).map(([name, b]) => row(name, liveCell.parameters[name] ?? missing, b));
  const timeline = reference["timeline"] as { scan: string; layers: Record<string, { thickness_A: BatchInterval }> }[];
  for (const entry of timeline) {
    const liveEntry = liveCell.timeline.find((t) => t.scan === entry.scan);
    rows.push(row(`thickness at ${entry.scan}`, liveEntry?.thickness_A ?? missing, Object.values(entry.layers)[0].thickness_A));
  }
  const weights = comparison.map((c) => ({ law: c.law, live: liveCell.law.weights[c.law as LawName] ?? 0, batch: c.weight }));
  return { law: growth.law, liveLaw, tied, weights, rows };
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

/**
 * {@link agreement} of a live document with the batch diagnosis of `source` (all five laws),
 * running the batch restricted to the live posterior's law (in `out`/same-law) when the two
 * follow tied laws.
 */
export async function agreementWithBatch(live: LiveDocument, source: string, batch: Record<string, unknown>, out: string): Promise<AgreementResult> {
  const liveLaw = live.cells[0].law.posterior;
  const batchCell = (batch["cells"] as Record<string, Record<string, unknown>>)[live.cells[0].id];
  const batchLaw = Object.values(batchCell["growth"] as Record<string, { law: string }>)[0].law;
  if (liveLaw === batchLaw || liveLaw === null) return agreement(live, batch);
  const sameLaw = await batchDiagnose(source, path.join(out, "same-law"), ["--laws", liveLaw]);
  return agreement(live, batch, { sameLaw });
}
