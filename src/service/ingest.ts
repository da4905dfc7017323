/**
 * @module service/ingest
 * What happens to one file that arrives for a campaign, from the watched folder or an upload:
 *
 * 1. the relative path is checked (no `..`, absolute path, backslash, NUL or empty segment);
 * 2. the size is bounded ({@link DEFAULT_MAX_FILE_BYTES});
 * 3. the file is classified by the campaign's manifest ({@link classifyFile}): a reflectivity
 *    `scan`, the `cycler` record, an `impedance` spectrum, the `manifest` (campaign.json) itself,
 *    or `other` (a file the manifest does not name: kept and reported, never diagnosed);
 * 4. its bytes are validated with the same readers `loadCampaign` uses ({@link validateFile}):
 *    the bytes are staged under their own name in a private folder of the campaign and read
 *    there, so an `.ort` with a broken line is refused as `xrr/A0003.ort:41: …`, one line naming
 *    the file and the line, as the CLI would;
 * 5. accepted bytes go to the content-addressed blob folder, the staged copy is renamed into the
 *    campaign's materialised folder (`DATA/campaigns/<id>/<path>`, what `loadCampaign` reads),
 *    then `store.recordFile` (exactly once by content: the same bytes again are a no-op, new
 *    bytes under the same path a new version), then a `live-update` is queued.
 *
 * A refused file leaves nothing in the materialised folder. From a watched folder it is recorded
 * as a `rejected` row with its one-line reason and its `file.rejected` event (so the page can say
 * why); an upload (`source: "upload"`) leaves the store unchanged — the 400 answer is the record.
 *
 * Units: sizes in bytes, times in ms since the epoch.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { EngineError, ParseError, ValidationError } from "../core/errors.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import { parseJsonText } from "../io/json.ts";
import { readReflectivityData } from "../io/reflectivityData.ts";
import { ortDataSetNames, readOrt, selectDataSet } from "../io/ort.ts";
import { readNexusReflectivity } from "../io/nexus.ts";
import { readImpedanceFile } from "../io/impedance.ts";
import { readCyclerFile } from "../io/cycler/index.ts";
import { NEXUS_EXTENSIONS } from "../campaign/campaign.ts";
import { parseManifest, parseUtcOffset, type CampaignManifest } from "../campaign/manifest.ts";
import { headerTimes, resolveScanTimes } from "../campaign/scanTimes.ts";
import { checkNoPlaceholders } from "../campaign/template.ts";
import type { FileRecord, Store } from "../store/types.ts";

/** What a file is to its campaign. */
export type FileKind = "scan" | "cycler" | "impedance" | "manifest" | "other";

/** The manifest's own name inside a campaign folder. */
export const MANIFEST_NAME = "campaign.json";
/** A file larger than this is refused unless the caller sets another bound (64 MiB, as `--max-upload-mb`). */
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
/** Private folder inside each materialised campaign folder where bytes are staged and validated. */
export const STAGING_FOLDER = ".staging";

/** The blob side the ingest needs (store/blobs' BlobStore has this shape). */
export interface BlobSink {
  put(bytes: Uint8Array): Promise<{ sha256: string; size: number; created: boolean }>;
}

/** Where a file came from: an upload leaves no trace when refused, a watched file leaves a rejected row. */
export type IngestSource = "upload" | "watch";

export interface IngestOptions {
  source?: IngestSource;
  /** when the file was complete (ms since the epoch), carried to the work item for latency; default now */
  completedAt?: number;
}

/** The outcome of {@link Ingestor.ingest}. */
export type IngestResult =
  | { status: "ingested"; file: FileRecord; created: boolean; kind: FileKind; queued: boolean }
  | { status: "rejected"; kind: FileKind | undefined; error: string; file: FileRecord | undefined };

/**
 * Check a campaign-relative path as it arrives from an upload URL or a watched folder.
 * @returns the path, `/`-separated
 * @throws {ValidationError} for an empty, absolute, `..`, backslash, NUL or empty-segment path, or the staging folder
 */
export function checkRelativePath(relPath: string): string {
  const bad = (why: string): never => {
    throw new ValidationError("path", why, relPath);
  };
  if (relPath.length === 0) bad("is empty");
  if (relPath.includes("\0")) bad("contains a NUL byte");
  if (relPath.includes("\\")) bad("contains a backslash (use / between folders)");
  if (relPath.startsWith("/") || /^[A-Za-z]:/.test(relPath)) bad("must be relative to the campaign folder");
  const segments = relPath.split("/");
  for (const segment of segments) {
    if (segment === "") bad("has an empty segment");
    if (segment === "." || segment === "..") bad("must not contain . or .. segments");
  }
  if (segments[0] === STAGING_FOLDER) bad(`must not start with the service's private folder ${STAGING_FOLDER}`);
  if (relPath.length > 1024) bad("is longer than 1024 characters");
  return relPath;
}

