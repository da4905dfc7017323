/**
 * @module fit/circuitStart
 * What the automatic start of a circuit fit is built from:
 * - arcs of a spectrum read from a quick relaxation-time ladder ({@link relaxationArcs}). It complements the
 *   −Z″-peak heuristics of `initialGuess`, which cannot size an arc that does not close inside the measured
 *   window (a blocking electrode's kΩ arc seen only as a rising capacitive tail) or one hidden under a larger one;
 * - the ways of giving those arcs to the circuit's arc-making blocks ({@link arcBlocks}, {@link arcAssignments}):
 *   the data say where the arcs are, not which `p(…)` block made which, and the fit's minimum depends on it
 *   (impedance.py's exampleData.csv with R0-p(R1,C1)-p(R2-Wo1,C2) has minima for both assignments, their
 *   residual sums of squares within 40 % of each other);
 * - the search box of the global stage ({@link globalSearchBox}), and the comparison of the minima the starts
 *   reach ({@link differingParameters}), which tells when the data do not decide between them.
 *
 * Ladder model: Z(ω) = R∞ + jωL + Σ_k R_k / (1 + jωτ_k), R_k ≥ 0, L ≥ 0 (only when the
 * highest frequency is inductive), on a fixed grid of τ_k, 4 per decade, from a
 * decade below 1/(2π f_max) to two decades above 1/(2π f_min) (so an arc whose
 * apex lies below the lowest frequency still gets its resistance). Rows are
 * weighted by 1/|Z| (relative errors), a small ridge (1e-6 of each RC column's diagonal)
 * keeps the normal equations positive definite, and the non-negative solve is
 * Lawson–Hanson (core/nnls). Runs of consecutive non-zero R_k, split at their
 * interior local minima, are arcs: resistance ΣR_k, apex frequency 1/(2π τ̄) with ln τ̄ the R-weighted mean ln τ_k.
 *
 * Units: frequency Hz, impedance and resistances Ω, τ s, inductance H; parameters in their elements' units.
 */
import { nnlsNormalEquations } from "../core/nnls.ts";
import type { CircuitNode, ParsedCircuit } from "../models/circuit/parseCircuit.ts";

/** Input spectrum (frequency Hz, Z′ and Z″ Ω; already validated by the caller). */
interface LadderData {
  readonly frequency: Float64Array;
  readonly real: Float64Array;
  readonly imag: Float64Array;
}

/** One arc of the ladder: resistance (Ω) and apex frequency (Hz). */
export interface LadderArc {
  readonly frequency: number;
  readonly resistance: number;
}

/** What {@link relaxationArcs} returns. */
export interface RelaxationArcs {
  /** Arcs, from high to low apex frequency. */
  readonly arcs: readonly LadderArc[];
  /** Series resistance R∞ (Ω). */
  readonly rInf: number;
  /** Series inductance (H); 0 when not fitted. */
  readonly inductance: number;
  /** Σ ((Z − Z_ladder)/|Z|)² over both parts: how well a free KK-consistent model fits. */
  readonly chi2: number;
}

/** τ grid density of the ladder (per decade). */
const LADDER_PER_DECADE = 4;
/** Decades the grid extends beyond 1/(2π f_max) and 1/(2π f_min). */
const LADDER_EXTEND_HIGH = 1;
const LADDER_EXTEND_LOW = 2;
/** Ridge relative to each RC column's diagonal of the normal equations (only keeps them positive definite). */
const LADDER_RIDGE = 1e-6;

/**
 * Arcs, R∞ and L of a spectrum from a non-negative RC ladder (see the module header).
 *
 * @param data - frequencies (Hz, > 0) and Z′, Z″ (Ω); at least 3 points
 * @returns arcs (high to low frequency), R∞, L and the ladder's relative χ²
 */
