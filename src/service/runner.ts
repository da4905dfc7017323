/**
 * @module service/runner
 * The heart of `strata serve`: files in (uploads and watched folders, through service/ingest),
 * diagnoses out (diagnosis/live), everything through the store so that a `kill -9` at any point
 * loses nothing acknowledged and duplicates nothing.
 *
 * - **Work loop**: claims `live-update` work from the store, oldest first. Every other queued
 *   `live-update` of the same campaign is covered by the same update (their files were
 *   materialised before they were queued) and finished with it. The campaign is loaded from its
 *   materialised folder with `presentOnly` (scans still to come are pending) and its live engine
 *   updated — in a worker thread (service/engineWorker), so ingest, the watchers and HTTP are
 *   served meanwhile; the engine's update waits for files already complete to be ingested, so
 *   one update covers them — the document stored as a `live` diagnosis version, and a
 *   `diagnosis.timing` event records `latency_ms` (file complete → diagnosis stored) per file.
 * - **Full runs**: `full-diagnosis` work, queued when the engine says `needsFull` or when the
 *   campaign has been quiet for `fullAfter_s` and its latest full run is not of its current
 *   files; run by a second loop in its own worker thread (service/fullWorker); a new live update
 *   of the same campaign terminates it (it is queued again after the next quiet period). Stored
 *   as kind `full`; the live engine then resumes from it.
 * - **Start-up recovery** ({@link Runner.start}): work left `running` by a dead process is queued
 *   again; each campaign's materialised folder is checked against the store's latest versions
 *   (restored from the blobs when a crash left it behind); each campaign's engine resumes from
 *   its latest stored document (at its first update); a campaign whose files are newer than its latest diagnosis gets
 *   a `live-update`; watched folders are swept, so files written while the service was down are
 *   ingested (exactly once: content hash).
 * - **Events**: everything the runner does is in the store's event log; `on("event")` listeners
 *   get each new event in order as soon as it is appended (the SSE stream wakes on them).
 *
 * Units: times in ms (latencies) and s (`fullAfter_s`); sizes in bytes.
 */
import { EventEmitter } from "node:events";
import { Worker } from "node:worker_threads";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { EngineError, oneLineMessage } from "../core/errors.ts";
import { siblingModule, workerBootstrap } from "../core/worker.ts";
import { loadCampaign, type Campaign } from "../campaign/campaign.ts";
import type { CampaignRecord, EventRecord, FileRecord, Store, WorkRecord } from "../store/types.ts";
import { Ingestor, MANIFEST_NAME, parseManifestBytes, sameContent, writeFileAtomic, type BlobSink, type IngestOptions, type IngestResult } from "./ingest.ts";
import { FolderWatcher, type FolderWatcherOptions, type WaitingFile } from "./watcher.ts";

/** What the runner needs of the live engine (diagnosis/live's LiveDiagnosis has this shape). */
export interface LiveEngine {
  update(campaign: Campaign, options?: { refine?: boolean }): Promise<object>;
  readonly needsFull: boolean;
  full(campaign: Campaign, options?: { signal?: AbortSignal }): Promise<object>;
}

/** Makes engines: a fresh one, or one resumed from a stored document. */
export interface EngineFactory {
  create(): LiveEngine;
  fromDocument(document: Record<string, unknown>): LiveEngine;
}

/** `--full-after`: a campaign quiet this long gets a full run when its latest is not of its current files (s). */
export const DEFAULT_FULL_AFTER_S = 30;
/** The work loops look at the queue at least this often (ms); an ingest wakes them at once. */
export const WORK_POLL_MS = 500;
/**
 * Before an update, files that became complete while the previous one was computed are given
 * this long to be handed over and ingested (ms), so that one update covers them all.
 */
export const INGEST_GATHER_MS = 20;
/** The quiet-campaign check's period (ms). */
export const QUIET_CHECK_MS = 1000;
/** A full run the engine asked for (`needsFull`) starts once no update has come for this long (ms): data arriving every few seconds would abort it anyway. */
export const NEEDS_FULL_QUIET_MS = 5000;
/**
 * A campaign quiet this long (and not yet due a full run) gets one live update with nothing
 * new, which refines its posterior (diagnosis/live REFINEMENT_SCAN_EVALUATIONS more moves):
 * the live result is then as good as the batch's until the full run replaces it.
 */
