/**
 * What the live page's browser tests share: the built page (dist/web/index.html, rebuilt with
 * vite when a file of web/ is newer), a real `strata serve` spawned from bin/strata.js on a free
 * loopback port over a temporary data folder (SQLite), a write token, and the example campaign's
 * files to upload. Nothing here stands in for the service: it is the compiled program a user runs.
 *
 * Units: ms (timeouts), bytes.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createToken } from "../../src/service/auth.ts";
import { openStore } from "../../src/store/index.ts";
import { repoRoot } from "../paths.ts";

export const EXAMPLE = path.join(repoRoot, "examples", "campaign");
export const PAGE_HTML = path.join(repoRoot, "dist", "web", "index.html");
/** How long `strata serve` may take to print its address. */
const SERVICE_START_MS = 20_000;
/** How long it may take to stop after SIGTERM before it is killed. */
const SERVICE_STOP_MS = 10_000;
/** Pause between polls of a condition. */
export const POLL_MS = 50;

export interface ExampleManifest {
  scans: { id: string; file: string; start: string; end: string }[];
  electrochemistry: { file: string }[];
  impedance: { file: string; start: string }[];
}

export const exampleManifest = (): ExampleManifest & Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(EXAMPLE, "campaign.json"), "utf8")) as ExampleManifest & Record<string, unknown>;

/** Newest modification time of any file under `dir` (ms). */
function newest(dir: string): number {
  let latest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(full) : fs.statSync(full).mtimeMs);
  }
  return latest;
}

/**
 * dist/web/index.html as web/ is now: built with vite when missing or older than a file of
 * web/. Test files run in parallel, so each builds into a folder of its own and renames the one
 * file into place (a reader never sees a half-written or emptied dist/web).
 */
export function ensurePageBuilt(): void {
  if (fs.existsSync(PAGE_HTML) && fs.statSync(PAGE_HTML).mtimeMs >= newest(path.join(repoRoot, "web"))) return;
  const vite = path.join(repoRoot, "node_modules", "vite", "bin", "vite.js");
  fs.mkdirSync(path.dirname(PAGE_HTML), { recursive: true });
  const outDir = fs.mkdtempSync(path.join(path.dirname(PAGE_HTML), ".build-"));
  try {
    const result = spawnSync(process.execPath, [vite, "build", "--config", path.join(repoRoot, "web", "vite.config.ts"), "--outDir", outDir, "--emptyOutDir"], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
    const built = path.join(outDir, "index.html");
    if (result.status !== 0 || !fs.existsSync(built)) throw new Error(`vite build of web/ failed (status ${result.status}): ${(result.stderr || result.stdout).trim().split("\n").slice(-3).join(" | ")}`);
    fs.renameSync(built, PAGE_HTML);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

export interface RunningService {
  /** http://127.0.0.1:PORT/ (the same after {@link RunningService.restart}) */
  url: string;
  dataDir: string;
  secret: string;
  process: ChildProcess;
  /** stderr so far (for failure messages) */
  stderr: () => string;
  put(campaign: string, relPath: string, bytes: Buffer): Promise<Response>;
  getJson<T>(route: string): Promise<T>;
  /** SIGKILL, data folder kept */
  crash(): Promise<void>;
  /** start again on the same port and data folder (after crash) */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL if it lingers) and remove the data folder */
  stop(): Promise<void>;
}

async function spawnServe(dataDir: string, args: string[]): Promise<{ url: string; child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin", "strata.js"), "serve", "--data", dataDir, ...args], { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`strata serve printed no address within ${SERVICE_START_MS} ms; stderr: ${stderr.trim()}`)), SERVICE_START_MS);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
      const match = /strata serve: (http:\/\/\S+\/)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`strata serve exited (${code}) before listening; stderr: ${stderr.trim()}`));
    });
  });
  return { url, child, stderr: () => stderr };
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once("exit", () => resolve()));
}

/**
 * Spawns `node bin/strata.js serve --data TMP --port 0 …` and waits for its address line. The
 * write token is created on the same store before the service opens it.
 */
export async function startService(extraArgs: string[] = []): Promise<RunningService> {
  if (!fs.existsSync(path.join(repoRoot, "dist", "cli", "serve.js"))) throw new Error("dist/cli/serve.js is missing: run `npm run build` first");
  ensurePageBuilt();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-page-"));
  const store = await openStore(undefined, dataDir);
  let secret: string;
  try {
    secret = (await createToken(store, { scope: "write", label: "page test" })).secret;
  } finally {
    await store.close();
  }
  let current = await spawnServe(dataDir, ["--port", "0", ...extraArgs]);
  const port = new URL(current.url).port;
  const auth = { Authorization: `Bearer ${secret}` };
  const service: RunningService = {
    url: current.url,
    dataDir,
    secret,
    process: current.child,
    stderr: () => current.stderr(),
    put: (campaign, relPath, bytes) => fetch(`${service.url}api/campaigns/${campaign}/files/${relPath}`, { method: "PUT", headers: { ...auth, "Content-Type": "application/octet-stream" }, body: bytes }),
    async getJson<T>(route: string): Promise<T> {
      const response = await fetch(service.url + route, { headers: auth });
      if (!response.ok) throw new Error(`GET ${route}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    },
    async crash() {
      const done = exited(current.child);
      current.child.kill("SIGKILL");
      await done;
    },
    async restart() {
      current = await spawnServe(dataDir, ["--port", port, ...extraArgs]);
      service.process = current.child;
    },
    async stop() {
      const child = current.child;
      if (child.exitCode === null && child.signalCode === null) {
        const done = exited(child);
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), SERVICE_STOP_MS);
        await done;
        clearTimeout(timer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return service;
}

/** Registers the example campaign under `id` (POST /api/campaigns). */
export async function registerExample(service: RunningService, id: string, watch?: string): Promise<void> {
  const response = await fetch(`${service.url}api/campaigns`, {
    method: "POST",
    headers: { Authorization: `Bearer ${service.secret}`, "Content-Type": "application/json" },
    body: JSON.stringify({ id, manifest: exampleManifest(), ...(watch ? { watch } : {}) }),
  });
  if (response.status !== 201) throw new Error(`POST /api/campaigns: ${response.status} ${await response.text()}`);
}

/** Waits until `check` returns a value (not undefined), polling; fails after `timeoutMs` naming `what`. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
