/**
 * `npm run bench`: runs every benchmark, prints a table and writes bench/results.json.
 * A benchmark, not a timed test: numbers depend on the machine and its load; run it idle.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { benchReflectivity } from "./reflectivity.ts";
import { benchInference } from "./inference.ts";
import { benchCircuitFit } from "./impedance.ts";
import { benchDrt } from "./drt.ts";
import { benchCycler } from "./cycler.ts";
import { benchInspect } from "./campaign.ts";
import { benchDiagnose } from "./diagnose.ts";
import { benchConfounders } from "./confounders.ts";
import { benchStartup } from "./startup.ts";
import { benchRealData } from "./realdata.ts";
import { benchLive } from "./live.ts";
import { measureServiceLatency, percentile } from "./serviceLatency.ts";
import { benchPlan } from "./plan.ts";
import { benchProposal } from "./proposal.ts";
import { measureQueueThroughput } from "./queue.ts";
import type { Timing } from "./harness.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
const isTiming = (v: unknown): v is Timing => typeof v === "object" && v !== null && "minUs" in v;

const suites: Record<string, () => Record<string, Timing | number | string> | Promise<Record<string, Timing | number | string>>> = {
  reflectivity: benchReflectivity,
  inference: benchInference,
  impedance: benchCircuitFit,
  drt: benchDrt,
  cycler: benchCycler,
  campaign: benchInspect,
  diagnose: benchDiagnose,
  confounders: benchConfounders,
  startup: benchStartup,
  realdata: benchRealData,
  live: () => benchLive(),
  // `strata serve` (a spawned service) replaying 100 X-ray scans at one every 2 s: ~4 min
  service: async () => {
    const result = await measureServiceLatency({ scans: 100, interval_s: 2, seed: 1 });
    const updateMs = result.updates.flatMap((u) => (typeof u.update_ms === "number" ? [u.update_ms] : []));
    return {
      "scans replayed": result.scans,
      "file complete → posterior served p50 ms": result.p50_ms,
      "file complete → posterior served p95 ms (target ≤ 1000)": result.p95_ms,
      "file complete → posterior served max ms": result.max_ms,
      "live update p50 ms": percentile(updateMs, 50),
      "live update p95 ms": percentile(updateMs, 95),
      "full runs during the replay": result.fullRuns,
    };
  },
  plan: benchPlan,
  proposal: benchProposal,
  // issue 20: 24 small campaigns through `strata diagnose FOLDER --queue` on 1 and 2 `strata worker`s (own redis-server, PostgreSQL schema): ~3 min
  queue: async () => {
    const r = await measureQueueThroughput({ repeat: 1 });
    return {
      campaigns: r.campaigns,
      "1 worker s": r.oneWorker_s,
      "2 workers s": r.twoWorkers_s,
      "2 workers / 1 worker (target ≤ 0.6)": r.ratio,
      "in process, one after another s": r.inProcess_s,
      "queued results equal in-process": String(r.equal),
    };
  },
};
const only = process.argv.slice(2);
const results: Record<string, unknown> = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
  date: new Date().toISOString(),
};
for (const [name, run] of Object.entries(suites)) {
  if (only.length > 0 && !only.includes(name)) continue;
  const started = Date.now();
  const suite = await run();
  results[name] = suite;
  process.stdout.write(`\n## ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  process.stdout.write(`| case | min | median |\n|---|---:|---:|\n`);
  for (const [key, value] of Object.entries(suite)) {
    if (isTiming(value)) process.stdout.write(`| ${key} | ${value.minUs.toFixed(2)} µs | ${value.medianUs.toFixed(2)} µs |\n`);
    else process.stdout.write(`| ${key} | ${typeof value === "number" ? value.toPrecision(4) : value} | |\n`);
  }
}
const file = path.join(here, "results.json");
const previous = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>) : {};
fs.writeFileSync(file, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
process.stdout.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);
