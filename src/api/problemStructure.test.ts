/**
 * api/problemStructure on small hand-written problems: which parameters a model uses
 * (through expressions of named parameters), when datasets form groups (stages of a co-fit)
 * and when not. Real problem files are in test/realdata/stagedStart.test.ts.
 */
import { describe, expect, it } from "vitest";
import { datasetGroups, modelUses, subProblem } from "./problemStructure.ts";

const free = (value: number): Record<string, unknown> => ({ value, vary: true, min: 0, max: 1000 });
/** Two states of a film: each its own thickness and roughness, sharing the solvent SLD; `extra` per state. */
function twoStates(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const model = (state: string): Record<string, unknown> => ({
    layers: [{ sld: 2.07 }, { thickness: { ref: `${state}_d` }, sld: 6, roughness: { ref: `${state}_r` } }, { sld: { ref: "solvent" }, roughness: 3 }],
  });
  return {
    parameters: { solvent: free(6), a_d: free(100), a_r: free(5), b_d: free(100), b_r: free(5), ...extra },
    models: { a: model("a"), b: model("b") },
    datasets: [
      { file: "a1.dat", model: "a" },
      { file: "b1.dat", model: "b" },
      { file: "a2.dat", model: "a" },
    ],
  };
}

describe("modelUses", () => {
  it("follows named parameters' expressions", () => {
    const uses = modelUses({ t: free(1), u: { expr: "2 * t + 1" }, v: free(3) }, { m: { layers: [{ thickness: { ref: "u" } }] } });
    expect([...uses.get("m")!].sort()).toEqual(["t", "u"]);
  });
});

describe("datasetGroups", () => {
  it("groups datasets by model and by the parameters not every dataset uses", () => {
    expect(datasetGroups(twoStates())).toEqual([
      [0, 2],
      [1],
    ]);
  });

  it("a parameter two states share (not used by every dataset) joins them", () => {
    // a third state c whose thickness is b's plus a fitted step: b and c become one group
    const raw = twoStates({ c_r: free(5), step: free(10), c_d: { expr: "b_d + step" } });
    const models = raw["models"] as Record<string, unknown>;
    models["c"] = { layers: [{ sld: 2.07 }, { thickness: { ref: "c_d" }, sld: 6, roughness: { ref: "c_r" } }, { sld: { ref: "solvent" }, roughness: 3 }] };
    (raw["datasets"] as unknown[]).push({ file: "c1.dat", model: "c" });
    expect(datasetGroups(raw)).toEqual([
      [0, 2],
      [1, 3],
    ]);
  });

  it("groups that own no more than they share are not stages", () => {
    // three shared parameters against two owned per state
    const raw = twoStates({ s2: free(1), s3: free(1) });
    const models = raw["models"] as Record<string, { layers: Record<string, unknown>[] }>;
    for (const m of Object.values(models)) m.layers[0] = { sld: { expr: "2.07 + 0 * s2 + 0 * s3" } };
    expect(datasetGroups(raw)).toBeUndefined();
  });

  it("counts a model's inline varying parameters as its own", () => {
    const raw = twoStates({ s2: free(1), s3: free(1) });
    const models = raw["models"] as Record<string, { layers: Record<string, unknown>[]; scale?: unknown }>;
    for (const m of Object.values(models)) {
      m.layers[0] = { sld: { expr: "2.07 + 0 * s2 + 0 * s3" } };
      m.scale = { value: 1, vary: true, min: 0.5, max: 2 };
      m.layers[2]["roughness"] = { value: 3, vary: true, min: 0, max: 20 };
    }
    expect(datasetGroups(raw)).toEqual([
      [0, 2],
      [1],
    ]);
  });

  it("one dataset, or fixed parameters only shared, is one group", () => {
    const one = twoStates();
    one["datasets"] = [{ file: "a1.dat", model: "a" }];
    expect(datasetGroups(one)).toBeUndefined();
    const same = twoStates();
    same["datasets"] = [
      { file: "a1.dat", model: "a" },
      { file: "a2.dat", model: "a" },
    ];
    expect(datasetGroups(same)).toBeUndefined();
  });
});

describe("subProblem", () => {
  it("keeps the group's datasets, models and the parameters they use; drops fit.sequence", () => {
    const raw = { ...twoStates(), fit: { method: "de", seed: 3, sequence: true } };
    const sub = subProblem(raw, [1]);
    expect(sub["datasets"]).toEqual([{ file: "b1.dat", model: "b" }]);
    expect(Object.keys(sub["models"] as object)).toEqual(["b"]);
    expect(Object.keys(sub["parameters"] as object).sort()).toEqual(["b_d", "b_r", "solvent"]);
    expect(sub["fit"]).toEqual({ method: "de", seed: 3 });
    // the original is untouched
    expect((raw["fit"] as Record<string, unknown>)["sequence"]).toBe(true);
  });
});