export const REFINE_AFTER_MS = 5000;
/** The work payload's reason of a refinement. */
const REFINE_REASON = "refine";

export const LIVE_UPDATE = "live-update";
export const FULL_DIAGNOSIS = "full-diagnosis";

export interface RunnerOptions {
  /** @default DEFAULT_FULL_AFTER_S */
  fullAfter_s?: number;
  /** files larger than this are refused @default ingest's DEFAULT_MAX_FILE_BYTES */
  maxFileBytes?: number;
  /** the live engine (default: diagnosis/live's LiveDiagnosis) */
  engine?: EngineFactory;
  /** the watcher's timing (tests) */
  watcher?: Partial<Omit<FolderWatcherOptions, "onComplete" | "onError">>;
  /**
   * `strata serve --queue`: full runs are jobs for `strata worker`s (service/queueClient) instead
   * of a thread here; `store` is the shared PostgreSQL store the workers read and write.
   */
  queue?: { queue: string; store: string };
  /** where a live cell's first per-scan fit starts (`strata serve --start`; diagnosis/live LiveOptions.start) @default "global" */
  start?: "auto" | "ml" | "global";
}

/** The ingest state of one campaign (`GET /api/campaigns/:id/ingest`). */
export interface IngestState {
  /** distinct paths seen (ingested, rejected or waiting) */
  seen: number;
  /** distinct paths with an ingested version */
  ingested: number;
  waiting: WaitingFile[];
  rejected: { path: string; error: string }[];
}

/** The latest version of each path. */
function latestByPath(files: readonly FileRecord[]): Map<string, FileRecord> {
  const latest = new Map<string, FileRecord>();
  for (const f of files) {
    const seen = latest.get(f.path);
    if (!seen || f.version > seen.version) latest.set(f.path, f);
  }
  return latest;
}

/**
 * What a diagnosis was computed from: the SHA-256 of the sorted (path, sha256) of the latest
 * ingested version of every file the manifest names (and the manifest).
 */
export function inputsFingerprint(files: readonly FileRecord[]): string {
  const ingested = files.filter((f) => f.status === "ingested" && f.kind !== "other");
  const latest = [...latestByPath(ingested).values()].sort((a, b) => a.path.localeCompare(b.path));
  return createHash("sha256")
    .update(latest.map((f) => `${f.path}\0${f.sha256}`).join("\n"))
    .digest("hex");
}

interface CampaignState {
  /** serialises the engine's operations */
  lock: Promise<unknown>;
  lastUpdateAt: number;
  full: AbortController | undefined;
  fullInputs: string | undefined;
  /** the engine said a full run is due */
  needsFull: boolean;
  /** the inputs of the last refinement asked for */
  refinedInputs?: string;
}

/** The runner (see the module header). */
export class Runner extends EventEmitter {
  readonly store: Store;
  readonly blobs: BlobSink & { get(sha256: string): Promise<Buffer> };
  readonly dataDir: string;
  readonly ingestor: Ingestor;
  private readonly fullAfterMs: number;
  private readonly engineFactory: EngineFactory | undefined;
  private host: EngineHost | undefined;
  private readonly watcherTiming: RunnerOptions["watcher"];
  private readonly queueOptions: RunnerOptions["queue"];
  private readonly seriesStart: RunnerOptions["start"];
  private queueClient: import("./queueClient.ts").QueueClient | undefined;
  private readonly campaigns = new Map<string, CampaignState>();
  private readonly watchers = new Map<string, FolderWatcher>();
  /** refusals not in the store: uploads, and files of a watched folder before its campaign.json */
  private readonly refused = new Map<string, Map<string, string>>();
  private stopped = true;
  private loops: Promise<void>[] = [];
  private wakeLive: (() => void) | undefined;
  private wakeFull: (() => void) | undefined;
  private quietTimer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  private pumping: Promise<void> | undefined;
  private pumpAgain = false;

