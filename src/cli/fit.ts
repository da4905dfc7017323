import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import type { FitReport, FitSettings } from "../api/fit.ts";
import type { SequenceReport } from "../api/fitSequence.ts";
import { DATA_CONSTRAINED_RATIO, PRIOR_DOMINATED_RATIO, type PriorComparison } from "../fit/priorComparison.ts";
import { checkOutputFolder, FORCE_HELP, printJson, UsageError } from "./output.ts";
import { DQ_MEASURE_HELP, dqMeasureOption, integerOption, numberOption } from "./numbers.ts";
import { progressBar } from "./progress.ts";
import { fanOut, queueStoreOf } from "./queued.ts";

interface FitOptions {
  method?: string;
  start?: string;
  seed?: string;
  out?: string;
  force?: boolean;
  plot?: boolean;
  json?: boolean;
  dqMeasure?: string;
  minEss?: string;
  tauFactor?: string;
  mcmcMaxSeconds?: string;
  queue?: string;
  store?: string;
  sequence?: string | true;
  carry?: string;
  priorWidth?: string;
  values?: string;
}

/** `--sequence 6-20` or `--sequence 0,2,4-7`: dataset indices in the order given. */
function sequenceIndices(text: string): number[] {
  const out: number[] = [];
  for (const part of text.split(",")) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!m) throw new ValidationError("--sequence", "must list dataset indices: 6-20, or 0,2,4-7", text);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ValidationError("--sequence", `range ${part.trim()} runs backwards`, text);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function registerFit(program: Command): void {
  program
    .command("fit")
    .description("Fit reflectivity models to data: least squares (lm), global search (de) or MCMC posterior (mcmc)")
    .argument("<PROBLEM.json...>", '{"parameters": {NAME: SPEC}, "models": {ID: MODEL}, "datasets": [{"file", "model"}], "fit": {...}}; several only with --queue')
    .option("--method <lm|de|mcmc>", "override fit.method")
    .option("--start <auto|ml|nominal|global>", "where the first optimisation starts, overriding fit.start: ml = the learned estimator's estimate then LM (refused outside its domain), nominal = LM from the problem's values, global = differential evolution then LM, auto = ml when the problem is in the network's domain and its curve not out of distribution, else global (default: auto with method de, else nominal)")
    .option("--seed <N>", "override fit.seed")
    .option("--out <DIR>", "write result.json, the model curves, report.html and (MCMC) samples.csv into this folder (created; must be empty or new unless --force)")
    .option("--force", FORCE_HELP)
    .option("--plot", "ask for report.html (data, fit and residuals, SLD profiles, corner and trace plots); it is always written with --out, so --plot needs --out")
    .option("--json", "print the result as JSON")
    .option("--dq-measure <fwhm|sigma>", DQ_MEASURE_HELP)
    .option("--min-ess <N>", "override fit.mcmc.minEss: the MCMC runs until every parameter has this effective sample size (default 400; 0: no ESS target)")
    .option("--tau-factor <X>", "override fit.mcmc.tauFactor: ... and until the chain is X times its autocorrelation time τ (default 50; 0: no length target)")
    .option("--mcmc-max-seconds <S>", "override fit.mcmc.maxSeconds: wall-time cap of the MCMC, reaching it unmixed is a warning (default 60)")
    .option("--queue <URL>", "hand the fits (one per PROBLEM) to `strata worker`s through this job queue (redis://HOST:PORT) and gather them into --out: OUT/NAME/result.json and OUT/summary.json, with a progress line")
    .option("--store <URL>", "with --queue: the shared store the workers use, postgres://… (default $STRATA_STORE)")
    .option("--sequence [INDICES]", "fit the datasets one after another (time slices, a scan series), each starting from the previous one's answer, instead of jointly; INDICES (6-20, or 0,2,4-7) picks and orders them (default: fit.sequence.datasets, else all); a file with fit.sequence is always fitted this way")
    .option("--carry <value|prior>", "with --sequence: carry the previous answer as the start only (value, default) or also as a normal prior around it (prior)")
    .option("--prior-width <K>", "with --sequence --carry prior: the carried prior's sd is K times the previous answer's sd (default 3)")
    .option("--values <FILE>", "with --sequence: set the problem's named parameters from an earlier fit (its result.json, or {NAME: number}) before the sequence, e.g. the steady states the slices are fitted against")
    .addHelpText(
      "after",
      `
A parameter SPEC is a number (fixed), {"value", "vary", "min", "max", "prior", "unit"},
{"ref": NAME} (a shared parameter) or {"expr": "2*t_sei + 3"}.
Priors: {"kind": "uniform"|"normal"|"lognormal"|"truncnormal"|..., ...}.
MCMC settings: "fit": {"mcmc": {"walkers", "steps", "burn", "thin", "threads", "minEss", "tauFactor", "maxSeconds"}};
the chain runs past "steps" until mixed (ESS ≥ minEss and ≥ tauFactor·τ for every parameter).
Uncertainties: "±" is the least-squares (LM) standard error scaled by √χ²_red (the unscaled one,
dR taken as the true σ, beside it); MCMC intervals are of the posterior with the unscaled likelihood.`,
    )
    .action(async (files: string[], options: FitOptions) => {
      if (files.length > 1 && options.queue === undefined) throw new UsageError(`${files.length} PROBLEM files: several need --queue (one fit per problem on the workers); fit one at a time without it`);
      const file = files[0];
      if (options.method !== undefined && options.method !== "lm" && options.method !== "de" && options.method !== "mcmc") throw new ValidationError("--method", 'must be "lm", "de" or "mcmc"', options.method);
      if (options.start !== undefined && !["auto", "ml", "nominal", "global"].includes(options.start)) throw new ValidationError("--start", 'must be "auto", "ml", "nominal" or "global"', options.start);
      const start = options.start as "auto" | "ml" | "nominal" | "global" | undefined;
      if (options.plot && options.out === undefined) throw new UsageError("--plot: the report is written as report.html into the --out folder; pass --out DIR");
      if (options.out !== undefined) checkOutputFolder(options.out, options.force);
      const seed = options.seed === undefined ? undefined : integerOption(options.seed, "--seed", 0);
      const dqMeasure = dqMeasureOption(options.dqMeasure);
      const mcmc = {
        ...(options.minEss !== undefined ? { minEss: numberOption(options.minEss, "--min-ess", { ge: 0 }) } : {}),
        ...(options.tauFactor !== undefined ? { tauFactor: numberOption(options.tauFactor, "--tau-factor", { ge: 0 }) } : {}),
        ...(options.mcmcMaxSeconds !== undefined ? { maxSeconds: numberOption(options.mcmcMaxSeconds, "--mcmc-max-seconds", { gt: 0 }) } : {}),
      };
      if (options.queue !== undefined) {
        if (options.out === undefined) throw new UsageError("--queue: pass --out DIR for the gathered results (OUT/NAME/result.json, OUT/summary.json)");
        if (options.plot) throw new UsageError("--plot: not with --queue (the workers return each fit's JSON; fit one problem without --queue for its report)");
        if (start !== undefined) throw new UsageError("--start: not with --queue yet (the workers fit from the problem's own fit.start)");
        if (options.sequence !== undefined || options.values !== undefined) throw new UsageError("--sequence: not with --queue (a sequence runs its datasets in order, in this process)");
        const overrides = { ...(options.method !== undefined ? { method: options.method } : {}), ...(seed !== undefined ? { seed } : {}), ...(dqMeasure !== undefined ? { dqMeasure } : {}), ...(Object.keys(mcmc).length > 0 ? { mcmc } : {}) };
        await fitQueued(files, options.out, overrides, { queue: options.queue, store: queueStoreOf(options.store) }, options.json === true);
        return;
      }
      const { readJsonFile } = await import("../io/json.ts");
      const raw = readJsonFile(file) as { fit?: { sequence?: unknown } };
      const sequenceMode = options.sequence !== undefined || raw.fit?.sequence !== undefined;
      for (const [flag, given] of [["--carry", options.carry], ["--prior-width", options.priorWidth], ["--values", options.values]] as const) {
        if (given !== undefined && !sequenceMode) throw new UsageError(`${flag}: only with --sequence (or a problem with fit.sequence)`);
      }
      const bars = new Map<string, ReturnType<typeof progressBar>>();
      const overrides: FitSettings = {
        ...(options.method !== undefined ? { method: options.method } : {}),
        ...(start !== undefined ? { start } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(dqMeasure !== undefined ? { dqMeasure } : {}),
        ...(Object.keys(mcmc).length > 0 ? { mcmc } : {}),
      };
      if (sequenceMode) {
        if (options.plot && options.out === undefined) throw new UsageError("--plot: each dataset's report is written into the --out folder; pass --out DIR");
        const { fitSequence, readParameterValues } = await import("../api/fitSequence.ts");
        const { parseSequence } = await import("../io/problemFile.ts");
        const fromFile = raw.fit?.sequence === undefined ? parseSequence(true) : parseSequence(raw.fit.sequence);
        if (options.carry !== undefined && options.carry !== "value" && options.carry !== "prior") throw new ValidationError("--carry", 'must be "value" or "prior"', options.carry);
        const sequence = {
          datasets: typeof options.sequence === "string" ? sequenceIndices(options.sequence) : fromFile.datasets,
          carry: options.carry ?? fromFile.carry,
          priorWidth: options.priorWidth !== undefined ? numberOption(options.priorWidth, "--prior-width", { gt: 0 }) : fromFile.priorWidth,
        };
        // the file is already read: its JSON goes in, resolved against the file's folder
        const report = await fitSequence(raw, {
          ...overrides,
          ...(options.values !== undefined ? { values: readParameterValues(options.values) } : {}),
          sequence,
          progress: (stage, fraction, detail) => {
            const bar = bars.get("sequence") ?? progressBar("sequence");
            bars.set("sequence", bar);
            if (fraction >= 1) bar.done();
            else bar.update(fraction, `${stage}: ${detail}`);
          },
        }, file);
        if (options.out) {
          fs.mkdirSync(options.out, { recursive: true });
          for (const slice of report.slices) slice.report.write(path.join(options.out, `dataset-${slice.dataset}`));
          fs.writeFileSync(path.join(options.out, "sequence.json"), `${JSON.stringify(report.toJSON(), null, 2)}\n`);
        }
        if (options.json) printJson(report.toJSON());
        else printSequence(report);
        return;
      }
      const { fit } = await import("../api/fit.ts");
      const report = await fit(file, {
        ...overrides,
        progress: (stage, fraction, detail) => {
          let bar = bars.get(stage);
          if (!bar) bars.set(stage, (bar = progressBar(stage)));
          if (fraction >= 1) bar.done();
          else bar.update(fraction, detail);
        },
      });
      if (options.out) report.write(options.out);
      if (options.json) printJson(report);
      else printSummary(report);
    });
}

/**
 * `strata fit P1 P2 … --queue`: a job per problem, sent as a bundle of the problem file and the
 * data files it names (paths kept relative to their nearest common folder);
 * OUT/NAME/result.json (NAME: the problem's file name without `.json`, numbered when two are
 * alike) and OUT/summary.json; exit 1 when any failed.
 */
async function fitQueued(files: readonly string[], out: string, overrides: Record<string, unknown>, where: { queue: string; store: string }, json: boolean): Promise<void> {
  const { readJsonFile } = await import("../io/json.ts");
  const names = new Map<string, string>();
  const bundles = new Map<string, { root: string; rels: string[]; problem: string }>();
  for (const file of files) {
    const problem = readJsonFile(file) as { datasets?: { file?: unknown }[] };
    const absolute = path.resolve(file);
    const dir = path.dirname(absolute);
    const paths = [absolute];
    (Array.isArray(problem?.datasets) ? problem.datasets : []).forEach((d, i) => {
      if (typeof d?.file !== "string") return;
      const data = path.resolve(dir, d.file);
      if (!fs.existsSync(data)) throw new UsageError(`${file}: datasets[${i}].file ${d.file}: not found`);
      paths.push(data);
    });
    let root = dir;
    while (root !== path.dirname(root) && !paths.every((p) => p.startsWith(`${root}${path.sep}`))) root = path.dirname(root);
    const rels = paths.map((p) => path.relative(root, p).split(path.sep).join("/"));
    bundles.set(file, { root, rels, problem: rels[0] });
    const stem = path.basename(file).replace(/\.json$/i, "");
    let name = stem;
    for (let k = 2; [...names.values()].includes(name); k++) name = `${stem}-${k}`;
    names.set(file, name);
  }
  fs.mkdirSync(out, { recursive: true });
  const summary: Record<string, { problem: string; result?: string; method?: unknown; reducedChi2?: unknown; error?: string }> = {};
  const { failed, seconds } = await fanOut(
    { ...where, title: "fit --queue" },
    files,
    async (client, file) => {
      const { root, rels, problem } = bundles.get(file)!;
      return { kind: "fit", input: await client.store.putFiles(root, rels), options: { problem, ...overrides }, label: names.get(file)! };
    },
    (file, outcome) => {
      const name = names.get(file)!;
      if (outcome.status === "fulfilled") {
        fs.mkdirSync(path.join(out, name), { recursive: true });
        fs.writeFileSync(path.join(out, name, "result.json"), `${JSON.stringify(outcome.value, null, 2)}\n`);
        summary[name] = { problem: file, result: `${name}/result.json`, method: outcome.value["method"], reducedChi2: outcome.value["reducedChi2"] };
      } else summary[name] = { problem: file, error: outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason) };
    },
  );
  const document = { runs: summary, failed, seconds };
  fs.writeFileSync(path.join(out, "summary.json"), `${JSON.stringify(document, null, 2)}\n`);
  if (json) printJson(document);
  else {
    for (const [name, s] of Object.entries(summary)) process.stdout.write(s.error ? `${name}: failed: ${s.error}\n` : `${name}: ${String(s.method)} reduced χ² ${typeof s.reducedChi2 === "number" ? s.reducedChi2.toPrecision(4) : "—"}\n`);
    process.stdout.write(`fit: ${files.length - failed} of ${files.length} problems through the queue in ${seconds.toFixed(1)} s; wrote ${out} (NAME/result.json, summary.json)\n`);
  }
  if (failed > 0) process.exitCode = 1;
}

