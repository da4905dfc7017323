/**
 * Sequential analysis of noisy time slices (issue 15 part 5), on real data: the 15
 * event-sliced windows of the SNS Cu/THF sequence (examples/sns-cu-thf-2025,
 * PROBLEM-full.json, datasets 6–20), fitted one after another by `fitSequence` /
 * `strata fit --sequence`, the steady-state layers held at the authors' refl1d values
 * (`--values`), each slice's Cu thickness starting from the previous slice's answer.
 * Reference: the authors' per-slice Cu thickness (their .err posterior, 511 → 522 Å);
 * acceptance: within 3 of their σ or 1 % (the rule), and the trend. The spawned
 * CLI writes every slice's report and sequence.json, and refuses bad sequences with one
 * line. From Strata's own steady-state fit instead (no --values for the slices' intensity and
 * angle offset), those two are fitted first, jointly over the slices, and each slice's χ² is
 * compared with the authors' on the same curve. Units: thickness Å.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fit } from "../../src/api/fit.ts";
import { fitSequence } from "../../src/api/fitSequence.ts";
import { runCli } from "../cli/run.ts";
import { authorsByName, chi2PerDataset, exampleProblem, withinAuthors } from "./snsCuThf.ts";

/** The published trend: slices 9–13 thicker than slices 1–3 by at least this (authors: ≈ 10 Å). */
const TREND_MIN_A = 8;
/** The carried prior's width in the MCMC run: this many of the previous slice's posterior sd. */
const PRIOR_WIDTH = 3;
/** Slices fitted from Strata's own steady states: each slice's χ² at most this times the authors' (measured: 1.03–1.14). */
const OWN_STEADY_CHI2_RATIO = 1.2;

const authors = authorsByName();
const within = (name: string, value: number): boolean => withinAuthors(authors, name, value);
const values = Object.fromEntries([...authors].map(([name, a]) => [name, a.best]));
const SLICES = Array.from({ length: 15 }, (_, i) => 6 + i);
const { json, file } = exampleProblem("PROBLEM-full.json");

