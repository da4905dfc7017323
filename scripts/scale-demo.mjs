#!/usr/bin/env node
// `npm run scale-demo`: Strata scaled out on one machine, in one command.
//  1. PostgreSQL: scripts/services.sh (Debian's cluster, role strata, database strata_test),
//     the demo in a schema of its own (scale_demo_<pid>; STRATA_POSTGRES overrides the URL);
//  2. Redis: Debian's redis-server on a free port, a temporary --dir, --appendonly yes;
//  3. two `strata worker` processes (the machines of a real deployment);
//  4. `strata serve --store postgres://… --queue redis://… --watch example=DIR`;
//  5. `strata replay examples/campaign --into DIR --speed 600`: live updates in the service,
//     and, once the campaign is quiet (--full-after 10 s), its full run as a job on a worker;
//  6. `strata diagnose --queue` of the same campaign, fanned out to the workers.
// Prints the job table as it changes and the page's address; stops everything at the end
// (Ctrl-C stops early). Needs the compiled program (`npm run build`).
// Options: --speed X (default 600), --keep (keep the schema and the data folder), --stay (keep
// everything running at the end, for the live page's job table, until Ctrl-C).
import { execFileSync, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "bin", "strata.js");
const example = path.join(root, "examples", "campaign");
const argValue = (flag, fallback) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};
const speed = argValue("--speed", "600");
const keep = process.argv.includes("--keep");
const stay = process.argv.includes("--stay");
const schema = `scale_demo_${process.pid}`;
const pgBase = process.env.STRATA_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
const store = `${pgBase}${pgBase.includes("?") ? "&" : "?"}schema=${schema}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-scale-demo-"));
const children = [];
const say = (line) => process.stdout.write(`scale-demo: ${line}\n`);

const freePort = () =>
  new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

function start(name, command, args, options = {}) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
  children.push(child);
  child.stderr.on("data", (d) => {
    for (const line of d.toString().split("\n")) if (line.trim() && !line.includes("%")) process.stderr.write(`[${name}] ${line}\n`);
  });
  return child;
}

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children.reverse()) if (child.exitCode === null) child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1500));
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  if (!keep) {
    spawnSync("psql", [pgBase, "-qc", `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: "ignore" });
    fs.rmSync(tmp, { recursive: true, force: true });
  } else say(`kept ${tmp} and schema ${schema}`);
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(130));

if (!fs.existsSync(path.join(root, "dist", "cli", "main.js"))) {
  say("the compiled program is missing: run npm run build first");
  process.exit(2);
}
// 1. PostgreSQL
const services = spawnSync("bash", [path.join(root, "scripts", "services.sh")], { stdio: "inherit" });
if (services.status !== 0) process.exit(services.status ?? 1);
// 2. Redis
const redisPort = await freePort();
const redisDir = path.join(tmp, "redis");
fs.mkdirSync(redisDir);
const redis = start("redis", process.env.STRATA_REDIS_SERVER ?? "redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--appendonly", "yes", "--save", ""]);
await new Promise((resolve, reject) => {
  let log = "";
  redis.stdout.on("data", (d) => {
    log += d.toString();
    if (log.includes("Ready to accept connections")) resolve();
  });
  redis.once("exit", (code) => reject(new Error(`redis-server exited ${code}`)));
});
const queue = `redis://127.0.0.1:${redisPort}`;
say(`redis-server on ${queue} (appendonly, ${redisDir}); PostgreSQL schema ${schema}`);
// 3. two workers
for (const n of [1, 2]) start(`worker ${n}`, process.execPath, [bin, "worker", "--queue", queue, "--store", store, "--concurrency", "1"]);
// 4. the service
const dataDir = path.join(tmp, "data");
const watchDir = path.join(tmp, "watch");
fs.mkdirSync(watchDir);
const secret = execFileSync(process.execPath, [bin, "serve", "token", "create", "--data", dataDir, "--store", store, "--scope", "read"], { encoding: "utf8" }).trim();
const service = start("serve", process.execPath, [bin, "serve", "--data", dataDir, "--port", "0", "--store", store, "--queue", queue, "--full-after", "10", "--watch", `example=${watchDir}`]);
const line = await new Promise((resolve) => readline.createInterface({ input: service.stdout }).once("line", resolve));
const base = /^strata serve: (http:\/\/\S+?)\/? /.exec(line)?.[1];
if (!base) {
  say(`the service did not start: ${line}`);
  await stopAll(1);
}
say(`${line}`);
say(`live page: ${base}/campaigns/example?access_token=${secret} (the job table: ${base}/?access_token=${secret})`);
// 5. the replay
const replay = start("replay", process.execPath, [bin, "replay", example, "--into", watchDir, "--speed", speed, "--force"]);
const api = async (url) => (await fetch(`${base}${url}`, { headers: { authorization: `Bearer ${secret}` } })).json();
let shown = "";
const showJobs = async () => {
  const { jobs } = await api("/api/jobs");
  const table = jobs.map((j) => `  ${j.kind.padEnd(8)} ${String(j.label ?? j.campaignId ?? "").padEnd(12)} ${j.state.padEnd(7)} attempts ${j.attempts}${j.reason ? ` — ${j.reason}` : ""}`).join("\n");
  if (table !== shown) {
    shown = table;
    say(`jobs:\n${table || "  (none yet)"}`);
  }
};
await new Promise((resolve) => replay.once("exit", resolve));
say("replay finished; waiting for the full run on a worker (after 10 s of quiet)");
const deadline = Date.now() + 15 * 60_000;
for (;;) {
  await showJobs().catch(() => undefined);
  const full = await fetch(`${base}/api/campaigns/example/diagnosis?kind=full`, { headers: { authorization: `Bearer ${secret}` } });
  if (full.status === 200) break;
  if (Date.now() > deadline) {
    say("no full diagnosis after 15 min");
    await stopAll(1);
  }
  await new Promise((r) => setTimeout(r, 1000));
}
await showJobs();
say("the full diagnosis is stored (computed by a worker)");
// 6. a batch through the same workers
const out = path.join(tmp, "batch");
const batch = spawnSync(process.execPath, [bin, "diagnose", example, "--queue", queue, "--store", store, "--out", out], { stdio: ["ignore", "inherit", "inherit"] });
say(`strata diagnose --queue exited ${batch.status}`);
if (stay) {
  say("everything keeps running: Ctrl-C stops it");
  await new Promise(() => undefined);
}
await stopAll(batch.status === 0 ? 0 : 1);
