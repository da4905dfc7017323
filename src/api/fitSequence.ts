/**
 * @module api/fitSequence
 * `strata fit PROBLEM.json --sequence` (`fit.sequence` in the file): the datasets of a
 * series — time slices of an operando run, a scan series — fitted one after another, as
 * practitioners do with noisy slices (GenX's batch fit, a refl1d serial fit), instead of
 * each from scratch. Dataset n's fit starts from dataset n−1's answer and, with
 * `"carry": "prior"`, also takes a normal prior around it (sd = `priorWidth` × that
 * answer's sd, inside the parameter's own bounds); every slice's report says which of its
 * parameters its data constrain (fit/priorComparison: posterior sd against the prior's).
 *
 * Which parameters a dataset fits: the varying parameters its model uses that no dataset
 * with another model uses. A parameter several models use is declared shared by them, and
 * fitting it per dataset would change the declared model, so it is held (set it from an
 * earlier fit with `--values result.json`; one still at its starting value is warned about).
 * So, for per-slice models that share the steady states' layers and the slices' intensity
 * and angle offset through `ref`/`expr` (the SNS example's PROBLEM-full.json), a slice fits
 * its own Cu thickness and holds the rest; for one model shared by every dataset (a scan
 * series), every varying parameter is refitted per dataset. What only the sequence's datasets
 * share (varying, used by several of them and by no other dataset: the slices' intensity and
 * angle offset) and `--values` does not give is first fitted once, jointly over the sequence's
 * datasets with each one's own parameters and the rest held (`sharedStage` in the report),
 * then held at that answer. A parameter of dataset n corresponds to the one that fills the
 * same model field (say `layers[2].thickness`) in dataset n−1's model, or is the same
 * parameter when the model is the same.
 *
 * Units: each parameter's own; χ² dimensionless.
 */
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { readJsonFile } from "../io/json.ts";
import { parseProblemFile, parseSequence, type FitMethod, type SequenceSettings } from "../io/problemFile.ts";
import type { PriorComparison } from "../fit/priorComparison.ts";
import { fit, type FitReport, type FitSettings } from "./fit.ts";
import { isVaryingSpec, modelUses, subProblem } from "./problemStructure.ts";

type Json = Record<string, unknown>;
const isRecord = (value: unknown): value is Json => typeof value === "object" && value !== null && !Array.isArray(value);

/** One model field a varying parameter fills: `layers[2].thickness`, with the layer's name when it has one. */
interface Slot {
  /** JSON path inside the model, e.g. `layers[2].thickness` */
  readonly field: string;
  /** readable label, e.g. `Cu thickness` */
  readonly label: string;
  /** the shared parameter's name, or undefined for a parameter written inline in the model */
  readonly named: string | undefined;
}

/** One dataset's fit in the sequence. */
export interface SequenceSlice {
  /** index into the problem's `datasets` */
  readonly dataset: number;
  readonly file: string;
  readonly model: string;
  /** each fitted parameter: where its start came from ("the problem's value" or "dataset K's answer") and whether a carried prior was set */
  readonly starts: Record<string, { value: number; from: string; prior?: { mean: number; sd: number } }>;
  readonly report: FitReport;
}

/** The joint fit, before the sequence, of what only the sequence's datasets share (see {@link fitSequence}). */
export interface SequenceSharedStage {
  /** each such parameter's answer (then held through the sequence) and its LM standard error */
  readonly parameters: Record<string, { value: number; stderr: number | null }>;
  readonly chi2: number;
  readonly reducedChi2: number;
  /** how many datasets were fitted jointly */
  readonly datasets: number;
}

/** `strata fit --sequence`: every dataset's fit, and each model field's values along the sequence. */
export class SequenceReport {
  readonly settings: SequenceSettings;
  readonly method: FitMethod;
  readonly slices: SequenceSlice[];
  /** parameters held at their values in every slice (used by datasets of other models) */
  readonly held: Record<string, number>;
  /** what the user should know about the whole sequence (e.g. held parameters still at their starting values) */
  readonly warnings: string[];
  /** per model field fitted in the sequence: the slices' values and standard errors (posterior sd after MCMC), in sequence order */
  readonly trend: { label: string; field: string; parameters: string[]; value: (number | null)[]; sd: (number | null)[]; constrainedBy: (string | null)[] }[];