describe("fitSequence on the 15 SNS time slices", () => {
  it("LM: each slice starts from the previous answer; the Cu thickness follows the authors' 511 → 522 Å within their 3 σ", async () => {
    const report = await fitSequence(json, { values, sequence: { datasets: SLICES, carry: "value", priorWidth: PRIOR_WIDTH } }, file);
    const out = report.toJSON() as { held: Record<string, number>; slices: { dataset: number; starts: Record<string, { from: string }>; priorComparison: { parameters: Record<string, { constrainedBy: string }> } }[] };
    expect(out.slices.map((s) => s.dataset)).toEqual(SLICES);
    // the slices' own parameter is their Cu thickness; the steady states' layers, intensity and offset are held
    expect(out.slices.map((s) => Object.keys(s.starts))).toEqual(SLICES.map((_, i) => [`Cu_d_tNR${i}`]));
    expect(out.held["THF_sld"]).toBe(values["THF_sld"]);
    expect(Object.keys(out.held).some((n) => n.startsWith("Cu_d_tNR"))).toBe(false);
    expect(out.slices[0].starts["Cu_d_tNR0"].from).toBe("the problem's value");
    out.slices.slice(1).forEach((s, i) => expect(s.starts[`Cu_d_tNR${i + 1}`].from).toBe(`dataset ${SLICES[i]}'s answer (Cu_d_tNR${i})`));
    out.slices.forEach((s, i) => expect(s.priorComparison.parameters[`Cu_d_tNR${i}`].constrainedBy).toBe("data"));
    const [row] = report.trend;
    expect(row.label).toBe("Cu thickness");
    const off = row.value.map((v, i) => ({ slice: i + 1, v, authors: authors.get(`Cu_d_tNR${i}`)!.mean })).filter((s, i) => !within(`Cu_d_tNR${i}`, s.v!));
    expect(off).toEqual([]);
    const mean = (a: (number | null)[]): number => a.reduce<number>((s, x) => s + x!, 0) / a.length;
    expect(mean(row.value.slice(8, 13)) - mean(row.value.slice(0, 3))).toBeGreaterThan(TREND_MIN_A);
  }, 60_000);

  it("from Strata's own steady-state fit: the slices' intensity and angle offset are fitted first, jointly over the 15 slices, then held", async () => {
    const steady = exampleProblem("PROBLEM-steady.json");
    const ours = (await fit(steady.json, { method: "de", seed: 1 }, steady.file)).toJSON()["parameters"] as Record<string, { value: number }>;
    const steadyValues = Object.fromEntries(Object.entries(ours).map(([name, p]) => [name, p.value]));
    expect(Object.keys(steadyValues)).not.toContain("I_tNR");
    const report = await fitSequence(json, { values: steadyValues, sequence: { datasets: SLICES, carry: "value", priorWidth: PRIOR_WIDTH } }, file);
    expect(Object.keys(report.sharedStage!.parameters).sort()).toEqual(["I_tNR", "theta_offset"]);
    expect(report.sharedStage!.datasets).toBe(15);
    expect(report.held["I_tNR"]).toBe(report.sharedStage!.parameters["I_tNR"].value);
    expect(report.warnings).toEqual([]);
    // the slices interpolate Strata's steady states, which lie in another basin than the authors' (snsGlobal.test.ts): each slice's χ² is within this of theirs
    const authorsChi2 = chi2PerDataset(json, file, new Map(Object.entries(values)));
    report.slices.forEach((slice) => {
      const ratio = slice.report.leastSquares.chi2 / authorsChi2[slice.dataset];
      expect(ratio, `dataset ${slice.dataset}: χ² ${slice.report.leastSquares.chi2} against the authors' ${authorsChi2[slice.dataset]}`).toBeLessThanOrEqual(OWN_STEADY_CHI2_RATIO);
    });
    const [row] = report.trend;
    const mean = (a: (number | null)[]): number => a.reduce<number>((s, x) => s + x!, 0) / a.length;
    expect(mean(row.value.slice(8, 13)) - mean(row.value.slice(0, 3))).toBeGreaterThan(TREND_MIN_A);
  }, 120_000);

  it("MCMC with carry 'prior': slice n's prior is normal around slice n−1's posterior median, 3 of its sd wide", async () => {
    const report = await fitSequence(json, { values, method: "mcmc", mcmc: { maxSeconds: 10 }, sequence: { datasets: SLICES.slice(0, 4), carry: "prior", priorWidth: PRIOR_WIDTH } }, file);
    const out = report.toJSON() as { slices: { starts: Record<string, { value: number; prior?: { mean: number; sd: number } }>; posterior: Record<string, { median: number; sd: number }> }[] };
    expect(out.slices[0].starts["Cu_d_tNR0"].prior).toBeUndefined();
    for (let k = 1; k < out.slices.length; k++) {
      const before = out.slices[k - 1].posterior[`Cu_d_tNR${k - 1}`];
      expect(out.slices[k].starts[`Cu_d_tNR${k}`]).toEqual({ value: before.median, from: `dataset ${SLICES[k - 1]}'s answer (Cu_d_tNR${k - 1})`, prior: { mean: before.median, sd: PRIOR_WIDTH * before.sd } });
      expect(within(`Cu_d_tNR${k}`, out.slices[k].posterior[`Cu_d_tNR${k}`].median)).toBe(true);
    }
  }, 120_000);

  it("one model for every dataset: every varying parameter is refitted per dataset, from the previous one's answer", async () => {
    const parameters: Record<string, unknown> = { ...values, Cu_d_tNR0: { value: 500, vary: true, min: 400, max: 600 } };
    const problem = { parameters, models: { tNR0: json.models["tNR0"] }, datasets: [6, 7, 8].map((d) => ({ ...(json.datasets[d] as object), model: "tNR0" })), fit: { sequence: true } };
    // a problem with fit.sequence is not fitted jointly by mistake
    await expect(fit(problem, {}, file)).rejects.toThrow(/fit\.sequence/);
    const report = await fitSequence(problem, {}, file);
    const starts = report.slices.map((s) => s.starts["Cu_d_tNR0"]);
    expect(starts[0]).toEqual({ value: 500, from: "the problem's value" });
    expect(starts[1].from).toBe("dataset 0's answer (Cu_d_tNR0)");
    expect(starts[2].from).toBe("dataset 1's answer (Cu_d_tNR0)");
    expect(starts[1].value).toBe(report.trend[0].value[0]);
    expect(new Set(report.trend[0].value).size).toBe(3);
    // the same with the thickness written inline in the model: the same answers under the field's name
    const model = structuredClone(json.models["tNR0"]) as { layers: Record<string, unknown>[] };
    model.layers[2]["thickness"] = { value: 500, vary: true, min: 400, max: 600 };
    const inline = await fitSequence({ ...problem, parameters: values, models: { tNR0: model } }, {}, file);
    const name = "models.tNR0.layers[2].thickness";
    expect(inline.slices.map((s) => s.starts[name].from)).toEqual(["the problem's value", `dataset 0's answer (${name})`, `dataset 1's answer (${name})`]);
    inline.trend[0].value.forEach((v, i) => expect(v).toBeCloseTo(report.trend[0].value[i]!, 6));
    // two models sharing their only varying parameter: it is declared shared, so neither dataset has one of its own
    const shared = { parameters, models: { a: json.models["tNR0"], b: json.models["tNR0"] }, datasets: [{ ...(json.datasets[6] as object), model: "a" }, { ...(json.datasets[7] as object), model: "b" }] };
    await expect(fitSequence(shared, {}, file)).rejects.toThrow(/fit\.sequence\.datasets\[0\].*dataset 0 \(model a\) has no varying parameter of its own/);
  }, 60_000);
});

