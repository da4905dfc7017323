/**
 * Issue 16 part 2, honest verdicts: a diagnosis whose quality flags say its numbers are not
 * solid leads its headline with "NOT TRUSTWORTHY — <why>" and `strata diagnose` exits 3;
 * laws the data cannot tell apart are all named (no "linear (99 % of the evidence)" when
 * the evidence is split), and `--strict` exits 4 on such a qualified diagnosis. The issue's
 * own case is reproduced: two mismatched scans of the committed example (the second written
 * with Q in nm⁻¹), whose fits did not all converge, used to give a confident headline and exit 0.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run.ts";
import { repoRoot } from "../paths.ts";
import { trustOf, type QualityFlag } from "../../src/diagnosis/diagnoseCell.ts";

const example = path.join(repoRoot, "examples", "campaign");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-honest-"));
/** a short fixed-length chain: these tests are about the verdict, not the posterior */
const QUICK_MCMC = ["--walkers", "12", "--steps", "40", "--burn", "10", "--threads", "1", "--min-ess", "0", "--tau-factor", "0"];
/** Exit statuses documented by `strata diagnose` (src/cli/diagnose.ts). */
const UNTRUSTWORTHY = 3;
const QUALIFIED_UNDER_STRICT = 4;
/** Å⁻¹ → nm⁻¹: the unit slip of the mismatched scan. */
const NM_PER_A = 10;
/** The reader refuses Q above 3 Å⁻¹ (as an nm⁻¹ hint); the slipped scan keeps the points below this. */
const SLIPPED_Q_MAX = 2.9;

interface CellJson {
  quality: QualityFlag[];
  trust: { level: string; reasons: QualityFlag[]; qualifications: QualityFlag[] };
  growth: Record<string, { comparison: { law: string; deltaIC: number }[] }>;
}

/** A copy of the example with only the scans `keep`; `edit` may change files in the copy. */
function exampleWith(name: string, keep: (id: string, index: number) => boolean, edit?: (dir: string) => void): string {
  const dir = path.join(work, name);
  fs.cpSync(example, dir, { recursive: true });
  const manifestFile = path.join(dir, "campaign.json");
  const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { scans: { id: string }[] };
  manifest.scans = manifest.scans.filter((s, k) => keep(s.id, k));
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 1));
  edit?.(dir);
  return dir;
}

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe("honest verdicts of strata diagnose", () => {
  it("two mismatched scans (the second in nm⁻¹): the headline leads with NOT TRUSTWORTHY and why, no law is claimed, exit 3", () => {
    const dir = exampleWith(
      "two-mismatched",
      (id) => id === "A0001" || id === "A0024",
      (copy) => {
        const file = path.join(copy, "xrr", "A0024.ort");
        const lines = fs.readFileSync(file, "utf8").split("\n");
        const slipped = lines.flatMap((line) => {
          if (line.trim() === "" || line.startsWith("#")) return [line];
          const columns = line.trim().split(/\s+/);
          const q = Number(columns[0]) * NM_PER_A;
          return q > SLIPPED_Q_MAX ? [] : [[String(q), ...columns.slice(1)].join(" ")];
        });
        fs.writeFileSync(file, slipped.join("\n"));
      },
    );
    const out = path.join(dir, "out");
    const result = runCli(["--quiet", "diagnose", dir, "--out", out, ...QUICK_MCMC]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(UNTRUSTWORTHY);
    const headline = result.stdout.split("\n")[0];
    expect(headline).toMatch(/^Cell A: NOT TRUSTWORTHY — /);
    expect(headline).toContain("2 scans are too few to compare growth laws");
    expect(headline).toContain("no growth law");
    // no law with a share of the evidence, and no dash in place of a number or an interval
    expect(headline).not.toMatch(/% of the evidence|following/);
    expect(headline.split("—")).toHaveLength(2);
    expect(result.stdout).not.toContain("—–—");

    const json = JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as { cells: Record<string, CellJson> };
    const codes = json.cells["A"].quality.map((q) => q.code);
    expect(codes).toContain("too-few-scans");
    // the slipped scan is not fitted: its fit stops on its budget, or most scans misfit
    expect(codes.some((c) => c === "fits-not-converged" || c === "untrustworthy")).toBe(true);
    expect(codes).not.toContain("laws-indistinguishable");
    // the classification itself, for scripts: what exit status 3 said
    const trust = json.cells["A"].trust;
    expect(trust.level).toBe("not trustworthy");
    expect(trust.reasons.map((r) => r.code)).toContain("too-few-scans");
    const report = fs.readFileSync(path.join(out, "report.html"), "utf8");
    expect(report).toMatch(/<p class="verdict" data-cell="A">Cell A: NOT TRUSTWORTHY — /);
    expect(report).not.toMatch(/<td>—<\/td>|—–—/);
  }, 60_000);

  it("--strict: laws the data cannot tell apart are all named in a trustworthy headline, and exit 4", () => {
    // a potentiostatic hold: the reduction charge grows as √t, so the charge and parabolic laws predict the same thickness
    const dir = exampleWith("every-fourth", (_, k) => k % 4 === 0);
    const out = path.join(dir, "out");
    const result = runCli(["--quiet", "diagnose", dir, "--out", out, "--laws", "parabolic,charge", "--strict", ...QUICK_MCMC]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(QUALIFIED_UNDER_STRICT);
    const headline = result.stdout.split("\n")[0];
    expect(headline).toMatch(/^Cell A: the SEI grew from [\d.]+ Å to [\d.]+ Å \[95 %: [\d.]+–[\d.]+ Å\]/);
    expect(headline).toMatch(/following (parabolic .* or growth in step with the reduction charge|growth in step with the reduction charge or parabolic .*) — these data cannot tell them apart/);
    const json = JSON.parse(fs.readFileSync(path.join(out, "diagnosis.json"), "utf8")) as { cells: Record<string, CellJson> };
    const cell = json.cells["A"];
    expect(cell.growth["SEI"].comparison[1].deltaIC).toBeLessThan(2);
    expect(trustOf(cell.quality)).toMatchObject({ trustworthy: true, reasons: [] });
    expect(trustOf(cell.quality).qualifications.map((q) => q.code)).toEqual(["laws-indistinguishable"]);
    expect(cell.trust).toMatchObject({ level: "qualified", qualifications: [{ code: "laws-indistinguishable" }] });
  }, 60_000);

  it("trustOf: which flag codes make a diagnosis not trustworthy, which only qualify it", () => {
    const flag = (code: QualityFlag["code"], level: QualityFlag["level"] = "warning"): QualityFlag => ({ level, message: String(code), ...(code ? { code } : {}) });
    for (const code of ["untrustworthy", "fits-not-converged", "mcmc-time-cap", "mcmc-not-mixed", "too-few-scans"] as const) {
      expect(trustOf([flag(code), flag(undefined, "info")]), code).toMatchObject({ trustworthy: false, reasons: [flag(code)] });
    }
    for (const code of ["laws-indistinguishable", "charge-law-needs-cycler", "no-law-applies", undefined] as const) {
      expect(trustOf([flag(code)]).trustworthy, String(code)).toBe(true);
    }
    expect(trustOf([flag("laws-indistinguishable", "info")])).toMatchObject({ trustworthy: true, qualifications: [flag("laws-indistinguishable", "info")], warnings: [] });
    expect(trustOf([]).warnings).toEqual([]);
  });
});
