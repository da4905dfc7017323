/**
 * @module materials/formula
 * Chemical formulas in the periodictable / ORSO syntax, and their molar mass.
 *
 * Syntax: element symbols with optional integer or decimal counts (`Li2CO3`,
 * `Ti0.27Co0.73`); isotopes as `H[2]`, `Li[6]`, with `D` = `H[2]` and `T` = `H[3]`;
 * parentheses with an optional multiplier, nested to any depth (`Ca(OH)2`,
 * `((CH2)2O)3`). Whitespace is ignored. Not supported: ions (`Fe{2+}`), hydrate
 * dots or `+` mixtures, densities (`@2.2`) and mass/volume fractions.
 *
 * Units: counts are atoms per formula unit (dimensionless); molar mass g/mol.
 */
import { ValidationError } from "../core/errors.ts";
import { materialTables, type MaterialTables } from "./tables.ts";

/** One element or isotope of a formula with its number of atoms per formula unit. */
export interface FormulaAtom {
  /** Element symbol, e.g. `"Li"` (`D` and `T` are stored as `"H"` with isotope 2 or 3). */
  readonly symbol: string;
  /** Mass number of a specific isotope, or undefined for natural abundance. */
  readonly isotope: number | undefined;
  /** Atoms per formula unit (may be fractional). */
  readonly count: number;
}

/**
 * A parsed formula: one entry per distinct (element, isotope), in order of first
 * appearance, with counts summed over repeats and parentheses expanded.
 */
export type Formula = readonly FormulaAtom[];

/** The 118 element symbols, by atomic number (checked against `elements.tsv` in the tests). */
const ELEMENT_SYMBOLS: ReadonlySet<string> = new Set(
  (
    "H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu Zn Ga Ge As Se Br Kr " +
    "Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm Eu Gd Tb Dy Ho Er Tm Yb " +
    "Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu Am Cm Bk Cf Es Fm Md No Lr Rf " +
    "Db Sg Bh Hs Mt Ds Rg Cn Nh Fl Mc Lv Ts Og"
  ).split(" "),
);

/** Hydrogen isotopes with their own symbols. */
const HYDROGEN_ALIASES: Readonly<Record<string, number>> = { D: 2, T: 3 };

/** The element symbols the parser accepts, by atomic number. */
export function elementSymbols(): readonly string[] {
  return [...ELEMENT_SYMBOLS];
}

/**
 * Parses a chemical formula.
 * @param text - formula such as `"Li2CO3"`, `"Ti0.27Co0.73"`, `"D2O"`, `"Ca(OH)2"`, `"H[2]2O"`
 * @returns the atoms, one entry per distinct element or isotope, in order of first appearance
 * @throws {ValidationError} (path `formula`) for an unknown element symbol (naming it,
 *   its 1-based position and the formula) or malformed text (naming the 1-based position)
 * @example
 * parseFormula("Ca(OH)2");
 * // [{ symbol: "Ca", isotope: undefined, count: 1 }, { symbol: "O", ..., count: 2 }, { symbol: "H", ..., count: 2 }]
 */
export function parseFormula(text: string): Formula {
  if (typeof text !== "string") throw new ValidationError("formula", "must be a string", text);
  const parser = new FormulaParser(text);
  const atoms = parser.parse();
  if (atoms.length === 0) throw new ValidationError("formula", "empty formula", text);
  return merge(atoms);
}

/**
 * Accepts a formula as text or as already-parsed atoms and returns validated atoms.
 * @param formula - formula text or {@link Formula}
 * @returns the parsed (or checked and merged) formula
 * @throws {ValidationError} for malformed text, unknown symbols, bad isotope numbers or counts, or an empty formula
 * @example
 * resolveFormula([{ symbol: "Si", isotope: undefined, count: 1 }]);
 */
export function resolveFormula(formula: string | Formula): Formula {
  if (typeof formula === "string") return parseFormula(formula);
  if (!Array.isArray(formula) || formula.length === 0) {
    throw new ValidationError("formula", "must be a formula string or a non-empty array of atoms", formula);
  }
  formula.forEach((atom: FormulaAtom, i) => {
    const where = `formula[${i}]`;
    if (!ELEMENT_SYMBOLS.has(atom.symbol)) throw new ValidationError(`${where}.symbol`, `unknown element "${String(atom.symbol)}"`, atom.symbol);
    if (atom.isotope !== undefined && !(Number.isInteger(atom.isotope) && atom.isotope > 0)) {
      throw new ValidationError(`${where}.isotope`, "mass number must be a positive integer or undefined", atom.isotope);
    }
    if (!(Number.isFinite(atom.count) && atom.count >= 0)) {
      throw new ValidationError(`${where}.count`, "must be a finite number ≥ 0", atom.count);
    }
  });
  return merge(formula);
}

