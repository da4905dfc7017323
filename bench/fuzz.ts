/**
 * `npm run fuzz`: the full mutation fuzz of every reader (issue 5): 10 000 mutated
 * inputs per reader (ORT reader/writer, each cycler reader, each impedance reader,
 * NeXus/HDF5, the facility readers of issue 15), seeded. The NeXus reader runs the HDF5 library in a worker thread
 * it replaces after a crash or a hang; the fuzz counts those (crash, abandoned). `npm test`
 * runs a bounded version. Exit 1 when any input escaped as something other than a
 * correct read or a ParseError.
 */
import { fuzzOrt } from "./fuzz/ortFuzz.ts";
import { fuzzCycler } from "./fuzz/cyclerFuzz.ts";
import { fuzzImpedance } from "./fuzz/impedanceFuzz.ts";
import { fuzzNexus } from "./fuzz/nexusFuzz.ts";
import { fuzzFacility } from "./fuzz/facilityFuzz.ts";
import { closeNexusReader } from "../src/io/nexus.ts";

const ITERATIONS = Number(process.argv[2] ?? 10_000);
const SEED = Number(process.argv[3] ?? 20261125);

let started = performance.now();
const ort = fuzzOrt(ITERATIONS, SEED);
process.stdout.write(`ORT: ${ort.inputs} inputs, ${ort.parsed} parsed, ${ort.rejected} ParseError, ${ort.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
started = performance.now();
const cycler = fuzzCycler(ITERATIONS, SEED);
for (const [reader, counts] of Object.entries(cycler.readers)) {
  process.stdout.write(`cycler ${reader}: ${counts.inputs} inputs, ${counts.parsed} parsed, ${counts.rejected} ParseError\n`);
}
process.stdout.write(`cycler: ${cycler.inputs} inputs, ${cycler.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
started = performance.now();
const impedance = fuzzImpedance(ITERATIONS, SEED);
for (const [reader, counts] of Object.entries(impedance.readers)) {
  process.stdout.write(`impedance ${reader}: ${counts.inputs} inputs, ${counts.parsed} parsed, ${counts.rejected} ParseError\n`);
}
process.stdout.write(`impedance: ${impedance.inputs} inputs, ${impedance.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
started = performance.now();
const nexus = await fuzzNexus(ITERATIONS, SEED);
await closeNexusReader();
process.stdout.write(`NeXus: ${nexus.inputs} inputs, ${nexus.parsed} parsed, ${nexus.rejected} ParseError (of which ${nexus.abandoned} abandoned after the time limit; ${nexus.workerStarts} HDF5 worker threads started), ${nexus.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
started = performance.now();
const facility = fuzzFacility(ITERATIONS, SEED);
for (const [reader, counts] of Object.entries(facility.readers)) {
  process.stdout.write(`facility ${reader}: ${counts.inputs} inputs, ${counts.parsed} parsed, ${counts.rejected} ParseError/ValidationError\n`);
}
process.stdout.write(`facility: ${facility.inputs} inputs, slowest ${facility.slowestMs.toFixed(0)} ms, ${facility.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
const failures = [...ort.failures, ...cycler.failures, ...impedance.failures, ...nexus.failures, ...facility.failures];
for (const failure of failures.slice(0, 20)) process.stdout.write(`FAIL ${JSON.stringify(failure).slice(0, 400)}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
