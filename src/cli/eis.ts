/**
 * @module cli/eis
 * `strata eis`: impedance spectra — read instrument files, fit equivalent
 * circuits, Kramers–Kronig (Lin-KK) validation, distribution of relaxation
 * times, and simulated spectra for tests. Argument parsing and printing only;
 * every user error is an EngineError (the main CLI prints one line, exit 2).
 *
 * Units: frequency Hz, impedance Ω (Z″ < 0 capacitive), τ s, γ Ω.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import type { LinKKMode, LinKKOptions } from "../analysis/impedance/linKK.ts";
import type { DrtLambdaMethod, DrtOptions } from "../analysis/impedance/drt.ts";
import type { CircuitFitResult, FitCircuitOptions } from "../fit/circuitObjective.ts";
import type { ImpedanceSpectrum } from "../io/impedance.ts";
import { integerOption, numberOption } from "./numbers.ts";
import { checkOutputFolder, FORCE_HELP, formatNumber, printColumns, printJson } from "./output.ts";

interface ReadFlags {
  format?: string;
}

interface FitFlags extends ReadFlags {
  circuit: string;
  initial?: string;
  constants?: string;
  bounds?: string;
  weights?: string;
  weight?: string;
  admittance?: boolean;
  global?: boolean;
  seed?: string;
  dropInductive?: boolean;
  json?: boolean;
  out?: string;
  force?: boolean;
}

interface KkFlags extends ReadFlags {
  mode?: string;
  c?: string;
  maxM?: string;
  m?: string;
  addCap?: boolean;
  threshold?: string;
  json?: boolean;
  out?: string;
  force?: boolean;
}

interface DrtFlags extends ReadFlags {
  lambda?: string;
  select?: string;
  basis?: string;
  inductance?: boolean;
  band?: boolean;
  extend?: string;
  json?: boolean;
  out?: string;
  force?: boolean;
}

interface SequenceFlags {
  circuit: string;
  weights?: string;
  dropInductive?: boolean;
  capacitance?: string;
  json?: boolean;
}

interface SimulateFlags {
  circuit: string;
  params: string;
  freq?: string;
  noise?: string;
  seed?: string;
  json?: boolean;
}

/** Registers `strata eis` and its subcommands on the program. */
export function registerEis(program: Command): void {
  const eis = program
    .command("eis")
    .description("Impedance spectra: read, fit equivalent circuits, Kramers–Kronig check, DRT, simulate")
    .addHelpText(
      "after",
      `
Circuits use impedance.py's strings: "-" series, p(A,B,…) parallel, e.g. R0-p(R1,CPE1)-p(R2-Wo1,C2).
Elements: R C L W Wo Ws CPE La Lb G Gs K Zarc TLMQ T. Parameters: R0, CPE1_0 (Q), CPE1_1 (α), Wo1_1 (τ) …
Files: plain CSV (f, Z', Z''), BioLogic .mpt, Gamry .DTA, ZPlot .z, Autolab, CH Instruments, Parstat,
VersaStudio .par, PowerSuite (detected; --format to force). Z'' < 0 is capacitive.`,
    );

  eis
    .command("read")
    .description("Read an impedance file and print f, Z', Z'' (Hz, Ω)")
    .argument("<FILE>", "instrument export")
    .option("--format <NAME>", "force a reader (csv, biologic, gamry, zplot, autolab, chinstruments, parstat, versastudio, powersuite)")
    .option("--json", 'print {"frequency", "real", "imag", "format", "source", "warnings"}')
    .action(async (file: string, flags: ReadFlags & { json?: boolean }) => {
      const api = await import("../api/impedance.ts");
      const spectrum = api.readSpectrum(file, readOptions(flags));
      if (flags.json) {
        printJson({
          source: spectrum.source,
          format: spectrum.format,
          points: spectrum.frequency.length,
          frequency: spectrum.frequency,
          real: spectrum.real,
          imag: spectrum.imag,
          warnings: spectrum.warnings,
          ...(spectrum.metadata ? { metadata: spectrum.metadata } : {}),
        });
        return;
      }
      printWarnings(spectrum.warnings);
      process.stdout.write(`# ${spectrum.source}: ${spectrum.format}, ${spectrum.frequency.length} points\n`);
      printColumns(["f (Hz)", "Z' (ohm)", "Z'' (ohm)"], [spectrum.frequency, spectrum.real, spectrum.imag]);
    });

  eis
    .command("fit")
    .description("Fit an equivalent circuit (Levenberg–Marquardt on stacked Z', Z'' residuals)")
    .argument("<FILE>", "impedance file")
    .requiredOption("--circuit <STR>", "impedance.py circuit string, e.g. R0-p(R1,C1)-p(R2-Wo1,C2)")
    .option("--initial <VALUES>", "starting values: v1,v2,… for the non-constant parameters in circuit order, or NAME=v,…; default: guessed from the spectrum")
    .option("--constants <SPEC>", 'fixed parameters: JSON {"R0": 0.1} or NAME=v,…')
    .option("--bounds <JSON>", 'bounds replacing the defaults, e.g. {"L0": [-1, 1]}')
    .option("--weights <KIND>", "unit | modulus | proportional (default unit, as impedance.py)")
    .option("--weight <KIND>", "same as --weights")
    .option("--admittance", "fit Y = 1/Z instead of Z")
    .option("--global", "differential evolution (starting values ×/÷ 1000) before the local fit")
    .option("--seed <N>", "seed of the global search (default 0)")
    .option("--drop-inductive", "use only the points with Z'' < 0 (impedance.py's ignoreBelowX)")
    .option("--format <NAME>", "force a file reader")
    .option("--json", 'print {"parameters": {NAME: {"value", "stderr", …}}, "chi2", "reducedChi2", "correlation", …}')
    .option("--out <DIR>", `write report.html (Nyquist and Bode plots of the data with the fitted circuit, the parameters, every start) into this ${REPORT_FOLDER_HELP}`)
    .option("--force", FORCE_HELP)
    .action(async (file: string, flags: FitFlags) => {
      // every flag is checked before any work; --seed seeds only --global's search (the automatic start is deterministic)
      const seed = parseSeed(flags.seed);
      if (flags.seed !== undefined && !flags.global) throw new ValidationError("--seed", "seeds the search of --global; without --global the fit is deterministic and takes no seed", flags.seed);
      if (flags.out !== undefined) checkOutputFolder(flags.out, flags.force);
      const api = await import("../api/impedance.ts");
      let spectrum = api.readSpectrum(file, readOptions(flags));
      if (flags.dropInductive) spectrum = api.capacitiveOnly(spectrum, "--drop-inductive");
      const weights = flags.weights ?? flags.weight;
      if (flags.weights !== undefined && flags.weight !== undefined && flags.weights !== flags.weight) {
        throw new ValidationError("--weights", "given twice with different values (--weights and --weight)", [flags.weights, flags.weight]);
      }
      if (weights !== undefined && weights !== "unit" && weights !== "modulus" && weights !== "proportional") {
        throw new ValidationError("--weights", 'must be "unit", "modulus" or "proportional"', weights);
      }
      const options: FitCircuitOptions = {
        ...(flags.initial !== undefined ? { initial: parseValues("--initial", flags.initial) } : {}),
        ...(flags.constants !== undefined ? { constants: parseNamedValues("--constants", flags.constants) } : {}),
        ...(flags.bounds !== undefined ? { bounds: parseBounds(flags.bounds) } : {}),
        ...(weights !== undefined ? { weights } : {}),
        admittance: flags.admittance ?? false,
        ...(flags.global ? { global: { seed } } : {}),
      };
      const { fit } = api.fitCircuit(flags.circuit, spectrum, options);
      const report = flags.out === undefined ? undefined : writeReport(flags.out, (await import("../report/impedanceReport.ts")).circuitFitPage(fit, spectrum));
      if (flags.json) printJson(api.circuitFitJson(fit, spectrum));
      else printFit(fit, spectrum, report);
    });

  eis
    .command("linkk")
    .alias("kk")
    .description("Lin-KK Kramers–Kronig test (Schönleber 2014); with --c, impedance.py's μ rule chooses M")
    .argument("<FILE>", "impedance file")
    .option("--mode <MODE>", "complex | real | imag (default: complex; real with --c, as impedance.py)")
    .option("--c <C>", "μ cut-off: choose M by impedance.py's rule (e.g. 0.85)")
    .option("--max-m <M>", "largest number of RC elements (impedance.py's max_M)")
    .option("--m <M>", "use exactly M RC elements")
    .option("--add-cap", "add a series capacitance (impedance.py's add_cap)")
    .option("--threshold <X>", "largest |relative residual| for a consistent verdict (default 0.01)")
    .option("--format <NAME>", "force a file reader")
    .option("--json", 'print {"M", "mu", "residualsReal", "residualsImag", "consistent", "threshold", "verdict", …}')
    .option("--out <DIR>", `write report.html (Nyquist and Bode plots with the KK model, the residuals against the threshold, the other modes) into this ${REPORT_FOLDER_HELP}`)
    .option("--force", FORCE_HELP)
    .action(async (file: string, flags: KkFlags) => {
      if (flags.out !== undefined) checkOutputFolder(flags.out, flags.force);
      const api = await import("../api/impedance.ts");
      const spectrum = api.readSpectrum(file, readOptions(flags));
      const options: LinKKOptions = {
        ...(flags.mode !== undefined ? { mode: parseChoice<LinKKMode>("--mode", flags.mode, ["complex", "real", "imag"]) } : {}),
        ...(flags.c !== undefined ? { c: numberOption(flags.c, "--c", { gt: 0, le: 1 }) } : {}),
        ...(flags.maxM !== undefined ? { maxM: parseInteger("--max-m", flags.maxM) } : {}),
        ...(flags.m !== undefined ? { M: parseInteger("--m", flags.m) } : {}),
        ...(flags.addCap ? { addCapacitance: true } : {}),
        ...(flags.threshold !== undefined ? { threshold: numberOption(flags.threshold, "--threshold", { gt: 0 }) } : {}),
      };
      const { result: kk } = api.kramersKronig(spectrum, options);
      const report = flags.out === undefined ? undefined : writeReport(flags.out, (await import("../report/impedanceReport.ts")).linKKPage(kk, spectrum));
      if (flags.json) {
        printJson(api.kramersKronigJson(kk, spectrum));
        return;
      }
      printWarnings(spectrum.warnings);
      const others = kk.otherModes.map(
        (o) => `#   ${o.mode} fit, ${o.method === "mu" ? "mu rule" : o.method === "fixed" ? "fixed M" : "residual-based M"}: ${o.valid ? "KK-consistent" : "NOT KK-consistent"} (M = ${o.M}, max |residual| ${o.maxResidual.toPrecision(2)} in Z${o.maxResidualPart === "real" ? "'" : "''"} at ${o.maxResidualFrequency.toPrecision(3)} Hz)`,
      );
      process.stdout.write(
        [
          `# ${kk.summary}`,
          `# decided by ${kk.decidedBy}`,
          ...(others.length > 0 ? ["# other modes:", ...others] : []),
          `# ${kk.explanation}`,
          `# M = ${kk.M}, mu = ${formatNumber(kk.mu)}, mode ${kk.mode}, method ${kk.method}, pseudo-chi2 = ${formatNumber(kk.pseudoChi2)}`,
          ...(report !== undefined ? [`# report: ${report}`] : []),
        ].join("\n") + "\n",
      );
      printColumns(["f (Hz)", "residual real (dZ'/|Z|)", "residual imag (dZ''/|Z|)"], [spectrum.frequency, kk.residuals.real, kk.residuals.imag]);
    });

  eis
    .command("drt")
    .description("Distribution of relaxation times (Tikhonov-regularised, non-negative)")
    .argument("<FILE>", "impedance file")
    .option("--lambda <X>", "regularisation: auto (robust GCV) or a number")
    .option("--select <RULE>", "how λ is chosen when not given: gcv | mgcv | rgcv | lcurve")
    .option("--basis <B>", "rbf | piecewise-linear (default rbf)")
    .option("--inductance", "fit a series inductance")
    .option("--band", "95 % credible band for γ")
    .option("--extend <DECADES>", "decades the τ grid reaches beyond the sweep on each side (default 1; 2 for arcs that do not close)")
    .option("--format <NAME>", "force a file reader")
    .option("--json", 'print {"tau", "gamma", "lambda", "rInf", "inductance", "peaks": [{"tau", "resistance", "width"}], …}')
    .option("--out <DIR>", `write report.html (γ(τ) with the peaks marked and the band with --band, the data with the DRT's model) into this ${REPORT_FOLDER_HELP}`)
    .option("--force", FORCE_HELP)
    .action(async (file: string, flags: DrtFlags) => {
      if (flags.out !== undefined) checkOutputFolder(flags.out, flags.force);
      const api = await import("../api/impedance.ts");
      const spectrum = api.readSpectrum(file, readOptions(flags));
      const lambda = parseLambda(flags.lambda, flags.select);
      const options: DrtOptions = {
        ...(lambda !== undefined ? { lambda } : {}),
        ...(flags.basis !== undefined ? { basis: parseChoice<"rbf" | "piecewise-linear">("--basis", flags.basis, ["rbf", "piecewise-linear"]) } : {}),
        ...(flags.inductance ? { inductance: true } : {}),
        ...(flags.band ? { credibleBand: true } : {}),
        ...(flags.extend !== undefined ? { extendDecades: numberOption(flags.extend, "--extend", { gt: 0 }) } : {}),
      };
      const { result } = api.distributionOfRelaxationTimes(spectrum, options);
      const report = flags.out === undefined ? undefined : writeReport(flags.out, (await import("../report/impedanceReport.ts")).drtPage(result, spectrum));
      if (flags.json) {
        printJson(api.drtJson(result, spectrum));
        return;
      }
      printWarnings([...spectrum.warnings, ...result.warnings]);
      process.stdout.write(
        `# lambda = ${formatNumber(result.lambda)} (${result.lambdaMethod}), R_inf = ${formatNumber(result.rInf)} ohm, L = ${formatNumber(result.inductance)} H, R_pol = ${formatNumber(result.polarizationResistance)} ohm (in the measured window: ${formatNumber(result.polarizationInWindow)} ohm)\n`,
      );
      for (const p of result.peaks) {
        const edge = p.truncated === "high" ? ", truncated at the high-frequency edge" : p.truncated === "low" ? ", does not close at the low-frequency edge" : "";
        process.stdout.write(
          `# peak: tau = ${formatNumber(p.tau)} s (f = ${formatNumber(p.frequency)} Hz), R = ${formatNumber(p.resistance)} ohm, width = ${formatNumber(p.width)} decades${p.outsideWindow ? " (maximum outside the measured window)" : ""}, ${Math.round(100 * p.outsideFraction)} % of R outside the window${edge}\n`,
        );
      }
      if (report !== undefined) process.stdout.write(`# report: ${report}\n`);
      printColumns(["tau (s)", "gamma (ohm)"], [result.tau, result.gamma]);
    });

  eis
    .command("sequence")
    .description("Fit one circuit to a series of spectra and follow each arc's R and effective capacitance over time")
    .argument("<FILES...>", "BioLogic .mpt spectra (times from their time/s column and header), in any order")
    .requiredOption("--circuit <STR>", "circuit with top-level p(R,CPE) / p(R,C) arcs, e.g. R0-p(R1,CPE1)-p(R2,CPE2)")
    .option("--weights <KIND>", "unit | modulus | proportional (default modulus)")
    .option("--drop-inductive", "use only the points with Z'' < 0")
    .option("--capacitance <FORMULA>", "hsu-mansfeld (default) | brug: effective capacitance of an R‖CPE arc")
    .option("--json", 'print {"circuit", "points": [{"label", "time_s", "startTime", "parameters", "arcs": [{"resistance", "capacitance", …}]}]}')
    .action(async (files: string[], flags: SequenceFlags) => {
      const api = await import("../api/impedance.ts");
      const weights = parseChoice<"unit" | "modulus" | "proportional">("--weights", flags.weights ?? "modulus", ["unit", "modulus", "proportional"]);
      const capacitance = parseChoice<"hsu-mansfeld" | "brug">("--capacitance", flags.capacitance ?? "hsu-mansfeld", ["hsu-mansfeld", "brug"]);
      const report = api.impedanceSequence(flags.circuit, files, { weights, capacitance, dropInductive: flags.dropInductive ?? false });
      if (flags.json) {
        printJson(report.toJSON());
        return;
      }
      const { sequence } = report;
      if (sequence.notConverged.length > 0) printWarnings([`the fit did not converge for ${sequence.notConverged.join(", ")}`]);
      process.stdout.write(`# ${sequence.circuit}, ${weights} weights, C_eff by ${capacitance}; time = mid-point of each file's time/s (s)\n`);
      const order = sequence.points.map((_, k) => k).sort((a, b) => sequence.points[a].time_s - sequence.points[b].time_s);
      const header = ["file", "time (s)", "start", "chi2/nu"];
      for (const arc of sequence.trend.arcs) header.push(`${arc.resistanceName} (ohm)`, "+-", `C${arc.arc}_eff (F)`, "+-");
      const lines = [`# ${header.join("\t")}`];
      for (const k of order) {
        const p = sequence.points[k];
        const row = [p.label, formatNumber(p.time_s), p.startTime ?? "", formatNumber(p.fit.reducedChi2)];
        for (const a of p.arcs) row.push(formatNumber(a.resistance), formatNumber(a.resistanceStderr), formatNumber(a.capacitance), formatNumber(a.capacitanceStderr));
        lines.push(row.join("\t"));
      }
      process.stdout.write(`${lines.join("\n")}\n`);
    });

  eis
    .command("simulate")
    .description("Impedance of a circuit on a log-spaced frequency grid, optionally with Gaussian noise (test data)")
    .requiredOption("--circuit <STR>", "impedance.py circuit string")
    .requiredOption("--params <VALUES>", "v1,v2,… for every parameter in circuit order (or NAME=v,…)")
    .option("--freq <FMIN:FMAX:N>", "frequency grid, high → low (default 0.01:1e5:60)")
    .option("--noise <REL>", "Gaussian noise with σ = REL·|Z| on Z' and Z'' (default 0)")
    .option("--seed <N>", "seed of the noise (default 0)")
    .option("--json", 'print {"frequency", "real", "imag"}')
    .action(async (flags: SimulateFlags) => {
      const api = await import("../api/impedance.ts");
      const values = parseValues("--params", flags.params);
      const frequency = parseGrid(flags.freq ?? "0.01:1e5:60");
      const noise = flags.noise === undefined ? 0 : parseNumber("--noise", flags.noise);
      if (!(noise >= 0)) throw new ValidationError("--noise", "must be ≥ 0", flags.noise);
      const simulated = api.simulateSpectrum(flags.circuit, values, frequency, { noise, seed: parseSeed(flags.seed) });
      const z = { re: simulated.real, im: simulated.imag };
      if (flags.json) printJson(simulated);
      else printColumns(["f (Hz)", "Z' (ohm)", "Z'' (ohm)"], [frequency, z.re, z.im]);
    });
}

