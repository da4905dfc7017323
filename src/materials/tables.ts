/**
 * @module materials/tables
 * Readers for the physical data tables behind the SLD calculations, and the
 * interpolation rules applied to them. The tables are plain-text files in a data
 * folder (never pasted into source), read synchronously on first use and cached
 * once per folder; X-ray tables are read per element on first use.
 *
 * The data folder is, in order of precedence: the `dataDir` option, the
 * `STRATA_DATA_DIR` environment variable, or the package's own `data/` folder.
 * It holds `elements.tsv`, `xray/<symbol>.nff`, `neutron/scattering_lengths.tsv`
 * and `neutron/energy_dependent_b.tsv` (format and provenance: `data/SOURCES.md`,
 * `data/neutron/README.md`).
 *
 * Units: atomic mass g/mol; element density g/cm³; X-ray energy keV (the `.nff`
 * files are in eV and are converted on reading); f1, f2 electrons per atom;
 * neutron scattering lengths fm (1 fm = 1e-5 Å); cross sections barn
 * (1 barn = 100 fm²); neutron wavelength Å; abundance atom %.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ParseError, ValidationError } from "../core/errors.ts";

/** What callers pass to choose the data folder. */
export interface MaterialsOptions {
  /**
   * Folder holding `elements.tsv`, `xray/` and `neutron/`, as a path (relative to
   * the working directory) or a `file:` URL.
   * @default process.env.STRATA_DATA_DIR, else the package's `data/` folder
   */
  dataDir?: string | URL;
}

/** {@link MaterialsOptions} with every field resolved. */
export interface ResolvedMaterialsOptions {
  /** Absolute path of the data folder. */
  dataDir: string;
}

/** The package's own copy of the tables, found relative to this source file. */
const PACKAGE_DATA_DIR = new URL("../../data/", import.meta.url);

/**
 * Resolves the data folder: explicit option, then `STRATA_DATA_DIR`, then the package's `data/`.
 * @param options - optional overrides
 * @returns the options with an absolute `dataDir`
 * @throws {ValidationError} if `dataDir` is an empty string or a non-`file:` URL
 * @example
 * resolveMaterialsOptions({ dataDir: "../shared/data" }).dataDir; // absolute path
 */
