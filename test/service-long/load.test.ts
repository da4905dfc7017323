/**
 * Issue 17 acceptance "Load": 20 concurrent clients read the timeline (JSON and CSV) and follow
 * the event stream of a campaign while `strata replay --interval 1` writes one scan per second
 * for 5 minutes into the folder `strata serve --watch` follows. No request may fail, every
 * stream must stay open and deliver the campaign's event log (compared with the store's own,
 * read directly afterwards) once, in order and without a gap, the timeline served at the end
 * must be the latest live version, and the p95 read latency must be ≤ 100 ms (loopback). The run is bounded: the replay ends by itself
 * after its last scan, the clients stop then, and a hard deadline stops everything.
 *
 * What runs: `strata simulate` writes a 300-scan X-ray campaign (bench/live-scenario.json with
 * 300 scans and no spectra, so one file a second is one scan a second); `strata serve` and
 * `strata replay` are the compiled bin/strata.js as processes; the clients are this test's
 * fetch calls. Each client reads the timeline every {@link READ_INTERVAL_MS} (± jitter) and
 * again on each `diagnosis.updated` event, alternating JSON and CSV: about 100 reads a second
 * in all. Latency is measured around each fetch, so it includes this process's own scheduling.
 * p50/p95/max are printed (and written to $STRATA_LOAD_REPORT when set). STRATA_LOAD_SCANS
 * shortens the run for development (default 300).
 *
 * Units: ms for latencies and timeouts, s for the replay pace.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/index.ts";
import { repoRoot } from "../paths.ts";

const BIN = path.join(repoRoot, "bin", "strata.js");
const CLIENTS = 20;
const SCANS = Number(process.env["STRATA_LOAD_SCANS"] ?? 300);
/** Wall seconds between replayed files (one scan a second). */
const REPLAY_INTERVAL_S = 1;
/** The acceptance bound on the 95th percentile of read latency (loopback). */
const P95_BOUND_MS = 100;
/** Mean pause between a client's timeline reads; each pause is drawn uniformly from 0.5–1.5 times this. */
const READ_INTERVAL_MS = 200;
/** A read slower than this counts as failed (it would look hung to a user). */
const READ_TIMEOUT_MS = 10_000;
/** After the replay's last file, how long the streams may take to show its event. */
const DRAIN_MS = 30_000;
/** Events a stream may be behind the log when the clients stop (appended in the last moments). */
const LAG_EVENTS = 6;
/** How long the watcher may take to register the campaign from the replayed campaign.json. */
const REGISTER_MS = 15_000;
/** Hard deadline of the whole run beyond the replay's own length. */
const SLACK_MS = 180_000;
const CAMPAIGN = "load";
const LISTENING = /^strata serve: (http:\/\/127\.0\.0\.1:\d+)\//m;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-load-"));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  fs.rmSync(tmp, { recursive: true, force: true });
});

function cli(args: string[]): string {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: tmp, encoding: "utf8", timeout: 120_000 });
  if (result.status !== 0) throw new Error(`strata ${args.join(" ")} failed (${result.status}): ${result.stderr}`);
  return result.stdout;
}

function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

interface StreamLog {
  ingested: string[];
  ids: number[];
  errors: string[];
  diagnoses: number;
}

/** Follow the event stream until `signal` aborts; every frame's id and each file.ingested path are logged. */
async function follow(base: string, secret: string, signal: AbortSignal, onDiagnosis: () => void): Promise<StreamLog> {
  const log: StreamLog = { ingested: [], ids: [], errors: [], diagnoses: 0 };
  let response: Response;
  try {
    response = await fetch(`${base}/api/events?campaign=${CAMPAIGN}&after=0`, { headers: { authorization: `Bearer ${secret}` }, signal });
  } catch (error) {
    log.errors.push(`connect: ${(error as Error).message}`);
    return log;
  }
  if (response.status !== 200) {
    log.errors.push(`status ${response.status}`);
    return log;
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) {
        if (!signal.aborted) log.errors.push("the stream ended");
        return log;
      }
      buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const id = /^id: (\d+)$/m.exec(frame)?.[1];
        const type = /^event: (.+)$/m.exec(frame)?.[1];
        const data = /^data: (.+)$/m.exec(frame)?.[1];
        if (id === undefined || data === undefined) continue;
        log.ids.push(Number(id));
        if (type === "file.ingested") log.ingested.push(String((JSON.parse(data) as { path?: string }).path));
        if (type === "diagnosis.updated") {
          log.diagnoses++;
          onDiagnosis();
        }
      }
    }
  } catch (error) {
    if (!signal.aborted) log.errors.push(`read: ${(error as Error).message}`);
    return log;
  }
}

