/**
 * The store of `strata serve`, one suite run against both implementations: SQLite in a
 * temporary folder and the PostgreSQL of scripts/services.sh (STRATA_TEST_POSTGRES or
 * postgres://strata:strata@127.0.0.1:5432/strata_test; each database of this file is a schema
 * with a random name, dropped at the end). Migrations are recorded once and a newer schema is
 * refused; a file content is recorded exactly once even by 20 concurrent calls; diagnosis
 * versions increase and do not change; events are strictly increasing, page with afterSeq and
 * reach a concurrent follower without gaps; tokens are found by hash until revoked; work is
 * claimed once, finished and requeued after a crash; and a writer killed with SIGKILL part-way
 * leaves a prefix of whole transactions. Then openStore's `--store` forms and its errors.
 */
import { spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError, ValidationError } from "../../src/core/errors.ts";
import { DEFAULT_SQLITE_FILE, SqliteStore, openStore, redactUrl } from "../../src/store/index.ts";
import type { Store } from "../../src/store/types.ts";
import { repoRoot } from "../paths.ts";
import { CRASH_CAMPAIGN, CRASH_DOCUMENT_VALUES, RACE_CAMPAIGN, checksum, writePath, writeSha } from "./storeWriter.ts";

const PG_URL = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-store-"));
/** How many concurrent callers race for one thing. */
const RACERS = 20;
/** Writes the crash child is given (it is killed long before the end). */
const CRASH_WRITES = 5000;
/** Acknowledged writes after which the crash child is killed. */
const CRASH_KILL_AFTER = 25;

const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

interface Backend {
  name: "sqlite" | "postgres";
  /** a `--store` value for a fresh database called `name` */
  spec(name: string): string;
  /** raw SQL on that database */
  sql(name: string, text: string): Promise<Record<string, unknown>[]>;
  /** fails with a clear message when the database server is not there */
  check(): Promise<void>;
  cleanup(): Promise<void>;
}

const sqliteBackend: Backend = {
  name: "sqlite",
  spec: (name) => `sqlite:${path.join(tmp, `${name}.db`)}`,
  sql: (name, text) => {
    const db = new Database(path.join(tmp, `${name}.db`));
    try {
      const statement = db.prepare(text);
      return Promise.resolve(statement.reader ? (statement.all() as Record<string, unknown>[]) : (statement.run(), []));
    } finally {
      db.close();
    }
  },
  check: () => Promise.resolve(),
  cleanup: () => Promise.resolve(),
};

const pgPrefix = `t_store_${randomBytes(4).toString("hex")}`;
const pgSchemas = new Set<string>();
const pgSchema = (name: string): string => {
  const schema = `${pgPrefix}_${name}`;
  pgSchemas.add(schema);
  return schema;
};
async function pgQuery(text: string, schema?: string): Promise<Record<string, unknown>[]> {
  const client = new pg.Client({ connectionString: PG_URL, ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }) });
  await client.connect();
  try {
    return (await client.query<Record<string, unknown>>(text)).rows;
  } finally {
    await client.end();
  }
}
const postgresBackend: Backend = {
  name: "postgres",
  spec: (name) => {
    const url = new URL(PG_URL);
    url.searchParams.set("schema", pgSchema(name));
    return url.toString();
  },
  sql: (name, text) => pgQuery(text, pgSchema(name)),
  check: async () => {
    try {
      await pgQuery("SELECT 1");
    } catch (error) {
      throw new Error(
        `PostgreSQL is not reachable at ${redactUrl(PG_URL)} (${(error as Error).message}): run scripts/services.sh or set STRATA_TEST_POSTGRES`,
      );
    }
  },
  cleanup: async () => {
    for (const schema of pgSchemas) await pgQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  },
};

