/**
 * Issue 17's latency acceptance: a 100-scan X-ray campaign (bench/live-scenario.json, made with
 * `strata simulate`) replayed into the watched folder of a running `strata serve` at one scan
 * every 2 s; for each scan, the time from the file being complete (the replay's rename, taken
 * from `strata replay --json`) to an updated posterior that includes it being served by
 * `GET /api/campaigns/:id/diagnosis` (followed through the event stream: on each
 * `diagnosis.updated` the document is fetched and its scan count read). Prints p50 / p95 / max
 * (target p95 ≤ 1 s) and how the updates were computed (the runner's `diagnosis.timing` events).
 * Everything runs as real processes: `strata serve`, `strata replay`, this client.
 *
 *   npm run build && node --import tsx bench/serviceLatency.ts [--scans 100] [--interval 2] [--seed 1] [--start auto|ml|global] [--campaign DIR] [--json]
 *
 * A benchmark: run it idle and say under what load it ran (2 cores: the service, the replay
 * and this client share them).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(repoRoot, "bin", "strata.js");
/** How long after the replay's last scan the client waits for it to be served at most (ms). */
export const DRAIN_TIMEOUT_MS = 120_000;
const CAMPAIGN_ID = "latency";

export interface LatencyOptions {
  /** a campaign folder (default: bench/live-scenario.json simulated with `seed`) */
  campaignDir?: string;
  /** replay only the first N scans */
  scans?: number;
  /** wall seconds between files @default 2 */
  interval_s?: number;
  seed?: number;
  /** `strata serve --start` (issue 19 part 3: the learned estimator starts a cell's first fit) @default the service's default, global */
  start?: "auto" | "ml" | "global";
  log?: (line: string) => void;
}

export interface LatencyResult {
  scans: number;
  interval_s: number;
  /** file complete → served, per scan in order (ms) */
  latencies_ms: number[];
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  /** the runner's own account of each live update */
  updates: { version: number; scans: number; method: unknown; update_ms: unknown; load_ms: unknown; latency_ms: unknown }[];
  fullRuns: number;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Simulate the benchmark scenario into a folder (cached per seed). */
export function benchCampaign(seed: number): string {
  const dir = path.join(os.tmpdir(), `strata-live-scenario-${seed}`);
  if (fs.existsSync(path.join(dir, "campaign.json"))) return dir;
  const result = spawnSync(process.execPath, [bin, "simulate", path.join(repoRoot, "bench", "live-scenario.json"), "--out", dir, "--seed", String(seed), "--force"], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`strata simulate failed: ${result.stderr.trim()}`);
  return dir;
}

/** A copy of a campaign with only its first `n` scans (and the spectra and records up to the last). */
export function firstScans(campaignDir: string, n: number, into: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(campaignDir, "campaign.json"), "utf8")) as { scans: { end: string; file: string }[]; impedance?: { end: string; file: string }[]; electrochemistry?: { file: string }[] };
  const scans = manifest.scans.slice(0, n);
  const lastEnd = scans.at(-1)?.end ?? "";
  const impedance = (manifest.impedance ?? []).filter((e) => e.end <= lastEnd);
  const trimmed = { ...manifest, scans, impedance };
  fs.rmSync(into, { recursive: true, force: true });
  for (const f of [...scans, ...impedance, ...(manifest.electrochemistry ?? [])]) {
    fs.mkdirSync(path.dirname(path.join(into, f.file)), { recursive: true });
    fs.copyFileSync(path.join(campaignDir, f.file), path.join(into, f.file));
  }
  fs.writeFileSync(path.join(into, "campaign.json"), `${JSON.stringify(trimmed, null, 2)}\n`);
  return into;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`no line matching ${String(pattern)} within ${timeoutMs} ms`)), timeoutMs);
    lines.on("line", (line) => {
      const match = pattern.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.once("exit", (code) => reject(new Error(`process ended (exit ${code}) before printing ${String(pattern)}`)));
  });
}

/** Follow the event stream, calling `onEvent` for each event. Returns a stop function. */
function followEvents(url: string, secret: string, onEvent: (type: string, data: Record<string, unknown>) => void): () => void {
  const controller = new AbortController();
  void (async () => {
    const response = await fetch(url, { headers: { authorization: `Bearer ${secret}`, accept: "text/event-stream" }, signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(`event stream: HTTP ${response.status}`);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body) {
      buffer += decoder.decode(chunk as Uint8Array, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let type = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("event:")) type = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (data !== "") onEvent(type, JSON.parse(data) as Record<string, unknown>);
      }
    }
  })().catch((error: unknown) => {
    if (!controller.signal.aborted) throw error;
  });
  return () => controller.abort();
}