export function relaxationArcs(data: LadderData): RelaxationArcs {
  const n = data.frequency.length;
  let fMin = Infinity;
  let fMax = 0;
  let iMax = 0;
  for (let i = 0; i < n; i++) {
    fMin = Math.min(fMin, data.frequency[i]);
    if (data.frequency[i] > fMax) {
      fMax = data.frequency[i];
      iMax = i;
    }
  }
  const lo = -Math.log10(2 * Math.PI * fMax) - LADDER_EXTEND_HIGH;
  const hi = -Math.log10(2 * Math.PI * fMin) + LADDER_EXTEND_LOW;
  const K = Math.max(2, Math.ceil((hi - lo) * LADDER_PER_DECADE) + 1);
  const logTau = Float64Array.from({ length: K }, (_, k) => lo + ((hi - lo) * k) / (K - 1));
  const withL = data.imag[iMax] > 0;
  const p = K + 1 + (withL ? 1 : 0);
  const rows = 2 * n;
  // Column-major design matrix, rows weighted by 1/|Z|.
  const a = new Float64Array(rows * p);
  const b = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const w = 1 / Math.max(Math.hypot(data.real[i], data.imag[i]), 1e-300);
    const omega = 2 * Math.PI * data.frequency[i];
    for (let k = 0; k < K; k++) {
      const wt = omega * 10 ** logTau[k];
      const d = 1 + wt * wt;
      a[k * rows + i] = w / d;
      a[k * rows + n + i] = (-w * wt) / d;
    }
    a[K * rows + i] = w;
    if (withL) a[(K + 1) * rows + n + i] = w * omega;
    b[i] = w * data.real[i];
    b[n + i] = w * data.imag[i];
  }
  const h = new Float64Array(p * p);
  const g = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += a[j * rows + r] * a[k * rows + r];
      h[j * p + k] = s;
      h[k * p + j] = s;
    }
    let s = 0;
    for (let r = 0; r < rows; r++) s += a[j * rows + r] * b[r];
    g[j] = s;
  }
  // Ridge relative to each column's own diagonal: a ridge scaled to the mean would swamp the long-τ
  // columns, which touch only the lowest frequencies.
  for (let k = 0; k < K; k++) h[k * p + k] *= 1 + LADDER_RIDGE;
  const x = nnlsNormalEquations(h, g, p);

  let chi2 = 0;
  for (let r = 0; r < rows; r++) {
    let m = 0;
    for (let j = 0; j < p; j++) m += a[j * rows + r] * x[j];
    chi2 += (b[r] - m) ** 2;
  }
  // Arcs: runs of non-zero R_k, each split at its interior local minima (two processes whose R_k
  // runs touch), from short τ (high frequency) to long τ.
  const arcs: LadderArc[] = [];
  let total = 0;
  for (let k = 0; k < K; k++) total += x[k];
  const on = (k: number): boolean => x[k] > 1e-9 * total;
  let r = 0;
  let weighted = 0;
  const close = (): void => {
    if (r > 0) arcs.push({ resistance: r, frequency: 1 / (2 * Math.PI * 10 ** (weighted / r)) });
    r = 0;
    weighted = 0;
  };
  for (let k = 0; k < K; k++) {
    if (!on(k)) {
      close();
      continue;
    }
    const valley = k > 0 && k + 1 < K && on(k - 1) && on(k + 1) && x[k] < x[k - 1] && x[k] <= x[k + 1];
    if (valley) {
      // share the valley's R_k between the two arcs
      r += x[k] / 2;
      weighted += (x[k] / 2) * logTau[k];
      close();
      r = x[k] / 2;
      weighted = (x[k] / 2) * logTau[k];
      continue;
    }
    r += x[k];
    weighted += x[k] * logTau[k];
  }
  close();
  return { arcs, rInf: x[K], inductance: withL ? x[K + 1] : 0, chi2 };
}

// ---------------------------------------------------------------------------
// Arc-making blocks and the assignments of arcs to them

/** Element types that make an arc on their own at the top level of a circuit. */
const ARC_ELEMENT_TYPES = new Set(["Zarc", "K", "G", "Gs", "TLMQ", "T"]);
/** Up to this many arc-making blocks every assignment is tried (3! = 6); beyond, a chosen few. */
const ALL_ASSIGNMENTS_UP_TO = 3;

/** One arc-making block of a circuit's top-level series: a `p(…)` or a top-level Zarc, K, G, Gs, TLMQ or T. */
export interface ArcBlock {
  /** The block as written, e.g. `p(R2-Wo1,C2)`. */
  readonly text: string;
  /**
   * Its structure with element numbers removed, e.g. `p(R-Wo,C)`; blocks with the same signature (and no
   * constant among their parameters) are interchangeable: swapping their values leaves Z(ω) unchanged.
   */
  readonly signature: string;
  /** Its parameter names in circuit order. */
  readonly parameterNames: readonly string[];
}

function nodeText(node: CircuitNode, numbered: boolean): string {
  if (node.kind === "element") return numbered ? node.name : node.type;
  const inner = node.children.map((c) => nodeText(c, numbered));
  return node.kind === "parallel" ? `p(${inner.join(",")})` : inner.join("-");
}

function nodeParameters(node: CircuitNode): string[] {
  return node.kind === "element" ? [...node.parameterNames] : node.children.flatMap(nodeParameters);
}

