/**
 * The queue's command-line surface refuses bad input before touching Redis or PostgreSQL: one
 * line on stderr naming the flag, exit 2 (`strata worker`, `diagnose --queue`, `twin --seeds`,
 * `serve --queue`). The queue's behaviour with real Redis, PostgreSQL and workers is in
 * test/service-long/queueFaults.test.ts and queueService.test.ts.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../cli/run.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-queue-cli-"));
const PG = "postgres://strata:strata@127.0.0.1:5432/strata_test";
/** No variable of the environment stands in for a flag here. */
const env = { STRATA_QUEUE: "", STRATA_STORE: "" };

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function refused(args: string[], message: RegExp): void {
  const result = runCli(args, { env });
  expect(result.status, result.stderr).toBe(2);
  const lines = result.stderr.trim().split("\n");
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(message);
}

describe("queue flags on the command line", () => {
  it("strata worker needs a redis:// queue and a store", () => {
    refused(["worker", "--store", PG], /--queue: required/);
    refused(["worker", "--queue", "redis://127.0.0.1:6379"], /--store: required/);
    refused(["worker", "--queue", "http://127.0.0.1:6379", "--store", PG], /--queue.*redis:\/\/HOST:PORT/);
    refused(["worker", "--queue", "redis://127.0.0.1:6379", "--store", "sqlite:x.db"], /--store.*postgres:\/\//);
    refused(["worker", "--queue", "redis://127.0.0.1:6379", "--store", PG, "--concurrency", "0"], /--concurrency/);
  });

  it("diagnose --queue needs the shared store; twin --seeds needs --queue and a range; serve --queue needs PostgreSQL", () => {
    refused(["diagnose", "examples/campaign", "--out", path.join(tmp, "d"), "--queue", "redis://127.0.0.1:6379"], /--store: --queue needs the shared store/);
    refused(["twin", "examples/twin.json", "--policy", "fixed", "--out", path.join(tmp, "t1"), "--seeds", "1-3"], /--seeds: needs --queue/);
    refused(["twin", "examples/twin.json", "--policy", "fixed", "--out", path.join(tmp, "t2"), "--seeds", "3-1", "--queue", "redis://127.0.0.1:6379", "--store", PG], /--seeds 3-1: the range ends before it starts/);
    refused(["serve", "--data", path.join(tmp, "s"), "--port", "0", "--queue", "redis://127.0.0.1:6379"], /--queue: needs --store postgres/);
  });
});
