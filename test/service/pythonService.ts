/**
 * @module test/service/pythonService
 * A real `strata serve` for the Python client's tests: the compiled bin/strata.js in a
 * temporary folder, tokens from `strata serve token create`, the example campaign registered
 * and its first scans uploaded over HTTP; SIGKILL and restart on the same port for the
 * reconnection test (test/service-long/pythonRestart.test.ts).
 *
 * Units: ms for timeouts.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { repoRoot } from "../paths.ts";

export const PYTHON = "/usr/bin/python3";
export const CLIENT_DIR = path.join(repoRoot, "clients", "python");
export const CAMPAIGN_DIR = path.join(repoRoot, "examples", "campaign");
export const CAMPAIGN_ID = "example";
const BIN = path.join(repoRoot, "bin", "strata.js");
/** how long `strata serve` (or a token command) may take to start */
export const SERVE_START_MS = 15_000;
/** how long a SIGTERMed service may take to stop before it is killed */
const STOP_MS = 10_000;
const LISTENING = /strata serve: (http:\/\/[^\s/]+)/;
const SECRET = /strata_[A-Za-z0-9_-]{16,}/;

export interface ExampleManifest {
  scans: { id: string; file: string }[];
}

export function exampleManifest(): ExampleManifest & Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(CAMPAIGN_DIR, "campaign.json"), "utf8")) as ExampleManifest & Record<string, unknown>;
}

/** One service in its own temporary folder (data in WORK/strata-data; the store there or `--store SPEC`). */
export class PythonTestService {
  readonly workDir = mkdtempSync(path.join(os.tmpdir(), "strata-python-"));
  readonly dataDir = path.join(this.workDir, "strata-data");
  /** `--store` (e.g. a postgres:// URL with its own schema), or undefined for SQLite in the data folder */
  readonly store: string | undefined;
  baseUrl = "";
  output = "";
  private child: ChildProcess | undefined;

  constructor(options: { store?: string } = {}) {
    this.store = options.store;
  }

  private storeArgs(): string[] {
    return this.store === undefined ? [] : ["--store", this.store];
  }

  /** `strata serve token create` on this service's data folder and store; resolves with the secret. */
  createToken(scope: "read" | "write"): Promise<string> {
    return new Promise((resolve, reject) => {
      const args = [BIN, "serve", "token", "create", "--data", this.dataDir, ...this.storeArgs(), "--scope", scope, "--label", `python-${scope}`];
      execFile(process.execPath, args, { cwd: this.workDir, encoding: "utf8", env: { ...process.env, NO_COLOR: "1" }, timeout: SERVE_START_MS }, (error, stdout, stderr) => {
        const secret = SECRET.exec(stdout)?.[0];
        if (error || secret === undefined) reject(new Error(`strata serve token create --scope ${scope} failed (${error?.message ?? "no secret printed"}): ${stdout}${stderr}`));
        else resolve(secret);
      });
    });
  }

  /** Start `strata serve` (port 0: a free one; a number: that one, e.g. again after a kill); resolves with its address. */
  start(port = 0): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, "serve", "--port", String(port), "--host", "127.0.0.1", "--data", this.dataDir, ...this.storeArgs()], {
        cwd: this.workDir,
        env: { ...process.env, NO_COLOR: "1" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      this.child = child;
      let seen = "";
      const timer = setTimeout(() => reject(new Error(`strata serve printed no address in ${SERVE_START_MS} ms: ${seen}`)), SERVE_START_MS);
      const onData = (chunk: Buffer): void => {
        const text = chunk.toString("utf8");
        seen += text;
        this.output += text;
        const match = LISTENING.exec(seen);
        if (match) {
          clearTimeout(timer);
          this.baseUrl = match[1];
          resolve(match[1]);
        }
      };
      child.stdout.on("data", onData);
      child.stderr.on("data", onData);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`strata serve exited (${code ?? signal}) before listening: ${seen}`));
      });
    });
  }

  get port(): number {
    return Number(new URL(this.baseUrl).port);
  }

  /** SIGKILL the service and wait until it is gone. */
  kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  /** A JSON request with a token; throws with the status and body on an error answer. */
  async api(token: string, method: string, route: string, body: string | Uint8Array, contentType: string): Promise<unknown> {
    const response = await fetch(this.baseUrl + route, { method, headers: { authorization: `Bearer ${token}`, "content-type": contentType }, body });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as unknown;
  }

  /** Register the example campaign as CAMPAIGN_ID. */
  async registerExample(token: string): Promise<ExampleManifest> {
    const manifest = exampleManifest();
    await this.api(token, "POST", "/api/campaigns", JSON.stringify({ id: CAMPAIGN_ID, manifest }), "application/json");
    return manifest;
  }

  /** Upload the example's scan number `index` (0-based); returns its manifest path. */
  async uploadScan(token: string, manifest: ExampleManifest, index: number): Promise<string> {
    const file = manifest.scans[index].file;
    await this.api(token, "PUT", `/api/campaigns/${CAMPAIGN_ID}/files/${file}`, readFileSync(path.join(CAMPAIGN_DIR, file)), "application/octet-stream");
    return file;
  }

  /** SIGTERM (a clean stop) and remove the folder. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((resolve) => {
        const fallback = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
        child.once("exit", () => {
          clearTimeout(fallback);
          resolve();
        });
        child.kill("SIGTERM");
      });
    }
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

/** Fails with the install line when Debian's python3 lacks a module the tests use. */
export function pythonModulesMissing(modules: readonly string[]): string | undefined {
  const check = spawnSync(PYTHON, ["-c", `import ${modules.join(", ")}`], { encoding: "utf8" });
  if (check.error) return `${PYTHON} cannot run (${check.error.message}): apt-get install python3`;
  if (check.status !== 0) return `${PYTHON} lacks ${modules.join(" or ")}: apt-get install ${modules.map((m) => `python3-${m}`).join(" ")} (${check.stderr.trim().split("\n").pop() ?? ""})`;
  return undefined;
}
