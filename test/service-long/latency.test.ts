/**
 * Issue 17's latency acceptance, the test's looser form (the benchmark, bench/serviceLatency.ts,
 * reports the 100-scan numbers against the 1-s target): the benchmark's X-ray campaign
 * (bench/live-scenario.json simulated by `strata simulate`) replayed by `strata replay` at one
 * scan every 2 s into the watched folder of a running `strata serve`; the p95 time from a scan
 * file being complete (its rename) to an updated posterior that includes it being served by
 * `GET /api/campaigns/:id/diagnosis` stays under {@link P95_BOUND_MS} once the first
 * {@link WARM_UP_SCANS} scans are in.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { measureServiceLatency, percentile } from "../../bench/serviceLatency.ts";
import { repoRoot } from "../paths.ts";

/** The test's bound on the p95 latency (ms): the 1-s target with room for a shared 2-core CI machine. */
const P95_BOUND_MS = 2500;
/** Scans replayed (at 2 s each): enough for a p95, within the service project's time budget. */
const SCANS = 40;
const INTERVAL_S = 2;
/**
 * The first scans are left out of the bound (and printed): the engine's first updates of a
 * campaign (global start, the first joint fits on 2–3 scans) take seconds, a start-up cost
 * that the 100-scan benchmark's p95 absorbs but a 40-scan p95 (its 2nd-worst value) does not.
 */
const WARM_UP_SCANS = 5;

describe("strata serve latency", () => {
  it(`${SCANS} scans at one every ${INTERVAL_S} s: p95 of file complete → posterior served ≤ ${P95_BOUND_MS} ms`, async () => {
    expect(fs.existsSync(path.join(repoRoot, "dist", "cli", "main.js")), "run `npm run build` first").toBe(true);
    const result = await measureServiceLatency({ scans: SCANS, interval_s: INTERVAL_S, seed: 1 });
    const steady = result.latencies_ms.slice(WARM_UP_SCANS);
    const p95 = percentile(steady, 95);
    process.stdout.write(
      `strata serve latency over ${result.scans} scans: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, max ${result.max_ms} ms (first ${WARM_UP_SCANS}: ${result.latencies_ms.slice(0, WARM_UP_SCANS).join(", ")} ms; after them p95 ${p95} ms); ${result.updates.length} live updates, ${result.fullRuns} full runs\n`,
    );
    expect(result.scans).toBe(SCANS);
    expect(result.latencies_ms.every((l) => l >= 0)).toBe(true);
    expect(p95).toBeLessThanOrEqual(P95_BOUND_MS);
  });
});