  constructor(options: { store: Store; blobs: BlobSink & { get(sha256: string): Promise<Buffer> }; dataDir: string; options?: RunnerOptions }) {
    super();
    this.store = options.store;
    this.blobs = options.blobs;
    this.dataDir = path.resolve(options.dataDir);
    const o = options.options ?? {};
    this.fullAfterMs = (o.fullAfter_s ?? DEFAULT_FULL_AFTER_S) * 1000;
    this.engineFactory = o.engine;
    this.watcherTiming = o.watcher;
    this.queueOptions = o.queue;
    this.seriesStart = o.start;
    this.ingestor = new Ingestor({ store: this.store, blobs: this.blobs, dataDir: this.dataDir, ...(o.maxFileBytes === undefined ? {} : { maxFileBytes: o.maxFileBytes }) });
  }

  /** Recover (see the module header) and start the work loops. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.lastSeq = this.store.lastSeq ? await this.store.lastSeq() : lastSeqOf(await this.store.events(0, { limit: 1_000_000 }));
    await this.store.requeueRunning();
    for (const campaign of await this.store.listCampaigns()) await this.recover(campaign);
    this.hostOf().warm();
    this.loops = [this.liveLoop(), this.fullLoop()];
    this.quietTimer = setInterval(() => void this.checkQuiet().catch((error: unknown) => this.fail(undefined, error)), QUIET_CHECK_MS);
    for (const campaign of await this.store.listCampaigns()) if (campaign.watchDir) this.watch(campaign.id, campaign.watchDir);
    this.notify();
  }

  /** Stop watching and working; an update in progress finishes, a full run is aborted (and queued again at the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.quietTimer) clearInterval(this.quietTimer);
    await Promise.allSettled([...this.watchers.values()].map((w) => w.stop()));
    this.watchers.clear();
    for (const state of this.campaigns.values()) state.full?.abort();
    this.wakeLive?.();
    this.wakeFull?.();
    await Promise.allSettled(this.loops);
    await Promise.allSettled([...this.campaigns.values()].map((s) => s.lock));
    await this.host?.close();
    this.host = undefined;
    await this.queueClient?.close().catch(() => undefined);
    this.queueClient = undefined;
    await this.pumping;
  }

  /**
   * Store (or update) a campaign and start following it: its manifest is written into the
   * materialised folder and recorded as the file `campaign.json`; a watched folder is watched from now on.
   * @throws {ValidationError} for an invalid manifest (parseManifest's one line)
   */
  async registerCampaign(campaign: { id: string; manifest: Record<string, unknown>; watchDir: string | null }): Promise<CampaignRecord> {
    const bytes = Buffer.from(`${JSON.stringify(campaign.manifest, null, 2)}\n`);
    const manifest = parseManifestBytes(bytes, MANIFEST_NAME);
    const existed = await this.store.getCampaign(campaign.id);
    const record = await this.store.putCampaign({ id: campaign.id, name: manifest.name, manifest: campaign.manifest, watchDir: campaign.watchDir });
    const dir = this.ingestor.campaignDir(campaign.id);
    fs.mkdirSync(dir, { recursive: true });
    if (!existed) await this.store.appendEvent({ campaignId: campaign.id, type: "campaign.registered", payload: { id: campaign.id, name: manifest.name, watchDir: campaign.watchDir } });
    await this.ingest(campaign.id, MANIFEST_NAME, bytes, { source: "watch" });
    this.stateOf(campaign.id);
    if (campaign.watchDir) this.watch(campaign.id, campaign.watchDir);
    this.notify();
    return record;
  }

  /**
   * Ingest one file of a registered campaign (service/ingest), queue its live update and tell listeners.
   * @throws {ValidationError} for a bad path or an unregistered campaign
   */
  async ingest(campaignId: string, relPath: string, bytes: Uint8Array, options: IngestOptions = {}): Promise<IngestResult> {
    const result = await this.ingestor.ingest(campaignId, relPath, bytes, options);
    const refused = this.refusedOf(campaignId);
    if (result.status === "rejected" && result.file === undefined) refused.set(relPath, result.error);
    else refused.delete(relPath);
    if (result.status === "ingested" && result.queued) this.wakeLive?.();
    this.notify();
    return result;
  }

  /**
   * Follow a folder for a campaign (idempotent; files are ingested from now on, diagnosed once
   * the runner is started). A campaign not registered yet is registered from the folder's
   * campaign.json when it appears.
   */
  watch(campaignId: string, dir: string): void {
    if (this.watchers.has(campaignId)) return;
    const watcher = new FolderWatcher(dir, {
      ...this.watcherTiming,
      onComplete: (relPath, bytes, completedAt) => this.fromFolder(campaignId, path.resolve(dir), relPath, bytes, completedAt),
      onError: (error) => this.fail(campaignId, error),
    });
    this.watchers.set(campaignId, watcher);
    watcher.start();
  }

