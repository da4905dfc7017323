/**
 * @module io/nexus
 * Reflectivity curves from NeXus/HDF5 files through h5wasm: a generic reader
 * configured by a small mapping of dataset paths ({@link NexusMapping}: which
 * dataset is Q, R, dR, dQ, time, monitor), and a preset for NXrefscan-style
 * files ({@link NXREFSCAN_MAPPING}).
 *
 * Units: Q and dQ Å⁻¹ (1-σ), time s, angles read in degrees or radians,
 * wavelength Å, R and dR dimensionless (R = counts / monitor when a monitor is
 * mapped). A dataset's NeXus `units` (or `unit`) attribute is honoured; a missing
 * unit is assumed canonical with a warning, an unknown unit is a ParseError.
 *
 * Paths: a mapping path is relative to each entry (a top-level group whose
 * `NX_class` is `NXentry`; every top-level group when none declares a class) or
 * absolute (leading `/`, read once). A segment `{NXclass}` selects the single
 * child group of that NeXus class (`instrument/{NXdetector}/data`), because
 * NeXus leaves those group names free.
 *
 * Uncertainties: with a monitor M and counts N, R = N/M and
 * dR = R·√(1/N + 1/M) (Poisson, both counted) unless `dr` is mapped (then
 * dR = dr/M); points with N = 0 cannot be weighted and are dropped with a warning.
 * Without a monitor, `dr` is required unless R is an integer (count) dataset,
 * then dR = √N.
 *
 * NXrefscan (NeXus definition; operando.md §4) stores no Q and no apertures: Q is
 * computed from the detector's `polar_angle` (2θ) and the monochromator
 * wavelength, Q = 4π sin(2θ/2)/λ, and there is no resolution (dq undefined, warned).
 *
 * Isolation: the HDF5 library (h5wasm, a 4 MB wasm module, seconds to load on a
 * busy machine) runs in one worker thread, started on first use so programs that
 * never read HDF5 do not pay for it. Fuzzing showed why: on some corrupt files the
 * library aborts and leaves its wasm memory unusable (later intact files fail), and
 * on others it never returns. A read that crashes the library is a ParseError and
 * the worker is replaced; a read that does not finish within `timeoutMs` (default
 * {@link NEXUS_READ_TIMEOUT_MS}) is a ParseError and the worker is terminated and
 * replaced. The library's own diagnostics ("Aborted(…)") are kept off stderr.
 *
 * Errors: a missing file, a file that is not HDF5, a missing or malformed dataset
 * (wrong shape, non-numeric, NaN, lengths that disagree) are ParseErrors naming
 * the file and the dataset path. Files are always closed.
 */
import fs from "node:fs";
import nodePath from "node:path";
import { Worker } from "node:worker_threads";
import type { Dataset, Group } from "h5wasm/node";
import { EngineError, ParseError, ValidationError } from "../core/errors.ts";
import { bundledWorkerSource, siblingModule } from "../core/worker.ts";
import { qRangeProblem, type ReflectivityData } from "./reflectivityData.ts";

/** Q computed from an angle and a wavelength. */
export interface NexusAngleQ {
  /** Dataset of incidence angles θ or scattering angles 2θ (deg or rad per its units). */
  readonly angle: string;
  /** Dataset (scalar or per point) of wavelengths (Å, nm or m per its units). */
  readonly wavelength: string;
  /** @default "two-theta" */
  readonly angleIs?: "theta" | "two-theta";
}

/** Which dataset holds which quantity (paths as described in the module header). */
export interface NexusMapping {
  /** Q (Å⁻¹ or 1/nm), or an angle and a wavelength to compute it from. */
  readonly q: string | NexusAngleQ;
  /** Reflectivity, or counts when `monitor` is given. */
  readonly r: string;
  /** Uncertainty of R (or of the counts when `monitor` is given). */
  readonly dr?: string;
  /** Q resolution (1-σ unless {@link ReadNexusOptions.dqIs} says FWHM). */
  readonly dq?: string;
  /** Per-point time (counting time or time stamps), s. */
  readonly time?: string;
  /** Monitor counts; R = r / monitor. */
  readonly monitor?: string;
}