interface ReadLog {
  latencies: number[];
  failures: string[];
}

/** Read the timeline (JSON, then CSV, …) every READ_INTERVAL_MS and when woken, until `signal` aborts. */
async function reader(base: string, secret: string, signal: AbortSignal, wake: { next?: () => void }): Promise<ReadLog> {
  const log: ReadLog = { latencies: [], failures: [] };
  let csv = false;
  while (!signal.aborted) {
    const url = `${base}/api/campaigns/${CAMPAIGN}/${csv ? "timeline.csv" : "timeline"}`;
    csv = !csv;
    const started = performance.now();
    try {
      const response = await fetch(url, { headers: { authorization: `Bearer ${secret}` }, signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
      const body = await response.text();
      const elapsed = performance.now() - started;
      if (response.status !== 200) log.failures.push(`${url}: ${response.status} ${body.slice(0, 200)}`);
      else log.latencies.push(elapsed);
    } catch (error) {
      if (signal.aborted) break;
      log.failures.push(`${url}: ${(error as Error).message}`);
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        wake.next = undefined;
        resolve();
      };
      const timer = setTimeout(done, READ_INTERVAL_MS * (0.5 + Math.random()));
      wake.next = done;
      signal.addEventListener("abort", done, { once: true });
    });
  }
  return log;
}