  private async fromFolder(campaignId: string, dir: string, relPath: string, bytes: Buffer, completedAt: number): Promise<"done" | "later"> {
    if (!(await this.store.getCampaign(campaignId))) {
      if (relPath !== MANIFEST_NAME) return "later";
      try {
        parseManifestBytes(bytes, relPath);
      } catch (error) {
        if (!(error instanceof EngineError)) throw error;
        this.refusedOf(campaignId).set(relPath, error.message);
        return "done";
      }
      await this.registerCampaign({ id: campaignId, manifest: JSON.parse(bytes.toString("utf8")) as Record<string, unknown>, watchDir: dir });
    }
    try {
      await this.ingest(campaignId, relPath, bytes, { source: "watch", completedAt });
    } catch (error) {
      if (!(error instanceof EngineError)) throw error;
      this.refusedOf(campaignId).set(relPath, error.message);
    }
    return "done";
  }

  /** Files seen, ingested, waiting and rejected (with the reason) for one campaign. */
  async ingestState(campaignId: string): Promise<IngestState> {
    const latest = latestByPath(await this.store.listFiles(campaignId));
    const waiting = this.watchers.get(campaignId)?.waiting() ?? [];
    const rejected = new Map<string, string>();
    for (const f of latest.values()) if (f.status === "rejected") rejected.set(f.path, f.error ?? "rejected");
    for (const [p, error] of this.refused.get(campaignId) ?? []) if (!latest.has(p) || latest.get(p)!.status === "rejected") rejected.set(p, error);
    const ingestedPaths = new Set((await this.store.listFiles(campaignId)).filter((f) => f.status === "ingested").map((f) => f.path));
    const seen = new Set([...latest.keys(), ...waiting.map((w) => w.path), ...rejected.keys()]);
    return {
      seen: seen.size,
      ingested: ingestedPaths.size,
      waiting,
      rejected: [...rejected].map(([p, error]) => ({ path: p, error })).sort((a, b) => a.path.localeCompare(b.path)),
    };
  }

  private refusedOf(campaignId: string): Map<string, string> {
    let map = this.refused.get(campaignId);
    if (!map) this.refused.set(campaignId, (map = new Map<string, string>()));
    return map;
  }

  private stateOf(campaignId: string): CampaignState {
    let state = this.campaigns.get(campaignId);
    if (!state) this.campaigns.set(campaignId, (state = { lock: Promise.resolve(), lastUpdateAt: Date.now(), full: undefined, fullInputs: undefined, needsFull: false }));
    return state;
  }

  /** Run `task` with the campaign's engine to itself. */
  private locked<T>(campaignId: string, task: () => Promise<T>): Promise<T> {
    const state = this.stateOf(campaignId);
    const next = state.lock.then(task, task);
    state.lock = next.catch(() => undefined);
    return next;
  }

  /** Where the engines live: a worker thread, or this thread when an engine factory was given. */
  private hostOf(): EngineHost {
    this.host ??= this.engineFactory ? new InProcessHost(this.engineFactory) : new WorkerHost(this.seriesStart);
    return this.host;
  }

  /** The latest stored document of a campaign, for an engine that resumes. */
  private async latestDocument(campaignId: string): Promise<Record<string, unknown> | undefined> {
    return (await this.store.latestDiagnosis(campaignId))?.document;
  }