/** A manifest path as a campaign-relative key: `./xrr/a.ort` → `xrr/a.ort`; absolute paths stay as they are. */
function manifestKey(file: string): string {
  return path.isAbsolute(file) ? file : path.posix.normalize(file.replaceAll("\\", "/"));
}

/**
 * What the manifest says a path is.
 * @param manifest - the campaign's manifest
 * @param relPath - the campaign-relative path (checked)
 * @returns `manifest` for campaign.json, `scan`/`cycler`/`impedance` for a file the manifest names, else `other`
 */
export function classifyFile(manifest: CampaignManifest, relPath: string): FileKind {
  if (relPath === MANIFEST_NAME) return "manifest";
  if (manifest.scans.some((s) => manifestKey(s.file) === relPath)) return "scan";
  if (manifest.electrochemistry.some((e) => manifestKey(e.file) === relPath)) return "cycler";
  if (manifest.impedance.some((e) => manifestKey(e.file) === relPath)) return "impedance";
  return "other";
}

/**
 * Parse and check a manifest's bytes as `loadCampaign` does (JSON, no template placeholders,
 * `parseManifest`).
 * @throws {ParseError | ValidationError} one line naming the source and the field
 */
export function parseManifestBytes(bytes: Uint8Array, source = MANIFEST_NAME): CampaignManifest {
  const json = parseJsonText(Buffer.from(bytes).toString("utf8"), source);
  checkNoPlaceholders(json);
  return withUnknownKeyPolicy({ lenient: false }, () => parseManifest(json, source, []));
}

/**
 * Validate a file already on disk (staged under its own name) with the reader `loadCampaign`
 * would use for it. Every scan entry naming the file is checked (data set selection, header
 * times when the manifest leaves them out).
 * @param manifest - the campaign's manifest
 * @param relPath - the manifest's name for the file
 * @param kind - from {@link classifyFile}
 * @param file - where the bytes are on disk
 * @throws {EngineError} the reader's own error (file and line)
 */
export async function validateStagedFile(manifest: CampaignManifest, relPath: string, kind: FileKind, file: string): Promise<void> {
  if (kind === "manifest") {
    parseManifestBytes(fs.readFileSync(file), relPath);
    return;
  }
  if (kind === "scan") {
    const isNexus = NEXUS_EXTENSIONS.includes(path.extname(file).toLowerCase());
    const isOrt = !isNexus && path.extname(file).toLowerCase() === ".ort";
    for (let i = 0; i < manifest.scans.length; i++) {
      const scan = manifest.scans[i];
      if (manifestKey(scan.file) !== relPath) continue;
      const curves = isNexus
        ? await readNexusReflectivity(file, { mapping: scan.nexus ?? "nxrefscan" })
        : readReflectivityData(file, scan.dqMeasure === undefined ? {} : { dqMeasure: scan.dqMeasure });
      const names = isOrt && (curves.length > 1 || typeof scan.dataset === "string") ? ortDataSetNames(readOrt(file)) : curves.map((_, k) => String(k));
      const index = selectDataSet(names, scan.dataset, `scans[${i}].dataset`, scan.file, "curves");
      const header = scan.start && scan.end ? { starts: [], end: undefined } : headerTimes(file, curves[index], index);
      resolveScanTimes(scan, `scans[${i}]`, header, manifest.t0, []);
    }
    return;
  }
  if (kind === "cycler") {
    const entry = manifest.electrochemistry.find((e) => manifestKey(e.file) === relPath)!;
    const utcOffset = entry.utcOffset === undefined ? undefined : parseUtcOffset(entry.utcOffset);
    const table = readCyclerFile(file, utcOffset === undefined ? {} : { utcOffsetMinutes: utcOffset / 60 });
    if (table.rows === 0) throw new ParseError(file, "no data rows yet");
    return;
  }
  if (kind === "impedance") readImpedanceFile(file);
}

/** hex SHA-256 of bytes */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Write bytes to a file through a temporary name in the same folder and a rename (the file appears whole or not at all). */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, bytes);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** The one line a refusal carries: the engine's message with the staging folder taken out. */
function refusal(error: unknown, stagingRoot: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split(`${stagingRoot}${path.sep}`).join("").replace(/\s*\n\s*/g, " ");
}

export interface IngestorOptions {
  store: Store;
  blobs: BlobSink;
  /** the data folder: the materialised campaigns are under `campaigns/` */
  dataDir: string;
  /** files larger than this are refused @default DEFAULT_MAX_FILE_BYTES */
  maxFileBytes?: number;
}

/**
 * Classifies, validates, stores and materialises files of registered campaigns (see the module header).
 * Files of one campaign are ingested one at a time (a queue per campaign), so versions are in arrival order.
 */
