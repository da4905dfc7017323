/**
 * @module api/json
 * Plain JSON from results that hold typed arrays: every Float64Array, Float32Array and
 * Int32Array becomes an ordinary array, so `JSON.stringify(result)` writes exactly what the
 * CLI's `--json` writes. No units.
 */

const isTypedArray = (value: unknown): value is Float64Array | Float32Array | Int32Array => value instanceof Float64Array || value instanceof Float32Array || value instanceof Int32Array;

/** A `JSON.stringify` replacer writing typed arrays as arrays. */
export const typedArrayReplacer = (_key: string, value: unknown): unknown => (isTypedArray(value) ? Array.from(value) : value);

/** A deep copy of `value` with typed arrays as arrays (objects with `toJSON` are asked first). */
export function plainJson(value: unknown): unknown {
  if (isTypedArray(value)) return Array.from(value);
  if (Array.isArray(value)) return value.map(plainJson);
  if (value !== null && typeof value === "object") {
    const withToJson = value as { toJSON?: () => unknown };
    if (typeof withToJson.toJSON === "function") return plainJson(withToJson.toJSON());
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) if (v !== undefined) out[key] = plainJson(v);
    return out;
  }
  return value;
}

/** Raise the signal's reason when it has been aborted (an `AbortError` DOMException by default). */
export function checkAborted(signal: AbortSignal | undefined): void {
  signal?.throwIfAborted();
}