  /** Start-up recovery of one campaign (see the module header). */
  private async recover(campaign: CampaignRecord): Promise<void> {
    const state = this.stateOf(campaign.id);
    const dir = this.ingestor.campaignDir(campaign.id);
    fs.mkdirSync(dir, { recursive: true });
    const files = await this.store.listFiles(campaign.id);
    let restored = 0;
    for (const f of latestByPath(files.filter((x) => x.status === "ingested")).values()) {
      const target = path.join(dir, ...f.path.split("/"));
      if (sameContent(target, f.sha256, f.size)) continue;
      writeFileAtomic(target, await this.blobs.get(f.sha256));
      restored++;
    }
    if (!fs.existsSync(path.join(dir, MANIFEST_NAME))) writeFileAtomic(path.join(dir, MANIFEST_NAME), Buffer.from(`${JSON.stringify(campaign.manifest, null, 2)}\n`));
    const latest = await this.store.latestDiagnosis(campaign.id);
    const latestFull = await this.store.latestDiagnosis(campaign.id, "full");
    state.fullInputs = typeof latestFull?.document["inputs"] === "string" ? latestFull.document["inputs"] : undefined;
    const newestFile = files.filter((f) => f.status === "ingested").reduce((t, f) => (f.ingestedAt > t ? f.ingestedAt : t), "");
    const liveQueued = (await this.store.listWork(campaign.id)).some((w) => w.kind === LIVE_UPDATE && w.state === "queued");
    const stale = latest === undefined ? files.some((f) => f.status === "ingested" && f.kind === "scan") : newestFile > latest.createdAt || latest.document["inputs"] !== inputsFingerprint(files);
    if (!liveQueued && (restored > 0 || stale)) {
      await this.store.enqueueWork({ campaignId: campaign.id, kind: LIVE_UPDATE, payload: { reason: "recovery" } });
    }
  }

