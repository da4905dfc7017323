/**
 * The HTTP API of `strata serve` (issue 17 parts 1 and 5; acceptance "Security" and "Both
 * stores"): one suite run on the embedded SQLite store in a temporary data folder and on the
 * PostgreSQL of scripts/services.sh in a schema of its own (STRATA_TEST_POSTGRES or
 * postgres://strata:strata@127.0.0.1:5432/strata_test; the schema is dropped at the end). The
 * app is the real one (service/app.buildApp) over the real runner (ingest, live diagnosis) and
 * listens on a loopback port; requests go through fetch and raw HTTP as a client's would.
 * Tokens: 401 without or with an unknown one, 403 for a read token writing; 413 for an oversized
 * upload or JSON body; 400 with the one-line reason for a malformed manifest and a malformed file, the store
 * unchanged after each refusal; path traversal refused; /health open; the OpenAPI document lists
 * exactly the routes the app registers; a campaign registered and its first scans uploaded get
 * a diagnosis version whose timeline JSON and CSV agree; the event stream replays from a given
 * id (`after` and Last-Event-ID) and then delivers new events live.
 *
 * Units: ms for timeouts, Å for thicknesses.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataDir } from "../../src/service/dataDir.ts";
import { Runner } from "../../src/service/runner.ts";
import { buildApp, JSON_BODY_LIMIT, registeredRoutes, timelineCsv, TIMELINE_COLUMNS, type TimelineRow } from "../../src/service/app.ts";
import { createToken } from "../../src/service/auth.ts";
import { openApiPath } from "../../src/service/openapi.ts";
import { redactUrl } from "../../src/store/index.ts";
import type { EventRecord, Store } from "../../src/store/types.ts";
import { QueueClient } from "../../src/service/queueClient.ts";
import { repoRoot } from "../paths.ts";
import { RedisServer } from "../service-long/queueHarness.ts";

const PG_URL = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
const EXAMPLE = path.join(repoRoot, "examples", "campaign");
/** Upload bound of the app under test: above every example file (the cycler record is 136 kB), small enough to exceed cheaply. */
const MAX_UPLOAD_BYTES = 256 * 1024;
/** How long the first live diagnosis may take to appear after the scans are uploaded. */
const DIAGNOSIS_WAIT_MS = 40_000;
/** How long an expected server-sent event may take. */
const EVENT_WAIT_MS = 5_000;
/** Scans uploaded before the diagnosis is awaited. */
const SCANS = 3;
/** Pause between polls of a condition. */
const POLL_MS = 50;

const example = (rel: string): Buffer => fs.readFileSync(path.join(EXAMPLE, rel));
const manifest = JSON.parse(example("campaign.json").toString("utf8")) as { scans: { file: string }[]; electrochemistry: { file: string }[]; impedance: { file: string; start: string }[] };

interface Backend {
  name: "sqlite" | "postgres";
  label: string;
  spec(dataDir: string): Promise<string | undefined>;
  /** `strata serve --queue`: a redis-server of the test's own (full runs would be jobs for workers) */
  queue?: () => Promise<string>;
  cleanup(): Promise<void>;
}

const sqlite: Backend = { name: "sqlite", label: "sqlite", spec: () => Promise.resolve(undefined), cleanup: () => Promise.resolve() };

