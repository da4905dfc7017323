/**
 * Strata as a package another project installs: `npm pack` ships the compiled program,
 * its data and the example and nothing of the development tree, and the packed tarball,
 * installed into a fresh project elsewhere, serves `import("strata")` and the `strata`
 * command. Needs dist/ built (`npm test` builds it first) and the npm registry or cache
 * for the three runtime dependencies.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, sharedRoot } from "./paths.ts";
import { SLD_REFERENCE_RTOL } from "./tolerances.ts";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-package-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface PackEntry {
  filename: string;
  files: { path: string }[];
}

describe("the npm package", () => {
  it("ships dist/, bin, the data tables, the schema, the example campaign, README and LICENSE — no sources, tests, benchmarks or configs", () => {
    const json = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: repoRoot, encoding: "utf8" });
    const files = (JSON.parse(json) as PackEntry[])[0].files.map((f) => f.path);
    for (const required of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "dist/optimize/mcmcWorker.js", "dist/io/nexusWorker.js", "dist/learn/weights/estimator-v1.json", "dist/learn/weights/estimator-v1.bin", "dist/learn/weights/ood-v1.json", "bin/strata.js", "data/SOURCES.md", "schema/campaign.schema.json", "examples/campaign/campaign.json", "README.md", "LICENSE", "package.json"]) {
      expect(files, required).toContain(required);
    }
    const tops = new Set(files.map((f) => f.split("/")[0]));
    expect([...tops].sort()).toEqual(["LICENSE", "README.md", "bin", "data", "dist", "examples", "package.json", "schema"]);
    expect(files.filter((f) => /\.test\.|\.ts$/.test(f) && !f.endsWith(".d.ts"))).toEqual([]);
  });

  it("installs into a project elsewhere: import('strata') gives the API and the strata command runs", () => {
    execFileSync(npm, ["pack", "--ignore-scripts", "--pack-destination", tmp], { cwd: repoRoot, encoding: "utf8", stdio: "pipe" });
    const tarball = fs.readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    expect(tarball).toBeDefined();
    const project = path.join(tmp, "project");
    fs.mkdirSync(project);
    fs.writeFileSync(path.join(project, "package.json"), JSON.stringify({ name: "uses-strata", private: true, type: "module" }));
    // --ignore-scripts: better-sqlite3 (the store of `strata serve`) would compile from source
    // for ~2 min here; the commands below do not load it, and the service's tests run it.
    execFileSync(npm, ["install", "--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", path.join(tmp, tarball!)], { cwd: project, encoding: "utf8", stdio: "pipe" });

    const script = [
      'import { sld, reflectivity, inspectCampaign, STRATA_VERSION, ValidationError } from "strata";',
      'const si = sld("Si", { density: 2.33, energy_keV: 8.048 });',
      'const curve = reflectivity({ probe: "neutron", layers: [{ sld: 0 }, { sld: 2.07, thickness: 100, roughness: 3 }, { sld: 6.36, roughness: 3 }] }, [0.01, 0.05, 0.1]);',
      'const inspection = await inspectCampaign("node_modules/strata/examples/campaign");',
      "let refused = false;",
      'try { sld("LiF", { density: -1, energy_keV: 8 }); } catch (e) { refused = e instanceof ValidationError; }',
      "console.log(JSON.stringify({ version: STRATA_VERSION, si, curve, scans: inspection.toJSON().cells[0].scans.length, refused }));",
    ].join("\n");
    fs.writeFileSync(path.join(project, "use.mjs"), script);
    const used = spawnSync(process.execPath, ["use.mjs"], { cwd: project, encoding: "utf8" });
    expect(used.stderr).toBe("");
    const out = JSON.parse(used.stdout) as { version: string; si: { sld: number; isld: number }; curve: { q: number[]; reflectivity: number[] }; scans: number; refused: boolean };
    const ownVersion = (JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { version: string }).version;
    expect(out.version).toBe(ownVersion);
    // Si at Cu Kα from the installed package's own data tables, against periodictable 2.1.0 (shared/data)
    const reference = (JSON.parse(fs.readFileSync(path.join(sharedRoot, "data", "sld_reference.json"), "utf8")) as { formula: string; energy_keV: number | string; sld_real: number; sld_imag: number }[]).find((r) => r.formula === "Si" && r.energy_keV === 8.048)!;
    expect(Math.abs(out.si.sld / reference.sld_real - 1)).toBeLessThan(SLD_REFERENCE_RTOL);
    expect(Math.abs(out.si.isld / reference.sld_imag - 1)).toBeLessThan(SLD_REFERENCE_RTOL);
    expect(out.curve.q).toEqual([0.01, 0.05, 0.1]);
    expect(out.curve.reflectivity.every((r) => r > 0 && r <= 1)).toBe(true);
    expect(out.scans).toBe(24);
    expect(out.refused).toBe(true);

    const bin = path.join(project, "node_modules", ".bin", "strata");
    const version = spawnSync(bin, ["--version"], { cwd: project, encoding: "utf8" });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(ownVersion);
    const sldCli = spawnSync(bin, ["sld", "Si", "--density", "2.33", "--energy", "8.048", "--json"], { cwd: project, encoding: "utf8" });
    expect(sldCli.status).toBe(0);
    expect(JSON.parse(sldCli.stdout)).toEqual({ sld: out.si.sld, isld: out.si.isld });
    const bad = spawnSync(bin, ["sld", "LiF", "--density", "2635x", "--energy", "8.048"], { cwd: project, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  }, 300_000);
});