  /** Wait until woken or `ms` passed. */
  private idle(which: "live" | "full", ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (which === "live") this.wakeLive = done;
      else this.wakeFull = done;
    });
  }

  private async liveLoop(): Promise<void> {
    while (!this.stopped) {
      let work: WorkRecord | undefined;
      try {
        work = await this.store.claimWork([LIVE_UPDATE]);
        if (!work) {
          await this.idle("live", WORK_POLL_MS);
          continue;
        }
        await this.liveUpdate(work);
      } catch (error) {
        this.fail(work?.campaignId, error);
        // stopping: left running, queued again at the next start
        if (work && !this.stopped) await this.store.finishWork(work.id, { state: "failed", error: oneLineMessage(error) }).catch(() => undefined);
        await this.idle("live", WORK_POLL_MS);
      }
    }
  }

  private async liveUpdate(work: WorkRecord): Promise<void> {
    const campaignId = work.campaignId;
    const state = this.stateOf(campaignId);
    state.full?.abort();
    await new Promise((resolve) => setTimeout(resolve, INGEST_GATHER_MS));
    await Promise.all([...this.watchers.values()].map((w) => w.idle()));
    await this.ingestor.idle();
    await this.locked(campaignId, async () => {
      const covered = (await this.store.listWork(campaignId)).filter((w) => w.kind === LIVE_UPDATE && w.state === "queued");
      const inputs = inputsFingerprint(await this.store.listFiles(campaignId));
      const refine = work.payload["reason"] === REFINE_REASON;
      const outcome = await this.hostOf().update(campaignId, this.ingestor.campaignDir(campaignId), () => this.latestDocument(campaignId), refine);
      if (outcome.document) {
        const scans = outcome.scans;
        const document: Record<string, unknown> = { ...outcome.document, inputs };
        const updated = Date.now();
        const version = await this.store.putDiagnosis({ campaignId, kind: "live", scans, document });
        const stored = Date.now();
        const files = [work, ...covered]
          .map((w) => ({ path: typeof w.payload["path"] === "string" ? w.payload["path"] : null, completedAt: typeof w.payload["completedAt"] === "number" ? w.payload["completedAt"] : null }))
          .map((f) => ({ path: f.path, latency_ms: f.completedAt === null ? null : stored - f.completedAt }));
        const latencies = files.flatMap((f) => (f.latency_ms === null ? [] : [f.latency_ms]));
        await this.store.appendEvent({
          campaignId,
          type: "diagnosis.timing",
          payload: { version: version.version, kind: "live", scans, latency_ms: latencies.length > 0 ? Math.max(...latencies) : null, files, load_ms: outcome.load_ms, update_ms: outcome.update_ms, store_ms: stored - updated, method: document["method"] ?? null },
        });
        state.needsFull = outcome.needsFull;
      }
      await this.store.finishWork(work.id, { state: "done" });
      for (const w of covered) await this.store.finishWork(w.id, { state: "done" });
      // a refinement is not new data: the quiet clock of the full run keeps running
      if (!refine) state.lastUpdateAt = Date.now();
    });
    this.notify();
  }

  private async queueFull(campaignId: string, reason: string): Promise<void> {
    const pending = (await this.store.listWork(campaignId)).some((w) => w.kind === FULL_DIAGNOSIS && (w.state === "queued" || w.state === "running"));
    if (pending) return;
    await this.store.enqueueWork({ campaignId, kind: FULL_DIAGNOSIS, payload: { reason } });
    this.wakeFull?.();
  }

  /** A campaign quiet for fullAfter whose latest full run is not of its current files gets one. */
  private async checkQuiet(): Promise<void> {
    if (this.stopped) return;
    const now = Date.now();
    for (const [campaignId, state] of this.campaigns) {
      if (state.full) continue;
      const quiet = now - state.lastUpdateAt;
      if (quiet >= REFINE_AFTER_MS && quiet < this.fullAfterMs && !state.needsFull) {
        // quiet: one live update with nothing new refines the posterior (more moves) before the full run
        const files = await this.store.listFiles(campaignId);
        const inputs = inputsFingerprint(files);
        if (state.refinedInputs === inputs || state.fullInputs === inputs || !files.some((f) => f.status === "ingested" && f.kind === "scan")) continue;
        const work = await this.store.listWork(campaignId);
        if (work.some((w) => (w.kind === LIVE_UPDATE || w.kind === FULL_DIAGNOSIS) && (w.state === "queued" || w.state === "running"))) continue;
        state.refinedInputs = inputs;
        await this.store.enqueueWork({ campaignId, kind: LIVE_UPDATE, payload: { reason: REFINE_REASON } });
        this.wakeLive?.();
        continue;
      }
      if (quiet < this.fullAfterMs && !(state.needsFull && quiet >= NEEDS_FULL_QUIET_MS)) continue;
      const files = await this.store.listFiles(campaignId);
      if (!files.some((f) => f.status === "ingested" && f.kind === "scan")) continue;
      if (state.fullInputs === inputsFingerprint(files)) continue;
      const work = await this.store.listWork(campaignId);
      if (work.some((w) => (w.kind === LIVE_UPDATE || w.kind === FULL_DIAGNOSIS) && (w.state === "queued" || w.state === "running"))) continue;
      await this.queueFull(campaignId, quiet >= this.fullAfterMs ? "quiet" : "needsFull");
    }
  }

  private async fullLoop(): Promise<void> {
    while (!this.stopped) {
      let work: WorkRecord | undefined;
      try {
        work = await this.store.claimWork([FULL_DIAGNOSIS]);
        if (!work) {
          await this.idle("full", WORK_POLL_MS);
          continue;
        }
        await this.fullRun(work);
      } catch (error) {
        this.fail(work?.campaignId, error);
        if (work && !this.stopped) await this.store.finishWork(work.id, { state: "failed", error: oneLineMessage(error) }).catch(() => undefined);
        await this.idle("full", WORK_POLL_MS);
      }
    }
  }

  private async fullRun(work: WorkRecord): Promise<void> {
    const campaignId = work.campaignId;
    const state = this.stateOf(campaignId);
    const controller = new AbortController();
    state.full = controller;
    try {
      const inputs = inputsFingerprint(await this.store.listFiles(campaignId));
      const started = Date.now();
      // off this thread unless an engine was given: the service keeps serving and updating meanwhile
      const outcome = this.engineFactory
        ? await this.locked(campaignId, () => this.fullHere(campaignId, controller.signal))
        : this.queueOptions
          ? await this.fullQueued(campaignId, controller.signal)
          : await fullInWorker(this.ingestor.campaignDir(campaignId), controller.signal, this.seriesStart);
      if (controller.signal.aborted) {
        if (!this.stopped) await this.store.finishWork(work.id, { state: "done" });
        return; // new data came (a later quiet period queues it again), or stopping (queued again at the next start)
      }
      if (outcome) {
        await this.locked(campaignId, async () => {
          if (controller.signal.aborted) return;
          const document = { ...outcome.document, inputs };
          const version = await this.store.putDiagnosis({ campaignId, kind: "full", scans: outcome.scans, document });
          await this.store.appendEvent({ campaignId, type: "diagnosis.timing", payload: { version: version.version, kind: "full", scans: outcome.scans, full_ms: Date.now() - started, reason: work.payload["reason"] ?? null } });
          state.fullInputs = inputs;
          state.needsFull = false;
          await this.hostOf().adopt(campaignId, document);
        });
      }
      if (!controller.signal.aborted || !this.stopped) await this.store.finishWork(work.id, { state: "done" });
    } finally {
      state.full = undefined;
      this.notify();
    }
  }

  /**
   * The full run as a queue job: the materialised folder goes to the shared store as a bundle
   * and a `full` job is added under the id of (kind, bundle, options) — after a restart of this
   * service the work is claimed again, the same id is added again (BullMQ keeps the one a worker
   * is running) and its result is gathered when stored: in-flight jobs stay tracked.
   */
  private async fullQueued(campaignId: string, signal: AbortSignal): Promise<{ document: Record<string, unknown>; scans: number } | undefined> {
    if (!this.queueClient) {
      const { QueueClient } = await import("./queueClient.ts");
      this.queueClient = new QueueClient(this.queueOptions!);
    }
    const client = this.queueClient;
    const input = await client.store.putFolder(this.ingestor.campaignDir(campaignId));
    const data = { kind: "full" as const, input, options: {}, campaignId, label: campaignId };
    const jobId = await client.add(data);
    const result = await client.wait(jobId, data, signal);
    if (!result || !result["document"]) return undefined;
    return { document: result["document"] as Record<string, unknown>, scans: Number(result["scans"] ?? 0) };
  }

  /** The full run on this thread, with a fresh engine of the factory given in the options. */
  private async fullHere(campaignId: string, signal: AbortSignal): Promise<{ document: Record<string, unknown>; scans: number } | undefined> {
    const campaign = await loadCampaign(this.ingestor.campaignDir(campaignId), { presentOnly: true, lenient: false });
    const scans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
    if (scans === 0 || signal.aborted) return undefined;
    const engine = this.engineFactory!.create();
    try {
      return { document: { ...(await engine.full(campaign, { signal })) }, scans };
    } catch (error) {
      if (signal.aborted) return undefined;
      throw error;
    }
  }

  /** Record a failure as an event (one line) and tell listeners. */
  private fail(campaignId: string | undefined, error: unknown): void {
    if (this.stopped && !(error instanceof EngineError)) return;
    void this.store
      .appendEvent({ campaignId: campaignId ?? null, type: "work.failed", payload: { error: oneLineMessage(error) } })
      .then(() => this.notify())
      .catch(() => undefined);
  }

  /** Hand every event appended since the last one to the listeners, in order. */
  private notify(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = (async () => {
      try {
        do {
          this.pumpAgain = false;
          const events = await this.store.events(this.lastSeq, { limit: 1000 });
          for (const event of events) {
            this.lastSeq = Math.max(this.lastSeq, event.seq);
            this.emit("event", event);
          }
          if (events.length === 1000) this.pumpAgain = true;
        } while (this.pumpAgain);
      } catch {
        // the store is closing; listeners poll the log anyway
      } finally {
        this.pumping = undefined;
      }
    })();
  }
}