const readOptions = (flags: ReadFlags): { format?: string } => (flags.format === undefined ? {} : { format: flags.format });

/** `--out`'s folder, created when the results are written. */
const REPORT_FOLDER_HELP = "folder (created; must be empty or new unless --force); --json and the text output are unchanged";

/** Creates `dir` and writes `html` as its report.html; returns the file's path. */
function writeReport(dir: string, html: string): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "report.html");
  fs.writeFileSync(file, html);
  return file;
}

function printFit(fit: CircuitFitResult, spectrum: ImpedanceSpectrum, report?: string): void {
  printWarnings([...spectrum.warnings, ...fit.warnings]);
  const lines = [
    `# ${fit.circuit} fitted to ${spectrum.source} (${fit.nPoints} points, ${fit.weighting} weights${fit.admittance ? ", admittance" : ""}${fit.global ? ", global search" : ""})`,
    `# ${fit.message}`,
    ...(fit.starts !== undefined ? [`# ${fit.initialNotes[fit.initialNotes.length - 1]}`] : []),
    `# chi2 = ${formatNumber(fit.chi2)}, reduced chi2 = ${formatNumber(fit.reducedChi2)} (dof ${fit.dof}), RSS = ${formatNumber(fit.rss)} ohm^2, AIC = ${formatNumber(fit.aic)}, BIC = ${formatNumber(fit.bic)}`,
    "# stderr is scaled by sqrt(reduced chi2); stderr_unscaled assumes the weights are absolute sigmas",
    "# name\tvalue\tstderr\tstderr_unscaled\tunit",
  ];
  for (const q of fit.parameters) {
    const err = (x: number): string => (q.fixed ? "fixed" : Number.isFinite(x) ? formatNumber(x) : "nan");
    lines.push(`${q.name}\t${formatNumber(q.value)}\t${err(q.stderr)}\t${err(q.stderrUnscaled)}\t${q.unit ?? ""}`);
  }
  // Minima the data do not decide between (also in the warnings): commented, so the table above stays the only data rows.
  for (const alt of fit.alternatives ?? []) {
    lines.push(
      `# other minimum (start: ${alt.source}): chi2 = ${formatNumber(alt.chi2)} (${(alt.chi2 / fit.chi2).toFixed(2)}x this fit's), RSS = ${formatNumber(alt.rss)} ohm^2; differs in ${alt.differences.map((d) => d.name).join(", ")}`,
      `#   ${alt.parameters.map((q) => `${q.name} = ${formatNumber(q.value)} +- ${Number.isFinite(q.stderr) ? formatNumber(q.stderr) : "nan"}`).join(", ")}`,
    );
  }
  if (report !== undefined) lines.push(`# report: ${report}`);
  process.stdout.write(`${lines.join("\n")}\n`);
}

