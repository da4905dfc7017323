/**
 * The resolution measure of reflectivity column files through the spawned `strata`: a
 * 4-column file whose header does not say whether dQ is a FWHM or a σ is refused with one
 * line saying how to declare it (exit code 2); `--dq-measure`, PROBLEM.json's dataset
 * `dqMeasure` and the manifest scan's `dqMeasure` declare it; a declaration contradicting
 * the header is refused. Data: the real SNS slices and steady files
 * (../shared/realdata/sns-cu-thf-2025, whose README states dQ is the FWHM).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { repoRoot, sharedRoot } from "../paths.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-dq-"));
const write = (name: string, value: unknown): string => {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value, null, 1));
  return file;
};
const oneLine = /^strata: [^\n]+\n$/;
const sns = path.join(sharedRoot, "realdata", "sns-cu-thf-2025");
const slice = path.join(sns, "tnr_during_eis", "r218389_sequence_1_eis_1.txt");
const partial = path.join(sns, "steady", "REFL_218386_1_218386_partial.txt");

/**
 * Si | Ti | Cu | CuOx | d-THF at the authors' OCV values (data README), Cu thickness, THF
 * roughness and the intensity free: enough to compare two resolution readings of one slice.
 */
const problem = (file: string, dataset: Record<string, unknown> = {}): unknown => ({
  models: {
    m: {
      probe: "neutron",
      layers: [
        { sld: 2.07 },
        { thickness: 29.5, sld: -2.6, roughness: 1.4 },
        { thickness: { value: 505, vary: true, min: 480, max: 540 }, sld: 6.303, roughness: 9.6 },
        { thickness: 22, sld: 4.3, roughness: 13 },
        { sld: 5.854, roughness: { value: 25, vary: true, min: 5, max: 40 } },
      ],
      scale: { value: 1, vary: true, min: 0.5, max: 1.5 },
    },
  },
  datasets: [{ file, model: "m", ...dataset }],
  fit: { method: "lm" },
});

describe("dQ measure (spawned CLI)", () => {
  it("a headerless 4-column slice without a declaration: exit 2, one line naming the file and the three ways to declare", () => {
    const r = runCli(["fit", write("bare.json", problem(slice))]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(oneLine);
    expect(r.stderr).toContain(`${slice}: column 4 (dQ) has no declared measure`);
    expect(r.stderr).toMatch(/"dqMeasure": "fwhm" or "sigma" on the PROBLEM\.json dataset or the campaign manifest scan, or --dq-measure fwhm\|sigma/);
    expect(r.stdout).toBe("");
  });

  it("declared FWHM (as the facility writes it) fits the slice better than the same numbers read as σ", () => {
    const file = write("slice.json", problem(slice));
    const chi2 = (args: string[]): number => {
      const r = runCli(["fit", file, "--json", ...args]);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      return (JSON.parse(r.stdout) as { chi2: number }).chi2;
    };
    const fwhm = chi2(["--dq-measure", "fwhm"]);
    const sigma = chi2(["--dq-measure", "sigma"]);
    expect(fwhm).toBeLessThan(sigma);
    // the dataset's own declaration is the same as the flag
    const declared = runCli(["fit", write("declared.json", problem(slice, { dqMeasure: "fwhm" })), "--json"]);
    expect(declared.status).toBe(0);
    expect((JSON.parse(declared.stdout) as { chi2: number }).chi2).toBe(fwhm);
  });

  it("contradictions and bad values are refused with exit 2", () => {
    const header = runCli(["fit", write("contra.json", problem(partial, { dqMeasure: "sigma" }))]);
    expect(header.status).toBe(2);
    expect(header.stderr).toMatch(oneLine);
    expect(header.stderr).toMatch(/REFL_218386_1_218386_partial\.txt:13: dqMeasure "sigma" contradicts the file's header, which declares column 4 \(dQ\) as FWHM/);
    const flag = runCli(["fit", write("flag.json", problem(slice, { dqMeasure: "fwhm" })), "--dq-measure", "sigma"]);
    expect(flag.status).toBe(2);
    expect(flag.stderr).toMatch(/datasets\[0\]\.dqMeasure: contradicts --dq-measure sigma \(got "fwhm"\)/);
    const bad = runCli(["fit", write("badflag.json", problem(slice)), "--dq-measure", "2.355"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--dq-measure: must be "fwhm" or "sigma".*\(got "2\.355"\)/);
    const field = runCli(["fit", write("badfield.json", problem(slice, { dqMeasure: "FWHM/2.355" }))]);
    expect(field.status).toBe(2);
    expect(field.stderr).toMatch(/datasets\[0\]\.dqMeasure: must be "fwhm" or "sigma"/);
  });

  it("a campaign scan on a 4-column file: refused without dqMeasure, read with the manifest's or the flag's", () => {
    const dir = path.join(tmp, "campaign");
    fs.cpSync(path.join(repoRoot, "examples", "campaign"), dir, { recursive: true });
    fs.copyFileSync(slice, path.join(dir, "xrr", "slice.txt"));
    const manifestFile = path.join(dir, "campaign.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8")) as { scans: Record<string, unknown>[] };
    manifest.scans[0]["file"] = "xrr/slice.txt";
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const bare = runCli(["inspect", dir]);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toMatch(oneLine);
    expect(bare.stderr).toMatch(/slice\.txt.*column 4 \(dQ\) has no declared measure/);
    const flagged = runCli(["inspect", dir, "--dq-measure", "fwhm", "--json"]);
    expect(flagged.stderr).toBe("");
    expect(flagged.status).toBe(0);
    manifest.scans[0]["dqMeasure"] = "fwhm";
    fs.writeFileSync(manifestFile, JSON.stringify(manifest));
    const declared = runCli(["inspect", dir, "--json"]);
    expect(declared.status).toBe(0);
    expect(declared.stdout).toBe(flagged.stdout);
    const contra = runCli(["inspect", dir, "--dq-measure", "sigma"]);
    expect(contra.status).toBe(2);
    expect(contra.stderr).toMatch(/scans\[0\]\.dqMeasure: contradicts --dq-measure sigma/);
  });
});
