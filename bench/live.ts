/**
 * Issue 17 part 3 benchmark: the per-update latency of the live diagnosis over a 100-scan
 * X-ray campaign (bench/live-scenario.json, simulated here), fed one scan at a time as
 * `strata serve` sees it (`loadCampaign(…, { presentOnly: true })` then
 * `LiveDiagnosis.update`). Reports p50/p95/max of the update's wall time and of its CPU
 * time (this process, so load from elsewhere counts less), how many updates used each
 * method, the ESS at the end, and the folder load time beside (INGEST's part of the
 * service's 1-s budget). Target: p95 ≤ 700 ms on an idle 2-core machine.
 *
 *   node --import tsx bench/live.ts [--seed N] [--scans N] [--json]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadCampaign } from "../src/campaign/campaign.ts";
import { LiveDiagnosis, type LiveDocument } from "../src/diagnosis/live.ts";
import { simulateCampaign, type Scenario } from "../src/simulation/simulate.ts";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The service's budget from file complete to posterior served is 1 s; the update's share. */
export const UPDATE_TARGET_MS = 700;

interface Update {
  scan: number;
  wallMs: number;
  cpuMs: number;
  loadMs: number;
  method: string;
  ess: number;
  moved: number;
  resampled: boolean;
  needsFull: boolean;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

/** Feed the simulated campaign scan by scan; every update's times and what it did. */
export async function liveUpdates(options: { seed?: number; scans?: number } = {}): Promise<{ updates: Update[]; last: LiveDocument }> {
  const scenario = JSON.parse(fs.readFileSync(path.join(here, "live-scenario.json"), "utf8")) as Scenario;
  if (options.scans !== undefined) scenario.scans = { ...scenario.scans, count: options.scans };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "strata-bench-live-"));
  try {
    const source = path.join(work, "source");
    simulateCampaign({ ...scenario, seed: options.seed ?? scenario.seed }, source);
    const dir = path.join(work, "live");
    fs.mkdirSync(dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(source, "campaign.json"), "utf8")) as { scans: { file: string; end: string }[]; electrochemistry: { file: string }[]; impedance?: { file: string; end: string }[] };
    const copy = (file: string): void => {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.copyFileSync(path.join(source, file), path.join(dir, file));
    };
    copy("campaign.json");
    for (const e of manifest.electrochemistry) copy(e.file);
    const live = new LiveDiagnosis({ seed: 1 });
    const updates: Update[] = [];
    let last: LiveDocument | undefined;
    for (const [k, scan] of manifest.scans.entries()) {
      copy(scan.file);
      for (const e of manifest.impedance ?? []) if (e.end <= scan.end && !fs.existsSync(path.join(dir, e.file))) copy(e.file);
      const loadStart = performance.now();
      const campaign = await loadCampaign(dir, { presentOnly: true });
      const started = performance.now();
      const cpu = process.cpuUsage();
      last = await live.update(campaign);
      const used = process.cpuUsage(cpu);
      const cell = last.cells[0];
      updates.push({
        scan: k + 1,
        wallMs: performance.now() - started,
        cpuMs: (used.user + used.system) / 1000,
        loadMs: started - loadStart,
        method: cell.live.method,
        ess: cell.live.ess,
        moved: cell.live.moved,
        resampled: cell.live.resampled,
        needsFull: last.needsFull,
      });
    }
    return { updates, last: last! };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** The summary `npm run bench` would print (p50/p95/max in ms, methods). */
export async function benchLive(options: { seed?: number; scans?: number } = {}): Promise<Record<string, number | string>> {
  const { updates, last } = await liveUpdates(options);
  const wall = updates.map((u) => u.wallMs).sort((a, b) => a - b);
  const cpu = updates.map((u) => u.cpuMs).sort((a, b) => a - b);
  const load = updates.map((u) => u.loadMs).sort((a, b) => a - b);
  const methods: Record<string, number> = {};
  for (const u of updates) methods[u.method] = (methods[u.method] ?? 0) + 1;
  const slowest = [...updates].sort((a, b) => b.wallMs - a.wallMs).slice(0, 5);
  return {
    scans: updates.length,
    "update p50 ms": quantile(wall, 0.5),
    "update p95 ms": quantile(wall, 0.95),
    "update max ms": wall[wall.length - 1],
    "update CPU p50 ms": quantile(cpu, 0.5),
    "update CPU p95 ms": quantile(cpu, 0.95),
    "update CPU max ms": cpu[cpu.length - 1],
    "loadCampaign p50 ms": quantile(load, 0.5),
    "loadCampaign p95 ms": quantile(load, 0.95),
    methods: Object.entries(methods).map(([m, n]) => `${m} ${n}`).join(", "),
    slowest: slowest.map((u) => `scan ${u.scan} ${u.method} ${u.wallMs.toFixed(0)} ms`).join("; "),
    "resamplings": updates.filter((u) => u.resampled).length,
    "final ESS": last.cells[0].live.ess,
    "final law": `${last.cells[0].law.posterior} (${Object.entries(last.cells[0].law.weights).map(([law, w]) => `${law} ${(100 * (w ?? 0)).toFixed(0)} %`).join(", ")})`,
    "needs full at the end": last.needsFull ? `yes: ${last.cells[0].live.needsFull.join("; ")}` : "no",
    "first update asking for a full run": String(updates.find((u) => u.needsFull)?.scan ?? "none"),
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(" "),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const seed = arg("--seed");
  const scans = arg("--scans");
  const result = await benchLive({ ...(seed !== undefined ? { seed } : {}), ...(scans !== undefined ? { scans } : {}) });
  if (process.argv.includes("--json")) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else for (const [key, value] of Object.entries(result)) process.stdout.write(`${key}: ${typeof value === "number" ? value.toFixed(1) : value}\n`);
}
