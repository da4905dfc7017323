/**
 * @module test/service/python
 * The Python client (clients/python/strata_client.py) against the real service: spawns
 * `node bin/strata.js serve --port 0 --data TMP`, makes a write and a read token with
 * `strata serve token create`, registers the example campaign and uploads its first scans over
 * HTTP, then runs Debian's `/usr/bin/python3 -m unittest` on clients/python/test_strata_client.py
 * with the service's address, the tokens and the campaign in its environment, and asserts it
 * passes (every test, none skipped). The unittest also runs the README's "Follow a live campaign
 * from Jupyter" python blocks as written, which need python3-pandas and python3-requests.
 *
 * Units: ms for timeouts.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths.ts";

const PYTHON = "/usr/bin/python3";
const BIN = path.join(repoRoot, "bin", "strata.js");
const CAMPAIGN_DIR = path.join(repoRoot, "examples", "campaign");
const CAMPAIGN_ID = "example";
/** scans uploaded before the Python tests start (they upload the next one themselves) */
const SCANS_UPLOADED = 3;
/** how long `strata serve` may take to print its address */
const SERVE_START_MS = 15_000;
/** the whole Python run: its slowest test waits for one more live update */
const PYTHON_RUN_MS = 90_000;
/** tests in clients/python/test_strata_client.py: all of them must run, none skipped */
const PYTHON_TESTS = 17;
const LISTENING = /strata serve: (http:\/\/[^\s/]+)/;
const SECRET = /strata_[A-Za-z0-9_-]{16,}/;

let workDir = "";
let dataDir = "";
let server: ChildProcess | undefined;
let serverOutput = "";
let baseUrl = "";
let writeToken = "";
let readToken = "";

/**
 * `strata serve token create` run where the data folder is the default ./strata-data as well as
 * named by --data (the command line is parsed by SERVICE's serve.ts; either reading finds it).
 */
function createToken(scope: "read" | "write"): string {
  const result = spawnSync(process.execPath, [BIN, "serve", "token", "create", "--data", dataDir, "--scope", scope, "--label", `python-${scope}`], {
    cwd: workDir,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
    timeout: SERVE_START_MS,
  });
  const secret = SECRET.exec(result.stdout)?.[0];
  if (result.status !== 0 || secret === undefined) {
    throw new Error(`strata serve token create --scope ${scope} failed (exit ${result.status}): ${result.stdout}${result.stderr}`);
  }
  return secret;
}

function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--host", "127.0.0.1", "--data", dataDir], {
      cwd: workDir,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    const timer = setTimeout(() => reject(new Error(`strata serve printed no address in ${SERVE_START_MS} ms: ${serverOutput}`)), SERVE_START_MS);
    const onData = (chunk: Buffer): void => {
      serverOutput += chunk.toString("utf8");
      const match = LISTENING.exec(serverOutput);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`strata serve exited (${code}) before listening: ${serverOutput}`));
    });
  });
}

async function api(method: string, route: string, body: unknown, contentType: string): Promise<unknown> {
  const response = await fetch(baseUrl + route, {
    method,
    headers: { authorization: `Bearer ${writeToken}`, "content-type": contentType },
    body: body as string | Uint8Array,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${route}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

describe("Python client against strata serve", () => {
  beforeAll(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), "strata-python-"));
    dataDir = path.join(workDir, "strata-data");
    writeToken = createToken("write");
    readToken = createToken("read");
    baseUrl = await startServer();
    const manifest = JSON.parse(readFileSync(path.join(CAMPAIGN_DIR, "campaign.json"), "utf8")) as { scans: { file: string }[] };
    await api("POST", "/api/campaigns", JSON.stringify({ id: CAMPAIGN_ID, manifest }), "application/json");
    for (const scan of manifest.scans.slice(0, SCANS_UPLOADED)) {
      await api("PUT", `/api/campaigns/${CAMPAIGN_ID}/files/${scan.file}`, readFileSync(path.join(CAMPAIGN_DIR, scan.file)), "application/octet-stream");
    }
  });

  afterAll(() => {
    if (server && server.exitCode === null) server.kill("SIGTERM");
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it("passes its unittest (every client method, the README's Jupyter section, reconnection) with Debian's python3", () => {
    const missing = spawnSync(PYTHON, ["-c", "import pandas, requests"], { encoding: "utf8" });
    expect(missing.status, `${PYTHON} lacks pandas or requests, which the README's notebook section uses: apt-get install python3-pandas python3-requests (${missing.stderr.trim()})`).toBe(0);
    const run = spawnSync(PYTHON, ["-m", "unittest", "-v", "test_strata_client"], {
      cwd: path.join(repoRoot, "clients", "python"),
      encoding: "utf8",
      timeout: PYTHON_RUN_MS,
      env: {
        ...process.env,
        PYTHONDONTWRITEBYTECODE: "1",
        STRATA_URL: baseUrl,
        STRATA_TOKEN: writeToken,
        STRATA_READ_TOKEN: readToken,
        STRATA_CAMPAIGN: CAMPAIGN_ID,
        STRATA_CAMPAIGN_DIR: CAMPAIGN_DIR,
        STRATA_SCANS: String(SCANS_UPLOADED),
      },
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, `python3 -m unittest failed:\n${output}\n--- strata serve:\n${serverOutput}`).toBe(0);
    const ran = /^Ran (\d+) tests? in/m.exec(output);
    expect(Number(ran?.[1] ?? 0)).toBeGreaterThanOrEqual(PYTHON_TESTS);
    expect(output).not.toMatch(/skipped/);
  });
});
