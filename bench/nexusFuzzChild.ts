/**
 * Child process of `npm run fuzz` for the NeXus reader: runs fuzzNexus from a start
 * input and reports each input it begins, so the parent can detect a read that hangs
 * inside the wasm HDF5 library (synchronous code no timer can interrupt) and kill it.
 * argv: START ITERATIONS SEED
 */
import { fuzzNexus } from "../src/io/nexusFuzz.ts";

const [start, iterations, seed] = process.argv.slice(2);
const report = await fuzzNexus(Number(iterations), seed, { start: Number(start), onInput: (input) => process.send?.({ input }) });
process.send?.({ report }, () => process.exit(0));
