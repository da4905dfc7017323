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
import { runCli } from "./run.ts";
import { MAX_MESSAGE_CHARACTERS } from "../../src/cli/main.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-process-"));
const bin = path.join(repoRoot, "bin", "strata.js");
/** Past LINE_PROGRESS_DELAY_MS (2 s), so without --quiet a progress line would already be out; the diagnosis takes ≈ 10 s. */
const SIGINT_AFTER_MS = 3500;
/** A short MCMC: the example diagnosis still runs several seconds, past the progress lines' delay. */
const QUICK_MCMC = ["--walkers", "12", "--steps", "60", "--burn", "20", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"];

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

  it("SIGINT during strata diagnose --quiet: one line 'strata: interrupted', exit 130, no diagnosis.json (and no progress lines, though it ran past their 2-s delay)", async () => {
    const out = path.join(tmp, "diagnosis");
    const child = spawn(process.execPath, [bin, "diagnose", path.join(repoRoot, "examples", "campaign"), "--out", out, "--quiet"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGINT"), SIGINT_AFTER_MS);
    const ended = await new Promise<Ended>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
    clearTimeout(timer);
    expect(ended.signal).toBeNull();
    expect(ended.code).toBe(130);
    expect(ended.stderr).toBe("strata: interrupted\n");
    expect(ended.stdout).toBe("");
    expect(fs.existsSync(path.join(out, "diagnosis.json"))).toBe(false);
  }, 60_000);

  it("off a terminal, a run longer than 2 s reports progress as plain stderr lines and a closing line; stdout has only the result", () => {
    const out = path.join(tmp, "progress");
    const result = runCli(["diagnose", path.join(repoRoot, "examples", "campaign"), "--out", out, ...QUICK_MCMC]);
    expect(result.status).toBe(0);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines.slice(0, -1)) expect(line).toMatch(/^strata: diagnose \d{1,3} % \(\d+\.\d s\)/);
    expect(lines.at(-1)).toMatch(/^strata: diagnose done in \d+\.\d s$/);
    expect(result.stdout).not.toMatch(/strata: diagnose/);
    expect(result.stdout).toMatch(/^Cell A: /m);
  }, 120_000);

  it("an --out folder that holds files is refused before any work unless --force; simulate, diagnose and demo alike", () => {
    const out = path.join(tmp, "occupied");
    expect(runCli(["simulate", path.join(repoRoot, "examples", "scenario.json"), "--out", out]).status).toBe(0);
    const before = fs.readFileSync(path.join(out, "truth.json"), "utf8");
    for (const args of [["simulate", path.join(repoRoot, "examples", "scenario.json")], ["diagnose", path.join(repoRoot, "examples", "campaign")], ["demo"]]) {
      const refused = runCli([...args, "--out", out]);
      expect(refused.status, args[0]).toBe(2);
      expect(refused.stderr).toMatch(new RegExp(`^strata: --out ${out.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: folder is not empty \\(\\d+ entries: campaign\\.json, .*\\); pass --force to write into it, or choose another folder\n$`));
      expect(refused.stdout).toBe("");
    }
    expect(fs.readFileSync(path.join(out, "truth.json"), "utf8")).toBe(before);
    const forced = runCli(["simulate", path.join(repoRoot, "examples", "scenario.json"), "--out", out, "--force", "--seed", "7", "--json"]);
    expect(forced.status).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ out, law: "parabolic", seed: 7, cells: { A: { scans: 24 } } });
    expect(fs.readFileSync(path.join(out, "truth.json"), "utf8")).not.toBe(before);
    const file = path.join(tmp, "a-file");
    fs.writeFileSync(file, "x");
    expect(runCli(["demo", "--out", file]).stderr).toBe(`strata: --out ${file}: exists and is not a folder\n`);
  });

  it("quoted input in an error is cut to a readable length, and binary bytes are named as such", () => {
    const binary = path.join(tmp, "binary.ort");
    // 5000 bytes, no newline: high bytes that are not UTF-8 and control characters
    fs.writeFileSync(binary, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? 1 + (i % 9) : 128 + ((i * 7919) % 128)))));
    const problem = path.join(tmp, "binary-problem.json");
    fs.writeFileSync(problem, JSON.stringify({ parameters: {}, models: { m: { probe: "xray", energy_keV: 8.048, layers: [{ sld: 0 }, { sld: 20, roughness: 3 }] } }, datasets: [{ file: binary, model: "m" }] }));
    const result = runCli(["fit", problem]);
    expect(result.status).toBe(2);
    expect(result.stderr.split("\n").length).toBe(2);
    expect(result.stderr.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARACTERS + "strata: \n".length);
    expect(result.stderr).toMatch(/binary-problem\.json|binary\.ort/);
    expect(result.stderr).toContain("(binary bytes: not a text file)");
    const json = runCli(["reflect", binary]);
    expect(json.status).toBe(2);
    expect(json.stderr).toMatch(/^strata: .*binary\.ort: invalid JSON: .*\(binary bytes: not a text file\)/);
  });
});