  /** the joint fit of what only the sequence's datasets share, when there was any to fit */
  readonly sharedStage: SequenceSharedStage | undefined;

  constructor(
    settings: SequenceSettings,
    method: FitMethod,
    slices: SequenceSlice[],
    held: Record<string, number>,
    slotsOf: (slice: SequenceSlice) => Map<string, Slot>,
    warnings: string[] = [],
    sharedStage?: SequenceSharedStage,
  ) {
    this.settings = settings;
    this.sharedStage = sharedStage;
    this.warnings = warnings;
    this.method = method;
    this.slices = slices;
    this.held = held;
    const byField = new Map<string, SequenceReport["trend"][number]>();
    slices.forEach((slice, k) => {
      const json = slice.report.toJSON();
      const parameters = json["parameters"] as Record<string, { value: number; stderr: number | null }>;
      const posterior = json["posterior"] as Record<string, { median: number; sd: number }> | undefined;
      const comparison = json["priorComparison"] as PriorComparison;
      for (const [name, slot] of slotsOf(slice)) {
        let row = byField.get(slot.field);
        if (!row) {
          row = { label: slot.label, field: slot.field, parameters: slices.map(() => ""), value: slices.map(() => null), sd: slices.map(() => null), constrainedBy: slices.map(() => null) };
          byField.set(slot.field, row);
        }
        row.parameters[k] = name;
        row.value[k] = posterior?.[name]?.median ?? parameters[name]?.value ?? null;
        row.sd[k] = posterior?.[name]?.sd ?? parameters[name]?.stderr ?? null;
        row.constrainedBy[k] = comparison.parameters[name]?.constrainedBy ?? null;
      }
    });
    this.trend = [...byField.values()];
  }

  toJSON(): Json {
    return {
      format: "strata-sequence/1",
      method: this.method,
      sequence: this.settings,
      held: this.held,
      ...(this.sharedStage ? { sharedStage: this.sharedStage } : {}),
      warnings: this.warnings,
      slices: this.slices.map((s) => {
        const json = s.report.toJSON();
        return {
          dataset: s.dataset,
          file: s.file,
          model: s.model,
          starts: s.starts,
          chi2: json["chi2"],
          reducedChi2: json["reducedChi2"],
          nData: json["nData"],
          converged: json["converged"],
          parameters: json["parameters"],
          ...(json["posterior"] ? { posterior: json["posterior"], mixing: json["mixing"] } : {}),
          priorComparison: json["priorComparison"],
          warnings: json["warnings"],
        };
      }),
      trend: this.trend,
    };
  }
}

/** Options of {@link fitSequence}: those of {@link fit}, the sequence (else the file's `fit.sequence`, else every dataset with carry "value") and values for the problem's parameters. */
export interface SequenceFitSettings extends FitSettings {
  sequence?: SequenceSettings;
  /** values for named parameters before the sequence (e.g. an earlier fit's result.json `parameters`), by name */
  values?: Record<string, number>;
}

/** Values from a result.json (`parameters.NAME.value`) or a plain `{NAME: number}` object. */
export function readParameterValues(file: string): Record<string, number> {
  const json = readJsonFile(file);
  const source = isRecord(json) && isRecord(json["parameters"]) ? json["parameters"] : json;
  if (!isRecord(source)) throw new ValidationError(file, 'must be a result.json ({"parameters": {NAME: {"value": …}}}) or {NAME: number}', json);
  const values: Record<string, number> = {};
  for (const [name, entry] of Object.entries(source)) {
    const value = isRecord(entry) ? entry["value"] : entry;
    if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(`${file}: ${name}`, "must be a finite number (or {\"value\": number})", value);
    values[name] = value;
  }
  return values;
}

