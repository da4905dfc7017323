/**
 * `npm run fuzz`: the full mutation fuzz of every reader (issue 5): 10 000 mutated
 * inputs per reader (ORT reader/writer, each cycler reader, each impedance reader,
 * NeXus/HDF5), seeded. h5wasm prints "Aborted(…)" on stderr for some corrupt files;
 * the reader turns those into ParseErrors. `npm test`
 * runs a bounded version. Exit 1 when any input escaped as something other than a
 * correct read or a ParseError.
 */
import { fuzzOrt } from "../src/io/ortFuzz.ts";
import { fuzzCycler } from "../src/io/cycler/cyclerFuzz.ts";
import { fuzzImpedance } from "../src/io/impedanceFuzz.ts";
import { fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NexusFuzzReport } from "../src/io/nexusFuzz.ts";

/** A read silent for this long is a hang. */
const HANG_MS = 15_000;

/** fuzzNexus in child processes under a watchdog: a hung input is recorded and skipped. */
async function fuzzNexusWatched(iterations: number, seed: number): Promise<NexusFuzzReport> {
  const total: NexusFuzzReport = { seed, inputs: 0, parsed: 0, rejected: 0, failures: [] };
  const child = path.join(path.dirname(fileURLToPath(import.meta.url)), "nexusFuzzChild.ts");
  let start = 0;
  while (start < iterations) {
    const outcome = await new Promise<{ report?: NexusFuzzReport; hungAt?: number }>((resolve) => {
      const proc = fork(child, [String(start), String(iterations), String(seed)], { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "ignore", "ipc"] });
      let current = start;
      let timer = setTimeout(() => proc.kill("SIGKILL"), HANG_MS);
      proc.on("message", (message: { input?: number; report?: NexusFuzzReport }) => {
        if (message.input !== undefined) {
          current = message.input;
          clearTimeout(timer);
          timer = setTimeout(() => proc.kill("SIGKILL"), HANG_MS);
        } else if (message.report) {
          clearTimeout(timer);
          resolve({ report: message.report });
        }
      });
      proc.on("exit", () => {
        clearTimeout(timer);
        resolve({ hungAt: current });
      });
    });
    if (outcome.report) {
      total.inputs += outcome.report.inputs;
      total.parsed += outcome.report.parsed;
      total.rejected += outcome.report.rejected;
      total.failures.push(...outcome.report.failures);
      break;
    }
    const hung = outcome.hungAt ?? start;
    total.inputs += hung - start + 1;
    total.failures.push({ input: hung, corpus: hung % 2 === 0 ? "refscan.nxs" : "plain.nxs", problem: `no answer within ${HANG_MS / 1000} s (hang), replay with fuzzNexus(${hung + 1}, ${seed}, { start: ${hung} })` });
    start = hung + 1;
  }
  return total;
}

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
const nexus = await fuzzNexusWatched(ITERATIONS, SEED);
process.stdout.write(`NeXus: ${nexus.inputs} inputs, ${nexus.parsed} parsed, ${nexus.rejected} ParseError, ${nexus.failures.length} failures (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
const failures = [...ort.failures, ...cycler.failures, ...impedance.failures, ...nexus.failures];
for (const failure of failures.slice(0, 20)) process.stdout.write(`FAIL ${JSON.stringify(failure).slice(0, 400)}\n`);
process.exitCode = failures.length > 0 ? 1 : 0;