afterAll(async () => {
  await postgresBackend.cleanup();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const WRITER = path.join(repoRoot, "test", "store", "storeWriter.ts");
/** Contents each of the two racing processes records. */
const RACE_WRITES = 40;

/** Runs two writers in race mode, started together once both are ready; returns their stdouts. */
function raceWriters(spec: string): Promise<string[]> {
  const children = [0, 1].map(() =>
    spawn(process.execPath, ["--import", "tsx", WRITER, spec, tmp, String(RACE_WRITES), "race"], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] }),
  );
  let ready = 0;
  return Promise.all(
    children.map(
      (child) =>
        new Promise<string>((resolve, reject) => {
          let out = "";
          let err = "";
          child.stdout.on("data", (chunk: Buffer) => {
            const wasReady = out.startsWith("ready\n");
            out += chunk.toString();
            if (!wasReady && out.startsWith("ready\n") && ++ready === children.length) for (const c of children) c.stdin.end("go\n");
          });
          child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
          child.on("error", reject);
          child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`race writer failed (code ${code}): ${err.trim()}`))));
        }),
    ),
  );
}

/** Runs the crash child until it has acknowledged `killAfter` writes, then SIGKILLs it; returns the last ack. */
function writeAndKill(spec: string, killAfter: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", WRITER, spec, tmp, String(CRASH_WRITES)], {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let lastAck = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const acks = [...out.matchAll(/^ack (\d+)$/gm)];
      if (acks.length > 0) lastAck = Number(acks[acks.length - 1][1]);
      if (lastAck >= killAfter && child.exitCode === null && !child.killed) child.kill("SIGKILL");
    });
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve(lastAck);
      else reject(new Error(`crash writer ended by itself (code ${code}) after ${lastAck} writes: ${err.trim()}`));
    });
  });
}

