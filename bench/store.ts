/**
 * The store's latency on the live service's hot path: `putDiagnosis` of a ~200-kB strata-live/1
 * document (what the runner stores after every scan), `events(after)` near the head of a
 * 10 000-event log (what every SSE follower asks), `latestDiagnosis` (what the page reads) and
 * `recordFile`. Each call is timed on its own; prints p50 / p95 / max in ms. SQLite always;
 * PostgreSQL too when `--postgres` is given (STRATA_TEST_POSTGRES or the test database, in a
 * throw-away schema).
 *
 *   node --import tsx bench/store.ts [--postgres] [--calls 200]
 *
 * A benchmark, not a timed test: run it idle, say under what load it ran.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openStore } from "../src/store/index.ts";
import type { Store } from "../src/store/types.ts";

/** Events in the log before `events(after)` is timed. */
const LOG_EVENTS = 10_000;
/** Posterior draws of the synthetic document: 1000 × 10 numbers, about 200 kB of JSON with the timeline. */
const DRAWS = 1000;
const DRAW_NAMES = ["d0", "kp", "t0", "sld", "rough", "scale", "bkg", "dq", "dose_k", "sigma"];

interface Latency {
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  calls: number;
}

/** A strata-live/1-shaped document of about 200 kB: a 100-scan timeline, a latest scan and 1000 draws. */
export function liveDocument(scans: number): Record<string, unknown> {
  let x = 0.1234;
  const next = (): number => (x = (x * 16807) % 1) + Math.sin(x * 1e3);
  return {
    format: "strata-live/1",
    campaign: "bench",
    generated: new Date().toISOString(),
    method: "sir",
    scans,
    pending: [],
    cells: [
      {
        id: "A",
        headline: "parabolic growth, kp = 0.8 ± 0.1 Å²/s",
        law: { best: "parabolic", weights: { linear: 0.02, parabolic: 0.71, logarithmic: 0.27 } },
        timeline: Array.from({ length: 100 }, (_, k) => ({
          scan: `A${String(k + 1).padStart(4, "0")}`,
          time_s: k * 120,
          spot: "P1",
          thickness_A: { median: 20 + next(), lo95: 19 + next(), hi95: 21 + next() },
          independent_A: { value: 20 + next(), stderr: 0.6 },
        })),
        latestScan: { id: "A0100", q: Array.from({ length: 200 }, next), r: Array.from({ length: 200 }, next), fit: Array.from({ length: 200 }, next), chi2red: 1.03 },
        posterior: { ess: 812, draws: { names: DRAW_NAMES, values: Array.from({ length: DRAWS }, () => DRAW_NAMES.map(next)) } },
      },
    ],
  };
}

function summarise(samples: number[]): Latency {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
  const round = (v: number): number => Math.round(v * 1000) / 1000;
  return { p50_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(sorted[sorted.length - 1]), calls: sorted.length };
}

async function timed(calls: number, fn: (k: number) => Promise<unknown>): Promise<Latency> {
  const samples: number[] = [];
  for (let k = 0; k < calls; k++) {
    const start = process.hrtime.bigint();
    await fn(k);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarise(samples);
}

export async function benchStore(spec: string | undefined, dataDir: string, calls: number): Promise<Record<string, Latency | number>> {
  const store: Store = await openStore(spec, dataDir);
  try {
    await store.putCampaign({ id: "bench", name: "bench", manifest: {}, watchDir: null });
    for (let k = 0; k < LOG_EVENTS; k++) await store.appendEvent({ campaignId: k % 2 === 0 ? "bench" : null, type: "bench.filler", payload: { k } });
    const document = liveDocument(100);
    const documentBytes = Buffer.byteLength(JSON.stringify(document));
    const putDiagnosis = await timed(calls, (k) => store.putDiagnosis({ campaignId: "bench", kind: "live", scans: k, document }));
    const head = await store.lastSeq!();
    const eventsAfter = await timed(calls, () => store.events(head - 5));
    const eventsAfterCampaign = await timed(calls, () => store.events(head - 5, { campaignId: "bench" }));
    const latestDiagnosis = await timed(calls, () => store.latestDiagnosis("bench"));
    const recordFile = await timed(calls, (k) =>
      store.recordFile({
        campaignId: "bench",
        path: `xrr/A${k}.ort`,
        sha256: createHash("sha256").update(String(k)).digest("hex"),
        size: 1000,
        kind: "scan",
        status: "ingested",
        error: null,
      }),
    );
    return { documentBytes, putDiagnosis, eventsAfter, eventsAfterCampaign, latestDiagnosis, recordFile };
  } finally {
    await store.close();
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const callsAt = args.indexOf("--calls");
  const calls = callsAt >= 0 ? Number(args[callsAt + 1]) : 200;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-store-"));
  const report: Record<string, unknown> = { loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100), cpus: os.cpus().length };
  try {
    report.sqlite = await benchStore(undefined, dir, calls);
    if (args.includes("--postgres")) {
      const schema = `bench_${randomBytes(4).toString("hex")}`;
      const base = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
      const url = new URL(base);
      url.searchParams.set("schema", schema);
      try {
        report.postgres = await benchStore(url.toString(), dir, calls);
      } finally {
        const client = new pg.Client(base);
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await client.end();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(`${JSON.stringify(report, null, 1)}\n`);
}

// run as a script (liveDocument and benchStore can be imported)
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