function printSequence(report: SequenceReport): void {
  const lines: string[] = [];
  lines.push(`sequence of ${report.slices.length} datasets (${report.method}${report.settings.carry === "prior" ? `, each with a normal prior of ${report.settings.priorWidth}× the previous answer's sd` : ", each started from the previous answer"}); ${Object.keys(report.held).length} shared parameters held at their values`);
  if (report.sharedStage) {
    const stage = report.sharedStage;
    const fitted = Object.entries(stage.parameters).map(([name, p]) => `${name} ${p.value.toPrecision(6)} ± ${p.stderr === null ? "—" : p.stderr.toPrecision(2)}`);
    lines.push(`  shared only by the sequence's datasets, fitted first jointly over its ${stage.datasets} datasets (reduced χ² ${stage.reducedChi2.toFixed(3)}) and then held: ${fitted.join("; ")}`);
  }
  for (const slice of report.slices) {
    const json = slice.report.toJSON();
    const versus = (json["priorComparison"] as PriorComparison).parameters;
    const parts = Object.entries(slice.starts).map(([name]) => {
      const p = (json["parameters"] as Record<string, { value: number; stderr: number | null }>)[name];
      const post = (json["posterior"] as Record<string, { median: number; sd: number }> | undefined)?.[name];
      const value = post ? `${post.median.toPrecision(6)} ± ${post.sd.toPrecision(2)}` : `${p.value.toPrecision(6)} ± ${p.stderr === null ? "—" : p.stderr.toPrecision(2)}`;
      return `${name} ${value}${versus[name]?.constrainedBy === "prior" ? " (set by the prior, not the data)" : ""}`;
    });
    lines.push(`  dataset ${String(slice.dataset).padStart(3)} ${path.basename(slice.file).padEnd(36)} reduced χ² ${(json["reducedChi2"] as number).toFixed(3)}  ${parts.join("; ")}`);
  }
  for (const row of report.trend) {
    const values = row.value.filter((v): v is number => v !== null);
    if (values.length > 1) lines.push(`${row.label} (${row.field}): ${values[0].toPrecision(5)} → ${values[values.length - 1].toPrecision(5)}, range ${Math.min(...values).toPrecision(5)}–${Math.max(...values).toPrecision(5)}`);
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  const warned = report.slices.filter((s) => (s.report.toJSON()["warnings"] as string[]).length > 0).length;
  if (warned > 0) lines.push(`${warned} dataset fits have warnings: see sequence.json (--out) or --json`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function printSummary(report: FitReport): void {
  const json = report.toJSON();
  const problem = report.problem;
  const words = report.uncertainty;
  const lines: string[] = [];
  const start = json["start"] as { used: string; reason: string };
  lines.push(`start ${start.used}: ${start.reason}`);
  lines.push(`method ${String(json["method"])}: χ² = ${(json["chi2"] as number).toPrecision(6)}, reduced χ² = ${(json["reducedChi2"] as number).toPrecision(4)} (${String(json["nData"])} points, ${String(json["nFree"])} free)`);
  const posterior = json["posterior"] as Record<string, { median: number; lo95: number; hi95: number; tau: number; ess: number }> | undefined;
  const indent = " ".repeat(2 + 40 + 1 + 12 + 1);
  for (const [name, p] of Object.entries(json["parameters"] as Record<string, { value: number; stderr: number | null; stderrKind: string; stderrUnscaled: number | null }>)) {
    const post = posterior?.[name];
    const error =
      p.stderrKind === "none (constrained)"
        ? "(constrained: no standard error)"
        : p.stderr === null
          ? "(no standard error: the fit's curvature matrix is singular in this parameter — unidentified by the data)"
          : `± ${p.stderr.toPrecision(3)} (${words.stderr}${p.stderrKind === "unscaled" || p.stderrUnscaled === null ? "" : `; unscaled ± ${p.stderrUnscaled.toPrecision(3)}`})`;
    lines.push(`  ${name.padEnd(40)} ${p.value.toPrecision(6).padStart(12)} ${error}`);
    if (post) lines.push(`${indent}posterior median ${post.median.toPrecision(6)} [95 % credible interval ${post.lo95.toPrecision(5)}, ${post.hi95.toPrecision(5)}] (${words.likelihood ?? ""}), τ ${post.tau.toPrecision(3)} steps, ESS ${post.ess.toFixed(0)}`);
  }
  if (words.posterior !== undefined) lines.push(`posterior intervals: ${words.posterior}`);
  const versus = json["priorComparison"] as PriorComparison;
  const by = (verdict: string): string[] => Object.entries(versus.parameters).flatMap(([name, e]) => (e.constrainedBy === verdict ? [`${name} (${e.ratio!.toFixed(2)})`] : []));
  const lmOnly = posterior === undefined ? " — least squares ignores priors, so the values above are the data's alone; --method mcmc gives the posterior" : "";
  if (by("prior").length > 0) lines.push(`the prior, not the data, sets (posterior sd ≥ ${PRIOR_DOMINATED_RATIO} of the prior's): ${by("prior").join(", ")}${lmOnly}`);
  if (by("data and prior").length > 0) lines.push(`data and prior together set (posterior sd ${DATA_CONSTRAINED_RATIO}–${PRIOR_DOMINATED_RATIO} of the prior's): ${by("data and prior").join(", ")}`);
  if (words.note !== undefined) lines.push(`note: ${words.note}`);
  const samples = json["samples"] as { walkers: number; keptSteps: number; thin: number; burn: number } | undefined;
  const mixing = json["mixing"] as { mixed: boolean; stop: string; maxTau: { name: string; tau: number }; minEss: { name: string; ess: number } } | undefined;
  if (samples && mixing) {
    lines.push(
      `MCMC: ${samples.walkers} walkers × ${samples.keptSteps * samples.thin} steps after ${samples.burn} burn-in, acceptance ${(json["acceptance"] as number).toFixed(2)}; ${mixing.mixed ? "mixed" : `not mixed (${mixing.stop})`}: τ ≤ ${mixing.maxTau.tau.toPrecision(3)} steps (${mixing.maxTau.name}), ESS ≥ ${mixing.minEss.ess.toFixed(0)} (${mixing.minEss.name})`,
    );
  }
  for (const warning of json["warnings"] as string[]) lines.push(`warning: ${warning}`);
  if (problem.terms.length > 1) lines.push(`${problem.terms.length} datasets fitted jointly; shared parameters counted once`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
