/**
 * Issue 6 acceptance, bad input: the real CLI on broken campaigns gives a clear one-line
 * error naming the file (exit 2), or a diagnosis whose quality flags say what is wrong —
 * never a silent number.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run.ts";
import { repoRoot } from "../paths.ts";

const example = path.join(repoRoot, "examples", "campaign");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bad-"));
/** a short fixed-length chain: these tests are about input, not the posterior (no mixing targets) */
const QUICK_MCMC = ["--walkers", "12", "--steps", "40", "--burn", "10", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"];

function copyExample(name: string): string {
  const dir = path.join(work, name);
  fs.cpSync(example, dir, { recursive: true });
  return dir;
}

function rewriteData(file: string, column: (columns: string[]) => void): void {
  const lines = fs.readFileSync(file, "utf8").split("\n").map((line) => {
    if (line.trim() === "" || line.startsWith("#")) return line;
    const columns = line.trim().split(/\s+/);
    column(columns);
    return columns.join(" ");
  });
  fs.writeFileSync(file, lines.join("\n"));
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("strata diagnose on bad input", () => {
  it("a manifest naming a missing file: one line naming the manifest field and the file, exit 2", () => {
    const dir = copyExample("missing");
    fs.rmSync(path.join(dir, "xrr", "A0003.ort"));
    const result = runCli(["diagnose", dir, "--out", path.join(dir, "out"), ...QUICK_MCMC]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(/campaign\.json: scans\[2\]\.file: file not found: xrr\/A0003\.ort/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(path.join(dir, "out", "diagnosis.json"))).toBe(false);
  });

  it("a scan with no valid points (every bin empty): one line naming the file, exit 2", () => {
    const dir = copyExample("empty");
    rewriteData(path.join(dir, "xrr", "A0005.ort"), (c) => {
      c[1] = "0";
      c[2] = "0";
    });
    const result = runCli(["diagnose", dir, "--out", path.join(dir, "out"), ...QUICK_MCMC]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/A0005\.ort: no valid points \(scans\[4\]\.file\)$/);
  });

  it("a point with a zero error bar: one line naming file and line, exit 2", () => {
    const dir = copyExample("zero-error");
    rewriteData(path.join(dir, "xrr", "A0002.ort"), (c) => {
      c[2] = "0";
    });
    const result = runCli(["diagnose", dir, "--out", path.join(dir, "out"), ...QUICK_MCMC]);
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/A0002\.ort:\d+: dR must be > 0 \(got 0\)/);
  });

  it("the charge law without a cycler file: the law is left out and the quality flags say why", () => {
    const dir = copyExample("no-cycler");
    const manifestFile = path.join(dir, "campaign.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as Record<string, unknown>;
    delete manifest["electrochemistry"];
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    fs.rmSync(path.join(dir, "echem"), { recursive: true });

    const out = path.join(dir, "out");
    const both = runCli(["diagnose", dir, "--out", out, "--laws", "charge,parabolic", ...QUICK_MCMC]);
    expect(both.status).toBe(0);
    const json = JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as { cells: Record<string, { quality: { level: string; message: string; code?: string }[]; growth: Record<string, { law: string; comparison: { law: string }[] }>; consistency: Record<string, unknown> }> };
    const cell = json.cells["A"];
    expect(cell.quality.some((q) => /charge law needs a cycler record/.test(q.message))).toBe(true);
    expect(cell.growth["SEI"].comparison.map((c) => c.law)).toEqual(["parabolic"]);
    expect(cell.consistency["charge"]).toBeUndefined();
    expect(both.stdout).toMatch(/warning: the charge law needs a cycler record/);

    const only = runCli(["diagnose", dir, "--out", out, "--force", "--laws", "charge", ...QUICK_MCMC]);
    expect(only.status).toBe(0);
    const onlyJson = JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as typeof json;
    expect(onlyJson.cells["A"].quality.some((q) => q.level === "error" && q.code === "no-law-applies" && /none of the requested laws \(charge\) can apply/.test(q.message))).toBe(true);
    expect(only.stdout).toMatch(/no growth law \(none could be compared\)/);
    // the library's flag carries a code; the CLI turns it into flag advice under the message
    expect(only.stdout).toMatch(/error: none of the requested laws \(charge\) can apply.*\n {2}hint: rerun with --laws /);
  });

  it("an unknown law name and a bad option: one line, exit 2", () => {
    const unknown = runCli(["diagnose", example, "--out", path.join(work, "x"), "--laws", "parabolic,cubic"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr.trim().split("\n")).toHaveLength(1);
    expect(unknown.stderr).toMatch(/cubic/);
    const walkers = runCli(["diagnose", example, "--out", path.join(work, "x"), "--walkers", "-3"]);
    expect(walkers.status).toBe(2);
    expect(walkers.stderr).toMatch(/--walkers/);
  });
});
