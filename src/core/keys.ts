/**
 * @module core/keys
 * Unknown keys in the JSON documents Strata reads (campaign.json, MODEL.json,
 * PROBLEM.json, scenarios, dose plans): one rule and one message for all of them.
 * A key the reader does not know is an error naming its JSON path, with a
 * "did you mean" suggestion from the known keys — a misspelt *optional* key
 * (`impedence`, `beam.flux_per_sec`) would otherwise be dropped and its content
 * silently lost (issue 16). A lenient policy (`strata --lenient`, or the `lenient`
 * option of the library API) downgrades them to warnings.
 *
 * The policy is module-level so that the CLI sets it once (program-level option)
 * and every loader reads it; library callers pass `lenient` explicitly and the API
 * scopes it around its (synchronous) parse with {@link withUnknownKeyPolicy}.
 * No units.
 */
import { ValidationError } from "./errors.ts";

/** How unknown keys are treated. */
export interface UnknownKeyPolicy {
  /** Unknown keys are warnings, not errors. @default false */
  readonly lenient: boolean;
  /** Called with each input warning — lenient unknown keys, borderline values (the CLI prints `strata: warning: …` on stderr). */
  readonly warn?: (message: string) => void;
}

let policy: UnknownKeyPolicy = { lenient: false };

/** Set the process-wide policy (the CLI's `--lenient`). */
export function setUnknownKeyPolicy(next: UnknownKeyPolicy): void {
  policy = next;
}

/** The policy in force. */
export function unknownKeyPolicy(): UnknownKeyPolicy {
  return policy;
}

/**
 * Run a synchronous parse under a policy, restoring the previous one afterwards.
 * Fields left undefined keep the policy in force (so the CLI's warning printer
 * stays when a library call only says `lenient`).
 * @example
 * ```ts
 * const manifest = withUnknownKeyPolicy({ lenient: true }, () => parseManifest(json, file, warnings));
 * ```
 */
export function withUnknownKeyPolicy<T>(scope: { lenient?: boolean; warn?: (message: string) => void } | undefined, run: () => T): T {
  if (scope === undefined || (scope.lenient === undefined && scope.warn === undefined)) return run();
  const previous = policy;
  policy = { lenient: scope.lenient ?? previous.lenient, ...(scope.warn ?? previous.warn ? { warn: scope.warn ?? previous.warn } : {}) };
  try {
    return run();
  } finally {
    policy = previous;
  }
}

/**
 * A non-fatal finding about input (a borderline value, a lenient unknown key): appended
 * to `warnings` when given (de-duplicated) and passed to the policy's `warn` (the CLI
 * prints `strata: warning: …` on stderr).
 */
export function reportInputWarning(message: string, warnings?: string[]): void {
  if (warnings && !warnings.includes(message)) warnings.push(message);
  policy.warn?.(message);
}

/** Lower case without `_`, `-` and spaces: `fluxPerS`, `flux-per-s` and `flux_per_s` are one key. */
const normalised = (key: string): string => key.toLowerCase().replace(/[_\-\s]/g, "");

/**
 * Optimal-string-alignment (restricted Damerau–Levenshtein) distance: insertions,
 * deletions, substitutions and transpositions of neighbours each cost 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[(i - 1) * cols + j] + 1, d[i * cols + j - 1] + 1, d[(i - 1) * cols + j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[(i - 2) * cols + j - 2] + 1);
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1];
}

/**
 * The known key a misspelt one most likely meant, or undefined when none is close:
 * the same key up to case, `_` and `-`; a unit suffix left off or added
 * (`thickness` → `thickness_A`, `energy` → `energy_keV`); else the nearest key within
 * edit distance 2 (1 for keys of four characters or fewer, so `id` does not suggest
 * `q`). Ties go to the first in `known`.
 */
export function suggestKey(key: string, known: readonly string[]): string | undefined {
  const plain = normalised(key);
  const same = known.find((k) => normalised(k) === plain);
  if (same !== undefined) return same;
  const suffix = known.find((k) => k.startsWith(`${key}_`) || key.startsWith(`${k}_`));
  if (suffix !== undefined) return suffix;
  const limit = key.length <= 4 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of known) {
    const distance = Math.min(editDistance(key, k), editDistance(plain, normalised(k)));
    if (distance < bestDistance && distance < Math.max(key.length, k.length)) {
      best = k;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The message for an unknown key (without its path): `unknown field; did you mean
 * 'impedance'? (known: …)`.
 */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = suggestKey(key, known);
  return `unknown field${suggestion === undefined ? "" : `; did you mean '${suggestion}'?`} (known: ${known.join(", ")})`;
}

/**
 * Check an object's keys against the known ones under the policy in force: an
 * unknown key is a ValidationError naming `path.key` with a suggestion, or (lenient)
 * a warning appended to `warnings` (de-duplicated) and passed to the policy's `warn`.
 *
 * @param record - the JSON object
 * @param path - its JSON path (`""` for the document root)
 * @param known - every key the reader understands
 * @param warnings - where lenient warnings go besides the policy's printer
 * @throws {ValidationError} for the first unknown key, unless lenient
 * @example
 * ```ts
 * checkKnownKeys({ impedence: [] }, "", ["scans", "impedance"]);
 * // ValidationError: impedence: unknown field; did you mean 'impedance'? (known: scans, impedance)
 * ```
 */
export function checkKnownKeys(record: Record<string, unknown>, path: string, known: readonly string[], warnings?: string[]): void {
  for (const key of Object.keys(record)) {
    if (known.includes(key)) continue;
    const where = path === "" ? key : `${path}.${key}`;
    const message = unknownKeyMessage(key, known);
    if (!policy.lenient) throw new ValidationError(where, message);
    reportInputWarning(`${where}: ${message.replace(/^unknown field/, "unknown field ignored (--lenient)")}`, warnings);
  }
}