/**
 * The arc-making blocks of a circuit's top-level series, in the order written (the blocks `initialGuess`
 * gives arcs to).
 *
 * @param circuit - the parsed circuit
 * @param constants - names of constant parameters: a block holding one is not interchangeable with another
 * @returns the blocks, in circuit order
 */
export function arcBlocks(circuit: ParsedCircuit, constants: ReadonlySet<string> = new Set()): ArcBlock[] {
  const top = circuit.root.kind === "series" ? circuit.root.children : [circuit.root];
  return top
    .filter((node) => node.kind === "parallel" || (node.kind === "element" && ARC_ELEMENT_TYPES.has(node.type)))
    .map((node) => {
      const parameterNames = nodeParameters(node);
      const text = nodeText(node, true);
      const fixed = parameterNames.some((name) => constants.has(name));
      return { text, signature: fixed ? `${text} (with constants)` : nodeText(node, false), parameterNames };
    });
}

/**
 * Assignments of k arcs (0 = highest apex frequency) to k arc-making blocks, for the starts of a fit:
 * `assignment[b]` is the arc of block b. In order first (the highest-frequency arc to the first block written);
 * then every other permutation when k ≤ 3, else each swap of two neighbouring arcs and the reversed order.
 * Interchangeable blocks (same signature) always take their arcs in frequency order, so no two assignments
 * describe the same circuit.
 *
 * @param blocks - the arc-making blocks ({@link arcBlocks})
 * @returns distinct assignments, the in-order one first
 */