describe.each([sqliteBackend, postgresBackend])("the $name store", (backend) => {
  let store: Store;
  beforeAll(async () => {
    await backend.check();
    store = await openStore(backend.spec("main"), tmp);
  });
  afterAll(async () => {
    await store?.close();
  });
  const campaign = async (id: string): Promise<void> => {
    await store.putCampaign({ id, name: id, manifest: { name: id }, watchDir: null });
  };
  const file = (campaignId: string, filePath: string, content: string) => ({
    campaignId,
    path: filePath,
    sha256: sha(content),
    size: content.length,
    kind: "scan",
    status: "ingested" as const,
    error: null,
  });

  it("records each migration once, opens an existing database without change, and refuses a newer schema", async () => {
    const [a, b] = await Promise.all([openStore(backend.spec("mig"), tmp), openStore(backend.spec("mig"), tmp)]);
    await a.putCampaign({ id: "m", name: "m", manifest: {}, watchDir: null });
    await a.close();
    await b.migrate();
    expect((await b.getCampaign("m"))?.name).toBe("m");
    await b.close();
    const again = await openStore(backend.spec("mig"), tmp);
    expect((await again.listCampaigns()).map((c) => c.id)).toEqual(["m"]);
    await again.close();
    const versions = await backend.sql("mig", "SELECT version FROM schema_migrations ORDER BY version");
    expect(versions.map((r) => Number(r.version))).toEqual([1]);

    await backend.sql("mig", "INSERT INTO schema_migrations (version, applied_at) VALUES (999, CURRENT_TIMESTAMP)");
    const refused = await openStore(backend.spec("mig"), tmp).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as Error).message).toMatch(/schema version 999 is newer than this program knows \(1\)/);
    expect((refused as Error).message).not.toContain("\n");
  });

  it("registers, reads, lists and updates campaigns, and refuses an unsafe id", async () => {
    const first = await store.putCampaign({ id: "crud-a", name: "A", manifest: { name: "A", cells: [1] }, watchDir: "/data/a" });
    expect(first).toMatchObject({ id: "crud-a", name: "A", manifest: { name: "A", cells: [1] }, watchDir: "/data/a" });
    expect(Number.isNaN(Date.parse(first.createdAt))).toBe(false);
    await store.putCampaign({ id: "crud-b", name: "B", manifest: {}, watchDir: null });
    const updated = await store.putCampaign({ id: "crud-a", name: "A2", manifest: { name: "A2" }, watchDir: null });
    expect(updated).toEqual({ id: "crud-a", name: "A2", manifest: { name: "A2" }, watchDir: null, createdAt: first.createdAt });
    expect(await store.getCampaign("crud-a")).toEqual(updated);
    expect(await store.getCampaign("crud-none")).toBeUndefined();
    const ids = (await store.listCampaigns()).map((c) => c.id);
    expect(ids).toContain("crud-a");
    expect(ids).toContain("crud-b");
    await expect(store.putCampaign({ id: "../etc", name: "x", manifest: {}, watchDir: null })).rejects.toThrow(ValidationError);
  });

  it("records a file content exactly once: same content → created:false, new content → next version, 20 racers → one row", async () => {
    await campaign("files");
    const before = await store.events(0, { campaignId: "files" });
    const one = await store.recordFile(file("files", "xrr/A0001.ort", "one"));
    expect(one.created).toBe(true);
    expect(one.file).toMatchObject({ campaignId: "files", path: "xrr/A0001.ort", version: 1, sha256: sha("one"), status: "ingested", error: null });
    const repeat = await store.recordFile(file("files", "xrr/A0001.ort", "one"));
    expect(repeat).toEqual({ file: one.file, created: false });
    const two = await store.recordFile(file("files", "xrr/A0001.ort", "two"));
    expect(two.file.version).toBe(2);
    const back = await store.recordFile(file("files", "xrr/A0001.ort", "one"));
    expect(back.file.version).toBe(3);
    const rejected = await store.recordFile({ ...file("files", "xrr/A0002.ort", "bad"), status: "rejected", error: "xrr/A0002.ort:3: not a number" });
    expect(rejected.file).toMatchObject({ version: 1, status: "rejected", error: "xrr/A0002.ort:3: not a number" });
    const events = (await store.events(0, { campaignId: "files" })).slice(before.length);
    expect(events.map((e) => [e.type, e.payload.path, e.payload.version])).toEqual([
      ["file.ingested", "xrr/A0001.ort", 1],
      ["file.ingested", "xrr/A0001.ort", 2],
      ["file.ingested", "xrr/A0001.ort", 3],
      ["file.rejected", "xrr/A0002.ort", 1],
    ]);

    const racers = await Promise.all(Array.from({ length: RACERS }, () => store.recordFile(file("files", "xrr/A0003.ort", "raced"))));
    expect(racers.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(racers.map((r) => r.file.version))).toEqual(new Set([1]));
    const distinct = await Promise.all(Array.from({ length: RACERS }, (_, k) => store.recordFile(file("files", "xrr/A0004.ort", `content ${k}`))));
    expect(distinct.map((r) => r.file.version).sort((x, y) => x - y)).toEqual(Array.from({ length: RACERS }, (_, k) => k + 1));

    const rows = await store.listFiles("files");
    expect(rows.filter((r) => r.path === "xrr/A0003.ort")).toHaveLength(1);
    expect(rows.filter((r) => r.path === "xrr/A0004.ort")).toHaveLength(RACERS);
    expect(rows.filter((r) => r.path === "xrr/A0001.ort").map((r) => r.version)).toEqual([1, 2, 3]);
    await expect(store.recordFile(file("nope", "a.ort", "x"))).rejects.toThrow(/campaign: no campaign registered with this id \(got "nope"\)/);
    await expect(store.recordFile({ ...file("files", "a.ort", "x"), sha256: "xyz" })).rejects.toThrow(ValidationError);
  });

  it("numbers diagnosis versions 1, 2, 3 … and never changes a stored one", async () => {
    await campaign("diag");
    const documents = [
      { format: "strata-live/1", scans: 1, cells: [{ id: "A", values: [1.5, 2.25] }] },
      { format: "strata-live/1", scans: 2, cells: [{ id: "A", values: [3.125] }] },
      { format: "strata-diagnosis/1", cells: [] },
    ];
    const kinds = ["live", "live", "full"] as const;
    const stored = [];
    for (let k = 0; k < documents.length; k++) stored.push(await store.putDiagnosis({ campaignId: "diag", kind: kinds[k], scans: k + 1, document: documents[k] }));
    expect(stored.map((d) => d.version)).toEqual([1, 2, 3]);
    expect((await store.latestDiagnosis("diag"))?.version).toBe(3);
    expect((await store.latestDiagnosis("diag", "live"))?.document).toEqual(documents[1]);
    expect((await store.latestDiagnosis("diag", "full"))?.kind).toBe("full");
    expect(await store.latestDiagnosis("diag-none")).toBeUndefined();
    const first = await store.diagnosis!("diag", 1);
    expect(first?.document).toEqual(documents[0]);
    (first!.document.cells as unknown[]).length = 0;
    expect((await store.diagnosis!("diag", 1))?.document).toEqual(documents[0]);
    expect(await store.diagnosis!("diag", 99)).toBeUndefined();
    const list = await store.listDiagnoses("diag");
    expect(list.map((d) => [d.version, d.kind, d.scans])).toEqual([
      [1, "live", 1],
      [2, "live", 2],
      [3, "full", 3],
    ]);
    expect(list.every((d) => !("document" in d))).toBe(true);
    const events = await store.events(0, { campaignId: "diag" });
    expect(events.map((e) => [e.type, e.payload.version, e.payload.kind])).toEqual([
      ["diagnosis.updated", 1, "live"],
      ["diagnosis.updated", 2, "live"],
      ["diagnosis.updated", 3, "full"],
    ]);
    const raced = await Promise.all(Array.from({ length: RACERS }, () => store.putDiagnosis({ campaignId: "diag", kind: "live", scans: 9, document: {} })));
    expect(raced.map((d) => d.version).sort((x, y) => x - y)).toEqual(Array.from({ length: RACERS }, (_, k) => k + 4));
    await expect(store.putDiagnosis({ campaignId: "diag", kind: "bogus" as "live", scans: 1, document: {} })).rejects.toThrow(ValidationError);
  });

  it("gives back every number of a document bit for bit (PostgreSQL's jsonb keeps decimals exact)", async () => {
    await campaign("numbers");
    const values = [0.1 + 0.2, 1 / 3, 5e-324, 1e-300, 1.7976931348623157e308, -2.5e-7, 123456789.12345679, 2 ** 53 + 2, 1e21, -0.0001234];
    const document = { values, nested: { draws: [[Math.PI, Math.E]], text: "Å²/s · “quotes” \\ \n" } };
    await store.putDiagnosis({ campaignId: "numbers", kind: "live", scans: 1, document });
    const back = (await store.latestDiagnosis("numbers"))!.document;
    // toEqual compares numbers with ===: equal doubles, not merely close ones
    expect(back).toEqual(document);
  });

  it("keeps events strictly increasing, pages them with afterSeq, and a concurrent follower misses none", async () => {
    await campaign("ev-a");
    await campaign("ev-b");
    const start = await store.lastSeq!();
    for (let k = 0; k < 25; k++) {
      await store.appendEvent({ campaignId: k % 3 === 0 ? null : k % 3 === 1 ? "ev-a" : "ev-b", type: "test.event", payload: { k } });
    }
    const all = await store.events(start);
    expect(all.map((e) => e.payload.k)).toEqual(Array.from({ length: 25 }, (_, k) => k));
    for (let k = 1; k < all.length; k++) expect(all[k].seq).toBeGreaterThan(all[k - 1].seq);
    expect(await store.lastSeq!()).toBe(all[all.length - 1].seq);
    const paged = [];
    for (let after = start; ; ) {
      const page = await store.events(after, { limit: 7 });
      if (page.length === 0) break;
      expect(page.length).toBeLessThanOrEqual(7);
      paged.push(...page);
      after = page[page.length - 1].seq;
    }
    expect(paged).toEqual(all);
    const onlyA = await store.events(start, { campaignId: "ev-a", limit: 4 });
    expect(onlyA.map((e) => e.payload.k)).toEqual([1, 4, 7, 10]);
    expect(Number.isNaN(Date.parse(all[0].at))).toBe(false);

    // a follower polls while writers append concurrently: it must see every event once, in seq order
    const from = await store.lastSeq!();
    const writes = Promise.all(
      Array.from({ length: 40 }, (_, k) =>
        k % 4 === 0
          ? store.recordFile(file("ev-a", `f${k}.ort`, `follow ${k}`))
          : store.appendEvent({ campaignId: "ev-b", type: "test.follow", payload: { k } }),
      ),
    );
    const seen: number[] = [];
    let done = false;
    void writes.finally(() => (done = true)).catch(() => undefined);
    for (let after = from; ; ) {
      // read "done" before polling: an empty page then proves the end only if every write had
      // committed before the poll began (a write finishing during the poll is seen next time)
      const finished = done;
      const page = await store.events(after);
      seen.push(...page.map((e) => e.seq));
      if (page.length > 0) after = page[page.length - 1].seq;
      else if (finished) break;
    }
    await writes;
    const final = (await store.events(from)).map((e) => e.seq);
    expect(final).toHaveLength(40);
    expect(seen).toEqual(final);
  });

  it("finds a token by its hash until it is revoked", async () => {
    const hash = sha("secret-1");
    await store.putToken({ id: "tok1", label: "beamline", scope: "write", createdAt: new Date().toISOString(), hash });
    await store.putToken({ id: "tok2", label: "viewer", scope: "read", createdAt: new Date().toISOString(), hash: sha("secret-2") });
    const found = await store.tokenByHash(hash);
    expect(found).toMatchObject({ id: "tok1", label: "beamline", scope: "write" });
    expect(found).not.toHaveProperty("hash");
    expect(await store.tokenByHash(sha("unknown"))).toBeUndefined();
    await expect(store.putToken({ id: "tok3", label: "dup", scope: "read", createdAt: new Date().toISOString(), hash })).rejects.toThrow();
    await expect(store.putToken({ id: "tok4", label: "x", scope: "admin" as "read", createdAt: new Date().toISOString(), hash: sha("4") })).rejects.toThrow(
      ValidationError,
    );
    expect(await store.revokeToken("tok1")).toBe(true);
    expect(await store.revokeToken("tok1")).toBe(false);
    expect(await store.revokeToken("tok-none")).toBe(false);
    expect(await store.tokenByHash(hash)).toBeUndefined();
    expect((await store.tokenByHash(sha("secret-2")))?.id).toBe("tok2");
    const list = await store.listTokens();
    expect(list.map((t) => t.id)).toEqual(["tok1", "tok2"]);
    expect(list[0].revokedAt).toBeDefined();
    expect(list[1].revokedAt).toBeUndefined();
  });

  it("claims work once, oldest first, finishes it, and requeues what was running at a crash", async () => {
    await campaign("work");
    const a = await store.enqueueWork({ campaignId: "work", kind: "live-update", payload: { scan: "A1" } });
    const b = await store.enqueueWork({ campaignId: "work", kind: "full-diagnosis", payload: {} });
    const c = await store.enqueueWork({ campaignId: "work", kind: "live-update", payload: { scan: "A2" } });
    expect(a).toMatchObject({ state: "queued", attempts: 0, payload: { scan: "A1" }, error: null });
    expect((await store.claimWork(["full-diagnosis"]))?.id).toBe(b.id);
    const claimed = await store.claimWork(["live-update"]);
    expect(claimed).toMatchObject({ id: a.id, state: "running", attempts: 1, payload: { scan: "A1" } });
    await store.finishWork(a.id, { state: "done" });
    expect((await store.claimWork(["live-update"]))?.id).toBe(c.id);
    expect(await store.claimWork(["live-update", "full-diagnosis"])).toBeUndefined();
    expect(await store.requeueRunning()).toBe(2);
    const again = await store.claimWork(["live-update"]);
    expect(again).toMatchObject({ id: c.id, attempts: 2 });
    await store.finishWork(c.id, { state: "failed", error: "xrr/A2.ort: fit did not converge" });
    const list = await store.listWork("work");
    expect(list.map((w) => [w.id, w.state, w.attempts, w.error])).toEqual([
      [a.id, "done", 1, null],
      [b.id, "queued", 1, null],
      [c.id, "failed", 2, "xrr/A2.ort: fit did not converge"],
    ]);
    expect((await store.claimWork([]))?.id).toBe(b.id);
    await expect(store.finishWork(987654, { state: "done" })).rejects.toThrow(/work.id: no such work/);
    await expect(store.enqueueWork({ campaignId: "work-none", kind: "live-update", payload: {} })).rejects.toThrow(ValidationError);

    const many = [];
    for (let k = 0; k < RACERS; k++) many.push((await store.enqueueWork({ campaignId: "work", kind: "race", payload: { k } })).id);
    const claims = await Promise.all(Array.from({ length: RACERS + 5 }, () => store.claimWork(["race"])));
    const ids = claims.filter((w) => w !== undefined).map((w) => w.id);
    expect(ids.sort((x, y) => x - y)).toEqual(many);
  });

  it("records each content once when two processes record the same files at the same time", async () => {
    const spec = backend.spec("race");
    const outputs = await raceWriters(spec);
    const created = outputs.flatMap((out) => [...out.matchAll(/^created (\d+)$/gm)].map((m) => Number(m[1])));
    const answered = outputs.map((out) => [...out.matchAll(/^(created|exists) \d+$/gm)].length);
    expect(answered).toEqual([RACE_WRITES, RACE_WRITES]);
    expect(created.sort((x, y) => x - y)).toEqual(Array.from({ length: RACE_WRITES }, (_, k) => k + 1));
    const reopened = await openStore(spec, tmp);
    const rows = await reopened.listFiles(RACE_CAMPAIGN);
    await reopened.close();
    expect(rows).toHaveLength(RACE_WRITES);
    expect(rows.every((r) => r.version === 1)).toBe(true);
  });

  it("after a writer is killed with SIGKILL part-way, holds a prefix of whole writes and goes on", async () => {
    const spec = backend.spec("crash");
    const lastAck = await writeAndKill(spec, CRASH_KILL_AFTER);
    expect(lastAck).toBeGreaterThanOrEqual(CRASH_KILL_AFTER);
    const reopened = await openStore(spec, tmp);
    try {
      const byWrite = new Map<number, string>();
      const shaToWrite = new Map(Array.from({ length: CRASH_WRITES }, (_, k) => [writeSha(k + 1), k + 1]));
      const files = await reopened.listFiles(CRASH_CAMPAIGN);
      for (const f of files) {
        const i = shaToWrite.get(f.sha256)!;
        expect(f.path).toBe(writePath(i));
        byWrite.set(i, `file ${f.path} v${f.version}`);
      }
      const versionToWrite = new Map<number, number>();
      for (const d of await reopened.listDiagnoses(CRASH_CAMPAIGN)) {
        const doc = (await reopened.diagnosis!(CRASH_CAMPAIGN, d.version))!.document as { write: number; values: number[]; checksum: number };
        expect(doc.values).toHaveLength(CRASH_DOCUMENT_VALUES);
        expect(checksum(doc.values)).toBe(doc.checksum);
        versionToWrite.set(d.version, doc.write);
        byWrite.set(doc.write, `diagnosis v${d.version}`);
      }
      const m = byWrite.size;
      expect(m).toBeGreaterThanOrEqual(lastAck);
      expect([...byWrite.keys()].sort((x, y) => x - y)).toEqual(Array.from({ length: m }, (_, k) => k + 1));
      // each path's versions 1…n in write order; one event per write, in write order
      const versions = new Map<string, number[]>();
      for (const f of files) versions.set(f.path, [...(versions.get(f.path) ?? []), f.version]);
      for (const list of versions.values()) expect(list).toEqual(list.map((_, k) => k + 1));
      const events = await reopened.events(0, { campaignId: CRASH_CAMPAIGN, limit: 10_000 });
      const eventWrites = events.map((e) =>
        e.type === "file.ingested" ? shaToWrite.get(e.payload.sha256 as string) : versionToWrite.get(e.payload.version as number),
      );
      expect(eventWrites).toEqual(Array.from({ length: m }, (_, k) => k + 1));
      const next = await reopened.recordFile({ ...file(CRASH_CAMPAIGN, "after.ort", "after the crash") });
      expect(next.created).toBe(true);
    } finally {
      await reopened.close();
    }
  });
});