/**
 * Molar mass of one formula unit, M = Σ nᵢ mᵢ, summed in formula order.
 * Elements use the standard atomic weight of `elements.tsv`; isotopes the
 * isotope mass of `neutron/scattering_lengths.tsv`.
 * @param formula - formula text or parsed formula
 * @param tables - data tables to use (default: {@link materialTables}`()`, the default data folder)
 * @returns molar mass (g/mol)
 * @throws {ValidationError} for an invalid formula or an isotope missing from the table
 * @example
 * formulaMass("H2O"); // 18.015 g/mol
 */
export function formulaMass(formula: string | Formula, tables: MaterialTables = materialTables()): number {
  let mass = 0;
  for (const atom of resolveFormula(formula)) mass += tables.atomMass(atom.symbol, atom.isotope) * atom.count;
  return mass;
}

/** Sums repeated (element, isotope) entries, keeping the order of first appearance. */
function merge(atoms: readonly FormulaAtom[]): Formula {
  const byKey = new Map<string, { symbol: string; isotope: number | undefined; count: number }>();
  for (const atom of atoms) {
    const key = atom.isotope === undefined ? atom.symbol : `${atom.symbol}[${atom.isotope}]`;
    const existing = byKey.get(key);
    if (existing === undefined) byKey.set(key, { symbol: atom.symbol, isotope: atom.isotope, count: atom.count });
    else existing.count += atom.count;
  }
  return [...byKey.values()];
}

/** Recursive-descent parser; positions in messages are 1-based character indices. */
class FormulaParser {
  readonly #text: string;
  #pos = 0;

  constructor(text: string) {
    this.#text = text;
  }

  parse(): FormulaAtom[] {
    const atoms = this.#sequence(undefined);
    this.#skipSpace();
    if (this.#pos < this.#text.length) this.#fail(`unmatched ")" at position ${this.#pos + 1}`);
    return atoms;
  }

  /** Atoms up to the end of the text, or up to the `)` closing the group opened at `openAt`. */
  #sequence(openAt: number | undefined): FormulaAtom[] {
    const atoms: FormulaAtom[] = [];
    while (true) {
      this.#skipSpace();
      const ch = this.#text[this.#pos];
      if (ch === undefined) {
        if (openAt !== undefined) this.#fail(`unclosed "(" at position ${openAt + 1} (reached the end at position ${this.#pos + 1})`);
        return atoms;
      }
      if (ch === ")") return atoms;
      if (ch === "(") {
        const start = this.#pos++;
        const inner = this.#sequence(start);
        if (this.#text[this.#pos] !== ")") this.#fail(`unclosed "(" at position ${start + 1}`);
        if (inner.length === 0) this.#fail(`empty parentheses at position ${start + 1}`);
        this.#pos++;
        const multiplier = this.#count() ?? 1;
        for (const atom of inner) atoms.push({ ...atom, count: atom.count * multiplier });
      } else if (ch >= "A" && ch <= "Z") {
        atoms.push(this.#atom());
      } else {
        this.#fail(`unexpected character ${JSON.stringify(ch)} at position ${this.#pos + 1}`);
      }
    }
  }

  #atom(): FormulaAtom {
    const start = this.#pos;
    const text = this.#text;
    let symbol = text[this.#pos++];
    const next = text[this.#pos];
    if (next !== undefined && next >= "a" && next <= "z") {
      symbol += next;
      this.#pos++;
    }
    let isotope: number | undefined;
    if (Object.hasOwn(HYDROGEN_ALIASES, symbol)) {
      isotope = HYDROGEN_ALIASES[symbol];
      symbol = "H";
    } else if (!ELEMENT_SYMBOLS.has(symbol)) {
      this.#fail(`unknown element "${symbol}" at position ${start + 1}`);
    }
    this.#skipSpace();
    if (text[this.#pos] === "[") {
      const open = this.#pos;
      if (isotope !== undefined) this.#fail(`isotope number given for ${text.slice(start, open).trim()}, which is already an isotope, at position ${open + 1}`);
      this.#pos++;
      this.#skipSpace();
      const digits = this.#match(/[0-9]+/y);
      this.#skipSpace();
      if (digits === undefined || text[this.#pos] !== "]") this.#fail(`expected "[mass number]" at position ${open + 1}`);
      this.#pos++;
      isotope = Number(digits);
      if (isotope === 0) this.#fail(`mass number must be positive at position ${open + 2}`);
    }
    return { symbol, isotope, count: this.#count() ?? 1 };
  }

  /** An optional count: `12`, `0.27`, `.5`, `2.`. */
  #count(): number | undefined {
    this.#skipSpace();
    const digits = this.#match(/[0-9]+(?:\.[0-9]*)?|\.[0-9]+/y);
    return digits === undefined ? undefined : Number(digits);
  }

  #match(pattern: RegExp): string | undefined {
    pattern.lastIndex = this.#pos;
    const found = pattern.exec(this.#text);
    if (found === null) return undefined;
    this.#pos += found[0].length;
    return found[0];
  }

  #skipSpace(): void {
    while (this.#pos < this.#text.length && /\s/.test(this.#text[this.#pos])) this.#pos++;
  }

  #fail(message: string): never {
    throw new ValidationError("formula", message, this.#text);
  }
}