/** What a live update produced (`document` null: no scan has arrived yet). */
interface UpdateOutcome {
  document: Record<string, unknown> | null;
  scans: number;
  needsFull: boolean;
  load_ms: number;
  update_ms: number;
}

/** Holds the live engines of every campaign and runs their updates. */
interface EngineHost {
  /** update the campaign's engine from its materialised folder; an engine made now resumes from `resume()` */
  update(campaignId: string, dir: string, resume: () => Promise<Record<string, unknown> | undefined>, refine?: boolean): Promise<UpdateOutcome>;
  /** the campaign's engine resumes from this document (a full run's) */
  adopt(campaignId: string, document: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
  /** get ready for the first update (start the thread, load the engine's code) */
  warm(): void;
}

/** Engines on this thread, from a factory given in the options. */
class InProcessHost implements EngineHost {
  private readonly engines = new Map<string, LiveEngine>();
  constructor(private readonly factory: EngineFactory) {}

  async update(campaignId: string, dir: string, resume: () => Promise<Record<string, unknown> | undefined>, refine = false): Promise<UpdateOutcome> {
    const started = Date.now();
    const campaign = await loadCampaign(dir, { presentOnly: true, lenient: false });
    const loaded = Date.now();
    const scans = campaign.cells.reduce((n, c) => n + c.scans.length, 0);
    if (scans === 0) return { document: null, scans, needsFull: false, load_ms: loaded - started, update_ms: 0 };
    let engine = this.engines.get(campaignId);
    if (!engine) {
      const document = await resume();
      engine = document ? this.factory.fromDocument(document) : this.factory.create();
      this.engines.set(campaignId, engine);
    }
    const document = { ...(await engine.update(campaign, { refine })) } as Record<string, unknown>;
    return { document, scans, needsFull: engine.needsFull, load_ms: loaded - started, update_ms: Date.now() - loaded };
  }

