/**
 * Ingest of `strata serve` (issue 17 part 2), on a real SQLite store and blob folder in a
 * temporary data folder, with the example campaign's real files:
 * - exactly once: the same bytes twice are one row and one queued update; new bytes under the
 *   same path are version 2, and the materialised folder holds the latest;
 * - a file the manifest does not name is kept as "other", never queued for diagnosis;
 * - a refused upload (an .ort with a broken line, an oversized file) gives the one-line reason
 *   naming the file and the line, and leaves the store (files, events, work) and the
 *   materialised folder unchanged; a refused file from a watched folder leaves a rejected row
 *   whose reason the ingest state reports;
 * - the watcher: a scan and a cycler record written in chunks (pauses shorter than the settle
 *   interval, cut mid-line) are each ingested once, complete; the record growing later is a
 *   new version;
 * - `strata replay` as a process: every file arrives, byte for byte, campaign.json first; bad
 *   input is one line and exit 2.
 * The runner's work loop is not started here (no diagnosis is computed): what is checked is
 * what ingest stores and queues.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.ts";
import { openDataDir, type DataDir } from "../../src/service/dataDir.ts";
import { Runner } from "../../src/service/runner.ts";
import { SETTLE_MS } from "../../src/service/watcher.ts";
import { repoRoot } from "../paths.ts";
import { runCli } from "../cli/run.ts";

const example = path.join(repoRoot, "examples", "campaign");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-ingest-"));
const manifest = JSON.parse(fs.readFileSync(path.join(example, "campaign.json"), "utf8")) as Record<string, unknown>;
const bytesOf = (rel: string): Buffer => fs.readFileSync(path.join(example, rel));
/** A pause between chunks: shorter than the settle interval, so only the rule "stable for SETTLE_MS" (or a complete structure) decides. */
const CHUNK_PAUSE_MS = Math.round(SETTLE_MS / 3);
/** How long the watcher tests wait for the last hand-over at most. */
const WATCH_TIMEOUT_MS = 8000;

let data: DataDir;
let runner: Runner;

beforeAll(async () => {
  data = await openDataDir(path.join(tmp, "data"));
  runner = new Runner({ store: data.store, blobs: data.blobs, dataDir: data.dir, options: { maxFileBytes: 200_000, watcher: { growingDebounceMs: 200 } } });
  await runner.registerCampaign({ id: "ex", manifest, watchDir: null });
});