export function arcAssignments(blocks: readonly ArcBlock[]): number[][] {
  const k = blocks.length;
  const identity = Array.from({ length: k }, (_, i) => i);
  let candidates: number[][];
  if (k <= ALL_ASSIGNMENTS_UP_TO) {
    candidates = permutations(identity);
  } else {
    candidates = [identity];
    for (let i = 0; i + 1 < k; i++) {
      const swapped = [...identity];
      [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
      candidates.push(swapped);
    }
    candidates.push([...identity].reverse());
  }
  const canonical = (a: readonly number[]): boolean => {
    for (let i = 0; i < k; i++) {
      for (let j = i + 1; j < k; j++) if (blocks[i].signature === blocks[j].signature && a[i] > a[j]) return false;
    }
    return true;
  };
  const seen = new Set<string>();
  return candidates.filter((a) => {
    const key = a.join(",");
    if (!canonical(a) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** All permutations of `items`, in lexicographic order of positions (the given order first). */
function permutations(items: readonly number[]): number[][] {
  if (items.length <= 1) return [[...items]];
  const out: number[][] = [];
  items.forEach((first, i) => {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) out.push([first, ...rest]);
  });
  return out;
}

/**
 * A short label of an assignment for messages: "in order", or e.g. "arcs 2,1" (block b took the arc
 * numbered `label[b]`, arcs counted from the highest apex frequency).
 *
 * @param assignment - as from {@link arcAssignments}
 * @returns the label
 */
export function assignmentLabel(assignment: readonly number[]): string {
  return assignment.every((k, i) => k === i) ? "in order" : `arcs ${assignment.map((k) => k + 1).join(",")}`;
}

// ---------------------------------------------------------------------------
// The global stage's box

/** The global stage searches each scale parameter from this factor below the smallest start to this factor above the largest. */
export const GLOBAL_SPAN = 100;

/** Box of the global stage: one interval per free parameter and whether it is searched on a log scale. */
export interface GlobalSearchBox {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly logScale: boolean[];
}

/**
 * The global stage's search box: for every free parameter, from {@link GLOBAL_SPAN} below the smallest to
 * {@link GLOBAL_SPAN} above the largest value any start gave it (log-uniform), within its bounds; an exponent
 * (α, γ ∈ [0, 1]) is searched linearly over its bounds, and so is a parameter with a start ≤ 0 (possible only
 * when the user widened its bounds), GLOBAL_SPAN spreads either side. The box so covers every arc assignment
 * the starts tried and two decades around them.
 *
 * @param starts - starting vectors (free parameters, the objective's order), at least one
 * @param lower - the parameters' lower bounds
 * @param upper - the parameters' upper bounds
 * @param exponent - per parameter, whether it is a dimensionless exponent
 * @returns the box
 */
export function globalSearchBox(
  starts: readonly Float64Array[],
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
  exponent: readonly boolean[],
): GlobalSearchBox {
  const p = lower.length;
  const lo = new Float64Array(p);
  const hi = new Float64Array(p);
  const logScale: boolean[] = [];
  for (let j = 0; j < p; j++) {
    let min = Infinity;
    let max = -Infinity;
    for (const s of starts) {
      if (Number.isFinite(s[j])) {
        min = Math.min(min, s[j]);
        max = Math.max(max, s[j]);
      }
    }
    if (exponent[j] && Number.isFinite(lower[j]) && Number.isFinite(upper[j])) {
      lo[j] = lower[j];
      hi[j] = upper[j];
      logScale.push(false);
    } else if (min > 0) {
      lo[j] = Math.max(lower[j], min / GLOBAL_SPAN);
      hi[j] = Math.min(upper[j], max * GLOBAL_SPAN);
      logScale.push(lo[j] > 0 && hi[j] / lo[j] > 10);
    } else {
      const spread = Math.max(max - min, Math.abs(min), Math.abs(max), Number.MIN_VALUE);
      lo[j] = Math.max(lower[j], min - GLOBAL_SPAN * spread);
      hi[j] = Math.min(upper[j], max + GLOBAL_SPAN * spread);
      logScale.push(false);
    }
  }
  return { lower: lo, upper: hi, logScale };
}

// ---------------------------------------------------------------------------
// Comparing minima

/** Two minima differ in a parameter when its values differ by more than this fraction of the larger… */
export const DISTINCT_RTOL = 0.05;

/** One parameter of a minimum, for {@link differingParameters}. */
export interface MinimumParameter {
  readonly value: number;
  /** Standard error (NaN when undetermined). */
  readonly stderr: number;
}

/** A parameter in which two minima differ. */
export interface ParameterDifference {
  readonly name: string;
  /** Its value in the first minimum. */
  readonly a: number;
  /** Its value in the second minimum (after relabelling interchangeable blocks). */
  readonly b: number;
  /** The name it has in the second minimum (differs from `name` when interchangeable blocks were swapped). */
  readonly nameInB: string;
}

/**
 * The parameters in which two minima of the same circuit differ: by more than {@link DISTINCT_RTOL} of the
 * larger value AND by more than the larger of their standard errors (a parameter the data leave loose is
 * not a difference between minima). Interchangeable blocks (same {@link ArcBlock.signature}) may be swapped
 * to match the two: the relabelling with the fewest differences counts.
 *
 * @param a - first minimum, by parameter name (free parameters)
 * @param b - second minimum, by parameter name
 * @param blocks - the circuit's arc-making blocks
 * @param ignoreUndetermined - skip a parameter whose standard error is NaN in either minimum (undetermined:
 *   two runs down the same flat valley stop at different places along it) @default false
 * @returns the differences (empty: the same minimum)
 */
export function differingParameters(
  a: ReadonlyMap<string, MinimumParameter>,
  b: ReadonlyMap<string, MinimumParameter>,
  blocks: readonly ArcBlock[],
  ignoreUndetermined = false,
): ParameterDifference[] {
  let best: ParameterDifference[] | undefined;
  for (const relabel of relabellings(blocks)) {
    const diffs: ParameterDifference[] = [];
    for (const [name, pa] of a) {
      const nameInB = relabel.get(name) ?? name;
      const pb = b.get(nameInB);
      if (pb === undefined) continue;
      if (ignoreUndetermined && (Number.isNaN(pa.stderr) || Number.isNaN(pb.stderr))) continue;
      const gap = Math.abs(pa.value - pb.value);
      const sigma = Math.max(Number.isFinite(pa.stderr) ? pa.stderr : 0, Number.isFinite(pb.stderr) ? pb.stderr : 0);
      if (gap > DISTINCT_RTOL * Math.max(Math.abs(pa.value), Math.abs(pb.value)) && gap > sigma) {
        diffs.push({ name, a: pa.value, b: pb.value, nameInB });
      }
    }
    if (best === undefined || diffs.length < best.length) best = diffs;
  }
  return best ?? [];
}

/** Renamings of parameters that swap interchangeable blocks (the identity first); at most 24. */
function relabellings(blocks: readonly ArcBlock[]): Map<string, string>[] {
  const groups = new Map<string, number[]>();
  blocks.forEach((block, i) => groups.set(block.signature, [...(groups.get(block.signature) ?? []), i]));
  let maps: Map<string, string>[] = [new Map<string, string>()];
  for (const members of groups.values()) {
    if (members.length < 2) continue;
    const next: Map<string, string>[] = [];
    for (const order of permutations(members.map((_, i) => i))) {
      for (const m of maps) {
        const map = new Map(m);
        members.forEach((blockIndex, i) => {
          const from = blocks[blockIndex].parameterNames;
          const to = blocks[members[order[i]]].parameterNames;
          from.forEach((name, k) => map.set(name, to[k]));
        });
        next.push(map);
        if (next.length >= 24) break;
      }
      if (next.length >= 24) break;
    }
    maps = next;
  }
  return maps;
}
