#!/usr/bin/env node
// `npm run live`: the live mode in one command, for a newcomer.
//  1. starts `strata serve` on a temporary data folder (a free port on 127.0.0.1),
//  2. creates a write token,
//  3. registers examples/campaign, watching a temporary folder,
//  4. replays the example into that folder (`strata replay … --speed 300`: the 10-hour
//     experiment in about two minutes),
//  5. prints the live page's address with the token — open it and watch the scans arrive.
// The service keeps running after the replay (a full re-run of the diagnosis follows after
// 30 s of quiet). Ctrl-C stops the replay and the service and removes the temporary folder.
// Needs the compiled program (`npm run build`). Options: --speed X (default 300), --port N (default 0: a free one), --keep (keep the data folder).
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
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
const speed = argValue("--speed", "300");
const port = argValue("--port", "0");
const keep = process.argv.includes("--keep");
const CAMPAIGN_ID = "example";

const say = (line) => process.stdout.write(`live: ${line}\n`);
const fail = (line) => {
  process.stderr.write(`live: ${line}\n`);
  process.exitCode = 1;
};

if (!fs.existsSync(path.join(root, "dist", "cli", "main.js"))) {
  fail("the compiled program is missing: run `npm run build` first");
  process.exit(2);
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-live-"));
const dataDir = path.join(tmp, "data");
const watchDir = path.join(tmp, "instrument");
fs.mkdirSync(watchDir, { recursive: true });

const token = spawnSync(process.execPath, [bin, "serve", "token", "create", "--data", dataDir, "--scope", "write", "--label", "npm run live", "--json"], { encoding: "utf8" });
if (token.status !== 0) {
  fail(`could not create a token: ${token.stderr.trim()}`);
  process.exit(1);
}
const secret = JSON.parse(token.stdout.trim().split("\n")[0]).secret;

const children = new Set();
let stopping = false;

function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  const done = () => {
    if (!keep) fs.rmSync(tmp, { recursive: true, force: true });
    else say(`data kept in ${dataDir}`);
    process.exit(code);
  };
  if (children.size === 0) done();
  let left = children.size;
  for (const child of children) child.once("exit", () => --left === 0 && done());
  setTimeout(done, 5000).unref();
}
process.on("SIGINT", () => {
  process.stdout.write("\n");
  say("stopping");
  stop(0);
});
process.on("SIGTERM", () => stop(0));

const serve = spawn(process.execPath, [bin, "serve", "--data", dataDir, "--port", port, "--host", "127.0.0.1"], { stdio: ["ignore", "pipe", "pipe"] });
children.add(serve);
serve.on("exit", (code, signal) => {
  children.delete(serve);
  if (!stopping) {
    fail(`strata serve ended (${signal ?? `exit ${code}`})`);
    stop(1);
  }
});
serve.stderr.on("data", (chunk) => process.stderr.write(chunk));

const lines = readline.createInterface({ input: serve.stdout });
lines.on("line", (line) => {
  const match = /^strata serve: (http:\/\/\S+?)\/? /.exec(line);
  if (!match) return;
  void begin(match[1]).catch((error) => {
    fail(String(error?.message ?? error));
    stop(1);
  });
});

async function begin(base) {
  const manifest = JSON.parse(fs.readFileSync(path.join(example, "campaign.json"), "utf8"));
  const response = await fetch(`${base}/api/campaigns`, {
    method: "POST",
    headers: { authorization: `Bearer ${secret}`, "content-type": "application/json" },
    body: JSON.stringify({ id: CAMPAIGN_ID, manifest, watch: watchDir }),
  });
  if (response.status !== 201) throw new Error(`registering the example: HTTP ${response.status} ${await response.text()}`);
  say(`strata serve is running on ${base} (data in ${dataDir})`);
  say(`open the live page:  ${base}/campaigns/${CAMPAIGN_ID}?access_token=${secret}`);
  say(`the API with the same token, e.g.  curl -H 'Authorization: Bearer ${secret}' ${base}/api/campaigns/${CAMPAIGN_ID}/timeline.csv`);
  say(`replaying examples/campaign into ${watchDir} at ${speed}× (Ctrl-C stops everything)`);
  const replay = spawn(process.execPath, [bin, "replay", example, "--into", watchDir, "--speed", speed, "--force"], { stdio: ["ignore", "inherit", "inherit"] });
  children.add(replay);
  replay.on("exit", (code, signal) => {
    children.delete(replay);
    if (stopping) return;
    if (code === 0) say("replay finished: the service keeps running (a full re-run follows after 30 s of quiet); Ctrl-C to stop");
    else {
      fail(`strata replay ended (${signal ?? `exit ${code}`})`);
      stop(1);
    }
  });
}