function printWarnings(warnings: readonly string[]): void {
  for (const w of warnings) process.stdout.write(`# warning: ${w}\n`);
}

function parseNumber(flag: string, text: string): number {
  return numberOption(text, flag);
}

function parseInteger(flag: string, text: string): number {
  return integerOption(text, flag, 1);
}

function parseSeed(text: string | undefined): number {
  return text === undefined ? 0 : integerOption(text, "--seed", 0);
}

function parseChoice<T extends string>(flag: string, text: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(text)) throw new ValidationError(flag, `must be one of ${choices.join(", ")}`, text);
  return text as T;
}

/** `v1,v2,…` → a list; `NAME=v,…` → values by name. */
function parseValues(flag: string, text: string): number[] | Record<string, number> {
  if (text.includes("=")) return parseNamedValues(flag, text);
  return text.split(",").map((part, i) => {
    const value = part.trim() === "" ? Number.NaN : Number(part);
    if (!Number.isFinite(value)) throw new ValidationError(`${flag}[${i}]`, "must be a finite number (values are separated by commas)", part);
    return value;
  });
}

/** JSON `{"R0": 0.1}` or `R0=0.1,Wo1_1=200`. */
function parseNamedValues(flag: string, text: string): Record<string, number> {
  const trimmed = text.trim();
  if (trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      throw new ValidationError(flag, "is not valid JSON", text);
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ValidationError(flag, "must be a JSON object of numbers", text);
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new ValidationError(`${flag}.${key}`, "must be a finite number", value);
      out[key] = value;
    }
    return out;
  }
  const out: Record<string, number> = {};
  for (const part of trimmed.split(",")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    if (eq <= 0 || name === "") throw new ValidationError(flag, "entries must be NAME=value, separated by commas", part);
    out[name] = parseNumber(`${flag}.${name}`, part.slice(eq + 1));
  }
  return out;
}

