/**
 * Issue 17's latency acceptance, the test's looser form (the benchmark, bench/serviceLatency.ts,
 * reports the 100-scan numbers against the 1-s target): the benchmark's X-ray campaign
 * (bench/live-scenario.json simulated by `strata simulate`) replayed by `strata replay` at one
 * scan every 2 s into the watched folder of a running `strata serve`; the p95 time from a scan
 * file being complete (its rename) to an updated posterior that includes it being served by
 * `GET /api/campaigns/:id/diagnosis` stays under {@link P95_BOUND_MS}.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { measureServiceLatency } from "../../bench/serviceLatency.ts";
import { repoRoot } from "../paths.ts";

/** The test's bound on the p95 latency (ms): the 1-s target with room for a shared 2-core CI machine. */
const P95_BOUND_MS = 2500;
/** Scans replayed (at 2 s each): enough for a p95, within the service project's time budget. */
const SCANS = 40;
const INTERVAL_S = 2;

describe("strata serve latency", () => {
  it(`${SCANS} scans at one every ${INTERVAL_S} s: p95 of file complete → posterior served ≤ ${P95_BOUND_MS} ms`, async () => {
    expect(fs.existsSync(path.join(repoRoot, "dist", "cli", "main.js")), "run `npm run build` first").toBe(true);
    const result = await measureServiceLatency({ scans: SCANS, interval_s: INTERVAL_S, seed: 1 });
    process.stdout.write(`strata serve latency over ${result.scans} scans: p50 ${result.p50_ms} ms, p95 ${result.p95_ms} ms, max ${result.max_ms} ms; ${result.updates.length} live updates, ${result.fullRuns} full runs\n`);
    expect(result.scans).toBe(SCANS);
    expect(result.latencies_ms.every((l) => l >= 0)).toBe(true);
    expect(result.p95_ms).toBeLessThanOrEqual(P95_BOUND_MS);
  });
});
