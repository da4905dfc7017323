/**
 * Which parameters a noisy time slice constrains (issue 15 part 5), on real data: slice 1
 * of the SNS Cu/THF sequence (examples/sns-cu-thf-2025, 3-minute window, point errors
 * 5–20 %), fitted as a practitioner carries a steady state into a slice — the layers
 * interpolated at the authors' values, the Cu thickness and the slice's intensity free
 * within the authors' bounds, and the THF SLD free with a prior from the authors'
 * co-refinement of all 21 curves (their posterior 5.8537 ± 0.0042 × 10⁻⁶ Å⁻²). One slice
 * cannot measure the solvent SLD to ±0.004, so its posterior must be the prior's; the Cu
 * thickness (±1 Å against a 200-Å box) is the data's. Both the library (LM and MCMC) and
 * the spawned CLI (text line and report.html column) say so.
 *
 * Units: thickness Å; SLD 10⁻⁶ Å⁻².
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fit } from "../../src/api/fit.ts";
import { DATA_CONSTRAINED_RATIO, PRIOR_DOMINATED_RATIO, type PriorComparison } from "../../src/fit/priorComparison.ts";
import { runCli } from "../cli/run.ts";
import { authorsByName, exampleProblem } from "./snsCuThf.ts";

/** A parameter the slice measures: posterior sd below this fraction of the prior's (measured 0.013–0.022). */
const SLICE_MEASURED_RATIO = 0.05;

const authors = authorsByName();
const { json, file } = exampleProblem("PROBLEM-full.json");

function sliceProblem(method: "lm" | "mcmc"): Record<string, unknown> {
  const parameters: Record<string, unknown> = {};
  for (const name of Object.keys(json.parameters)) if (!name.startsWith("Cu_d_tNR")) parameters[name] = authors.get(name)!.best;
  const thf = authors.get("THF_sld")!;
  parameters["Cu_d_tNR0"] = { value: 500, vary: true, min: 400, max: 600 };
  parameters["THF_sld"] = { value: thf.best, vary: true, min: 4, max: 7, prior: { kind: "normal", mean: thf.mean, sd: thf.sd } };
  parameters["I_tNR"] = { value: authors.get("I_tNR")!.best, vary: true, min: 0.5, max: 1.5 };
  const dataset = json.datasets[6] as { file: string };
  return {
    parameters,
    models: { tNR0: json.models["tNR0"] },
    datasets: [{ ...dataset, file: path.resolve(path.dirname(file), dataset.file) }],
    fit: { method, seed: 1 },
  };
}

describe("posterior width against the prior's on a real time slice (SNS Cu/THF slice 1)", () => {
  for (const method of ["lm", "mcmc"] as const) {
    it(`${method}: Cu thickness and intensity set by the data, the THF SLD by its prior`, async () => {
      const report = await fit(sliceProblem(method), {}, file);
      const comparison = report.toJSON()["priorComparison"] as PriorComparison;
      const entry = (name: string) => comparison.parameters[name];
      expect(comparison.from).toContain(method === "mcmc" ? "MCMC posterior" : "least-squares standard error");
      for (const name of ["Cu_d_tNR0", "I_tNR"]) {
        expect(entry(name).constrainedBy).toBe("data");
        expect(entry(name).ratio!).toBeLessThan(SLICE_MEASURED_RATIO);
      }
      // the 200-Å box of the Cu thickness: a uniform prior's sd is 200/√12
      expect(entry("Cu_d_tNR0").priorSd!).toBeCloseTo(200 / Math.sqrt(12), 9);
      expect(entry("THF_sld").constrainedBy).toBe("prior");
      expect(entry("THF_sld").ratio!).toBeGreaterThanOrEqual(PRIOR_DOMINATED_RATIO);
      expect(entry("THF_sld").ratio!).toBeLessThanOrEqual(1 + 0.05);
      expect(DATA_CONSTRAINED_RATIO).toBeLessThan(PRIOR_DOMINATED_RATIO);
    }, 60_000);
  }

  it("strata fit (spawned) names the prior-set parameter in its text and adds the column to report.html", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-prior-"));
    const problemFile = path.join(dir, "PROBLEM.json");
    fs.writeFileSync(problemFile, JSON.stringify(sliceProblem("lm")));
    const result = runCli(["fit", problemFile, "--out", path.join(dir, "out")]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const line = result.stdout.split("\n").find((l) => l.startsWith("the prior, not the data, sets"));
    expect(line).toBeDefined();
    expect(line).toContain("THF_sld (0.9");
    expect(line).not.toContain("Cu_d_tNR0");
    const page = fs.readFileSync(path.join(dir, "out", "report.html"), "utf8");
    expect(page).toContain("posterior sd / prior sd (constrained by)");
    expect(page).toMatch(/<td>0\.9\d \(prior\)<\/td>/);
    expect(page).toMatch(/<td>0\.0[12]\d \(data\)<\/td>/);
  }, 60_000);
});