function parseBounds(text: string): Record<string, readonly [number, number]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError("--bounds", 'must be JSON like {"L0": [-1, 1]}', text);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new ValidationError("--bounds", 'must be JSON like {"L0": [-1, 1]}', text);
  const out: Record<string, readonly [number, number]> = {};
  for (const [key, value] of Object.entries(parsed)) {
    const pair = Array.isArray(value) ? value.map((v) => (v === null ? Number.NaN : v) as unknown) : [];
    const [lo, hi] = pair.map((v) => (v === "-inf" || v === "-Infinity" ? -Infinity : v === "inf" || v === "Infinity" ? Infinity : v));
    if (pair.length !== 2 || typeof lo !== "number" || typeof hi !== "number" || Number.isNaN(lo) || Number.isNaN(hi) || !(lo < hi)) {
      throw new ValidationError(`--bounds.${key}`, 'must be [min, max] with min < max ("inf"/"-inf" allowed)', value);
    }
    out[key] = [lo, hi];
  }
  return out;
}

function parseLambda(lambda: string | undefined, select: string | undefined): number | DrtLambdaMethod | undefined {
  const methods: readonly DrtLambdaMethod[] = ["gcv", "mgcv", "rgcv", "lcurve"];
  if (lambda !== undefined && select !== undefined && lambda !== "auto") {
    throw new ValidationError("--lambda", "give a number with --lambda or a rule with --select, not both", [lambda, select]);
  }
  if (select !== undefined) return parseChoice("--select", select, methods);
  if (lambda === undefined || lambda === "auto") return undefined;
  if ((methods as readonly string[]).includes(lambda)) return lambda as DrtLambdaMethod;
  const value = parseNumber("--lambda", lambda);
  if (!(value >= 0)) throw new ValidationError("--lambda", "must be ≥ 0, auto, or one of gcv, mgcv, rgcv, lcurve", lambda);
  return value;
}

/** `FMIN:FMAX:N` → N log-spaced frequencies from FMAX down to FMIN. */
function parseGrid(text: string): Float64Array {
  const parts = text.split(":");
  if (parts.length !== 3) throw new ValidationError("--freq", "must be FMIN:FMAX:N", text);
  const fMin = parseNumber("--freq", parts[0]);
  const fMax = parseNumber("--freq", parts[1]);
  const n = parseInteger("--freq", parts[2]);
  if (!(fMin > 0 && fMax > fMin)) throw new ValidationError("--freq", "needs 0 < FMIN < FMAX", text);
  if (n < 2) throw new ValidationError("--freq", "needs N ≥ 2", text);
  return Float64Array.from({ length: n }, (_, i) => fMax * Math.pow(fMin / fMax, i / (n - 1)));
}
