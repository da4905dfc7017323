/**
 * @module test/service-long/pythonRestart
 * The Python client's event stream survives the service being killed: a follower
 * (`python3 clients/python/strata_client.py events`, which prints each event as a JSON line)
 * follows the example campaign while `strata serve` is SIGKILLed and restarted on the same port
 * and data folder; it reconnects with Last-Event-ID by itself and prints the events of files
 * uploaded after the restart — every event once, in order, none lost. (The unit-level check of
 * the same logic against a deliberately dropping fake is in clients/python/test_strata_client.py.)
 *
 * Units: ms.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CAMPAIGN_ID, CLIENT_DIR, PYTHON, PythonTestService } from "../service/pythonService.ts";

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

const service = new PythonTestService();
let follower: Follower | undefined;

describe("Python client follows events across a SIGKILL of strata serve", () => {
  afterAll(async () => {
    follower?.stop();
    await service.stop();
  });

  it("reconnects with Last-Event-ID and prints every event once, in order", async () => {
    const [writeToken, readToken] = await Promise.all([service.createToken("write"), service.createToken("read")]);
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