describe("strata serve under load", () => {
  it(`keeps p95 read latency ≤ ${P95_BOUND_MS} ms for ${CLIENTS} clients while a replay ingests one scan a second`, async () => {
    const scenario = JSON.parse(fs.readFileSync(path.join(repoRoot, "bench", "live-scenario.json"), "utf8")) as Record<string, unknown> & { scans: Record<string, unknown> };
    scenario.name = `strata serve load test: ${SCANS} X-ray scans`;
    scenario.scans.count = SCANS;
    delete scenario["impedance"];
    fs.writeFileSync(path.join(tmp, "scenario.json"), JSON.stringify(scenario));
    const campaignDir = path.join(tmp, "campaign");
    cli(["simulate", path.join(tmp, "scenario.json"), "--out", campaignDir]);
    const dataDir = path.join(tmp, "data");
    const watchDir = path.join(tmp, "watch");
    fs.mkdirSync(watchDir);
    const secret = cli(["serve", "token", "create", "--data", dataDir, "--scope", "read", "--label", "load"]).trim();

    const server = spawn(process.execPath, [BIN, "serve", "--port", "0", "--data", dataDir, "--watch", `${CAMPAIGN}=${watchDir}`], { cwd: tmp });
    children.push(server);
    let serverOut = "";
    let serverErr = "";
    server.stdout.on("data", (chunk: Buffer) => (serverOut += chunk.toString("utf8")));
    server.stderr.on("data", (chunk: Buffer) => (serverErr += chunk.toString("utf8")));
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`strata serve did not listen: ${serverOut}${serverErr}`)), 30_000);
      server.stdout.on("data", () => {
        const match = LISTENING.exec(serverOut);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      server.on("exit", (code) => reject(new Error(`strata serve exited (${code}): ${serverErr}`)));
    });

    // the replay writes campaign.json first; the watcher registers the campaign from it; then the clients start
    const started = Date.now();
    const replay = spawn(process.execPath, [BIN, "replay", campaignDir, "--into", watchDir, "--force", "--interval", String(REPLAY_INTERVAL_S)], { cwd: tmp });
    children.push(replay);
    let replayErr = "";
    replay.stderr.on("data", (chunk: Buffer) => (replayErr += chunk.toString("utf8")));
    const registeredBy = Date.now() + REGISTER_MS;
    while ((await fetch(`${base}/api/campaigns/${CAMPAIGN}`, { headers: { authorization: `Bearer ${secret}` } })).status !== 200) {
      if (Date.now() > registeredBy) throw new Error(`campaign ${CAMPAIGN} not registered within ${REGISTER_MS} ms: ${serverErr}${replayErr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const stop = new AbortController();
    const deadline = setTimeout(() => stop.abort(), SCANS * REPLAY_INTERVAL_S * 1000 + SLACK_MS);
    const wakes: { next?: () => void }[] = Array.from({ length: CLIENTS }, () => ({}));
    const streams = wakes.map((wake) => follow(base, secret, stop.signal, () => wake.next?.()));
    const readers = wakes.map((wake) => reader(base, secret, stop.signal, wake));

    const replayCode = await new Promise<number | null>((resolve) => replay.on("exit", (code) => resolve(code)));
    expect(replayCode, replayErr).toBe(0);
    const replay_s = (Date.now() - started) / 1000;

    // the streams must show the last scan's ingest; then the clients stop
    const lastScan = `xrr/A${String(SCANS).padStart(4, "0")}.ort`;
    const drained = Date.now() + DRAIN_MS;
    while (Date.now() < drained) {
      const response = await fetch(`${base}/api/campaigns/${CAMPAIGN}/files`, { headers: { authorization: `Bearer ${secret}` } });
      const files = (await response.json()) as { path: string }[];
      if (files.some((f) => f.path === lastScan)) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop.abort();
    clearTimeout(deadline);
    const streamLogs = await Promise.all(streams);
    const readLogs = await Promise.all(readers);

    // the timeline clients read is the latest live version (the cache follows the event log)
    const timelineVersion = Number((await fetch(`${base}/api/campaigns/${CAMPAIGN}/timeline`, { headers: { authorization: `Bearer ${secret}` } })).headers.get("x-strata-version"));
    const versions = (await (await fetch(`${base}/api/campaigns/${CAMPAIGN}/diagnoses`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { version: number; kind: string }[];
    const latestLive = Math.max(...versions.filter((v) => v.kind === "live").map((v) => v.version));

    server.kill("SIGTERM");
    const serverCode = await new Promise<number | null>((resolve) => (server.exitCode !== null ? resolve(server.exitCode) : server.on("exit", (code) => resolve(code))));

    const latencies = readLogs.flatMap((l) => l.latencies).sort((a, b) => a - b);
    const failures = readLogs.flatMap((l) => l.failures);
    const report = {
      clients: CLIENTS,
      scans: SCANS,
      replay_s: Number(replay_s.toFixed(1)),
      reads: latencies.length,
      readsPerSecond: Number((latencies.length / replay_s).toFixed(1)),
      failures: failures.length,
      p50_ms: Number(quantile(latencies, 0.5).toFixed(1)),
      p95_ms: Number(quantile(latencies, 0.95).toFixed(1)),
      p99_ms: Number(quantile(latencies, 0.99).toFixed(1)),
      max_ms: Number((latencies[latencies.length - 1] ?? NaN).toFixed(1)),
      scansIngested: 0,
      diagnosisVersions: versions.length,
      diagnosisEventsPerStream: streamLogs.map((s) => s.diagnoses),
      streamErrors: streamLogs.flatMap((s) => s.errors),
    };
    // the reference: the store's own event log, read directly (the service has stopped)
    const store = await openStore(undefined, dataDir);
    const log = await store.events(0, { campaignId: CAMPAIGN, limit: 1_000_000 });
    await store.close();
    report.scansIngested = log.filter((e) => e.type === "file.ingested" && String(e.payload["path"]).startsWith("xrr/")).length;
    process.stdout.write(`strata serve load: ${JSON.stringify(report)}\n`);
    if (process.env["STRATA_LOAD_REPORT"]) fs.writeFileSync(process.env["STRATA_LOAD_REPORT"], `${JSON.stringify(report, null, 2)}\n`);

    expect(failures.slice(0, 5)).toEqual([]);
    expect(report.streamErrors.slice(0, 5)).toEqual([]);
    for (const [i, stream] of streamLogs.entries()) {
      // every event of the campaign up to the last one this stream saw: once each, in order, no gap
      const last = stream.ids[stream.ids.length - 1] ?? 0;
      expect(stream.ids, `stream ${i}: the event log up to seq ${last}`).toEqual(log.filter((e) => e.seq <= last).map((e) => e.seq));
      expect(last, `stream ${i} fell behind the log`).toBeGreaterThanOrEqual(log[log.length - 1].seq - LAG_EVENTS);
      expect(stream.diagnoses, `stream ${i}: diagnosis updates seen`).toBeGreaterThan(0);
    }
    expect(report.scansIngested).toBeGreaterThan(0);
    expect(timelineVersion).toBeGreaterThanOrEqual(latestLive);
    expect(latencies.length).toBeGreaterThan(CLIENTS * replay_s);
    expect(report.p95_ms).toBeLessThanOrEqual(P95_BOUND_MS);
    expect(serverCode, serverErr).toBe(0);
  });
});