/** NXrefscan: detector counts over monitor, Q from the detector's 2θ and the monochromator wavelength. */
export const NXREFSCAN_MAPPING: NexusMapping = Object.freeze({
  q: Object.freeze({ angle: "instrument/{NXdetector}/polar_angle", wavelength: "instrument/{NXmonochromator}/wavelength", angleIs: "two-theta" as const }),
  r: "instrument/{NXdetector}/data",
  monitor: "{NXmonitor}/data",
});

export interface ReadNexusOptions {
  /** @default "nxrefscan" ({@link NXREFSCAN_MAPPING}) */
  mapping?: NexusMapping | "nxrefscan";
  /** How the `dq` dataset is expressed. @default "sigma" */
  dqIs?: "sigma" | "fwhm";
  /** A read that takes longer is abandoned (ParseError) and the HDF5 worker replaced, ms. @default {@link NEXUS_READ_TIMEOUT_MS} */
  timeoutMs?: number;
}

/** Default limit on one file's read, ms: generous for reflectivity files (milliseconds each), finite for a library that hangs. */
export const NEXUS_READ_TIMEOUT_MS = 60_000;

/** One curve (one entry) of a NeXus file. */
export interface NexusReflectivity extends ReflectivityData {
  /** HDF5 path of the entry the curve came from (`/` for absolute mappings). */
  readonly entry: string;
  /** Per-point time, s, when mapped. */
  readonly time: Float64Array | undefined;
  /** Per-point monitor counts, when mapped. */
  readonly monitor: Float64Array | undefined;
  /** Scalar strings of the entry when present: title, start_time, end_time, definition, probe, sample. */
  readonly metadata: Record<string, string>;
}

/** FWHM = 2√(2 ln 2) σ. */
const FWHM_PER_SIGMA = 2 * Math.sqrt(2 * Math.LN2);
const HDF5_SIGNATURE = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

type H5wasm = (typeof import("h5wasm/node"))["default"];
let ready: Promise<H5wasm> | undefined;
/** Load the wasm module once; make HDF5 errors throw instead of printing diagnostics to stderr. */
function h5ready(): Promise<H5wasm> {
  ready ??= import("h5wasm/node").then(async ({ default: h5wasm }) => {
    const module = await h5wasm.ready;
    module.activate_throwing_error_handler();
    return h5wasm;
  });
  return ready;
}

/**
 * Read the reflectivity curves of a NeXus/HDF5 file, one per entry.
 *
 * The file is read in the HDF5 worker thread (see the module header): a file that
 * crashes the library or does not finish within `timeoutMs` is a ParseError and
 * never affects later reads.
 *
 * @param file - path of the HDF5 file (named in errors)
 * @param options - the dataset mapping (default: NXrefscan preset), how dQ is expressed, the time limit
 * @returns one curve per entry, Q and dQ in Å⁻¹, dR 1-σ and > 0
 * @throws {ParseError} naming the file and the dataset path: missing file, not HDF5,
 *   missing dataset, non-numeric or multi-dimensional data, NaN, unequal lengths, unknown units;
 *   a file that crashes the HDF5 library or exceeds the time limit
 * @example
 * ```ts
 * const [curve] = await readNexusReflectivity("run1234.nxs", { mapping: { q: "data/Q", r: "data/R", dr: "data/dR" } });
 * console.log(curve.q.length, curve.metadata["start_time"]);
 * ```
 */
export async function readNexusReflectivity(file: string, options: ReadNexusOptions = {}): Promise<NexusReflectivity[]> {
  const timeoutMs = options.timeoutMs ?? NEXUS_READ_TIMEOUT_MS;
  if (!(timeoutMs > 0)) throw new ValidationError("timeoutMs", "must be a positive number of milliseconds", timeoutMs);
  checkHdf5File(file);
  const { timeoutMs: _omit, ...request } = options;
  void _omit;
  return hdf5Worker.read(file, request, timeoutMs);
}