afterAll(async () => {
  await runner.stop();
  await data.store.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function snapshot(campaignId: string): Promise<string> {
  const [files, events, work] = await Promise.all([data.store.listFiles(campaignId), data.store.events(0, { campaignId }), data.store.listWork(campaignId)]);
  return JSON.stringify({ files, events, work });
}

const waitFor = async (what: string, test: () => Promise<boolean> | boolean, timeoutMs = WATCH_TIMEOUT_MS): Promise<void> => {
  const until = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe("ingest", () => {
  it("records a file exactly once by content; new content under the same path is version 2; the folder holds the latest", async () => {
    const first = await runner.ingest("ex", "xrr/A0001.ort", bytesOf("xrr/A0001.ort"));
    expect(first.status).toBe("ingested");
    if (first.status !== "ingested") return;
    expect(first).toMatchObject({ created: true, kind: "scan", queued: true });
    expect(first.file.version).toBe(1);
    const before = await snapshot("ex");
    const again = await runner.ingest("ex", "xrr/A0001.ort", bytesOf("xrr/A0001.ort"));
    expect(again).toMatchObject({ status: "ingested", created: false, queued: false });
    expect(await snapshot("ex")).toBe(before);

    const second = await runner.ingest("ex", "xrr/A0001.ort", bytesOf("xrr/A0002.ort"));
    expect(second).toMatchObject({ status: "ingested", created: true });
    if (second.status === "ingested") expect(second.file.version).toBe(2);
    const rows = (await data.store.listFiles("ex")).filter((f) => f.path === "xrr/A0001.ort");
    expect(rows.map((r) => r.version)).toEqual([1, 2]);
    expect(fs.readFileSync(path.join(data.dir, "campaigns", "ex", "xrr", "A0001.ort")).equals(bytesOf("xrr/A0002.ort"))).toBe(true);
    const queued = (await data.store.listWork("ex")).filter((w) => w.kind === "live-update" && w.payload["path"] === "xrr/A0001.ort");
    expect(queued.map((w) => w.payload["version"])).toEqual([1, 2]);
  });

  it("keeps a file the manifest does not name as 'other', not queued for diagnosis", async () => {
    const result = await runner.ingest("ex", "notes/beamline-log.txt", Buffer.from("shift 2: slits changed\n"));
    expect(result).toMatchObject({ status: "ingested", kind: "other", created: true, queued: false });
    expect((await runner.ingestState("ex")).rejected).toEqual([]);
  });

  it("refuses an .ort with a broken line in one line naming the file and the line; the store and the folder are unchanged", async () => {
    const lines = bytesOf("xrr/A0003.ort").toString("utf8").split("\n");
    const broken = lines.findIndex((l) => l.trim() !== "" && !l.startsWith("#")) + 5;
    lines[broken] = lines[broken].replace(/\s\S+$/, " 1.2.3");
    const before = await snapshot("ex");
    const result = await runner.ingest("ex", "xrr/A0003.ort", Buffer.from(lines.join("\n")));
    expect(result.status).toBe("rejected");
    if (result.status !== "rejected") return;
    expect(result.error).toMatch(new RegExp(`^xrr/A0003\\.ort:${broken + 1}: `));
    expect(result.error).not.toContain("\n");
    expect(result.error).not.toContain(".staging");
    expect(await snapshot("ex")).toBe(before);
    expect(fs.existsSync(path.join(data.dir, "campaigns", "ex", "xrr", "A0003.ort"))).toBe(false);
    expect(fs.readdirSync(path.join(data.dir, "campaigns", "ex", ".staging"))).toEqual([]);
    // the ingest state says why (an upload leaves no row: the state keeps the reason in memory)
    expect((await runner.ingestState("ex")).rejected).toEqual([{ path: "xrr/A0003.ort", error: result.error }]);
  });

  it("refuses an oversized file and a path outside the campaign folder", async () => {
    const before = await snapshot("ex");
    const big = await runner.ingest("ex", "xrr/A0004.ort", Buffer.alloc(200_001, 32));
    expect(big).toMatchObject({ status: "rejected", error: "xrr/A0004.ort: file is 200001 bytes, over the limit of 200000 bytes" });
    for (const bad of ["../x.ort", "/etc/passwd", "xrr\\A0001.ort", "xrr//A0001.ort", "a\0b", ".staging/x"]) {
      await expect(runner.ingest("ex", bad, Buffer.from("x"))).rejects.toThrow(ValidationError);
    }
    expect(await snapshot("ex")).toBe(before);
  });

  it("a refused file from a watched folder leaves a rejected row and event with the reason", async () => {
    const result = await runner.ingest("ex", "eis/A_0005.csv", Buffer.from("frequency,real,imag\n1000,abc,-1\n"), { source: "watch" });
    expect(result.status).toBe("rejected");
    if (result.status !== "rejected") return;
    expect(result.error).toMatch(/^eis\/A_0005\.csv(:\d+)?: /);
    expect(result.file).toMatchObject({ status: "rejected", error: result.error, kind: "impedance" });
    const events = await data.store.events(0, { campaignId: "ex" });
    expect(events.at(-1)).toMatchObject({ type: "file.rejected", payload: { path: "eis/A_0005.csv", error: result.error } });
    expect((await runner.ingestState("ex")).rejected).toContainEqual({ path: "eis/A_0005.csv", error: result.error });
    expect(fs.existsSync(path.join(data.dir, "campaigns", "ex", "eis", "A_0005.csv"))).toBe(false);
  });
});

/** Write `bytes` into `file` in `parts` chunks cut mid-line, pausing between them. */
async function writeInChunks(file: string, bytes: Buffer, parts: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let at = 0;
  for (let k = 1; k <= parts; k++) {
    let end = k === parts ? bytes.length : Math.floor((bytes.length * k) / parts);
    while (k < parts && (bytes[end - 1] === 10 || bytes[end] === 10)) end++; // never cut at a line end
    fs.appendFileSync(file, bytes.subarray(at, end));
    at = end;
    if (k < parts) await new Promise((r) => setTimeout(r, CHUNK_PAUSE_MS));
  }
}

describe("watcher", () => {
  it("a scan and a cycler record written in chunks are each ingested once, complete; the record growing later is version 2", async () => {
    const watched = path.join(tmp, "watched");
    fs.mkdirSync(watched);
    const stateRunner = new Runner({ store: data.store, blobs: data.blobs, dataDir: data.dir, options: { watcher: { growingDebounceMs: 200 } } });
    await stateRunner.registerCampaign({ id: "watched", manifest, watchDir: watched });
    try {
      const scan = bytesOf("xrr/A0007.ort");
      const record = bytesOf("echem/A.bdf.csv");
      const half = record.indexOf(10, Math.floor(record.length / 2)) + 1;
      await Promise.all([writeInChunks(path.join(watched, "xrr", "A0007.ort"), scan, 6), writeInChunks(path.join(watched, "echem", "A.bdf.csv"), record.subarray(0, half), 6)]);
      const ingested = async (p: string): Promise<number> => (await data.store.listFiles("watched")).filter((f) => f.path === p && f.status === "ingested").length;
      await waitFor("the scan and the first half of the record", async () => (await ingested("xrr/A0007.ort")) === 1 && (await ingested("echem/A.bdf.csv")) === 1);
      const rows = await data.store.listFiles("watched");
      const scanRows = rows.filter((f) => f.path === "xrr/A0007.ort");
      expect(scanRows).toHaveLength(1);
      expect(scanRows[0].size).toBe(scan.length);
      expect(fs.readFileSync(path.join(data.dir, "campaigns", "watched", "xrr", "A0007.ort")).equals(scan)).toBe(true);
      expect(rows.filter((f) => f.path === "echem/A.bdf.csv").map((f) => f.size)).toEqual([half]);

      fs.appendFileSync(path.join(watched, "echem", "A.bdf.csv"), record.subarray(half));
      await waitFor("the grown record", async () => (await ingested("echem/A.bdf.csv")) === 2);
      expect((await data.store.listFiles("watched")).filter((f) => f.path === "echem/A.bdf.csv").map((f) => [f.version, f.size])).toEqual([
        [1, half],
        [2, record.length],
      ]);
      // the same bytes again (a restart's sweep): nothing new
      await new Promise((r) => setTimeout(r, 1200));
      expect(await ingested("xrr/A0007.ort")).toBe(1);
      const state = await stateRunner.ingestState("watched");
      expect(state).toMatchObject({ waiting: [], rejected: [] });
      expect(state.ingested).toBe(3); // campaign.json, the scan, the record
    } finally {
      await stateRunner.stop();
    }
  });
});

describe("strata replay (a process)", () => {
  it("writes every file of the example byte for byte, campaign.json first, one JSON line per file", () => {
    const into = path.join(tmp, "replayed");
    const result = runCli(["replay", example, "--into", into, "--interval", "0.01", "--json"]);
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    const files = lines.filter((l) => l["done"] === undefined);
    expect(files[0]).toMatchObject({ kind: "manifest", path: "campaign.json", index: 1 });
    expect(files.map((f) => f["kind"])).toEqual(["manifest", ...files.slice(1).map((f) => f["kind"])]);
    expect(files.filter((f) => f["kind"] === "scan")).toHaveLength(24);
    expect(lines.at(-1)).toMatchObject({ done: true, files: files.length });
    const times = files.map((f) => f["writtenAtMs"] as number);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    for (const rel of ["campaign.json", "echem/A.bdf.csv", ...fs.readdirSync(path.join(example, "xrr")).map((f) => `xrr/${f}`)]) {
      expect(fs.readFileSync(path.join(into, rel)).equals(bytesOf(rel)), rel).toBe(true);
    }
    expect(fs.readdirSync(path.join(into, "xrr")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("bad input: one line on stderr, exit 2", () => {
    for (const args of [
      ["replay", path.join(tmp, "nope"), "--into", path.join(tmp, "r1")],
      ["replay", example, "--into", path.join(tmp, "r2"), "--speed", "0"],
      ["replay", example, "--into", path.join(tmp, "r3"), "--speed", "5", "--interval", "1"],
      ["replay", example, "--into", path.join(example, "inside")],
    ]) {
      const result = runCli(args);
      expect(result.status, args.join(" ")).toBe(2);
      expect(result.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(result.stderr).toMatch(/^strata: /);
    }
  });
});