export class Ingestor {
  readonly store: Store;
  readonly blobs: BlobSink;
  readonly dataDir: string;
  readonly maxFileBytes: number;
  private readonly manifests = new Map<string, { manifest: CampaignManifest; key: string }>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(options: IngestorOptions) {
    this.store = options.store;
    this.blobs = options.blobs;
    this.dataDir = options.dataDir;
    this.maxFileBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  }

  /** The materialised folder of a campaign (what loadCampaign reads). */
  campaignDir(campaignId: string): string {
    return path.join(this.dataDir, "campaigns", campaignId);
  }

  /** The campaign's manifest, parsed once per registered version. */
  async manifest(campaignId: string): Promise<CampaignManifest | undefined> {
    const record = await this.store.getCampaign(campaignId);
    if (!record) return undefined;
    const key = JSON.stringify(record.manifest);
    const cached = this.manifests.get(campaignId);
    if (cached && cached.key === key) return cached.manifest;
    const manifest = withUnknownKeyPolicy({ lenient: false }, () => parseManifest(record.manifest, path.join(this.campaignDir(campaignId), MANIFEST_NAME), []));
    this.manifests.set(campaignId, { manifest, key });
    return manifest;
  }

  /**
   * Ingest one file of a registered campaign (see the module header).
   * @param campaignId - a registered campaign
   * @param relPath - the campaign-relative path (as the manifest names it)
   * @param bytes - the whole file
   * @returns ingested (with the file record and whether it is a new version) or rejected (the one-line reason)
   * @throws {ValidationError} for a bad path or an unknown campaign (nothing recorded)
   */
  ingest(campaignId: string, relPath: string, bytes: Uint8Array, options: IngestOptions = {}): Promise<IngestResult> {
    const previous = this.chains.get(campaignId) ?? Promise.resolve();
    const next = previous.then(
      () => this.ingestNow(campaignId, relPath, bytes, options),
      () => this.ingestNow(campaignId, relPath, bytes, options),
    );
    this.chains.set(campaignId, next);
    this.inFlight.add(next);
    void next.finally(() => this.inFlight.delete(next)).catch(() => undefined);
    return next;
  }

  /** Resolves when every ingest started so far has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async ingestNow(campaignId: string, relPath: string, bytes: Uint8Array, options: IngestOptions): Promise<IngestResult> {
    checkRelativePath(relPath);
    const manifest = await this.manifest(campaignId);
    if (!manifest) throw new ValidationError("campaign", "is not registered", campaignId);
    const source = options.source ?? "upload";
    const kind = classifyFile(manifest, relPath);
    const reject = async (error: string): Promise<IngestResult> => {
      if (source === "upload") return { status: "rejected", kind, error, file: undefined };
      const { file } = await this.store.recordFile({ campaignId, path: relPath, sha256: sha256Hex(bytes), size: bytes.length, kind, status: "rejected", error });
      return { status: "rejected", kind, error, file };
    };
    if (bytes.length > this.maxFileBytes) return reject(`${relPath}: file is ${bytes.length} bytes, over the limit of ${this.maxFileBytes} bytes`);

    const stagingRoot = path.join(this.campaignDir(campaignId), STAGING_FOLDER, randomBytes(8).toString("hex"));
    const staged = path.join(stagingRoot, ...relPath.split("/"));
    try {
      writeFileAtomic(staged, bytes);
      let newManifest: CampaignManifest | undefined;
      try {
        await validateStagedFile(manifest, relPath, kind, staged);
        if (kind === "manifest") newManifest = parseManifestBytes(bytes, relPath);
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        return await reject(refusal(error, stagingRoot));
      }
      const blob = await this.blobs.put(bytes);
      // materialise before recording: what the store lists is always in the folder (a crash in
      // between leaves an unrecorded file there, recorded when it arrives again)
      const target = path.join(this.campaignDir(campaignId), ...relPath.split("/"));
      const renamed = !sameContent(target, blob.sha256, bytes.length);
      if (renamed) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.renameSync(staged, target);
      }
      const { file, created } = await this.store.recordFile({ campaignId, path: relPath, sha256: blob.sha256, size: bytes.length, kind, status: "ingested", error: null });
      if (newManifest && created) {
        const record = await this.store.getCampaign(campaignId);
        if (record) await this.store.putCampaign({ id: campaignId, name: newManifest.name, manifest: JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>, watchDir: record.watchDir });
      }
      const queued = (created || renamed) && kind !== "other";
      if (queued) await this.store.enqueueWork({ campaignId, kind: "live-update", payload: { path: relPath, version: file.version, completedAt: options.completedAt ?? Date.now() } });
      return { status: "ingested", file, created, kind, queued };
    } finally {
      fs.rmSync(stagingRoot, { recursive: true, force: true });
    }
  }
}

/** true when the file exists with this size and SHA-256 */
export function sameContent(file: string, sha256: string, size: number): boolean {
  try {
    if (fs.statSync(file).size !== size) return false;
    return sha256Hex(fs.readFileSync(file)) === sha256;
  } catch {
    return false;
  }
}
