/**
 * @module test/service-long/pythonRestart
 * The Python client's event stream survives the service being killed: a follower
 * (`python3 clients/python/strata_client.py events`, which prints each event as a JSON line)
 * follows the example campaign while `strata serve` is SIGKILLed and restarted on the same port
 * and data folder; it reconnects with Last-Event-ID by itself and prints the events of files
 * uploaded after the restart — every event once, in order, none lost. On the SQLite store and on
 * PostgreSQL (scripts/services.sh; STRATA_TEST_POSTGRES overrides; a schema of its own, dropped
 * at the end). (The unit-level check of
 * the same logic against a deliberately dropping fake is in clients/python/test_strata_client.py.)
 *
 * Units: ms.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { redactUrl } from "../../src/store/index.ts";
import { CAMPAIGN_ID, CLIENT_DIR, PYTHON, PythonTestService } from "../service/pythonService.ts";

const PG_URL = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";

/** how long the follower may take to print an expected event */
const EVENT_WAIT_MS = 60_000;
/** the service stays down this long before the restart (the follower retries meanwhile) */
const DOWN_MS = 1_500;

interface FollowedEvent {
  seq: number;
  type: string;
  data: { path?: string; campaignId?: string };
}

/** A Python follower of the event stream; `next(predicate)` waits for a line that matches. */
class Follower {
  readonly events: FollowedEvent[] = [];
  stderr = "";
  private buffer = "";
  private waiters: { predicate: (e: FollowedEvent) => boolean; resolve: (e: FollowedEvent) => void }[] = [];
  readonly child: ChildProcessWithoutNullStreams;

  constructor(url: string, token: string) {
    this.child = spawn(PYTHON, [path.join(CLIENT_DIR, "strata_client.py"), "events", "--campaign", CAMPAIGN_ID, "--after", "0"], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONUNBUFFERED: "1", STRATA_URL: url, STRATA_TOKEN: token },
    });
    this.child.stdout.on("data", (chunk: Buffer) => {
      this.buffer += chunk.toString("utf8");
      let newline: number;
      while ((newline = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 1);
        const event = JSON.parse(line) as FollowedEvent;
        this.events.push(event);
        this.waiters = this.waiters.filter((w) => (w.predicate(event) ? (w.resolve(event), false) : true));
      }
    });
    this.child.stderr.on("data", (chunk: Buffer) => (this.stderr += chunk.toString("utf8")));
  }

  next(what: string, predicate: (e: FollowedEvent) => boolean): Promise<FollowedEvent> {
    const seen = this.events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the Python follower printed no ${what} in ${EVENT_WAIT_MS} ms; it printed ${this.events.length} events; stderr: ${this.stderr}`)), EVENT_WAIT_MS);
      this.waiters.push({
        predicate,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e);
        },
      });
    });
  }

  stop(): void {
    if (this.child.exitCode === null) this.child.kill("SIGTERM");
  }
}

interface Backend {
  name: "sqlite" | "postgres";
  /** the --store spec (undefined: SQLite in the data folder) */
  store(): Promise<string | undefined>;
  cleanup(): Promise<void>;
}

const pgSchema = `t_pyrestart_${randomBytes(5).toString("hex")}`;
const backends: Backend[] = [
  { name: "sqlite", store: () => Promise.resolve(undefined), cleanup: () => Promise.resolve() },
  {
    name: "postgres",
    async store() {
      const client = new pg.Client({ connectionString: PG_URL });
      try {
        await client.connect();
      } catch (error) {
        throw new Error(`PostgreSQL is not reachable at ${redactUrl(PG_URL)} (${(error as Error).message}): run scripts/services.sh or set STRATA_TEST_POSTGRES`);
      } finally {
        await client.end().catch(() => undefined);
      }
      const url = new URL(PG_URL);
      url.searchParams.set("schema", pgSchema);
      return url.toString();
    },
    async cleanup() {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
      } finally {
        await client.end();
      }
    },
  },
];

describe.each(backends)("Python client follows events across a SIGKILL of strata serve ($name store)", (backend) => {
  let service: PythonTestService | undefined;
  let follower: Follower | undefined;

  afterAll(async () => {
    follower?.stop();
    // killed, not stopped: this test is about SIGKILL, and a clean stop waits for the running update
    await service?.kill();
    await service?.stop();
    await backend.cleanup();
  });

  it("reconnects with Last-Event-ID and prints every event once, in order", async () => {
    service = new PythonTestService({ store: await backend.store() });
    // one after the other: two processes opening a new SQLite store at once may meet "database is locked"
    const writeToken = await service.createToken("write");
    const readToken = await service.createToken("read");
    await service.start();
    const manifest = await service.registerExample(writeToken);
    const first = await service.uploadScan(writeToken, manifest, 0);
    follower = new Follower(service.baseUrl, readToken);
    const ingested = (file: string) => (e: FollowedEvent) => e.type === "file.ingested" && e.data.path === file;
    const before = await follower.next(`file.ingested of ${first}`, ingested(first));

    const port = service.port;
    await service.kill();
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    await service.start(port);
    const second = await service.uploadScan(writeToken, manifest, 1);
    const third = await service.uploadScan(writeToken, manifest, 2);
    const after = await follower.next(`file.ingested of ${third} after the restart`, ingested(third));
    await follower.next(`file.ingested of ${second} after the restart`, ingested(second));
    follower.stop();

    expect(after.seq).toBeGreaterThan(before.seq);
    const seqs = follower.events.map((e) => e.seq);
    expect(seqs, "every event once, in order").toEqual([...new Set(seqs)].sort((a, b) => a - b));
    for (const file of [first, second, third]) expect(follower.events.filter(ingested(file))).toHaveLength(1);
    expect(follower.events.filter((e) => e.type === "campaign.registered")).toHaveLength(1);
    for (const event of follower.events) expect(event.data.campaignId).toBe(CAMPAIGN_ID);
  });
});