export function resolveMaterialsOptions(options: MaterialsOptions = {}): ResolvedMaterialsOptions {
  const chosen = options.dataDir ?? nonEmpty(process.env.STRATA_DATA_DIR) ?? PACKAGE_DATA_DIR;
  if (chosen instanceof URL) {
    if (chosen.protocol !== "file:") throw new ValidationError("dataDir", "must be a file: URL", chosen.href);
    return { dataDir: path.resolve(fileURLToPath(chosen)) };
  }
  if (chosen.trim() === "") throw new ValidationError("dataDir", "must not be empty", chosen);
  return { dataDir: path.resolve(chosen) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value;
}

/** One row of `elements.tsv`. */
export interface ElementRecord {
  symbol: string;
  atomicNumber: number;
  name: string;
  /** Standard atomic weight (g/mol). */
  mass: number;
  /** Element density (g/cm³); NaN where the table has none. */
  density: number;
}

/** Henke f1, f2 for one element, in file order (not re-sorted: see {@link interpolateLinear}). */
export interface XrayScatteringTable {
  symbol: string;
  /** Photon energy (keV), converted from the file's eV as `eV * 0.001` like periodictable. */
  energy: Float64Array;
  /** f1 (electrons); NaN where the file has -9999 (not available). */
  f1: Float64Array;
  /** f2 (electrons). */
  f2: Float64Array;
  /** ln(energy / keV), for log-log interpolation of f2. */
  logEnergy: Float64Array;
  /** ln(f2). */
  logF2: Float64Array;
}

/** One row of `neutron/scattering_lengths.tsv` (natural element or isotope). */
export interface NeutronRecord {
  symbol: string;
  atomicNumber: number;
  /** Mass number, or undefined for the natural-abundance element. */
  isotope: number | undefined;
  /** Re(b) used for the SLD (fm); NaN where the table has no scattering data. */
  scatteringLengthReal: number;
  /** Im(b) used for the SLD at 1.798 Å (fm, ≤ 0 = absorbing), from σ_abs by the 1/v law. */
  scatteringLengthImaginary: number;
  /** Total bound scattering cross section σ_s used for the incoherent SLD (barn). */
  totalScatteringCrossSection: number;
  /** True if b depends on wavelength and comes from `energy_dependent_b.tsv` (Lynn & Seeger 1990). */
  hasLynnSeegerTable: boolean;
  /** Standard atomic weight (element row) or isotope mass (isotope row), g/mol. */
  mass: number;
  /** Natural abundance (atom %), NaN for element rows. */
  abundance: number;
}

/** Complex b(λ) of one resonant nuclide, sorted by increasing wavelength. */
export interface LynnSeegerTable {
  /** Wavelength (Å), strictly increasing. */
  wavelength: Float64Array;
  /** Re(b) (fm). */
  scatteringLengthReal: Float64Array;
  /** Im(b) (fm, ≤ 0 = absorbing). */
  scatteringLengthImaginary: Float64Array;
}

/** Complex scattering length and total scattering cross section of one nuclide at one wavelength. */
export interface NeutronScattering {
  /** Re(b) (fm). */
  real: number;
  /** Im(b) (fm, ≤ 0 = absorbing). */
  imaginary: number;
  /** σ_s (barn). */
  totalScatteringCrossSection: number;
}

/** 4π/100: converts |b|² in fm² to a cross section in barn. */
const FOUR_PI_OVER_100 = (4 * Math.PI) / 100;

/**
 * The tables of one data folder. Obtain through {@link materialTables}, which
 * caches one instance per folder; every file is read at most once.
 */
export class MaterialTables {
  readonly dataDir: string;
  #elements: Map<string, ElementRecord> | undefined;
  #neutron: Map<string, NeutronRecord> | undefined;
  #lynnSeeger: Map<string, LynnSeegerTable> | undefined;
  readonly #xray = new Map<string, XrayScatteringTable | null>();

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  /** All rows of `elements.tsv`, keyed by symbol. */
  get elements(): ReadonlyMap<string, ElementRecord> {
    this.#elements ??= parseElements(this.#read("elements.tsv"), this.#file("elements.tsv"));
    return this.#elements;
  }

  /**
   * The `elements.tsv` row of an element.
   * @throws {ValidationError} if the symbol is not in the table
   */
  element(symbol: string): ElementRecord {
    const record = this.elements.get(symbol);
    if (record === undefined) throw new ValidationError("symbol", `unknown element "${symbol}"`, symbol);
    return record;
  }

  /**
   * Molar mass (g/mol) of an element (standard atomic weight, `elements.tsv`) or of
   * an isotope (isotope mass, `neutron/scattering_lengths.tsv`).
   * @throws {ValidationError} for an unknown element or an isotope not in the table
   */
  atomMass(symbol: string, isotope?: number): number {
    if (isotope === undefined) return this.element(symbol).mass;
    const record = this.neutronRecords.get(nuclideKey(symbol, isotope));
    if (record === undefined || !Number.isFinite(record.mass)) {
      this.element(symbol);
      throw new ValidationError("isotope", `no isotope ${symbol}[${isotope}] in neutron/scattering_lengths.tsv`, isotope);
    }
    return record.mass;
  }

  /** All rows of `neutron/scattering_lengths.tsv`, keyed by `"Li"` or `"Li-6"`. */
  get neutronRecords(): ReadonlyMap<string, NeutronRecord> {
    this.#neutron ??= parseNeutron(this.#read("neutron/scattering_lengths.tsv"), this.#file("neutron/scattering_lengths.tsv"));
    return this.#neutron;
  }

  /**
   * The neutron table row of an element or isotope that has scattering data.
   * @throws {ValidationError} if the nuclide is absent or has no scattering length
   */
  neutron(symbol: string, isotope?: number): NeutronRecord {
    const record = this.neutronRecords.get(nuclideKey(symbol, isotope));
    const label = isotope === undefined ? symbol : `${symbol}[${isotope}]`;
    if (record === undefined || !Number.isFinite(record.scatteringLengthReal)) {
      this.element(symbol);
      throw new ValidationError("formula", `no neutron scattering length for ${label} in neutron/scattering_lengths.tsv`, label);
    }
    return record;
  }

  /** The Lynn & Seeger b(λ) table of a nuclide, or undefined if it has none. */
  lynnSeeger(symbol: string, isotope?: number): LynnSeegerTable | undefined {
    this.#lynnSeeger ??= parseLynnSeeger(this.#read("neutron/energy_dependent_b.tsv"), this.#file("neutron/energy_dependent_b.tsv"));
    return this.#lynnSeeger.get(nuclideKey(symbol, isotope));
  }

  /**
   * Complex bound coherent scattering length and total scattering cross section of
   * a nuclide at a neutron wavelength, as periodictable evaluates them: constant
   * (1/v absorption) for most nuclides; for Lynn & Seeger nuclides b is linearly
   * interpolated in wavelength (end values held) and σ_s = 4π|b|²/100.
   * @param wavelength - neutron wavelength (Å)
   * @throws {ValidationError} if the nuclide has no data, or is flagged but has no b(λ) table
   */
  neutronScattering(symbol: string, isotope: number | undefined, wavelength: number): NeutronScattering {
    const record = this.neutron(symbol, isotope);
    if (!record.hasLynnSeegerTable) {
      return {
        real: record.scatteringLengthReal,
        imaginary: record.scatteringLengthImaginary,
        totalScatteringCrossSection: record.totalScatteringCrossSection,
      };
    }
    const table = this.lynnSeeger(symbol, isotope);
    if (table === undefined) {
      const label = isotope === undefined ? symbol : `${symbol}[${isotope}]`;
      throw new ValidationError("formula", `${label} is flagged energy dependent but has no rows in neutron/energy_dependent_b.tsv`, label);
    }
    const { real, imaginary } = interpolateComplexHeld(wavelength, table);
    return { real, imaginary, totalScatteringCrossSection: FOUR_PI_OVER_100 * accurateHypot(real, imaginary) ** 2 };
  }

  /**
   * The Henke table of an element (`xray/<symbol>.nff`), read on first use.
   * @throws {ValidationError} for an unknown element or one without a table (Z > 92)
   * @throws {ParseError} if the file is malformed
   */
  xray(symbol: string): XrayScatteringTable {
    const cached = this.#xray.get(symbol);
    if (cached !== undefined && cached !== null) return cached;
    const element = this.element(symbol);
    if (cached === null) throw noXrayTable(element);
    const name = `xray/${symbol.toLowerCase()}.nff`;
    let text: string;
    try {
      text = readFileSync(this.#file(name), "latin1");
    } catch (error) {
      // Henke tables stop at U (Z = 92); a missing file below that means a broken data folder.
      if (isMissingFile(error) && element.atomicNumber > 92) {
        this.#xray.set(symbol, null);
        throw noXrayTable(element);
      }
      throw unreadable(this.#file(name), error);
    }
    const table = parseNff(text, this.#file(name), symbol);
    this.#xray.set(symbol, table);
    return table;
  }

  #file(name: string): string {
    return path.join(this.dataDir, name);
  }

  #read(name: string): string {
    const file = this.#file(name);
    try {
      return readFileSync(file, "utf8");
    } catch (error) {
      throw unreadable(file, error);
    }
  }
}

const tablesByFolder = new Map<string, MaterialTables>();

/**
 * The tables of a data folder, created on first request and cached per folder.
 * Files are read lazily, the first time a value from them is needed.
 * @param options - data folder override (see {@link resolveMaterialsOptions})
 * @returns the cached {@link MaterialTables} of that folder
 * @example
 * materialTables().element("Si").mass; // 28.085 g/mol
 */
export function materialTables(options: MaterialsOptions = {}): MaterialTables {
  const { dataDir } = resolveMaterialsOptions(options);
  let tables = tablesByFolder.get(dataDir);
  if (tables === undefined) {
    tables = new MaterialTables(dataDir);
    tablesByFolder.set(dataDir, tables);
  }
  return tables;
}

/**
 * Linear interpolation with exactly the arithmetic and search of `numpy.interp`
 * for one query point, so results match periodictable to the last bits. The
 * points are used in the given order: `xp` should increase, but the Henke files
 * have a few repeated or swapped energies (mg, pt, si) which are kept, as in
 * periodictable; numpy's search then decides which segment is used there.
 * @param x - query point
 * @param xp - abscissae (should be increasing)
 * @param fp - ordinates, same length as `xp`
 * @param left - value for `x < xp[0]`
 * @param right - value for `x > xp[xp.length - 1]`
 * @returns the interpolated value (NaN if `x` is NaN)
 * @see numpy/_core/src/multiarray/compiled_base.c, `arr_interp` and `binary_search_with_guess`
 * @example
 * interpolateLinear(1.5, Float64Array.of(1, 2), Float64Array.of(10, 20), NaN, NaN); // 15
 */
export function interpolateLinear(x: number, xp: ArrayLike<number>, fp: ArrayLike<number>, left: number, right: number): number {
  const n = xp.length;
  if (Number.isNaN(x)) return x;
  if (n === 1) return x < xp[0] ? left : x > xp[0] ? right : fp[0];
  const j = numpySearch(x, xp, 0);
  if (j === -1) return left;
  if (j === n) return right;
  if (j === n - 1) return fp[j];
  if (xp[j] === x) return fp[j];
  const slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
  let result = slope * (x - xp[j]) + fp[j];
  if (Number.isNaN(result)) {
    result = slope * (x - xp[j + 1]) + fp[j + 1];
    if (Number.isNaN(result) && fp[j] === fp[j + 1]) result = fp[j];
  }
  return result;
}

/**
 * numpy's `binary_search_with_guess`: index i with xp[i] <= key < xp[i+1],
 * -1 below the first point, n above the last. Reproduced step by step because
 * on unsorted input different searches pick different segments.
 */
function numpySearch(key: number, xp: ArrayLike<number>, initialGuess: number): number {
  const n = xp.length;
  const likelyInCacheSize = 8;
  let imin = 0;
  let imax = n;
  if (key > xp[n - 1]) return n;
  if (key < xp[0]) return -1;
  if (n <= 4) {
    let i = 1;
    while (i < n && key >= xp[i]) i++;
    return i - 1;
  }
  const guess = Math.max(1, Math.min(initialGuess, n - 3));
  if (key < xp[guess]) {
    if (key < xp[guess - 1]) {
      imax = guess - 1;
      if (guess > likelyInCacheSize && key >= xp[guess - likelyInCacheSize]) imin = guess - likelyInCacheSize;
    } else {
      return guess - 1;
    }
  } else if (key < xp[guess + 1]) {
    return guess;
  } else if (key < xp[guess + 2]) {
    return guess + 1;
  } else {
    imin = guess + 2;
    if (guess < n - likelyInCacheSize - 1 && key < xp[guess + likelyInCacheSize]) imax = guess + likelyInCacheSize;
  }
  while (imin < imax) {
    const imid = imin + ((imax - imin) >> 1);
    if (key >= xp[imid]) imin = imid + 1;
    else imax = imid;
  }
  return imin - 1;
}

/** Complex `numpy.interp` with end values held (its default `left`/`right`), one query point. */
function interpolateComplexHeld(x: number, table: LynnSeegerTable): { real: number; imaginary: number } {
  const xp = table.wavelength;
  const re = table.scatteringLengthReal;
  const im = table.scatteringLengthImaginary;
  const n = xp.length;
  const j = numpySearch(x, xp, 0);
  if (j === -1) return { real: re[0], imaginary: im[0] };
  if (j >= n - 1) return { real: re[n - 1], imaginary: im[n - 1] };
  if (xp[j] === x) return { real: re[j], imaginary: im[j] };
  const inverseStep = 1 / (xp[j + 1] - xp[j]);
  return {
    real: (re[j + 1] - re[j]) * (x - xp[j]) * inverseStep + re[j],
    imaginary: (im[j + 1] - im[j]) * (x - xp[j]) * inverseStep + im[j],
  };
}

/** Veltkamp splitter for exact products of doubles (2^27 + 1). */
const SPLITTER = 134217729;

/** a·b as an unevaluated sum `[product, error]` (Dekker's two-product, no FMA needed). */
function twoProduct(a: number, b: number): [number, number] {
  const product = a * b;
  let t = SPLITTER * a;
  const aHigh = t - (t - a);
  const aLow = a - aHigh;
  t = SPLITTER * b;
  const bHigh = t - (t - b);
  const bLow = b - bHigh;
  return [product, aHigh * bHigh - product + aHigh * bLow + aLow * bHigh + aLow * bLow];
}

/**
 * √(x² + y²), rounded like C's `hypot` (which Python's `abs(complex)` uses).
 * `Math.hypot` in V8 is often 1 ulp off; the incoherent SLD subtracts 4π|b̄|²/100
 * from a nearly equal σ̄_s, which magnifies that ulp to ~1e-13 relative. Here the
 * square root is refined once with the exactly computed residual.
 * @param x - first component (finite, |x| < 1e150)
 * @param y - second component (finite, |y| < 1e150)
 * @returns the magnitude
 * @example
 * accurateHypot(3, 4); // 5
 */
export function accurateHypot(x: number, y: number): number {
  const a = Math.abs(x);
  const b = Math.abs(y);
  if (!(a < 1e150 && b < 1e150) || (a < 1e-150 && b < 1e-150)) return Math.hypot(a, b);
  const [aa, aaError] = twoProduct(a, a);
  const [bb, bbError] = twoProduct(b, b);
  const sum = aa + bb;
  const virtual = sum - aa;
  const sumError = aa - (sum - virtual) + (bb - virtual);
  const root = Math.sqrt(sum);
  if (root === 0) return 0;
  const [square, squareError] = twoProduct(root, root);
  const residual = sum - square - squareError + (sumError + aaError + bbError);
  return root + residual / (2 * root);
}

function nuclideKey(symbol: string, isotope: number | undefined): string {
  return isotope === undefined ? symbol : `${symbol}-${isotope}`;
}

function noXrayTable(element: ElementRecord): ValidationError {
  return new ValidationError("formula", `no X-ray scattering factors (Henke table covers Z = 1-92) for ${element.symbol}`, element.symbol);
}

function isMissingFile(error: unknown): boolean {
  return error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT";
}

function unreadable(file: string, error: unknown): ParseError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ParseError(file, `cannot read data table: ${reason}`);
}

/** Splits a TSV into header indices and rows, skipping blank lines; keeps 1-based line numbers. */
function readTsv(text: string, file: string, required: readonly string[]): { column: (name: string) => number; rows: { line: number; cells: string[] }[] } {
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? "").split("\t").map((name) => name.trim());
  const index = new Map(header.map((name, i) => [name, i]));
  for (const name of required) {
    if (!index.has(name)) throw new ParseError(file, `missing column "${name}" in header`, { line: 1 });
  }
  const rows: { line: number; cells: string[] }[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    rows.push({ line: i + 1, cells: lines[i].split("\t") });
  }
  return { column: (name) => index.get(name)!, rows };
}