/** The varying slots of a model: fields holding `{"ref": NAME}` of a varying named parameter, or an inline varying parameter. */
function varyingSlots(model: unknown, varying: ReadonlySet<string>): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  const walk = (value: unknown, field: string, label: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${field}[${i}]`, label));
    else if (isRecord(value)) {
      if (typeof value["ref"] === "string") {
        if (varying.has(value["ref"])) slots.set(value["ref"], { field, label, named: value["ref"] });
        return;
      }
      if (value["vary"] === true && typeof value["value"] === "number") {
        slots.set(field, { field, label, named: undefined });
        return;
      }
      const layerName = typeof value["name"] === "string" ? value["name"] : undefined;
      for (const [key, v] of Object.entries(value)) walk(v, field === "" ? key : `${field}.${key}`, layerName !== undefined ? `${layerName} ${key}` : label === "" ? key : `${label} ${key}`);
    }
  };
  walk(model, "", "");
  return slots;
}

/** Set (a copy of) the model's field at `field` to `spec`. */
function setField(model: Json, field: string, update: (spec: Json) => Json): void {
  const keys = field.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== "");
  let node: unknown = model;
  for (let i = 0; i < keys.length - 1; i++) node = (node as Record<string, unknown>)[keys[i]];
  const last = keys[keys.length - 1];
  const holder = node as Record<string, unknown>;
  holder[last] = update(holder[last] as Json);
}

/**
 * Fit a problem's datasets one after another (see the module header).
 * @param problem - a PROBLEM.json path, or its parsed JSON (datasets then resolve against `source`'s folder)
 * @throws ValidationError naming the field (`fit.sequence.datasets[i]`, `--values: NAME`, …)
 */
export async function fitSequence(problem: string | Json, settings: SequenceFitSettings = {}, source?: string): Promise<SequenceReport> {
  const file = typeof problem === "string" ? problem : (source ?? path.join(process.cwd(), "problem.json"));
  const raw = structuredClone(typeof problem === "string" ? readJsonFile(problem) : problem);
  const fileOptions = { ...(settings.dqMeasure !== undefined ? { dqMeasure: settings.dqMeasure } : {}), ...(settings.lenient !== undefined ? { lenient: settings.lenient } : {}) };
  // the whole problem is validated (and its files read) once, so a bad field is named before any fit
  const spec = parseProblemFile(raw, file, fileOptions);
  if (!isRecord(raw)) throw new ValidationError("problem", "must be a JSON object", raw);
  const { progress, values: _values, sequence: _sequence, ...fitSettings } = settings;
  const sequence = settings.sequence ?? spec.settings.sequence ?? parseSequence(true);
  const method = settings.method ?? spec.settings.method;
  const parameterSpecs = (raw["parameters"] ?? {}) as Json;
  const models = raw["models"] as Json;
  const datasets = raw["datasets"] as Json[];
  for (const [name, value] of Object.entries(settings.values ?? {})) {
    if (!Object.hasOwn(parameterSpecs, name)) continue; // a result.json also lists model-inline and constrained parameters
    const current = parameterSpecs[name];
    if (typeof current === "number") parameterSpecs[name] = value;
    else if (isRecord(current) && !Object.hasOwn(current, "expr")) parameterSpecs[name] = { ...current, value };
  }
  const order = sequence.datasets ?? datasets.map((_, i) => i);
  order.forEach((d, i) => {
    if (d >= datasets.length) throw new ValidationError(`fit.sequence.datasets[${i}]`, `names dataset ${d}, but the problem has ${datasets.length} (0–${datasets.length - 1})`, d);
  });
  if (order.length < 2) throw new ValidationError("fit.sequence.datasets", "a sequence needs at least two datasets", order);

  // which names each model uses, through named parameters' expressions too
  const usesByModel = modelUses(parameterSpecs, models);
  const modelOf = datasets.map((d) => String(d["model"]));
  const uses = new Map([...new Set(modelOf)].map((m) => [m, usesByModel.get(m) ?? new Set<string>()]));
  const isVarying = (name: string): boolean => isVaryingSpec(parameterSpecs[name]);
  // a dataset's own parameters: varying, used by its model and by no dataset with another model
  const ownOf = new Map(
    [...uses].map(([modelId, used]) => [modelId, new Set([...used].filter((name) => isVarying(name) && modelOf.every((m) => m === modelId || !uses.get(m)!.has(name))))]),
  );
  for (const [i, d] of order.entries()) {
    if (ownOf.get(modelOf[d])!.size === 0 && varyingSlots(models[modelOf[d]], new Set()).size === 0) {
      throw new ValidationError(`fit.sequence.datasets[${i}]`, `dataset ${d} (model ${modelOf[d]}) has no varying parameter of its own: every one its model uses is shared with another model's datasets, so all would be held`, d);
    }
  }
  const held: Record<string, number> = {};
  for (const d of order) {
    for (const name of uses.get(modelOf[d])!) {
      const s = parameterSpecs[name];
      if (!ownOf.get(modelOf[d])!.has(name) && (typeof s === "number" || (isRecord(s) && typeof s["value"] === "number"))) held[name] = typeof s === "number" ? s : (s["value"] as number);
    }
  }

  const warnings: string[] = [];
  // what only the sequence's datasets share (the slices' intensity and angle offset: varying,
  // used by several of them and by no dataset outside the sequence, not given by --values) is
  // fitted once, jointly over the sequence's datasets with each one's own parameters, the
  // rest held; the sequence then holds it at that answer
  const inSequence = new Set(order);
  const sequenceShared = Object.keys(held).filter(
    (name) => isVarying(name) && !Object.hasOwn(settings.values ?? {}, name) && modelOf.every((m, d) => inSequence.has(d) || !uses.get(m)!.has(name)),
  );
  let sharedStage: SequenceSharedStage | undefined;
  if (sequenceShared.length > 0) {
    // the sequence's datasets as one problem (api/problemStructure subProblem), everything but their own and shared-only parameters held
    const problemOfSequence = subProblem(raw, order);
    const jointParameters = problemOfSequence["parameters"] as Json;
    const ownAny = new Set(order.flatMap((d) => [...ownOf.get(modelOf[d])!]));
    for (const name of Object.keys(jointParameters)) if (!sequenceShared.includes(name) && !ownAny.has(name) && held[name] !== undefined) jointParameters[name] = held[name];
    progress?.("shared parameters of the sequence", 0, sequenceShared.join(", "));
    const { method: _method, start: _start, ...jointSettings } = fitSettings;
    const joint = await fit(problemOfSequence, { ...jointSettings, method: "lm", start: "nominal" }, file);
    const jointValues = joint.toJSON()["parameters"] as Record<string, { value: number; stderr: number | null }>;
    for (const name of sequenceShared) held[name] = jointValues[name].value;
    sharedStage = {
      parameters: Object.fromEntries(sequenceShared.map((name) => [name, { value: jointValues[name].value, stderr: jointValues[name].stderr }])),
      chi2: joint.leastSquares.chi2,
      reducedChi2: joint.leastSquares.reducedChi2,
      datasets: order.length,
    };
  }
  const stillStarting = Object.keys(held).filter((name) => isVarying(name) && !Object.hasOwn(settings.values ?? {}, name) && !sequenceShared.includes(name));
  if (stillStarting.length > 0) {
    warnings.push(
      `${stillStarting.length} held parameter${stillStarting.length > 1 ? "s vary" : " varies"} in the problem but ${stillStarting.length > 1 ? "are" : "is"} held at ${stillStarting.length > 1 ? "their" : "its"} starting value${stillStarting.length > 1 ? "s" : ""} (${stillStarting.slice(0, 5).join(", ")}${stillStarting.length > 5 ? ", …" : ""}): fit what the datasets share first (e.g. the steady states) and pass its result with --values`,
    );
  }
  const slices: SequenceSlice[] = [];
  const slotsOfSlice = new Map<SequenceSlice, Map<string, Slot>>();
  let previous: { slots: Map<string, Slot>; values: Record<string, number>; sd: Record<string, number> } | undefined;
  for (const d of order) {
    const modelId = modelOf[d];
    const own = ownOf.get(modelId)!;
    const model = structuredClone(models[modelId]) as Json;
    // display name → slot: named parameters by name, inline ones by `models.ID.field`
    const slots = new Map<string, Slot>();
    for (const [key, slot] of varyingSlots(model, own)) slots.set(slot.named ?? `models.${modelId}.${key}`, slot);
    const parameters: Json = {};
    for (const name of uses.get(modelId)!) parameters[name] = own.has(name) ? structuredClone(parameterSpecs[name]) : held[name] ?? structuredClone(parameterSpecs[name]);
    const starts: SequenceSlice["starts"] = {};
    for (const [name, slot] of slots) {
      // the previous slice's answer for the same parameter (same model) or the same field (another model)
      const before = previous === undefined ? undefined : previous.values[name] !== undefined ? name : [...previous.slots].find(([, s]) => s.field === slot.field)?.[0];
      // undefined: the problem's own value
      let value: number | undefined;
      let from = "the problem's value";
      let prior: { mean: number; sd: number } | undefined;
      if (previous && before !== undefined && previous.values[before] !== undefined) {
        value = previous.values[before];
        from = `dataset ${slices[slices.length - 1].dataset}'s answer (${before})`;
        const sd = previous.sd[before];
        if (sequence.carry === "prior" && Number.isFinite(sd) && sd > 0) prior = { mean: value, sd: sequence.priorWidth * sd };
      }
      let started = NaN;
      let carried = false;
      const apply = (s: Json): Json => {
        const min = typeof s["min"] === "number" ? s["min"] : -Infinity;
        const max = typeof s["max"] === "number" ? s["max"] : Infinity;
        const v = Math.min(max, Math.max(min, value ?? (s["value"] as number)));
        started = v;
        const out: Json = { ...s, value: v };
        // a prior the user wrote stays; a carried one is set only where there is none
        if (prior && out["prior"] === undefined) {
          out["prior"] = { kind: "normal", mean: prior.mean, sd: prior.sd };
          carried = true;
        }
        return out;
      };
      if (slot.named !== undefined) parameters[slot.named] = apply(parameters[slot.named] as Json);
      else setField(model, slot.field, apply);
      starts[name] = { value: started, from, ...(carried && prior ? { prior } : {}) };
    }
    const dataset = { ...datasets[d], file: path.resolve(path.dirname(file), String(datasets[d]["file"])) };
    const fitBlock: Json = { ...((raw["fit"] ?? {}) as Json) };
    delete fitBlock["sequence"];
    const sub = { parameters, models: { [modelId]: model }, datasets: [dataset], fit: fitBlock };
    const report = await fit(sub, fitSettings, file);
    const json = report.toJSON();
    const fitted = json["parameters"] as Record<string, { value: number; stderr: number | null }>;
    const posterior = json["posterior"] as Record<string, { median: number; sd: number }> | undefined;
    const values: Record<string, number> = {};
    const sd: Record<string, number> = {};
    for (const name of slots.keys()) {
      if (fitted[name] === undefined) continue;
      values[name] = posterior?.[name]?.median ?? fitted[name].value;
      sd[name] = posterior?.[name]?.sd ?? fitted[name].stderr ?? NaN;
    }
    const slice: SequenceSlice = { dataset: d, file: String(datasets[d]["file"]), model: modelId, starts, report };
    slices.push(slice);
    slotsOfSlice.set(slice, slots);
    previous = { slots, values, sd };
    progress?.(`dataset ${d}`, slices.length / order.length, `χ²_red ${(json["reducedChi2"] as number).toPrecision(4)}`);
  }
  return new SequenceReport(sequence, method, slices, held, (slice) => slotsOfSlice.get(slice)!, warnings, sharedStage);
}
