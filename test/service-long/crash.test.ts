/**
 * Issue 17's crash-safety acceptance, with real processes: `strata replay` writes the example
 * campaign into a folder while `node bin/strata.js serve --data D --port 0 --watch crash=W` is
 * killed with SIGKILL at ≥ 20 seeded random points (from its start-up to the middle of an ingest,
 * a live update or a full run) and restarted each time. At the end the store holds every scan
 * exactly once with the replayed bytes, the materialised folder equals the source, and the final
 * full diagnosis (of all the files) equals that of an uninterrupted service given the same files.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { createRandom } from "../../src/core/random.ts";
import { sha256Hex } from "../../src/service/ingest.ts";
import { inputsFingerprint } from "../../src/service/runner.ts";
import type { FileRecord } from "../../src/store/types.ts";
import { repoRoot } from "../paths.ts";

const bin = path.join(repoRoot, "bin", "strata.js");
const example = path.join(repoRoot, "examples", "campaign");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-crash-"));
/** Kills required during the replay. */
const MIN_KILLS = 20;
/** A kill lands this long after the service was started, uniformly (ms): from before it listens to well into its work. */
const KILL_AFTER_MS: [number, number] = [150, 2500];
/** Wall seconds between replayed files: 31 files ≈ 50 s, room for the kills. */
const REPLAY_INTERVAL_S = 1.6;
/** How long the final full diagnosis may take to appear (s) on a loaded 2-core machine. */
const FULL_TIMEOUT_S = 400;
const SEED = 20261206;

interface FileRow {
  campaign_id: string;
  path: string;
  version: number;
  sha256: string;
  size: number;
  kind: string;
  status: string;
  error: string | null;
  ingested_at: string;
}

function readStore(dataDir: string, campaignId: string): { files: FileRecord[]; full: Record<string, unknown> | undefined } {
  const file = path.join(dataDir, "strata.db");
  if (!fs.existsSync(file)) return { files: [], full: undefined };
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma("busy_timeout = 5000");
    const rows = db.prepare("SELECT * FROM files WHERE campaign_id = ? ORDER BY id").all(campaignId) as FileRow[];
    const files = rows.map((r) => ({ campaignId: r.campaign_id, path: r.path, version: r.version, sha256: r.sha256, size: r.size, kind: r.kind, status: r.status as FileRecord["status"], error: r.error, ingestedAt: r.ingested_at }));
    const full = db.prepare("SELECT document FROM diagnoses WHERE campaign_id = ? AND kind = 'full' ORDER BY version DESC LIMIT 1").get(campaignId) as { document: string } | undefined;
    return { files, full: full ? (JSON.parse(full.document) as Record<string, unknown>) : undefined };
  } finally {
    db.close();
  }
}

const children = new Set<ChildProcess>();
function start(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.stdout.resume();
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
  child.once("exit", (code, signal) => {
    children.delete(child);
    if (signal === null && code !== 0 && code !== null) process.stderr.write(`crash test: strata ${args[0]} exited ${code}: ${stderr.trim().slice(0, 400)}\n`);
  });
  return child;
}
const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve())));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run a service until its campaign's latest full diagnosis is of exactly the current files; returns it. */
async function untilFull(dataDir: string, campaignId: string, watchDir: string): Promise<{ files: FileRecord[]; full: Record<string, unknown> }> {
  const serve = start(["serve", "--data", dataDir, "--port", "0", "--watch", `${campaignId}=${watchDir}`, "--full-after", "2"]);
  try {
    const until = Date.now() + FULL_TIMEOUT_S * 1000;
    while (Date.now() < until) {
      await sleep(1000);
      const { files, full } = readStore(dataDir, campaignId);
      const scans = new Set(files.filter((f) => f.kind === "scan" && f.status === "ingested").map((f) => f.path));
      if (full && scans.size === 24 && full["inputs"] === inputsFingerprint(files)) return { files, full };
    }
    throw new Error(`no full diagnosis of all files within ${FULL_TIMEOUT_S} s (${dataDir})`);
  } finally {
    serve.kill("SIGTERM");
    await exited(serve);
  }
}

