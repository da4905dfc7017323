/**
 * `strata fit --start` (issue 19 parts 3–5) as a spawned process on the real SNS data
 * (examples/sns-cu-thf-2025, OCV1: Si | Ti | Cu | CuOx | THF, three angles, per-angle scale):
 * the learned estimator's start followed by LM reaches the optimum the global search (DE then
 * LM) reaches — the issue's acceptance point 2 — and result.json and report.html carry the
 * network's estimate beside the refined values; `--start ml` is refused (exit 2, one line) on a
 * problem outside the network's domain or without the weights, and `auto` falls back to the
 * global search there.
 * Physics, not statistics: real measured curves, the authors' model.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "./run.ts";
import { exampleDir, exampleProblem } from "../realdata/snsCuThf.ts";

/** χ² of the ML-started fit within this fraction of the global fit's (issue 19 acceptance point 2). */
const SAME_OPTIMUM_CHI2 = 0.01;

interface StartJson {
  requested: string;
  used: string;
  reason: string;
  ood?: { score: number; threshold: number; inDomain: boolean };
  network?: Record<string, { value: number; sigma: number }>;
}
interface ResultJson {
  chi2: number;
  start: StartJson;
  parameters: Record<string, { value: number }>;
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-fit-start-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const problem = path.join(exampleDir, "PROBLEM-ocv1.json");

function fitTo(name: string, args: string[], file = problem): { result: ResultJson; stdout: string; seconds: number; out: string } {
  const out = path.join(tmp, name);
  const started = performance.now();
  const run = runCli(["--quiet", "fit", file, ...args, "--out", out]);
  const seconds = (performance.now() - started) / 1000;
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  return { result: JSON.parse(fs.readFileSync(path.join(out, "result.json"), "utf8")) as ResultJson, stdout: run.stdout, seconds, out };
}

/** OCV1 with air as fronting (an SLD the network never saw there): outside its domain. */
function outOfDomainProblem(): string {
  const { json } = exampleProblem("PROBLEM-ocv1.json");
  for (const model of Object.values(json.models)) model.layers[0] = { name: "air", sld: 0, isld: 0, roughness: 0 };
  json.datasets = json.datasets.map((d) => ({ ...d, file: path.join(exampleDir, d.file) }));
  const file = path.join(tmp, "air-fronting.json");
  fs.writeFileSync(file, JSON.stringify(json));
  return file;
}

describe("strata fit --start", () => {
  it("on the real OCV1 curves, the network's start + LM reaches the global fit's optimum (χ² within 1 %), and says so", () => {
    const ml = fitTo("ml", ["--start", "ml"]);
    const global = fitTo("global", ["--start", "global"]);
    expect(ml.result.start.used).toBe("ml");
    expect(global.result.start.used).toBe("global");
    expect(Math.abs(ml.result.chi2 - global.result.chi2) / global.result.chi2).toBeLessThanOrEqual(SAME_OPTIMUM_CHI2);
    expect(ml.stdout.split("\n")[0]).toMatch(/^start ml: LM from the network's estimate/);
    // wall times, for the record (the README fragment quotes measured ones)
    process.stdout.write(`fit OCV1: --start ml ${ml.seconds.toFixed(2)} s (χ² ${ml.result.chi2.toFixed(2)}), --start global ${global.seconds.toFixed(2)} s (χ² ${global.result.chi2.toFixed(2)})\n`);

    // result.json: the network's raw estimate for every varying parameter, beside (not instead of) the refined values
    const network = ml.result.start.network!;
    expect(Object.keys(network).sort()).toEqual(Object.keys(ml.result.parameters).sort());
    for (const e of Object.values(network)) expect(e.sigma).toBeGreaterThan(0);
    expect(ml.result.start.ood!.inDomain).toBe(true);
    // report.html (read as text, no browser): the table of network estimate vs refined value
    const html = fs.readFileSync(path.join(ml.out, "report.html"), "utf8");
    const table = /<table class="network-start">(.*?)<\/table>/s.exec(html)?.[1] ?? "";
    expect(html).toContain("Network estimate (start) vs refined value");
    for (const name of Object.keys(network)) expect(table).toContain(`<td>${name}</td>`);
    expect(fs.readFileSync(path.join(global.out, "report.html"), "utf8")).not.toContain("network-start");
  });

  it("method de without --start is auto: the network when in its domain", () => {
    const auto = fitTo("auto", ["--json"]);
    expect(auto.result.start.requested).toBe("auto");
    expect(auto.result.start.used).toBe("ml");
  });

  it("--start ml on a problem outside the network's domain: exit 2, one line naming why", () => {
    const run = runCli(["fit", outOfDomainProblem(), "--start", "ml"]);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/--start ml.*not in the learned estimator's domain: fronting SLD 0/);
  });

  it("--start auto outside the domain falls back to the global search, with the reason in result.json", () => {
    const auto = fitTo("auto-out", ["--start", "auto", "--method", "lm"], outOfDomainProblem());
    expect(auto.result.start).toMatchObject({ requested: "auto", used: "global" });
    expect(auto.result.start.reason).toMatch(/not in the network's domain \(fronting SLD 0/);
    expect(auto.result.start.network).toBeUndefined();
  });

  it("without the weights (an installation from dist/ alone): auto searches globally and says why, ml exits 2", () => {
    const env = { STRATA_LEARN_WEIGHTS: path.join(tmp, "no-weights") };
    const ml = runCli(["fit", problem, "--start", "ml"], { env });
    expect(ml.status).toBe(2);
    expect(ml.stderr.trim().split("\n")).toHaveLength(1);
    expect(ml.stderr).toMatch(/--start ml: the learned estimator is not available: .*no estimator weights/);
    const out = path.join(tmp, "no-weights-auto");
    const auto = runCli(["--quiet", "fit", problem, "--out", out], { env });
    expect(auto.status).toBe(0);
    const result = JSON.parse(fs.readFileSync(path.join(out, "result.json"), "utf8")) as ResultJson;
    expect(result.start).toMatchObject({ requested: "auto", used: "global" });
    expect(result.start.reason).toMatch(/the learned estimator is not available/);
  });

  it("--start must be one of auto, ml, nominal, global", () => {
    const run = runCli(["fit", problem, "--start", "best"]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/--start.*best/);
  });
});