/** Parses a numeric cell; empty → NaN when `optional`, otherwise a ParseError. */
function numberCell(cells: string[], column: number, name: string, file: string, line: number, optional: boolean): number {
  const text = (cells[column] ?? "").trim();
  if (text === "") {
    if (optional) return Number.NaN;
    throw new ParseError(file, `empty "${name}"`, { line });
  }
  const value = Number(text);
  if (!Number.isFinite(value)) throw new ParseError(file, `"${name}" is not a number: ${JSON.stringify(text)}`, { line });
  return value;
}

function parseElements(text: string, file: string): Map<string, ElementRecord> {
  const { column, rows } = readTsv(text, file, ["symbol", "Z", "name", "mass_g_mol", "density_g_cm3"]);
  const elements = new Map<string, ElementRecord>();
  for (const { line, cells } of rows) {
    const symbol = cells[column("symbol")].trim();
    elements.set(symbol, {
      symbol,
      atomicNumber: numberCell(cells, column("Z"), "Z", file, line, false),
      name: (cells[column("name")] ?? "").trim(),
      mass: numberCell(cells, column("mass_g_mol"), "mass_g_mol", file, line, false),
      density: numberCell(cells, column("density_g_cm3"), "density_g_cm3", file, line, true),
    });
  }
  return elements;
}

