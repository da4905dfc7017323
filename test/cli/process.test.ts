/**
 * Issue 16, process-level behaviour of the `strata` command (bin/strata.js): a reader
 * that closes the pipe early (`strata profile … | head -1`) ends the run quietly with
 * exit 0, and Ctrl-C (SIGINT) prints one "strata: interrupted" line and exits with 130
 * before any output file is written.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../paths.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-process-"));
const bin = path.join(repoRoot, "bin", "strata.js");

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

describe("strata as a process", () => {
  it("EPIPE: stdout closed after the first chunk (| head -1) ends quietly with exit 0", async () => {
    const model = path.join(tmp, "model.json");
    fs.writeFileSync(model, JSON.stringify({ probe: "xray", energy_keV: 8.048, layers: [{ sld: 0 }, { material: { formula: "LiF", density: 2.635 }, thickness: 100, roughness: 3 }, { sld: 20.07, isld: 0.457, roughness: 3 }] }));
    // 200 000 rows, several MB: far more than a pipe holds, so the writes meet the closed pipe
    const child = spawn(process.execPath, [bin, "profile", model, "--points", "200000"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let firstChunk = "";
    let stderr = "";
    child.stdout.once("data", (chunk: Buffer) => {
      firstChunk = chunk.toString("utf8");
      child.stdout.destroy();
    });
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
    expect(firstChunk.split("\n")[0]).toBe("# z (angstrom)\tSLD (1e-6/angstrom^2)\tiSLD (1e-6/angstrom^2)");
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });

  it("SIGINT during strata diagnose: one line 'strata: interrupted', exit 130, no diagnosis.json", async () => {
    const out = path.join(tmp, "diagnosis");
    const child = spawn(process.execPath, [bin, "diagnose", path.join(repoRoot, "examples", "campaign"), "--out", out, "--quiet"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGINT"), 1500);
    const ended = await new Promise<Ended>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    clearTimeout(timer);
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(130);
    expect(ended.stderr).toBe("strata: interrupted\n");
    expect(ended.stdout).toBe("");
    expect(fs.existsSync(path.join(out, "diagnosis.json"))).toBe(false);
  }, 60_000);
});