/** A PostgreSQL backend in a schema of its own, with or without the job queue. */
function postgresBackend(withQueue: boolean): Backend {
const pgSchema = `t_api_${randomBytes(5).toString("hex")}`;
let redis: RedisServer | undefined;
const postgres: Backend = {
  name: "postgres",
  label: withQueue ? "postgres with --queue" : "postgres",
  ...(withQueue ? { queue: async () => (redis ??= await RedisServer.start()).url } : {}),
  async spec() {
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
    await redis?.destroy();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
    } finally {
      await client.end();
    }
  },
};
return postgres;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A raw request with the path sent exactly as given (fetch would normalise `..`). */
function rawRequest(base: string, method: string, rawPath: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const request = http.request({ host: url.hostname, port: url.port, method, path: rawPath, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

/** Reads server-sent events from a fetch response until `done` says so. */
async function readEvents(response: Response, done: (events: { id: number; type: string; data: Record<string, unknown> }[]) => boolean, timeoutMs: number): Promise<{ id: number; type: string; data: Record<string, unknown> }[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: { id: number; type: string; data: Record<string, unknown> }[] = [];
  let buffer = "";
  const deadline = Date.now() + timeoutMs;
  try {
    while (!done(events)) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`timed out after ${timeoutMs} ms; events so far: ${events.map((e) => `${e.id}:${e.type}`).join(", ")}`);
      const chunk = await Promise.race([reader.read(), new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), remaining))]);
      if (chunk === "timeout") continue;
      if (chunk.done) throw new Error("the event stream ended");
      buffer += decoder.decode(chunk.value as Uint8Array, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = new Map<string, string>();
        for (const line of frame.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
        }
        if (fields.has("id") && fields.has("data")) events.push({ id: Number(fields.get("id")), type: fields.get("event") ?? "message", data: JSON.parse(fields.get("data")!) as Record<string, unknown> });
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

function parseCsv(text: string): Record<string, string>[] {
  const [header, ...lines] = text.trimEnd().split("\n");
  const columns = header.split(",");
  return lines.map((line) => Object.fromEntries(line.split(",").map((value, i) => [columns[i], value])));
}

describe.each([sqlite, postgresBackend(false), postgresBackend(true)])("strata serve API on the $label store", (backend) => {
  let dataDir = "";
  let store: Store;
  let runner: Runner;
  let app: FastifyInstance;
  let jobs: QueueClient | undefined;
  let base = "";
  let writeSecret = "";
  let readSecret = "";
  const webRoot = fs.mkdtempSync(path.join(os.tmpdir(), "strata-api-web-"));
  const PAGE = "<!doctype html><title>strata live</title><p>the live page</p>\n";
  const auth = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });
  const get = (url: string, secret = readSecret, headers: Record<string, string> = {}): Promise<Response> => fetch(base + url, { headers: secret === "" ? headers : { ...auth(secret), ...headers } });
  const put = (url: string, body: Buffer | string, secret = writeSecret): Promise<Response> => fetch(base + url, { method: "PUT", headers: { ...auth(secret), "content-type": "application/octet-stream" }, body });
  const post = (url: string, body: unknown, secret = writeSecret): Promise<Response> => fetch(base + url, { method: "POST", headers: { ...auth(secret), "content-type": "application/json" }, body: JSON.stringify(body) });
  /** what a refused request must leave as it was */
  const snapshot = async (campaignId: string): Promise<{ files: unknown; events: EventRecord[]; campaigns: unknown }> => ({
    files: await store.listFiles(campaignId),
    events: await store.events(0, { limit: 10_000 }),
    campaigns: (await store.listCampaigns()).map((c) => c.id),
  });

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-api-${backend.name}-`));
    fs.writeFileSync(path.join(webRoot, "index.html"), PAGE);
    const spec = await backend.spec(dataDir);
    const opened = await openDataDir(dataDir, spec === undefined ? {} : { store: spec });
    store = opened.store;
    const queue = backend.queue ? { queue: await backend.queue(), store: spec! } : undefined;
    runner = new Runner({ store, blobs: opened.blobs, dataDir, options: { fullAfter_s: 3600, maxFileBytes: MAX_UPLOAD_BYTES, ...(queue ? { queue } : {}) } });
    await runner.start();
    jobs = queue ? new QueueClient(queue) : undefined;
    app = await buildApp({ store, runner, webRoot, maxUploadBytes: MAX_UPLOAD_BYTES, ...(jobs ? { jobs: (limit: number) => jobs!.jobs(limit) } : {}) });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    writeSecret = (await createToken(store, { scope: "write", label: "api test" })).secret;
    readSecret = (await createToken(store, { scope: "read", label: "api test" })).secret;
  });

  afterAll(async () => {
    await app?.close();
    await runner?.stop();
    await jobs?.close();
    await store?.close();
    await backend.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(webRoot, { recursive: true, force: true });
  });

  it("answers /health without a token, and every other route 401 without a token or with an unknown one", async () => {
    const health = await get("/health", "");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", version: expect.any(String) as string, store: backend.name });
    for (const route of registeredRoutes(app)) {
      if (route.url === "/health") continue;
      const url = route.url.replace(":id", "nope").replace("*", "x.ort");
      const attempts: Record<string, string>[] = [{}, { authorization: "Bearer strata_not-a-token" }, { cookie: "strata_token=strata_not-a-token" }];
      for (const headers of attempts) {
        const response = await fetch(base + url, { method: route.method, headers, ...(route.method === "GET" ? {} : { body: "{}" }) });
        expect(response.status, `${route.method} ${url} ${JSON.stringify(headers)}`).toBe(401);
        const body = (await response.json()) as { error: string };
        expect(Object.keys(body)).toEqual(["error"]);
        expect(body.error).not.toContain("\n");
      }
    }
  });

  it("lists in its OpenAPI document exactly the routes the app registers", async () => {
    const response = await get("/api/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    const documented = Object.entries(document.paths).flatMap(([p, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${p}`));
    const registered = registeredRoutes(app).map((r) => `${r.method} ${openApiPath(r.url)}`);
    expect(documented.sort()).toEqual(registered.sort());
  });

  it("refuses a malformed manifest with parseManifest's one-line reason, a read token writing with 403, and sends no CORS headers", async () => {
    const before = await snapshot("ex");
    const broken = structuredClone(manifest) as Record<string, unknown>;
    delete broken["t0"];
    const refused = await post("/api/campaigns", { id: "ex", manifest: broken });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: expect.stringMatching(/^manifest: t0: [^\n]+$/) as string });
    const unknownField = await post("/api/campaigns", { id: "ex", manifest, colour: "red" });
    expect(unknownField.status).toBe(400);
    expect(await unknownField.json()).toEqual({ error: "body.colour: unknown field" });
    const badId = await post("/api/campaigns", { id: "Ex!", manifest });
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { error: string }).error).toMatch(/^body\.id: must match pattern/);
    const notJson = await fetch(`${base}/api/campaigns`, { method: "POST", headers: { ...auth(writeSecret), "content-type": "application/json" }, body: "{not json" });
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toMatch(/^request body is not valid JSON/);
    const hugeJson = await post("/api/campaigns", { id: "ex", manifest: { ...manifest, notes: "x".repeat(JSON_BODY_LIMIT) } });
    expect(hugeJson.status).toBe(413);
    expect(((await hugeJson.json()) as { error: string }).error).toMatch(/^request body too large: .* 1048576 bytes for JSON$/);
    const readOnly = await post("/api/campaigns", { id: "ex", manifest }, readSecret);
    expect(readOnly.status).toBe(403);
    expect(((await readOnly.json()) as { error: string }).error).toMatch(/is read-only: POST \/api\/campaigns needs a write token$/);
    expect(await snapshot("ex")).toEqual(before);

    const cors = await get("/api/campaigns", readSecret, { origin: "http://evil.example" });
    expect(cors.status).toBe(200);
    expect([...cors.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
    const preflight = await fetch(`${base}/api/campaigns`, { method: "OPTIONS", headers: { origin: "http://evil.example", "access-control-request-method": "POST" } });
    expect([...preflight.headers.keys()].filter((h) => h.startsWith("access-control-"))).toEqual([]);
  });

  it("registers a campaign once; uploads: 413 oversized, 400 malformed or traversing, store unchanged; 201 then 200 for the same bytes", async () => {
    const created = await post("/api/campaigns", { id: "ex", manifest });
    expect(created.status).toBe(201);
    expect(((await created.json()) as { campaign: { id: string } }).campaign.id).toBe("ex");
    expect((await post("/api/campaigns", { id: "ex", manifest })).status).toBe(409);

    const before = await snapshot("ex");
    const oversized = await put("/api/campaigns/ex/files/xrr/A0001.ort", Buffer.alloc(MAX_UPLOAD_BYTES + 1, 0x41));
    expect(oversized.status).toBe(413);
    expect(((await oversized.json()) as { error: string }).error).toMatch(/^request body too large: the limit is 262144 bytes/);
    const lines = example("xrr/A0002.ort").toString("utf8").split("\n");
    const row = lines.findIndex((line) => /^\s*[0-9]/.test(line));
    lines[row + 3] = "0.05 not-a-number 0.01";
    const malformed = await put("/api/campaigns/ex/files/xrr/A0002.ort", lines.join("\n"));
    expect(malformed.status).toBe(400);
    const reason = ((await malformed.json()) as { error: string }).error;
    expect(reason).toMatch(new RegExp(`^xrr/A0002\\.ort:${row + 4}: `));
    expect(reason).not.toContain("\n");
    const readOnly = await put("/api/campaigns/ex/files/xrr/A0001.ort", example("xrr/A0001.ort"), readSecret);
    expect(readOnly.status).toBe(403);
    for (const raw of ["/api/campaigns/ex/files/../../../etc/passwd", "/api/campaigns/ex/files/xrr/../../x.ort", "/api/campaigns/ex/files/%2e%2e/x.ort", "/api/campaigns/ex/files/xrr%2f..%2f..%2fx.ort", "/api/campaigns/ex/files/%2Fetc%2Fpasswd", "/api/campaigns/ex/files/xrr%5c..%5cx.ort", "/api/campaigns/ex/files/x%00.ort", "/api/campaigns/ex/files/xrr//x.ort", "/api/campaigns/ex/files/./x.ort"]) {
      const response = await rawRequest(base, "PUT", raw, { ...auth(writeSecret), "content-type": "application/octet-stream" }, Buffer.from("x"));
      expect([400, 404], `${raw} → ${response.status} ${response.body}`).toContain(response.status);
      expect(Object.keys(JSON.parse(response.body) as object)).toEqual(["error"]);
    }
    const traversal = await rawRequest(base, "PUT", "/api/campaigns/ex/files/xrr/../../x.ort", { ...auth(writeSecret), "content-type": "application/octet-stream" }, Buffer.from("x"));
    expect(traversal.status, traversal.body).toBe(400);
    expect(await snapshot("ex")).toEqual(before);
    expect(fs.existsSync(path.join(dataDir, "campaigns", "x.ort"))).toBe(false);

    const first = await put("/api/campaigns/ex/files/xrr/A0001.ort", example("xrr/A0001.ort"));
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ created: true, file: { path: "xrr/A0001.ort", version: 1, kind: "scan", status: "ingested" } });
    const again = await put("/api/campaigns/ex/files/xrr/A0001.ort", example("xrr/A0001.ort"));
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false, file: { version: 1 } });
  });

  it("serves a diagnosis version after the first scans, whose timeline JSON and CSV agree", async () => {
    const uploads = [...manifest.scans.slice(1, SCANS).map((s) => s.file), manifest.electrochemistry[0].file, manifest.impedance[0].file];
    for (const file of uploads) expect((await put(`/api/campaigns/ex/files/${file}`, example(file))).status, file).toBe(201);
    const diagnosis = await until("a diagnosis version", DIAGNOSIS_WAIT_MS, async () => {
      const response = await get("/api/campaigns/ex/diagnosis");
      if (response.status === 404) return undefined;
      expect(response.status).toBe(200);
      const document = (await response.json()) as { format: string; scans: number; cells: { id: string; timeline: unknown[] }[] };
      return document.scans >= SCANS ? { document, version: Number(response.headers.get("x-strata-version")) } : undefined;
    });
    expect(diagnosis.document.format).toBe("strata-live/1");
    expect(diagnosis.version).toBeGreaterThanOrEqual(1);
    const versions = (await (await get("/api/campaigns/ex/diagnoses")).json()) as { version: number; kind: string }[];
    expect(versions.map((v) => v.version)).toContain(diagnosis.version);
    const older = await get(`/api/campaigns/ex/diagnosis?version=${versions[0].version}`);
    expect(older.status).toBe(200);
    expect(older.headers.get("x-strata-version")).toBe(String(versions[0].version));
    expect((await get("/api/campaigns/ex/diagnosis?version=99999")).status).toBe(404);

    const rows = (await (await get("/api/campaigns/ex/timeline")).json()) as TimelineRow[];
    expect(rows.length).toBeGreaterThanOrEqual(SCANS);
    expect(rows.slice(0, SCANS).map((r) => r.scan)).toEqual(["A0001", "A0002", "A0003"]);
    for (const row of rows) {
      expect(row.median_A).toEqual(expect.any(Number));
      expect(row.lo95_A! <= row.median_A! && row.median_A! <= row.hi95_A!, JSON.stringify(row)).toBe(true);
    }
    const csvResponse = await get("/api/campaigns/ex/timeline.csv");
    expect(csvResponse.headers.get("content-type")).toMatch(/^text\/csv/);
    const csvText = await csvResponse.text();
    expect(csvText.split("\n")[0]).toBe(TIMELINE_COLUMNS.join(","));
    expect(csvText).toBe(timelineCsv(rows));
    const parsed = parseCsv(csvText);
    expect(parsed.length).toBe(rows.length);
    parsed.forEach((line, i) => {
      for (const column of TIMELINE_COLUMNS) {
        const value = rows[i][column];
        if (typeof value === "number") expect(Number(line[column]), `${i} ${column}`).toBe(value);
        else expect(line[column], `${i} ${column}`).toBe(value ?? "");
      }
    });

    const list = (await (await get("/api/campaigns")).json()) as { id: string; files: number; scans: number; diagnosisVersion: number | null }[];
    expect(list).toEqual([{ id: "ex", name: expect.any(String) as string, files: SCANS + 3, scans: expect.any(Number) as number, diagnosisVersion: expect.any(Number) as number }]);
    const detail = (await (await get("/api/campaigns/ex")).json()) as { id: string; ingest: { ingested: number } };
    expect(detail.id).toBe("ex");
    expect(detail.ingest).toBeDefined();
    const work = (await (await get("/api/work?campaign=ex")).json()) as { kind: string }[];
    expect(work.some((w) => w.kind === "live-update")).toBe(true);
    // the job queue's table: a service without --queue says so; with it, the jobs (none yet: no full run in this suite)
    const jobsAnswer = (await (await get("/api/jobs?limit=5")).json()) as { queue: boolean; jobs: unknown[] };
    expect(jobsAnswer).toEqual({ queue: backend.queue !== undefined, jobs: [] });
    expect((await get("/api/jobs?limit=0")).status).toBe(400);
  });

  it("streams events after a given id (query and Last-Event-ID), then new ones as they happen", async () => {
    const history = await store.events(0, { campaignId: "ex", limit: 10_000 });
    expect(history.length).toBeGreaterThan(3);
    const middle = history[Math.floor(history.length / 2)].seq;
    const expected = history.filter((e) => e.seq > middle);
    const fromQuery = await get(`/api/events?campaign=ex&after=${middle}`);
    expect(fromQuery.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const replayed = await readEvents(fromQuery, (events) => events.length >= expected.length, EVENT_WAIT_MS);
    expect(replayed.slice(0, expected.length).map((e) => [e.id, e.type])).toEqual(expected.map((e) => [e.seq, e.type]));
    expect(replayed[0].data).toMatchObject({ ...expected[0].payload, campaignId: "ex" });

    // a reconnect: Last-Event-ID wins over after
    const fromHeader = await get(`/api/events?campaign=ex&after=0`, readSecret, { "last-event-id": String(middle) });
    const resumed = await readEvents(fromHeader, (events) => events.length >= expected.length, EVENT_WAIT_MS);
    expect(resumed.slice(0, expected.length).map((e) => e.id)).toEqual(expected.map((e) => e.seq));

    // live: without after, only what happens from now on — here the next upload
    const live = await fetch(`${base}/api/events?campaign=ex&access_token=${readSecret}`);
    expect(live.status).toBe(200);
    const file = manifest.scans[SCANS].file;
    const uploaded = put(`/api/campaigns/ex/files/${file}`, example(file));
    const news = await readEvents(live, (events) => events.some((e) => e.type === "file.ingested" && e.data["path"] === file), EVENT_WAIT_MS);
    expect((await uploaded).status).toBe(201);
    expect(news[0].id).toBeGreaterThan(history[history.length - 1].seq);
    const ids = news.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("opens the page with ?access_token=, keeps it in an HttpOnly cookie, and refuses a revoked token", async () => {
    const page = await get(`/campaigns/ex?access_token=${readSecret}`, "");
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(PAGE);
    const cookie = page.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^strata_token=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
    const withCookie = await get("/api/campaigns", "", { cookie: cookie.split(";")[0] });
    expect(withCookie.status).toBe(200);

    const doomed = await createToken(store, { scope: "read", label: "revoked" });
    expect((await get("/api/campaigns", doomed.secret)).status).toBe(200);
    expect(await store.revokeToken(doomed.id)).toBe(true);
    const revoked = await get("/api/campaigns", doomed.secret);
    expect(revoked.status).toBe(401);
    expect(await revoked.json()).toEqual({ error: "unknown or revoked token" });
    expect((await get("/api/nothing")).status).toBe(404);
  });
});