function parseNeutron(text: string, file: string): Map<string, NeutronRecord> {
  const columns = ["symbol", "Z", "isotope", "b_sld_real_fm", "b_sld_imag_fm", "sigma_s_sld_barn", "has_lynn_seeger_table", "mass_g_mol", "abundance_pct"];
  const { column, rows } = readTsv(text, file, columns);
  const records = new Map<string, NeutronRecord>();
  for (const { line, cells } of rows) {
    const symbol = cells[column("symbol")].trim();
    const isotopeNumber = numberCell(cells, column("isotope"), "isotope", file, line, true);
    const isotope = Number.isNaN(isotopeNumber) ? undefined : isotopeNumber;
    records.set(nuclideKey(symbol, isotope), {
      symbol,
      atomicNumber: numberCell(cells, column("Z"), "Z", file, line, false),
      isotope,
      scatteringLengthReal: numberCell(cells, column("b_sld_real_fm"), "b_sld_real_fm", file, line, true),
      scatteringLengthImaginary: numberCell(cells, column("b_sld_imag_fm"), "b_sld_imag_fm", file, line, true),
      totalScatteringCrossSection: numberCell(cells, column("sigma_s_sld_barn"), "sigma_s_sld_barn", file, line, true),
      hasLynnSeegerTable: (cells[column("has_lynn_seeger_table")] ?? "").trim() === "1",
      mass: numberCell(cells, column("mass_g_mol"), "mass_g_mol", file, line, true),
      abundance: numberCell(cells, column("abundance_pct"), "abundance_pct", file, line, true),
    });
  }
  return records;
}

