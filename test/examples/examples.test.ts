/**
 * Every example's documented command (the `strata …` line in the ```sh block of its
 * README.md) is run as written from the repository root, and its result checked for
 * sense: examples/model (reflect: finite R in (0, 1], total reflection below Cu's critical
 * edge from the Si side), examples/fit (LM on real SNS data: χ²_red within a stated bound,
 * the Cu and THF SLDs near the authors'), examples/impedance (eis fit converged, the
 * ohmic resistance where the spectrum crosses Z″ = 0), examples/dose-plan (dose --plan:
 * equal scans add up linearly at a spot, the spot over its budget flagged). The README is the source of the
 * command, so the docs cannot drift from what is tested.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../cli/run.ts";
import { repoRoot } from "../paths.ts";

/**
 * Upper bound of χ²_red for the example fit: 733 points with the files' own error bars and
 * the authors' model give 1.70 (their refl1d fit of all 21 curves: 1.43); a wrong basin or
 * a broken resolution gives ≫ 2.
 */
const FIT_MAX_REDUCED_CHI2 = 2;
/** The fitted Cu and THF SLDs (10⁻⁶ Å⁻²) within this of the authors' refl1d values (6.308, 5.856): their own fit's spread over states. */
const FIT_SLD_ATOL = 0.1;
/** Dose of equal scans at one spot against the sum of single scans: rounding only. */
const DOSE_LINEARITY_RTOL = 1e-12;
/** The fitted ohmic resistance R0 within this fraction of Z′ where the spectrum's Z″ changes sign (the high-frequency intercept). */
const EIS_INTERCEPT_RTOL = 0.02;

/** The `strata …` command of an example's README, split as a shell would (double quotes only). */
function documentedCommand(example: string): string[] {
  const readme = fs.readFileSync(path.join(repoRoot, "examples", example, "README.md"), "utf8");
  const block = /```sh\n(strata [^\n]+)\n```/.exec(readme);
  if (!block) throw new Error(`examples/${example}/README.md has no \`\`\`sh block with a strata command`);
  const words = [...block[1].matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
  expect(words[0]).toBe("strata");
  return words.slice(1);
}

/** Rows of numbers from printed columns (lines starting with # skipped). */
const numericRows = (text: string): number[][] =>
  text
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"))
    .map((line) => line.trim().split(/\s+/).map(Number));

describe("examples: each README's command, run as documented (spawned CLI)", () => {
  it("examples/model: strata reflect gives a finite curve, total reflection below the Cu edge, decades lower beyond", () => {
    const result = runCli(documentedCommand("model"));
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const rows = numericRows(result.stdout);
    const model = JSON.parse(fs.readFileSync(path.join(repoRoot, "examples", "model", "MODEL.json"), "utf8")) as { q: number[] };
    expect(rows.map((r) => r[0])).toEqual(model.q);
    for (const [, r] of rows) expect(r > 0 && r <= 1 && Number.isFinite(r)).toBe(true);
    const at = (q: number): number => rows.find((row) => row[0] === q)![1];
    expect(at(0.02)).toBeGreaterThan(0.9); // below Qc = √(16π Δρ) ≈ 0.046 Å⁻¹ (Cu against Si)
    expect(at(0.3)).toBeLessThan(1e-3 * at(0.02));
  });

  it(`examples/fit: strata fit (LM, real SNS data) reaches χ²_red ≤ ${FIT_MAX_REDUCED_CHI2} with the SLDs near the authors'`, () => {
    const result = runCli(documentedCommand("fit"));
    expect(result.status).toBe(0);
    const summary = /reduced χ² = ([0-9.]+) \((\d+) points, (\d+) free\)/.exec(result.stdout);
    expect(summary, result.stdout).not.toBeNull();
    const [, reduced, points, free] = summary!;
    expect([Number(points), Number(free)]).toEqual([733, 13]);
    expect(Number(reduced)).toBeLessThanOrEqual(FIT_MAX_REDUCED_CHI2);
    const value = (name: string): number => Number(new RegExp(`^ +${name} +(-?[0-9.]+) ±`, "m").exec(result.stdout)![1]);
    expect(Math.abs(value("Cu_sld") - 6.308)).toBeLessThanOrEqual(FIT_SLD_ATOL);
    expect(Math.abs(value("THF_sld") - 5.856)).toBeLessThanOrEqual(FIT_SLD_ATOL);
  });

  it("examples/impedance: strata eis fit converges, R0 at the spectrum's high-frequency intercept", () => {
    const args = documentedCommand("impedance");
    const result = runCli(args);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^# converged: /m);
    const params = new Map(numericRowsNamed(result.stdout));
    for (const name of ["L0", "R0", "R1", "CPE1_0", "CPE1_1", "W1"]) expect(params.get(name)! > 0, name).toBe(true);
    const spectrum = numericRows(fs.readFileSync(path.join(repoRoot, args[2]), "utf8"));
    const crossing = spectrum.findIndex((row, i) => i > 0 && Math.sign(row[2]) !== Math.sign(spectrum[i - 1][2]));
    expect(crossing).toBeGreaterThan(0);
    const [f1, re1, im1] = spectrum[crossing - 1];
    const [f2, re2, im2] = spectrum[crossing];
    const intercept = re1 + ((re2 - re1) * im1) / (im1 - im2);
    expect(f1 > f2).toBe(true);
    expect(Math.abs(params.get("R0")! / intercept - 1)).toBeLessThanOrEqual(EIS_INTERCEPT_RTOL);
  });

  it("examples/dose-plan: strata dose --plan accumulates equal scans linearly per spot and flags the spot over its budget", () => {
    const result = runCli(documentedCommand("dose-plan"));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^OVER BUDGET: spot P1: [\d.]+ Gy > budget 20 Gy/m);
    const json = runCli([...documentedCommand("dose-plan"), "--json"]);
    const prediction = JSON.parse(json.stdout) as { spots: { spot: string; scans: number; dose_Gy: number; overBudget: boolean }[]; overBudget: boolean };
    const spots = Object.fromEntries(prediction.spots.map((s) => [s.spot, s]));
    expect(spots["P1"].scans).toBe(24);
    // the same exposure at the same geometry deposits the same dose: P1's 24 scans are 24 fresh-spot scans
    expect(Math.abs(spots["P1"].dose_Gy / (24 * spots["F1"].dose_Gy) - 1)).toBeLessThan(DOSE_LINEARITY_RTOL);
    expect(spots["P1"].overBudget).toBe(true);
    for (const fresh of ["F1", "F2", "F3", "F4"]) expect(spots[fresh].overBudget).toBe(false);
    expect(prediction.overBudget).toBe(true);
  });
});

/** `name value …` rows of `strata eis fit`'s table. */
function numericRowsNamed(text: string): [string, number][] {
  return text
    .split("\n")
    .filter((line) => /^[A-Za-z]\w*\t/.test(line))
    .map((line) => {
      const [name, value] = line.split("\t");
      return [name, Number(value)];
    });
}