/**
 * {@link readNexusReflectivity} in the calling thread, with no isolation: used by the
 * HDF5 worker. A library crash is recorded ({@link hdf5LibraryCrashed}).
 * @internal
 */
export async function readNexusInThisThread(file: string, options: ReadNexusOptions = {}): Promise<NexusReflectivity[]> {
  const mapping = options.mapping === undefined || options.mapping === "nxrefscan" ? NXREFSCAN_MAPPING : options.mapping;
  checkHdf5File(file);
  const h5wasm = await h5ready();
  let h5: InstanceType<H5wasm["File"]>;
  try {
    h5 = new h5wasm.File(nodePath.resolve(file), "r");
  } catch (error) {
    throw new ParseError(file, `cannot open as HDF5 (${hdf5Reason(error)})`);
  }
  try {
    if (h5.file_id < 0n) throw new ParseError(file, "cannot open as HDF5");
    const lib: Lib = { Group: h5wasm.Group, Dataset: h5wasm.Dataset };
    const entries = entryGroups(lib, h5, mapping, file);
    if (entries.length === 0) throw new ParseError(file, "has no entry group (a top-level group, NX_class NXentry)");
    return entries.map((entry) => readEntry(lib, file, h5, entry, mapping, options.dqIs ?? "sigma"));
  } catch (error) {
    if (error instanceof EngineError) throw error;
    throw new ParseError(file, `malformed HDF5 content (${hdf5Reason(error)})`);
  } finally {
    try {
      h5.close();
    } catch (error) {
      // a file the library gave up on (HDF5 abort) cannot be closed; its error is already being thrown
      noteLibraryError(error);
    }
  }
}

let libraryCrashed = false;
/** Record a crash of the wasm library (abort, out-of-bounds access, trap): its memory can no longer be trusted. */
function noteLibraryError(error: unknown): void {
  if (error instanceof Error && (error.name === "RuntimeError" || /^Aborted\(|memory access out of bounds|unreachable/.test(error.message))) libraryCrashed = true;
}

/**
 * Whether the HDF5 library crashed in this thread since it was loaded (the HDF5
 * worker is then replaced).
 * @internal
 */
export function hdf5LibraryCrashed(): boolean {
  return libraryCrashed;
}

interface WorkerReply {
  readonly id: number;
  readonly curves?: NexusReflectivity[];
  readonly error?: { readonly file: string; readonly detail: string; readonly line?: number; readonly offset?: number };
  readonly crashed?: boolean;
}

/** The one thread that runs the HDF5 library, started on first use and replaced after a crash or a hang. */
class Hdf5Worker {
  /** Threads started so far (the first, and one per crash or hang). */
  starts = 0;
  private started: Promise<Worker> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 0;

  /** Reads run one at a time, in call order. */
  read(file: string, options: Omit<ReadNexusOptions, "timeoutMs">, timeoutMs: number): Promise<NexusReflectivity[]> {
    const run = this.queue.then(() => this.readNow(file, options, timeoutMs));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Terminate the worker (the next read starts a new one). */
  async close(): Promise<void> {
    const started = this.started;
    this.started = undefined;
    if (started) await (await started).terminate();
  }

  private start(): Promise<Worker> {
    this.started ??= bundledWorkerSource(siblingModule(import.meta.url, "./nexusWorker"), ["h5wasm/*"]).then((source) => this.spawn(source));
    const started = this.started;
    started.catch(() => {
      if (this.started === started) this.started = undefined;
    });
    return started;
  }

  private spawn(source: string): Promise<Worker> {
    return new Promise<Worker>((resolve, reject) => {
      const worker = new Worker(source, { eval: true, stdout: true, stderr: true });
      this.starts++;
      // the library's own diagnostics ("Aborted(…)", HDF5 error stacks) stay off the terminal: errors carry the reason
      worker.stdout.resume();
      worker.stderr.resume();
      const done = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
      };
      const onMessage = (message: { ready?: boolean }): void => {
        if (!message.ready) return;
        done();
        worker.unref();
        resolve(worker);
      };
      const onError = (error: Error): void => {
        done();
        reject(new Error(`the HDF5 library (h5wasm) could not be loaded: ${error.message}`));
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
    });
  }

  private discard(worker: Worker): void {
    this.started = undefined;
    void worker.terminate();
  }

  private async readNow(file: string, options: Omit<ReadNexusOptions, "timeoutMs">, timeoutMs: number): Promise<NexusReflectivity[]> {
    const worker = await this.start();
    const id = this.nextId++;
    worker.ref();
    return new Promise<NexusReflectivity[]>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        worker.off("message", onMessage);
        worker.off("error", onFailure);
        worker.off("exit", onFailure);
        worker.unref();
      };
      const timer = setTimeout(() => {
        finish();
        this.discard(worker);
        reject(new ParseError(file, `the HDF5 library did not finish reading it within ${timeoutMs / 1000} s (a corrupt file can make it loop); read abandoned`));
      }, timeoutMs);
      const onFailure = (reason: Error | number): void => {
        finish();
        this.discard(worker);
        reject(new ParseError(file, `the HDF5 library stopped while reading it (${typeof reason === "number" ? `exit ${reason}` : reason.message.split("\n")[0]})`));
      };
      const onMessage = (reply: WorkerReply): void => {
        if (reply.id !== id) return;
        finish();
        if (reply.crashed) this.discard(worker);
        if (reply.error) reject(new ParseError(reply.error.file, reply.error.detail, { line: reply.error.line, offset: reply.error.offset }));
        else resolve(reply.curves ?? []);
      };
      worker.on("message", onMessage);
      worker.on("error", onFailure);
      worker.on("exit", onFailure);
      worker.postMessage({ id, file, options });
    });
  }
}