function parseLynnSeeger(text: string, file: string): Map<string, LynnSeegerTable> {
  const { column, rows } = readTsv(text, file, ["symbol", "isotope", "wavelength_A", "b_real_fm", "b_imag_fm"]);
  const grouped = new Map<string, { line: number; wavelength: number; real: number; imaginary: number }[]>();
  for (const { line, cells } of rows) {
    const symbol = cells[column("symbol")].trim();
    const isotopeNumber = numberCell(cells, column("isotope"), "isotope", file, line, true);
    const key = nuclideKey(symbol, Number.isNaN(isotopeNumber) ? undefined : isotopeNumber);
    let list = grouped.get(key);
    if (list === undefined) grouped.set(key, (list = []));
    list.push({
      line,
      wavelength: numberCell(cells, column("wavelength_A"), "wavelength_A", file, line, false),
      real: numberCell(cells, column("b_real_fm"), "b_real_fm", file, line, false),
      imaginary: numberCell(cells, column("b_imag_fm"), "b_imag_fm", file, line, false),
    });
  }
  const tables = new Map<string, LynnSeegerTable>();
  for (const [key, list] of grouped) {
    // The file runs in increasing energy; periodictable reverses it to increasing wavelength.
    const points = list.slice().reverse();
    for (let i = 1; i < points.length; i++) {
      if (!(points[i].wavelength > points[i - 1].wavelength)) {
        throw new ParseError(file, `${key}: energies must be strictly increasing within a nuclide`, { line: points[i].line });
      }
    }
    tables.set(key, {
      wavelength: Float64Array.from(points, (p) => p.wavelength),
      scatteringLengthReal: Float64Array.from(points, (p) => p.real),
      scatteringLengthImaginary: Float64Array.from(points, (p) => p.imaginary),
    });
  }
  return tables;
}

/** The `.nff` value meaning "f1 not available". */
const NFF_MISSING = -9999;

function parseNff(text: string, file: string, symbol: string): XrayScatteringTable {
  // Line 1 is a free-form header; lines end in CRLF and may carry a trailing tab.
  const lines = text.split("\n");
  const energy: number[] = [];
  const f1: number[] = [];
  const f2: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const trimmed = lines[i].trim();
    if (trimmed === "") continue;
    const fields = trimmed.split(/\s+/);
    const values = fields.map(Number);
    if (fields.length !== 3 || values.some((v) => !Number.isFinite(v))) {
      throw new ParseError(file, `expected three numbers "E(eV) f1 f2", got ${JSON.stringify(trimmed)}`, { line: i + 1 });
    }
    energy.push(values[0] * 0.001);
    f1.push(values[1] === NFF_MISSING ? Number.NaN : values[1]);
    f2.push(values[2]);
  }
  if (energy.length === 0) throw new ParseError(file, "no data rows");
  return {
    symbol,
    energy: Float64Array.from(energy),
    f1: Float64Array.from(f1),
    f2: Float64Array.from(f2),
    logEnergy: Float64Array.from(energy, Math.log),
    logF2: Float64Array.from(f2, Math.log),
  };
}
