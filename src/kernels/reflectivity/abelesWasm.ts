/**
 * @module kernels/reflectivity/abelesWasm
 * The WebAssembly SIMD (f64x2) reflectivity kernel (./abeles.wat, bytes in
 * ./abelesWasm.generated.ts): compiled synchronously when this module loads, one instance
 * per thread (a worker thread that imports the kernels gets its own), its linear memory grown
 * on demand. Inputs are copied into that memory once per call.
 *
 * Units: as ./abeles.ts (Q Å⁻¹, thickness and roughness Å, SLD 10⁻⁶ Å⁻²).
 *
 * Results are the scalar kernel's bit for bit (see the .wat header); the two cases the wasm
 * kernel leaves to the scalar one make {@link wasmReflectivity} return false, and the caller
 * (./abeles.ts) then runs the scalar kernel. Where WebAssembly SIMD is unavailable (an old
 * runtime or a browser without it) {@link WASM_KERNEL_AVAILABLE} is false.
 */
import { ABELES_WASM_BASE64 } from "./abelesWasm.generated.ts";

/** The few WebAssembly JS API members used here (the project's TS lib has no DOM/WebAssembly types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
type KernelExport = (
  slabs: number,
  rows: number,
  table: number,
  q: number,
  n: number,
  out: number,
  work: number,
  scale: number,
  background: number,
) => number;

const PAGE_BYTES = 65536;
const SLAB_COLUMNS = 4;

function decodeBase64(text: string): Uint8Array {
  if (typeof Buffer !== "undefined") return new Uint8Array(Buffer.from(text, "base64"));
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function instantiate(): { kernel: KernelExport; memory: WasmMemory } | undefined {
  const api = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
  if (api === undefined) return undefined;
  try {
    const instance = new api.Instance(new api.Module(decodeBase64(ABELES_WASM_BASE64)), {});
    return { kernel: instance.exports.reflectivity as KernelExport, memory: instance.exports.memory as WasmMemory };
  } catch {
    // no SIMD (CompileError) or no WebAssembly at all: the scalar kernel serves every call
    return undefined;
  }
}

const compiled = instantiate();

/** True when the SIMD kernel compiled in this thread. */
export const WASM_KERNEL_AVAILABLE = compiled !== undefined;

let calls = 0;

/** Calls the wasm kernel completed in this thread (for tests of the kernel choice). */
export function wasmKernelCalls(): number {
  return calls;
}

let heap = new Float64Array(compiled ? compiled.memory.buffer : new ArrayBuffer(0));

/** Make the memory hold `doubles` f64 values (undefined when it cannot grow so far); the view is renewed when the memory grows. */
function ensureDoubles(doubles: number): Float64Array | undefined {
  const memory = compiled!.memory;
  const bytes = doubles * 8;
  if (memory.buffer.byteLength < bytes) {
    try {
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    } catch {
      // beyond WebAssembly's 4 GB: the scalar kernel takes the call
      return undefined;
    }
  }
  if (heap.buffer !== memory.buffer) heap = new Float64Array(memory.buffer);
  return heap;
}

/**
 * R(Q) = scale·|r(Q)|² + background by the SIMD kernel, with the arguments of
 * `reflectivity()` in ./abeles.ts (`result` is required here).
 * @returns true when `result` holds R; false when the call is the scalar kernel's: a point with
 *   a Névot–Croce phase beyond π/4 or a layer phase ≥ 1e6 rad, a table of fewer than 2 or
 *   fractional rows, or inputs beyond the wasm memory (`result` then untouched or partly written)
 */
export function wasmReflectivity(
  q: Float64Array,
  slabs: Float64Array,
  scale: number,
  background: number,
  result: Float64Array,
  offset: number,
  rows: number,
  outOffset: number,
): boolean {
  // a table whose length is not whole rows is the scalar kernel's to reject
  if (!Number.isInteger(rows) || rows < 2) return false;
  const n = q.length;
  const cells = rows * SLAB_COLUMNS;
  const padded = n + (n & 1);
  // layout in doubles: slab table | per-medium table | Q (padded to pairs) | R | work (24 per pair)
  const slabsAt = 0;
  const tableAt = cells;
  const qAt = 2 * cells;
  const outAt = qAt + padded;
  const workAt = outAt + padded;
  const memory = ensureDoubles(workAt + 12 * padded);
  if (memory === undefined) return false;
  if (offset === 0 && slabs.length === cells) memory.set(slabs, slabsAt);
  else for (let i = 0; i < cells; i++) memory[slabsAt + i] = slabs[offset + i];
  memory.set(q, qAt);
  // the odd point's partner lane repeats it
  if (padded !== n) memory[qAt + n] = q[n - 1];
  const status = compiled!.kernel(slabsAt * 8, rows, tableAt * 8, qAt * 8, n, outAt * 8, workAt * 8, scale, background);
  if (status !== 0) return false;
  calls++;
  if (outOffset === 0 && result.length === n) result.set(memory.subarray(outAt, outAt + n));
  else for (let i = 0; i < n; i++) result[outOffset + i] = memory[outAt + i];
  return true;
}
