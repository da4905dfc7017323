/**
 * `strata serve` as a user runs it (the compiled bin/strata.js as a process; issue 17 parts 1
 * and 5): `serve token create` prints the secret once and the store keeps only its hash;
 * `serve --port 0` prints exactly one line with its address, answers /health without a token
 * and the API with one; SIGTERM and SIGINT stop it cleanly (`strata serve: stopped`, exit 0),
 * and a restart on the same data folder knows the tokens; a bad --store, --port or --watch is
 * one line on stderr with exit 2.
 *
 * Units: ms for timeouts.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot } from "../paths.ts";
import { runCli } from "./run.ts";

/** How long the service may take to print its address. */
const LISTEN_MS = 20_000;
/** How long it may take to stop after a signal. */
const STOP_MS = 10_000;
const LISTENING = /^strata serve: http:\/\/127\.0\.0\.1:(\d+)\/ \(data (.+), store sqlite\)$/;
const SECRET = /^strata_[A-Za-z0-9_-]{43}$/;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-serve-cli-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Served {
  base: string;
  stdout: () => string;
  stderr: () => string;
  stop: (signal: NodeJS.Signals) => Promise<number | null>;
}

function serve(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, [path.join(repoRoot, "bin", "strata.js"), "serve", "--port", "0", "--data", dataDir], { cwd: tmp, env: { ...process.env, NO_COLOR: "1" } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`strata serve printed no address within ${LISTEN_MS} ms: ${stdout}${stderr}`));
    }, LISTEN_MS);
    const check = (): void => {
      const line = stdout.split("\n")[0];
      if (!stdout.includes("\n")) return;
      clearTimeout(timer);
      const match = LISTENING.exec(line);
      if (!match) {
        child.kill("SIGKILL");
        reject(new Error(`unexpected first line: ${line}`));
        return;
      }
      resolve({
        base: `http://127.0.0.1:${match[1]}`,
        stdout: () => stdout,
        stderr: () => stderr,
        stop: async (signal) => {
          child.kill(signal);
          const timeout = setTimeout(() => child.kill("SIGKILL"), STOP_MS);
          const code = await exited;
          clearTimeout(timeout);
          return code;
        },
      });
    };
    child.stdout.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`strata serve exited with ${code} before listening: ${stderr}`));
    });
  });
}

describe("strata serve (process)", () => {
  const dataDir = path.join(tmp, "data");

  it("token create prints the secret once; the store holds only its hash; list shows the token without it", () => {
    const created = runCli(["serve", "token", "create", "--data", dataDir, "--scope", "write", "--label", "cli test"]);
    expect(created.status, created.stderr).toBe(0);
    const lines = created.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(SECRET);
    expect(created.stderr).toMatch(/^strata serve: token tok_[0-9a-f]{12} \(write, "cli test"\) created; its secret \(above\) is shown only now\n$/);
    const secret = lines[0];
    const database = fs.readFileSync(path.join(dataDir, "strata.db"));
    expect(database.includes(Buffer.from(secret))).toBe(false);
    const listed = runCli(["serve", "token", "list", "--data", dataDir, "--json"]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).not.toContain(secret);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ label: "cli test", scope: "write" })]);
    fs.writeFileSync(path.join(tmp, "secret"), secret);
  });

  it("listens on a free port with one line, answers /health and the API, and stops on SIGTERM and SIGINT", async () => {
    const secret = fs.readFileSync(path.join(tmp, "secret"), "utf8");
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const served = await serve(dataDir);
      const health = await fetch(`${served.base}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: "ok", store: "sqlite" });
      expect((await fetch(`${served.base}/api/campaigns`)).status).toBe(401);
      const listed = await fetch(`${served.base}/api/campaigns`, { headers: { authorization: `Bearer ${secret}` } });
      expect(listed.status).toBe(200);
      expect(await listed.json()).toEqual([]);
      const code = await served.stop(signal);
      expect(code, `${signal}: ${served.stderr()}`).toBe(0);
      expect(served.stdout().trimEnd().split("\n")).toEqual([expect.stringMatching(LISTENING), "strata serve: stopped"]);
      expect(served.stderr()).toBe("");
    }
  });

  it("refuses a bad --store, --port, --watch or --scope with one line and exit 2", () => {
    const cases: [string[], RegExp][] = [
      [["serve", "--data", dataDir, "--store", "mysql://root:pw@db/strata"], /^strata: --store: expected sqlite:PATH or postgres:\/\/.*\(got "mysql:\/\/root:\*\*\*@db\/strata"\)$/],
      [["serve", "--data", dataDir, "--store", "postgres://strata:pw@127.0.0.1:1/strata"], /^strata: --store postgres:\/\/strata:\*\*\*@127\.0\.0\.1:1\/strata: cannot open the store: .*ECONNREFUSED/],
      [["serve", "--data", dataDir, "--port", "70000"], /^strata: --port: /],
      [["serve", "--data", dataDir, "--watch", "ex"], /^strata: --watch: expected ID=DIR \(got "ex"\)$/],
      [["serve", "token", "create", "--data", dataDir, "--scope", "admin"], /^strata: --scope: must be read or write \(got "admin"\)$/],
      [["serve", "token", "revoke", "tok_000000000000", "--data", dataDir], /^strata: ID: no such token \(got "tok_000000000000"\)$/],
    ];
    for (const [args, message] of cases) {
      const result = runCli(args);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stdout, args.join(" ")).toBe("");
      const lines = result.stderr.trimEnd().split("\n");
      expect(lines, args.join(" ")).toHaveLength(1);
      expect(lines[0], args.join(" ")).toMatch(message);
      expect(result.stderr).not.toContain("pw@");
    }
  });
});