/** Run the measurement (see the module header). */
export async function measureServiceLatency(options: LatencyOptions = {}): Promise<LatencyResult> {
  const log = options.log ?? (() => undefined);
  const interval_s = options.interval_s ?? 2;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-latency-"));
  let campaignDir = options.campaignDir ?? benchCampaign(options.seed ?? 1);
  if (options.scans !== undefined) campaignDir = firstScans(campaignDir, options.scans, path.join(tmp, "campaign"));
  const dataDir = path.join(tmp, "data");
  const watchDir = path.join(tmp, "instrument");
  fs.mkdirSync(watchDir, { recursive: true });
  const token = spawnSync(process.execPath, [bin, "serve", "token", "create", "--data", dataDir, "--scope", "write", "--json"], { encoding: "utf8" });
  if (token.status !== 0) throw new Error(`token create failed: ${token.stderr.trim()}`);
  const secret = (JSON.parse(token.stdout.trim().split("\n")[0]) as { secret: string }).secret;

  const serve = spawn(process.execPath, [bin, "serve", "--data", dataDir, "--port", "0", ...(options.start ? ["--start", options.start] : [])], { stdio: ["ignore", "pipe", "inherit"] });
  let replay: ChildProcess | undefined;
  let stopEvents = (): void => undefined;
  try {
    const [, base] = await waitForLine(serve, /^strata serve: (http:\/\/[^/\s]+)\//, 60_000);
    const manifest = JSON.parse(fs.readFileSync(path.join(campaignDir, "campaign.json"), "utf8")) as Record<string, unknown>;
    const registered = await fetch(`${base}/api/campaigns`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
      body: JSON.stringify({ id: CAMPAIGN_ID, manifest, watch: watchDir }),
    });
    if (registered.status !== 201) throw new Error(`register: HTTP ${registered.status} ${await registered.text()}`);

    const written: number[] = []; // rename time of scan k (0-based)
    const served: (number | undefined)[] = [];
    let servedScans = 0;
    const updates: LatencyResult["updates"] = [];
    let fullRuns = 0;
    let fetching = Promise.resolve();
    stopEvents = followEvents(`${base}/api/events?campaign=${CAMPAIGN_ID}`, secret, (type, data) => {
      if (type === "diagnosis.timing") {
        if (data["kind"] === "full") fullRuns++;
        else updates.push({ version: data["version"] as number, scans: data["scans"] as number, method: data["method"], update_ms: data["update_ms"], load_ms: data["load_ms"], latency_ms: data["latency_ms"] });
      }
      if (type !== "diagnosis.updated") return;
      fetching = fetching.then(async () => {
        const response = await fetch(`${base}/api/campaigns/${CAMPAIGN_ID}/diagnosis`, { headers: { authorization: `Bearer ${secret}` } });
        const document = (await response.json()) as { scans?: number };
        const at = Date.now();
        const n = typeof document.scans === "number" ? document.scans : 0;
        for (let k = servedScans; k < n; k++) served[k] = at;
        servedScans = Math.max(servedScans, n);
      });
    });

    replay = spawn(process.execPath, [bin, "replay", campaignDir, "--into", watchDir, "--interval", String(interval_s), "--force", "--json"], { stdio: ["ignore", "pipe", "inherit"] });
    const lines = readline.createInterface({ input: replay.stdout! });
    lines.on("line", (line) => {
      const event = JSON.parse(line) as { kind?: string; writtenAtMs?: number; index?: number; total?: number };
      if (event.kind === "scan" && event.writtenAtMs !== undefined) {
        written.push(event.writtenAtMs);
        if (written.length % 10 === 0) log(`scan ${written.length} written; ${servedScans} served`);
      }
    });
    const replayCode = await new Promise<number | null>((resolve) => replay!.once("exit", resolve));
    if (replayCode !== 0) throw new Error(`strata replay ended with exit ${replayCode}`);
    const until = Date.now() + DRAIN_TIMEOUT_MS;
    while (servedScans < written.length && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    await fetching;
    if (servedScans < written.length) throw new Error(`only ${servedScans} of ${written.length} scans served ${DRAIN_TIMEOUT_MS} ms after the replay`);
    const latencies_ms = written.map((w, k) => served[k]! - w);
    return {
      scans: written.length,
      interval_s,
      latencies_ms,
      p50_ms: percentile(latencies_ms, 50),
      p95_ms: percentile(latencies_ms, 95),
      max_ms: Math.max(...latencies_ms),
      updates,
      fullRuns,
    };
  } finally {
    stopEvents();
    replay?.kill("SIGTERM");
    if (serve.exitCode === null) {
      serve.kill("SIGTERM");
      await new Promise((resolve) => {
        serve.once("exit", resolve);
        setTimeout(resolve, 10_000).unref();
      });
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

async function cli(): Promise<void> {
  const arg = (flag: string): string | undefined => {
    const i = process.argv.indexOf(flag);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const json = process.argv.includes("--json");
  const scans = arg("--scans") === undefined ? undefined : Number(arg("--scans"));
  const result = await measureServiceLatency({
    ...(scans === undefined ? {} : { scans }),
    interval_s: Number(arg("--interval") ?? 2),
    seed: Number(arg("--seed") ?? 1),
    ...(arg("--start") === undefined ? {} : { start: arg("--start") as "auto" | "ml" | "global" }),
    ...(arg("--campaign") === undefined ? {} : { campaignDir: arg("--campaign")! }),
    log: (line) => process.stderr.write(`serviceLatency: ${line}\n`),
  });
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const methods = new Map<string, number>();
  for (const u of result.updates) methods.set(String(u.method), (methods.get(String(u.method)) ?? 0) + 1);
  const updateMs = result.updates.flatMap((u) => (typeof u.update_ms === "number" ? [u.update_ms] : []));
  process.stdout.write(
    [
      `strata serve latency: ${result.scans} scans, one every ${result.interval_s} s`,
      `  file complete → posterior served: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, max ${result.max_ms} ms (target p95 ≤ 1000 ms)`,
      `  live updates: ${result.updates.length} (${[...methods].map(([m, n]) => `${m} ${n}`).join(", ")}); update p50 ${percentile(updateMs, 50)} ms, p95 ${percentile(updateMs, 95)} ms; full runs ${result.fullRuns}`,
      "",
    ].join("\n"),
  );
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli().catch((error: unknown) => {
    process.stderr.write(`serviceLatency: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