const hdf5Worker = new Hdf5Worker();

/** How many HDF5 worker threads this process has started: the first, and one after each crash or hang. */
export function nexusReaderStarts(): number {
  return hdf5Worker.starts;
}

/** Stop the HDF5 worker thread now (it is otherwise left idle and does not keep the process alive). */
export function closeNexusReader(): Promise<void> {
  return hdf5Worker.close();
}

function checkHdf5File(file: string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (error) {
    throw new ParseError(file, `cannot read file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(8);
    // The superblock sits at 0, 512, 1024, 2048, … (after an optional user block).
    for (let offset = 0; offset + 8 <= size; offset = offset === 0 ? 512 : offset * 2) {
      fs.readSync(fd, head, 0, 8, offset);
      if (head.equals(HDF5_SIGNATURE)) return;
    }
    throw new ParseError(file, "is not an HDF5 file (no HDF5 signature)");
  } finally {
    fs.closeSync(fd);
  }
}

/** The most specific line of an HDF5 error stack ("minor: …"), or the error's first line. */
function hdf5Reason(error: unknown): string {
  noteLibraryError(error);
  const text = error instanceof Error ? error.message : String(error);
  const minors = [...text.matchAll(/minor:\s*([^\n]+)/g)].map((m) => m[1].trim());
  if (minors.length > 0) return minors[minors.length - 1];
  return text.split("\n")[0].slice(0, 200);
}

/** The h5wasm classes, for instanceof checks (the module is loaded lazily). */
interface Lib {
  Group: H5wasm["Group"];
  Dataset: H5wasm["Dataset"];
}

interface EntryRef {
  path: string;
  group: Group;
}

function entryGroups(lib: Lib, h5: Group, mapping: NexusMapping, file: string): EntryRef[] {
  const paths = mappingPaths(mapping);
  if (paths.every((p) => p.startsWith("/"))) return [{ path: "/", group: h5 }];
  const groups: EntryRef[] = [];
  let anyClass = false;
  for (const key of h5.keys()) {
    const child = h5.get(key);
    if (!(child instanceof lib.Group)) continue;
    const cls = nxClass(child);
    if (cls !== undefined) anyClass = true;
    groups.push({ path: `/${key}`, group: child });
  }
  const entries = anyClass ? groups.filter((g) => nxClass(g.group) === "NXentry") : groups;
  if (anyClass && entries.length === 0) throw new ParseError(file, "has no group with NX_class NXentry");
  return entries;
}

function mappingPaths(mapping: NexusMapping): string[] {
  const out: string[] = typeof mapping.q === "string" ? [mapping.q] : [mapping.q.angle, mapping.q.wavelength];
  out.push(mapping.r);
  for (const key of ["dr", "dq", "time", "monitor"] as const) {
    const p = mapping[key];
    if (p !== undefined) out.push(p);
  }
  return out;
}

function nxClass(node: Group | Dataset): string | undefined {
  if (!("NX_class" in node.attrs)) return undefined;
  const value = node.get_attribute("NX_class", false);
  const text = Array.isArray(value) ? value[0] : value;
  return typeof text === "string" ? text : text instanceof Uint8Array ? Buffer.from(text).toString("latin1").replace(/\0+$/, "") : undefined;
}

/** Resolve a mapping path (with `{NXclass}` segments) to a dataset; undefined when absent. */
function resolveDataset(lib: Lib, file: string, root: Group, entry: EntryRef, spec: string): { dataset: Dataset; path: string } | undefined {
  let group: Group = spec.startsWith("/") ? root : entry.group;
  let path = spec.startsWith("/") ? "" : entry.path === "/" ? "" : entry.path;
  const segments = spec.split("/").filter((s) => s !== "");
  if (segments.length === 0) throw new ParseError(file, `empty dataset path "${spec}"`);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    let name = segment;
    const cls = /^\{(NX\w+)\}$/.exec(segment);
    if (cls) {
      const matches = group.keys().filter((key) => {
        const child = group.get(key);
        return child instanceof lib.Group && nxClass(child) === cls[1];
      });
      if (matches.length === 0) return undefined;
      if (matches.length > 1) throw new ParseError(file, `${path || "/"} has several ${cls[1]} groups (${matches.join(", ")}); name one in the mapping instead of {${cls[1]}}`);
      name = matches[0];
    }
    const child = group.get(name);
    path = `${path}/${name}`;
    if (child === null) return undefined;
    if (i === segments.length - 1) {
      if (!(child instanceof lib.Dataset)) throw new ParseError(file, `${path} is not a dataset`);
      return { dataset: child, path };
    }
    if (!(child instanceof lib.Group)) throw new ParseError(file, `${path} is not a group`);
    group = child;
  }
  return undefined;
}

interface NumericDataset {
  values: Float64Array;
  path: string;
  unit: string | undefined;
  integer: boolean;
}

function readNumeric(lib: Lib, file: string, root: Group, entry: EntryRef, spec: string, what: string, required: true): NumericDataset;
function readNumeric(lib: Lib, file: string, root: Group, entry: EntryRef, spec: string | undefined, what: string, required: false): NumericDataset | undefined;
function readNumeric(lib: Lib, file: string, root: Group, entry: EntryRef, spec: string | undefined, what: string, required: boolean): NumericDataset | undefined {
  if (spec === undefined) return undefined;
  const found = resolveDataset(lib, file, root, entry, spec);
  const shown = spec.startsWith("/") ? spec : `${entry.path === "/" ? "" : entry.path}/${spec}`;
  if (!found) {
    if (required) throw new ParseError(file, `missing dataset ${shown} (${what})`);
    return undefined;
  }
  const { dataset, path } = found;
  const shape = dataset.shape;
  if (shape === null) throw new ParseError(file, `${path} (${what}) has no data (null dataspace)`);
  const nonUnit = shape.filter((n) => n !== 1);
  if (nonUnit.length > 1) throw new ParseError(file, `${path} (${what}) must be one-dimensional (shape [${shape.join(", ")}])`);
  let raw: unknown;
  try {
    raw = dataset.value;
  } catch (error) {
    throw new ParseError(file, `${path} (${what}) cannot be read (${hdf5Reason(error)})`);
  }
  let values: Float64Array;
  let integer = false;
  if (typeof raw === "number") values = Float64Array.of(raw);
  else if (typeof raw === "bigint") {
    values = Float64Array.of(Number(raw));
    integer = true;
  } else if (raw instanceof Float64Array || raw instanceof Float32Array) values = Float64Array.from(raw);
  else if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    values = Float64Array.from(raw, (x) => Number(x));
    integer = true;
  } else if (
    raw instanceof Int8Array ||
    raw instanceof Uint8Array ||
    raw instanceof Int16Array ||
    raw instanceof Uint16Array ||
    raw instanceof Int32Array ||
    raw instanceof Uint32Array
  ) {
    values = Float64Array.from(raw);
    integer = true;
  } else {
    throw new ParseError(file, `${path} (${what}) must be numeric (got ${typeof raw === "string" ? "a string" : Array.isArray(raw) ? "a list" : typeof raw}, dtype ${JSON.stringify(dataset.dtype)})`);
  }
  return { values, path, unit: unitOf(dataset), integer };
}

function unitOf(dataset: Dataset): string | undefined {
  for (const key of ["units", "unit"]) {
    if (!(key in dataset.attrs)) continue;
    const value = dataset.get_attribute(key, false);
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text === "string") return text;
  }
  return undefined;
}

const normaliseUnit = (unit: string): string =>
  unit
    .trim()
    .toLowerCase()
    .replace(/\s+/g, "")
    .replace(/\*\*/g, "^")
    .replace(/⁻¹/g, "^-1")
    .replace(/å/g, "angstrom")
    .replace(/^angstroms?/, "angstrom")
    .replace(/^a(?=\^|$)/, "angstrom")
    .replace(/\/a$/, "/angstrom");

const Q_UNITS: Record<string, number> = {
  "1/angstrom": 1,
  "angstrom^-1": 1,
  "1/nm": 0.1,
  "nm^-1": 0.1,
  "1/m": 1e-10,
  "m^-1": 1e-10,
};
const LENGTH_UNITS: Record<string, number> = { angstrom: 1, nm: 10, m: 1e10 };
const ANGLE_UNITS: Record<string, number> = { deg: Math.PI / 180, degree: Math.PI / 180, degrees: Math.PI / 180, rad: 1, radian: 1, radians: 1 };
const TIME_UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, seconds: 1, ms: 1e-3, min: 60, h: 3600 };
const DIMENSIONLESS = new Set(["", "1", "counts", "count", "dimensionless", "au", "a.u.", "arb", "arbitraryunits"]);

function scaleFor(file: string, d: NumericDataset, table: Record<string, number>, canonical: string, warnings: string[]): number {
  if (d.unit === undefined) {
    warnings.push(`${file}: ${d.path} has no units attribute; assumed ${canonical}`);
    return table[canonical];
  }
  const scale = table[normaliseUnit(d.unit)];
  if (scale === undefined) throw new ParseError(file, `${d.path} has units "${d.unit}", expected one of ${Object.keys(table).join(", ")}`);
  return scale;
}

function checkDimensionless(file: string, d: NumericDataset): void {
  if (d.unit !== undefined && !DIMENSIONLESS.has(normaliseUnit(d.unit))) throw new ParseError(file, `${d.path} has units "${d.unit}"; reflectivity, counts and monitor are dimensionless`);
}

function readEntry(lib: Lib, file: string, root: Group, entry: EntryRef, mapping: NexusMapping, dqIs: "sigma" | "fwhm"): NexusReflectivity {
  const warnings: string[] = [];
  const source = entry.path === "/" ? file : `${file} (${entry.path})`;

  // Q
  let q: Float64Array;
  let qPath: string;
  if (typeof mapping.q === "string") {
    const d = readNumeric(lib, file, root, entry, mapping.q, "Q", true);
    const scale = scaleFor(file, d, Q_UNITS, "1/angstrom", warnings);
    q = d.values.map((x) => x * scale);
    qPath = d.path;
  } else {
    const a = readNumeric(lib, file, root, entry, mapping.q.angle, "angle", true);
    const w = readNumeric(lib, file, root, entry, mapping.q.wavelength, "wavelength", true);
    const angleScale = scaleFor(file, a, ANGLE_UNITS, "deg", warnings);
    const lengthScale = scaleFor(file, w, LENGTH_UNITS, "angstrom", warnings);
    if (w.values.length !== 1 && w.values.length !== a.values.length) {
      throw new ParseError(file, `${w.path} has ${w.values.length} values; expected 1 or ${a.values.length} (as ${a.path})`);
    }
    const half = (mapping.q.angleIs ?? "two-theta") === "two-theta" ? 0.5 : 1;
    q = new Float64Array(a.values.length);
    for (let i = 0; i < q.length; i++) {
      const lambda = w.values[w.values.length === 1 ? 0 : i] * lengthScale;
      if (!(Number.isFinite(lambda) && lambda > 0)) throw new ParseError(file, `${w.path}[${w.values.length === 1 ? 0 : i}]: wavelength must be a finite number > 0 (got ${lambda})`);
      const theta = a.values[i] * angleScale * half;
      if (!Number.isFinite(theta)) throw new ParseError(file, `${a.path}[${i}]: angle is not a finite number (${a.values[i]})`);
      q[i] = (4 * Math.PI * Math.sin(theta)) / lambda;
    }
    qPath = a.path;
  }
  const n = q.length;
  if (n === 0) throw new ParseError(file, `${qPath} is empty`);

  const sameLength = (d: NumericDataset, allowScalar: boolean): Float64Array => {
    if (d.values.length === n) return d.values;
    if (allowScalar && d.values.length === 1) return new Float64Array(n).fill(d.values[0]);
    throw new ParseError(file, `${d.path} has ${d.values.length} values; ${qPath} has ${n}`);
  };

  const rData = readNumeric(lib, file, root, entry, mapping.r, mapping.monitor ? "counts" : "R", true);
  checkDimensionless(file, rData);
  const r0 = sameLength(rData, false);
  const drData = readNumeric(lib, file, root, entry, mapping.dr, "dR", false);
  if (drData) checkDimensionless(file, drData);
  const dr0 = drData ? sameLength(drData, false) : undefined;
  const monData = readNumeric(lib, file, root, entry, mapping.monitor, "monitor", false);
  if (monData) checkDimensionless(file, monData);
  const monitor = monData ? sameLength(monData, true) : undefined;
  const dqData = readNumeric(lib, file, root, entry, mapping.dq, "dQ", false);
  let dq: Float64Array | undefined;
  if (dqData) {
    const scale = scaleFor(file, dqData, Q_UNITS, "1/angstrom", warnings) / (dqIs === "fwhm" ? FWHM_PER_SIGMA : 1);
    dq = sameLength(dqData, true).map((x) => x * scale);
  } else {
    warnings.push(`${source}: no Q resolution in the file${typeof mapping.q === "string" ? "" : " (NXrefscan stores no apertures)"}; dQ unknown`);
  }
  const timeData = readNumeric(lib, file, root, entry, mapping.time, "time", false);
  let time: Float64Array | undefined;
  if (timeData) {
    const scale = scaleFor(file, timeData, TIME_UNITS, "s", warnings);
    time = sameLength(timeData, true).map((x) => x * scale);
  }
  if (!monitor && !dr0 && !rData.integer) {
    throw new ParseError(file, `no uncertainty for R: map "dr", or a "monitor" with R as counts (${rData.path} is not an integer count dataset)`);
  }

  const keep: number[] = [];
  const r = new Float64Array(n);
  const dr = new Float64Array(n);
  let zeroCounts = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(q[i])) throw new ParseError(file, `${qPath}[${i}]: Q is not a finite number (${q[i]})`);
    const ri = r0[i];
    if (!Number.isFinite(ri)) throw new ParseError(file, `${rData.path}[${i}]: ${monitor ? "counts are" : "R is"} not a finite number (${ri})`);
    if (dr0 && !(Number.isFinite(dr0[i]) && dr0[i] >= 0)) throw new ParseError(file, `${drData!.path}[${i}]: dR must be a finite number ≥ 0 (got ${dr0[i]})`);
    if (dq && !(Number.isFinite(dq[i]) && dq[i] >= 0)) throw new ParseError(file, `${dqData!.path}[${i}]: dQ must be a finite number ≥ 0 (got ${dq[i]})`);
    if (time && !Number.isFinite(time[i])) throw new ParseError(file, `${timeData!.path}[${i}]: time is not a finite number (${time[i]})`);
    if (monitor) {
      const m = monitor[i];
      if (!(Number.isFinite(m) && m > 0)) throw new ParseError(file, `${monData!.path}[${monData!.values.length === 1 ? 0 : i}]: monitor must be a finite number > 0 (got ${m})`);
      if (ri < 0) throw new ParseError(file, `${rData.path}[${i}]: counts must be ≥ 0 (got ${ri})`);
      r[i] = ri / m;
      dr[i] = dr0 ? dr0[i] / m : ri > 0 ? r[i] * Math.sqrt(1 / ri + 1 / m) : 0;
      if (!dr0 && ri === 0) {
        zeroCounts++;
        continue;
      }
    } else {
      r[i] = ri;
      dr[i] = dr0 ? dr0[i] : Math.sqrt(Math.max(ri, 0));
    }
    if (!(dr[i] > 0)) {
      const where = drData ? `${drData.path}[${i}]` : `${rData.path}[${i}]`;
      throw new ParseError(file, `${where}: dR must be > 0 (got ${dr[i]}); a fit weights each point by 1/dR`);
    }
    keep.push(i);
  }
  const problem = qRangeProblem(q);
  if (problem) throw new ParseError(file, `${qPath}[${problem.index}]: ${problem.message}`);
  if (zeroCounts > 0) warnings.push(`${source}: dropped ${zeroCounts} points with zero counts (no Poisson weight)`);
  if (keep.length === 0) throw new ParseError(file, `${entry.path}: no valid points`);
  const pick = (x: Float64Array): Float64Array => (keep.length === n ? x : Float64Array.from(keep, (i) => x[i]));
  return {
    source,
    entry: entry.path,
    q: pick(q),
    r: pick(r),
    dr: pick(dr),
    dq: dq ? pick(dq) : undefined,
    time: time ? pick(time) : undefined,
    monitor: monitor ? pick(monitor) : undefined,
    metadata: entryMetadata(lib, root, entry),
    warnings: [...new Set(warnings)],
  };
}

/** Scalar string fields of an entry, where present (never fails). */
function entryMetadata(lib: Lib, root: Group, entry: EntryRef): Record<string, string> {
  const out: Record<string, string> = {};
  if (entry.path === "/") return out;
  const fields: Record<string, string> = {
    title: "title",
    start_time: "start_time",
    end_time: "end_time",
    definition: "definition",
    probe: "instrument/{NXsource}/probe",
    sample: "sample/name",
  };
  for (const [key, spec] of Object.entries(fields)) {
    try {
      const found = resolveDataset(lib, "", root, entry, spec);
      if (!found) continue;
      const value = found.dataset.value;
      const text = Array.isArray(value) ? value[0] : value;
      if (typeof text === "string") out[key] = text;
    } catch (error) {
      // metadata is informative only: a malformed field is skipped
      noteLibraryError(error);
    }
  }
  return out;
}