describe("strata fit --sequence (spawned)", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-sequence-"));
  const valuesFile = path.join(dir, "steady.json");
  fs.writeFileSync(valuesFile, JSON.stringify(values));

  it("fits datasets 6–20 in order, prints one line per slice and the trend, writes each slice's report and sequence.json", () => {
    const out = path.join(dir, "out");
    const result = runCli(["fit", file, "--sequence", "6-20", "--values", valuesFile, "--out", out]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^sequence of 15 datasets \(lm, each started from the previous answer\); 20 shared parameters held/);
    expect(lines.filter((l) => /^ {2}dataset +\d+ r218389_sequence_\d+_eis_\d+\.txt/.test(l))).toHaveLength(15);
    expect(result.stdout).toMatch(/Cu thickness \(layers\[2\]\.thickness\): 51\d\.\d+ → 5[12]\d\.\d+/);
    const written = JSON.parse(fs.readFileSync(path.join(out, "sequence.json"), "utf8")) as { format: string; slices: unknown[] };
    expect(written.format).toBe("strata-sequence/1");
    expect(written.slices).toHaveLength(15);
    for (const d of SLICES) expect(fs.existsSync(path.join(out, `dataset-${d}`, "report.html"))).toBe(true);
    expect(result.stdout).not.toContain("warning:");
    // without the steady states' values the shared layers sit at the middle of their bounds: said once
    const bare = runCli(["fit", file, "--sequence", "6-20"]);
    expect(bare.status).toBe(0);
    expect(bare.stdout).toMatch(/warning: 18 held parameters vary in the problem but are held at their starting values \(OCV1_Ti_d, .*pass its result with --values/);
    // the slices' own shared intensity and offset are fitted first, jointly, and said so
    expect(bare.stdout).toMatch(/^ {2}shared only by the sequence's datasets, fitted first jointly over its 15 datasets \(reduced χ² \d+\.\d+\) and then held: (I_tNR|theta_offset) .*; (I_tNR|theta_offset) /m);
  }, 120_000);

  it("bad sequences: one line naming the field and value, exit 2", () => {
    const cases: [string[], RegExp][] = [
      [["--sequence", "6-40"], /fit\.sequence\.datasets\[15\].*21/],
      [["--sequence", "9-6"], /--sequence.*backwards/],
      [["--sequence", "--carry", "maybe"], /--carry.*maybe/],
    ];
    for (const [args, message] of cases) {
      const result = runCli(["fit", file, ...args, "--values", valuesFile]);
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
    const noSequence = runCli(["fit", file, "--values", valuesFile]);
    expect(noSequence.status).toBe(2);
    expect(noSequence.stderr).toContain("--values: only with --sequence");
  }, 60_000);
});