/** The document without what differs between two runs of the same computation: when it was made, the wall time the MCMC took. */
function comparable(document: Record<string, unknown>): unknown {
  const volatile = new Set(["generated", "inputs", "seconds"]);
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([k]) => !volatile.has(k)).map(([k, v]) => [k, strip(v)]));
    return value;
  };
  return strip(document);
}

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await Promise.all([...children].map(exited));
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe("strata serve under SIGKILL", () => {
  it(`killed at ≥ ${MIN_KILLS} random points during a replay: every scan stored once, the final full diagnosis as an uninterrupted run's`, async () => {
    expect(fs.existsSync(path.join(repoRoot, "dist", "cli", "main.js")), "run `npm run build` first").toBe(true);
    const dataDir = path.join(tmp, "data");
    const watchDir = path.join(tmp, "instrument");
    const generator = createRandom(SEED); // the kill points are the same on every run
    const next = (): number => generator.next();
    const replay = start(["replay", example, "--into", watchDir, "--interval", String(REPLAY_INTERVAL_S)]);
    let replaying = true;
    void exited(replay).then(() => (replaying = false));
    while (!fs.existsSync(path.join(watchDir, "campaign.json"))) await sleep(20);

    const killPoints: number[] = [];
    while (replaying) {
      const serve = start(["serve", "--data", dataDir, "--port", "0", "--watch", `crash=${watchDir}`, "--full-after", "2"]);
      const after = Math.round(KILL_AFTER_MS[0] + next() * (KILL_AFTER_MS[1] - KILL_AFTER_MS[0]));
      await Promise.race([sleep(after), exited(serve)]);
      if (serve.exitCode !== null) throw new Error(`strata serve exited by itself (${serve.exitCode})`);
      serve.kill("SIGKILL");
      await exited(serve);
      if (replaying) killPoints.push(after);
    }
    process.stdout.write(`crash test: ${killPoints.length} SIGKILLs during the replay, at ${killPoints.join(", ")} ms after each start\n`);
    expect(replay.exitCode).toBe(0);
    expect(killPoints.length, `kill points (ms after start): ${killPoints.join(", ")}`).toBeGreaterThanOrEqual(MIN_KILLS);

    const crashed = await untilFull(dataDir, "crash", watchDir);
    // every file of the manifest once per content, every scan exactly once with the replayed bytes
    const scanRows = crashed.files.filter((f) => f.kind === "scan");
    const scanFiles = fs.readdirSync(path.join(example, "xrr")).map((f) => `xrr/${f}`);
    expect(scanRows.map((f) => f.path).sort()).toEqual(scanFiles.sort());
    for (const row of scanRows) {
      expect(row.version, row.path).toBe(1);
      expect(row.status, row.path).toBe("ingested");
      expect(row.sha256, row.path).toBe(sha256Hex(fs.readFileSync(path.join(example, row.path))));
    }
    const keys = crashed.files.map((f) => `${f.path}@${f.version}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(crashed.files.filter((f) => f.status === "rejected")).toEqual([]);
    const shas = crashed.files.map((f) => `${f.path}@${f.sha256}`);
    expect(new Set(shas).size, "one row per distinct content of a path").toBe(shas.length);
    for (const rel of ["campaign.json", "echem/A.bdf.csv", ...scanFiles, ...fs.readdirSync(path.join(example, "eis")).map((f) => `eis/${f}`)]) {
      expect(fs.readFileSync(path.join(dataDir, "campaigns", "crash", rel)).equals(fs.readFileSync(path.join(example, rel))), rel).toBe(true);
    }

    // the uninterrupted run: the same files, one service never killed
    const referenceWatch = path.join(tmp, "reference-instrument");
    fs.cpSync(watchDir, referenceWatch, { recursive: true });
    const reference = await untilFull(path.join(tmp, "reference-data"), "crash", referenceWatch);
    expect(crashed.full["inputs"]).toBe(reference.full["inputs"]);
    expect(comparable(crashed.full)).toEqual(comparable(reference.full));
  });
});