  adopt(campaignId: string, document: Record<string, unknown>): Promise<void> {
    this.engines.set(campaignId, this.factory.fromDocument(document));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.engines.clear();
    return Promise.resolve();
  }

  warm(): void {}
}

/** Engines in a worker thread (service/engineWorker), started when first needed and again after it dies. */
class WorkerHost implements EngineHost {
  /** @param start - the engines' start option (diagnosis/live LiveOptions.start) */
  constructor(private readonly startOption: RunnerOptions["start"] = undefined) {}
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly has = new Set<string>();
  private readonly pending = new Map<number, { resolve: (value: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  private start(): Promise<Worker> {
    this.ready ??= new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(workerBootstrap(siblingModule(import.meta.url, "./engineWorker")), { eval: true, ...(this.startOption ? { workerData: { start: this.startOption } } : {}) });
      this.worker = worker;
      const gone = (error: Error): void => {
        if (this.worker === worker) {
          this.worker = undefined;
          this.ready = undefined;
          this.has.clear();
        }
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
        reject(error);
      };
      worker.on("message", (message: { ready?: boolean; id?: number; error?: string }) => {
        if (message.ready) {
          resolve(worker);
          return;
        }
        const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
        if (!waiting) return;
        this.pending.delete(message.id!);
        if (message.error !== undefined) waiting.reject(new EngineError("data", message.error));
        else waiting.resolve(message);
      });
      worker.on("error", gone);
      worker.on("exit", (code) => gone(new Error(`the live engine's thread stopped (exit ${code})`)));
    });
    return this.ready;
  }

  private async request(message: Record<string, unknown>): Promise<Record<string, unknown>> {
    const worker = await this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  async update(campaignId: string, dir: string, resume: () => Promise<Record<string, unknown> | undefined>, refine = false): Promise<UpdateOutcome> {
    await this.start();
    const resumeFrom = this.has.has(campaignId) ? null : ((await resume()) ?? null);
    const answer = await this.request({ op: "update", campaignId, dir, resume: resumeFrom, refine });
    if (answer["document"]) this.has.add(campaignId);
    return {
      document: (answer["document"] as Record<string, unknown> | null) ?? null,
      scans: answer["scans"] as number,
      needsFull: answer["needsFull"] === true,
      load_ms: answer["load_ms"] as number,
      update_ms: answer["update_ms"] as number,
    };
  }

  async adopt(campaignId: string, document: Record<string, unknown>): Promise<void> {
    await this.request({ op: "adopt", campaignId, document });
    this.has.add(campaignId);
  }

  warm(): void {
    this.start().catch(() => undefined);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.ready = undefined;
    this.worker = undefined;
    this.has.clear();
    if (worker) await worker.terminate();
  }
}

/** Run the full diagnosis of a materialised folder in a worker thread; terminated at once on abort (resolves undefined). */
function fullInWorker(dir: string, signal: AbortSignal, start: RunnerOptions["start"]): Promise<{ document: Record<string, unknown>; scans: number } | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const worker = new Worker(workerBootstrap(siblingModule(import.meta.url, "./fullWorker")), { eval: true, workerData: { dir, ...(start ? { start } : {}) } });
    const onAbort = (): void => {
      void worker.terminate();
      resolve(undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (message: { document?: Record<string, unknown> | null; scans?: number; error?: string }) => {
      signal.removeEventListener("abort", onAbort);
      void worker.terminate();
      if (message.error !== undefined) reject(new EngineError("data", `full diagnosis: ${message.error}`));
      else resolve(message.document ? { document: message.document, scans: message.scans ?? 0 } : undefined);
    });
    worker.once("error", (error) => {
      signal.removeEventListener("abort", onAbort);
      reject(error);
    });
    worker.once("exit", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(undefined);
    });
  });
}

function lastSeqOf(events: readonly EventRecord[]): number {
  return events.reduce((m, e) => Math.max(m, e.seq), 0);
}


