/**
 * `strata init`: the template campaign is valid against schema/campaign.schema.json for
 * both probes, `strata inspect` refuses it naming every placeholder until they are
 * replaced, and once they are (with a real file of the example campaign whose header
 * gives the scan's start) it loads. A non-empty folder is refused without --force.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignTemplate, findPlaceholders } from "../../src/campaign/template.ts";
import { parseManifest } from "../../src/campaign/manifest.ts";
import { validateAgainstSchema } from "../campaign/schemaCheck.ts";
import { runCli } from "../cli/run.ts";
import { repoRoot } from "../paths.ts";

const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, "schema", "campaign.schema.json"), "utf8")) as Record<string, unknown>;
let tmp = "";
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-init-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("campaign template", () => {
  it.each(["xray", "neutron"] as const)("%s: valid against the schema and the validator, with exactly the file and name placeholders", (probe) => {
    const template = campaignTemplate(probe);
    expect(validateAgainstSchema(schema, template)).toEqual([]);
    const warnings: string[] = [];
    expect(parseManifest(template, "campaign.json", warnings).beam.probe).toBe(probe);
    expect(warnings).toEqual([]);
    expect(findPlaceholders(template)).toEqual(["name", "scans[0].file", "electrochemistry[0].file"]);
  });
});

describe("strata init (spawned CLI)", () => {
  it("writes campaign.json and README.md, refuses a non-empty folder without --force; inspect names the placeholders until they are replaced", () => {
    const dir = path.join(tmp, "campaign");
    const first = runCli(["init", dir]);
    expect(first.stderr).toBe("");
    expect(first.status).toBe(0);
    expect(fs.readdirSync(dir).sort()).toEqual(["README.md", "campaign.json"]);
    expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toContain('Replace every value starting with "REPLACE"');

    const again = runCli(["init", dir]);
    expect(again.status).toBe(2);
    expect(again.stderr).toBe(`strata: CAMPAIGN_DIR ${dir}: folder is not empty (2 entries: README.md, campaign.json); pass --force to write into it, or choose another folder\n`);
    expect(runCli(["init", dir, "--probe", "neutron", "--force"]).status).toBe(0);
    expect(runCli(["init", path.join(tmp, "other"), "--probe", "muon"]).stderr).toBe('strata: --probe: must be "xray" or "neutron" (got "muon")\n');

    const refused = runCli(["inspect", dir]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(
      /^strata: name: is a template placeholder from strata init: replace every value starting with "REPLACE" \(3 left: name, scans\[0\]\.file, electrochemistry\[0\]\.file\) \(got "REPLACE: a name for this campaign.*"\)\n$/,
    );

    // filled in: a real scan of the example campaign (its .ort header gives the start, local time written without a zone)
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "campaign.json"), "utf8")) as Record<string, unknown> & { scans: Record<string, unknown>[]; electrochemistry: Record<string, unknown>[] };
    manifest["name"] = "filled-in template";
    manifest["t0"] = "2026-03-01T10:00:00Z";
    manifest.scans[0] = { ...manifest.scans[0], file: path.join(repoRoot, "examples", "campaign", "xrr", "A0001.ort"), utcOffset: "Z", duration_s: 300 };
    manifest.electrochemistry[0] = { ...manifest.electrochemistry[0], file: path.join(repoRoot, "examples", "campaign", "echem", "A.bdf.csv"), start: "2026-03-01T10:00:00Z" };
    fs.writeFileSync(path.join(dir, "campaign.json"), JSON.stringify(manifest, null, 2));
    const inspected = runCli(["inspect", dir, "--json"]);
    expect(inspected.stderr).toBe("");
    expect(inspected.status).toBe(0);
    const scan = (JSON.parse(inspected.stdout) as { cells: { scans: { start_s: number; end_s: number; startFrom: string }[] }[] }).cells[0].scans[0];
    expect(scan).toMatchObject({ start_s: 600, end_s: 900, startFrom: "header measurement.data_files[0].timestamp" });
  });
});