describe("openStore", () => {
  it("opens SQLite at DATA/strata.db by default and sqlite:PATH relative to the data folder", async () => {
    const data = path.join(tmp, "data-default");
    const store = await openStore(undefined, data);
    expect(store.kind).toBe("sqlite");
    await store.close();
    expect(fs.existsSync(path.join(data, DEFAULT_SQLITE_FILE))).toBe(true);
    const relative = await openStore("sqlite:sub/other.db", data);
    await relative.close();
    expect(fs.existsSync(path.join(data, "sub", "other.db"))).toBe(true);
    const mode = await sqliteBackend.sql("data-default/strata", "PRAGMA journal_mode");
    expect(mode[0].journal_mode).toBe("wal");
    fs.writeFileSync(path.join(data, "notes.db"), "these are my notes, not a database ".repeat(200));
    await expect(openStore("sqlite:notes.db", data)).rejects.toThrow(`${path.join(data, "notes.db")}: file is not a database`);
  });

  it("backs a SQLite store up while it is open: the copy opens as a store with the same rows", async () => {
    const store = (await openStore("sqlite:backup-source.db", tmp)) as SqliteStore;
    await store.putCampaign({ id: "b", name: "b", manifest: { name: "b" }, watchDir: null });
    await store.putDiagnosis({ campaignId: "b", kind: "live", scans: 1, document: { format: "strata-live/1" } });
    await store.backup(path.join(tmp, "backup-copy.db"));
    await store.putDiagnosis({ campaignId: "b", kind: "live", scans: 2, document: {} });
    await store.close();
    const copy = await openStore("sqlite:backup-copy.db", tmp);
    expect((await copy.listDiagnoses("b")).map((d) => d.version)).toEqual([1]);
    expect((await copy.latestDiagnosis("b"))?.document).toEqual({ format: "strata-live/1" });
    await copy.close();
  });

  it("refuses any other --store value with one line naming the two accepted forms, and never shows a password", async () => {
    const bad = await openStore("mysql://root:hunter2secret@db/strata", tmp).catch((error: unknown) => error);
    expect(bad).toBeInstanceOf(ValidationError);
    const message = (bad as Error).message;
    expect(message).toMatch(/^--store: expected sqlite:PATH or postgres:\/\/.*\(got "mysql:\/\/root:\*\*\*@db\/strata"\)$/);
    expect(message).not.toContain("hunter2secret");
    await expect(openStore("sqlite:", tmp)).rejects.toThrow(/^--store: sqlite: needs a file path/);

    const wrongPassword = new URL(PG_URL);
    wrongPassword.password = "not-the-password-x7";
    const refused = await openStore(wrongPassword.toString(), tmp).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(EngineError);
    expect((refused as Error).message).toMatch(/password authentication failed/);
    expect((refused as Error).message).toContain(":***@");
    expect((refused as Error).message).not.toContain("not-the-password-x7");
    const closedPort = await openStore("postgresql://strata:s3cret-pw-9@127.0.0.1:1/strata_test", tmp).catch((error: unknown) => error);
    expect((closedPort as Error).message).toMatch(/^postgresql:\/\/strata:\*\*\*@127\.0\.0\.1:1\/strata_test: .*ECONNREFUSED/);
    expect((closedPort as Error).message).not.toContain("s3cret-pw-9");
  });
});
