/**
 * The agent API of `strata serve` (issue 18 acceptance: "the agent API round trip (tell → ask →
 * approve) is tested over HTTP"), on the embedded SQLite store and on PostgreSQL in a schema of
 * its own (STRATA_TEST_POSTGRES or postgres://strata:strata@127.0.0.1:5432/strata_test; dropped
 * at the end), with the real app, runner, live diagnosis and planner on a loopback port:
 *
 * - 401 without a token on every agent route, 403 for a read token on tell/ask/approve/deny,
 *   the report readable with it;
 * - tell: Bluesky documents of a scan the manifest names (201, then 200 and no second
 *   agent.tell for the same documents), of a new scan (the manifest gains it), a failed run and
 *   a broken file refused with one line and the store unchanged;
 * - ask → suggestions pending approval, pushed on the campaign's event stream; taking a pending
 *   one (a tell naming it) is 409; approve → approved (again: 409), deny → denied and not
 *   suggested again; the report shows the statuses;
 * - after a restart (app, runner and store closed and opened again) the report is the same.
 *
 * Units: ms for timeouts and latencies.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDataDir } from "../../src/service/dataDir.ts";
import { Runner } from "../../src/service/runner.ts";
import { buildApp, registeredRoutes } from "../../src/service/app.ts";
import { createToken } from "../../src/service/auth.ts";
import { readReflectivityData } from "../../src/io/reflectivityData.ts";
import { LiveDiagnosis, type LiveDocument } from "../../src/diagnosis/live.ts";
import { redactUrl } from "../../src/store/index.ts";
import type { Store } from "../../src/store/types.ts";
import { repoRoot } from "../paths.ts";

const PG_URL = process.env.STRATA_TEST_POSTGRES ?? "postgres://strata:strata@127.0.0.1:5432/strata_test";
const EXAMPLE = path.join(repoRoot, "examples", "campaign");
/** How long the first live diagnosis may take after the scans are uploaded. */
const DIAGNOSIS_WAIT_MS = 40_000;
/** How long an expected server-sent event may take. */
const EVENT_WAIT_MS = 5_000;
/** Scans uploaded before the agent is asked. */
const SCANS = 3;
const POLL_MS = 50;
/** Suggestions asked for. */
const ASK_N = 3;
/** Asks timed for the latency printout. */
const TIMED_ASKS = 3;
/**
 * The live engine on the test's thread with two laws (the agent needs a posterior, not the
 * five-law comparison): the first diagnosis in ~3 s instead of ~10 s per store.
 */
const LAWS = ["linear", "parabolic"] as const;
const engine = { create: () => new LiveDiagnosis({ seed: 1, laws: [...LAWS] }), fromDocument: (document: Record<string, unknown>) => LiveDiagnosis.fromDocument(document as unknown as LiveDocument, { laws: [...LAWS] }) };

const example = (rel: string): Buffer => fs.readFileSync(path.join(EXAMPLE, rel));
const manifest = JSON.parse(example("campaign.json").toString("utf8")) as { scans: { id: string; file: string; spot: string; start: string; end: string }[]; electrochemistry: { file: string }[] };
type Pair = [string, Record<string, unknown>];

/** A step scan's documents (one Event per point) made from an example scan file. */
function documents(source: string, meta: { cell: string; spot: string; file: string }, start: string, end: string, exit_status = "success"): Pair[] {
  const [curve] = readReflectivityData(path.join(EXAMPLE, source));
  const t0 = Date.parse(start) / 1000;
  const uid = `run-${meta.file}`;
  const keys = { Q: { source: "q", dtype: "number", shape: [], units: "1/angstrom" }, R: { source: "det", dtype: "number", shape: [] }, dR: { source: "det", dtype: "number", shape: [] }, dQ: { source: "q", dtype: "number", shape: [], units: "1/angstrom" } };
  return [
    ["start", { uid, time: t0, plan_name: "reflectivity_scan", strata: meta }],
    ["descriptor", { uid: `d-${uid}`, run_start: uid, time: t0, name: "primary", data_keys: keys }],
    ...Array.from(curve.q, (q, i): Pair => ["event", { uid: `e${i}-${uid}`, descriptor: `d-${uid}`, seq_num: i + 1, time: t0 + i, data: { Q: q, R: curve.r[i], dR: curve.dr[i], dQ: curve.dq?.[i] ?? 0 }, timestamps: {} }]),
    ["stop", { uid: `s-${uid}`, run_start: uid, time: Date.parse(end) / 1000, exit_status, reason: exit_status === "success" ? "" : "shutter closed" }],
  ];
}

interface Backend {
  name: "sqlite" | "postgres";
  spec(): Promise<string | undefined>;
  cleanup(): Promise<void>;
}
const sqlite: Backend = { name: "sqlite", spec: () => Promise.resolve(undefined), cleanup: () => Promise.resolve() };
const pgSchema = `t_agent_${randomBytes(5).toString("hex")}`;
const postgres: Backend = {
  name: "postgres",
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
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${pgSchema} CASCADE`);
    } finally {
      await client.end();
    }
  },
};

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

interface Suggestion {
  id: string;
  status: string;
  action: { kind: string; spot?: string };
  gain_nats: number;
  cost: { dose_Gy: number; time_s: number };
  score: number;
  reason: string;
}

describe.each([sqlite, postgres])("agent API on the $name store", (backend) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-agent-${backend.name}-`));
  let spec: string | undefined;
  let store: Store;
  let runner: Runner;
  let app: FastifyInstance;
  let base = "";
  let writeSecret = "";
  let readSecret = "";
  const auth = (secret: string): Record<string, string> => ({ authorization: `Bearer ${secret}` });
  const get = (url: string, secret = readSecret): Promise<Response> => fetch(base + url, { headers: auth(secret) });
  const post = (url: string, body: unknown, secret = writeSecret): Promise<Response> => fetch(base + url, { method: "POST", headers: { ...auth(secret), "content-type": "application/json" }, body: JSON.stringify(body) });

  const open = async (): Promise<void> => {
    const opened = await openDataDir(dataDir, spec === undefined ? {} : { store: spec });
    store = opened.store;
    runner = new Runner({ store, blobs: opened.blobs, dataDir, options: { fullAfter_s: 3600, engine } });
    await runner.start();
    app = await buildApp({ store, runner, webRoot: dataDir, dataDir });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    base = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  };
  const close = async (): Promise<void> => {
    await app?.close();
    await runner?.stop();
    await store?.close();
  };

  beforeAll(async () => {
    spec = await backend.spec();
    await open();
    writeSecret = (await createToken(store, { scope: "write", label: "agent test" })).secret;
    readSecret = (await createToken(store, { scope: "read", label: "agent test" })).secret;
    expect((await post("/api/campaigns", { id: "ex", manifest })).status).toBe(201);
    for (const file of [...manifest.scans.slice(0, SCANS).map((s) => s.file), manifest.electrochemistry[0].file]) {
      const response = await fetch(`${base}/api/campaigns/ex/files/${file}`, { method: "PUT", headers: { ...auth(writeSecret), "content-type": "application/octet-stream" }, body: example(file) });
      expect(response.status, file).toBe(201);
    }
    await until("the first live diagnosis", DIAGNOSIS_WAIT_MS, async () => ((await store.latestDiagnosis("ex", "live"))?.scans ?? 0) >= SCANS || undefined);
  });

  afterAll(async () => {
    await close();
    await backend.cleanup();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("needs a token on every agent route, and a write token for tell, ask, approve and deny", async () => {
    const agentRoutes = registeredRoutes(app).filter((r) => r.url.includes("/agent/"));
    expect(agentRoutes.map((r) => `${r.method} ${r.url}`).sort()).toEqual(["GET /api/campaigns/:id/agent/report", "POST /api/campaigns/:id/agent/ask", "POST /api/campaigns/:id/agent/suggestions/:sid/approve", "POST /api/campaigns/:id/agent/suggestions/:sid/deny", "POST /api/campaigns/:id/agent/tell"]);
    for (const route of agentRoutes) {
      const url = route.url.replace(":id", "ex").replace(":sid", "s-0");
      const anonymous = await fetch(base + url, { method: route.method, ...(route.method === "GET" ? {} : { headers: { "content-type": "application/json" }, body: "{}" }) });
      expect(anonymous.status, url).toBe(401);
      const read = route.method === "GET" ? await get(url) : await post(url, {}, readSecret);
      expect(read.status, url).toBe(route.method === "GET" ? 200 : 403);
      if (route.method !== "GET") expect(((await read.json()) as { error: string }).error).toMatch(/is read-only: POST .* needs a write token$/);
    }
  });

  it("tells Bluesky documents through the ingest exactly once; refuses a failed run and a broken file with one line", async () => {
    const named = manifest.scans[SCANS];
    const docs = documents(named.file, { cell: "A", spot: named.spot, file: named.file }, named.start, named.end);
    const first = await post("/api/campaigns/ex/agent/tell", { bluesky: docs });
    expect(first.status).toBe(201);
    expect(await first.json()).toMatchObject({ created: true, kind: "scan", manifestUpdated: false, file: { path: named.file, version: 1, status: "ingested" }, tell: { file: named.file, source: "bluesky", scan: named.id } });
    const again = await post("/api/campaigns/ex/agent/tell", { bluesky: docs });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ created: false, tell: null });
    const tells = (await store.events(0, { campaignId: "ex", limit: 10_000 })).filter((e) => e.type === "agent.tell");
    expect(tells.map((e) => e.payload["file"])).toEqual([named.file]);

    // a scan the manifest does not name: added to it from the RunStart's strata metadata
    const extra = { cell: "A", spot: "P2", file: "xrr/P2_0001.ort" };
    const added = await post("/api/campaigns/ex/agent/tell", { bluesky: documents(manifest.scans[SCANS + 1].file, extra, "2026-03-01T12:40:00Z", "2026-03-01T12:45:00Z") });
    expect(added.status).toBe(201);
    expect(await added.json()).toMatchObject({ created: true, kind: "scan", manifestUpdated: true });
    const registered = (await store.getCampaign("ex"))!.manifest as { scans: { id: string; spot: string; file: string; start: string }[] };
    expect(registered.scans.find((s) => s.file === extra.file)).toEqual({ id: "P2_0001", cell: "A", spot: "P2", file: extra.file, start: "2026-03-01T12:40:00.000Z", end: "2026-03-01T12:45:00.000Z" });

    // what a refusal must leave as it was (the runner's diagnosis events go on meanwhile)
    const state = async (): Promise<unknown> => ({ files: await store.listFiles("ex"), events: (await store.events(0, { campaignId: "ex", limit: 10_000 })).filter((e) => !e.type.startsWith("diagnosis.")).map((e) => e.seq) });
    const before = await state();
    // a watched campaign's manifest is the folder's campaign.json: the agent does not extend it
    const watched = path.join(dataDir, "watched-folder");
    fs.mkdirSync(watched);
    fs.writeFileSync(path.join(watched, "campaign.json"), JSON.stringify(manifest));
    expect((await post("/api/campaigns", { id: "watched", manifest, watch: watched })).status).toBe(201);
    const refusedWatched = await post("/api/campaigns/watched/agent/tell", { bluesky: documents(manifest.scans[1].file, extra, "2026-03-01T12:40:00Z", "2026-03-01T12:45:00Z") });
    expect(refusedWatched.status).toBe(409);
    expect(((await refusedWatched.json()) as { error: string }).error).toMatch(/^body\.file: xrr\/P2_0001\.ort is not a scan of campaign "watched"'s manifest, which is .*campaign\.json \(a watched folder\): add scan P2_0001 there first$/);
    const failed = await post("/api/campaigns/ex/agent/tell", { bluesky: documents(manifest.scans[5].file, { cell: "A", spot: "P1", file: manifest.scans[5].file }, manifest.scans[5].start, manifest.scans[5].end, "abort") });
    expect(failed.status).toBe(400);
    expect(((await failed.json()) as { error: string }).error).toMatch(/^body\.bluesky\[\d+\] \(stop\)\.exit_status: the run did not succeed \(reason: shutter closed\): only a successful run is a scan \(got "abort"\)$/);
    const lines = example(manifest.scans[5].file).toString("utf8").split("\n");
    const row = lines.findIndex((line) => /^\s*[0-9]/.test(line));
    lines[row + 2] = "0.05 not-a-number 0.01";
    const broken = await post("/api/campaigns/ex/agent/tell", { file: manifest.scans[5].file, content: lines.join("\n") });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: string }).error).toMatch(new RegExp(`^${manifest.scans[5].file.replace(".", "\\.")}:${row + 3}: [^\\n]+$`));
    const unnamed = await post("/api/campaigns/ex/agent/tell", { file: "xrr/nobody.ort", content: "x" });
    expect(unnamed.status).toBe(400);
    expect(((await unnamed.json()) as { error: string }).error).toMatch(/^body\.file: xrr\/nobody\.ort is not a scan of the campaign's manifest/);
    expect(await state()).toEqual(before);
  });

  it("asks (suggestions pending, on the event stream), gates taking on approval, approves and denies; the report shows it, also after a restart", async () => {
    const stream = await fetch(`${base}/api/events?campaign=ex&access_token=${readSecret}`);
    expect(stream.status).toBe(200);
    const body = { n: ASK_N, target: { kind: "parameter", name: "k" }, constraints: { spots: [{ id: "P3", budget_Gy: 50 }] } };
    const early = await post("/api/campaigns/ex/agent/ask", { ...body, constraints: { end_s: 10 } });
    expect(early.status).toBe(400);
    expect(await early.json()).toEqual({ error: expect.stringMatching(/^constraints\.end_s: must be after now_s \([0-9.]+\) \(got 10\)$/) as string });
    const unknown = await post("/api/campaigns/ex/agent/ask", { ...body, constraints: { colour: "red" } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toEqual({ error: "body.constraints.colour: unknown field" });
    const asked = await post("/api/campaigns/ex/agent/ask", body);
    expect(asked.status).toBe(200);
    const answer = (await asked.json()) as { suggestions: Suggestion[]; requireApproval: boolean; costModel: string; constraints: { spots: { id: string; budget_Gy: number | null }[] } };
    expect(answer.requireApproval).toBe(true);
    expect(answer.constraints.spots.find((s) => s.id === "P3")).toMatchObject({ budget_Gy: 50 });
    expect(answer.constraints.spots.find((s) => s.id === "P1")).toMatchObject({ budget_Gy: null });
    const suggestions = answer.suggestions;
    expect(suggestions.length).toBe(ASK_N);
    for (const s of suggestions) {
      expect(s).toMatchObject({ id: expect.stringMatching(/^s-[0-9a-f]+$/) as string, status: "pending", gain_nats: expect.any(Number) as number, score: expect.any(Number) as number, reason: expect.any(String) as string });
      expect(s.reason).not.toContain("\n");
      expect(s.cost.dose_Gy).toBeGreaterThanOrEqual(0);
    }

    // pushed on the campaign's event stream
    const reader = stream.body!.getReader();
    let text = "";
    const deadline = Date.now() + EVENT_WAIT_MS;
    while (suggestions.some((s) => !text.includes(`"id":"${s.id}"`)) && Date.now() < deadline) {
      const chunk = await Promise.race([reader.read(), new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), deadline - Date.now()))]);
      if (!chunk || chunk.done) break;
      text += new TextDecoder().decode(chunk.value as Uint8Array);
    }
    await reader.cancel();
    for (const s of suggestions) expect(text).toContain(`"id":"${s.id}"`);
    expect(text).toMatch(/^event: agent\.suggestion$/m);

    // timed once the live updates the tells queued are done (the engine runs on this thread here)
    await until("the live updates to finish", DIAGNOSIS_WAIT_MS, async () => (await store.listWork("ex")).every((w) => w.state === "done" || w.state === "failed") || undefined);
    const timings: number[] = [];
    for (let i = 0; i < TIMED_ASKS; i++) {
      const started = performance.now();
      const timed = await post("/api/campaigns/ex/agent/ask", body);
      timings.push(performance.now() - started);
      expect(timed.status).toBe(200);
    }
    process.stdout.write(`agent ask over HTTP (${backend.name}, ${SCANS + 2} scans, n=${ASK_N}): ${timings.map((t) => t.toFixed(0)).join(", ")} ms\n`);

    const [a, b, c] = suggestions;
    const scan = manifest.scans[7];
    const takePending = await post("/api/campaigns/ex/agent/tell", { file: scan.file, content: example(scan.file).toString("utf8"), suggestion: c.id });
    expect(takePending.status).toBe(409);
    expect(((await takePending.json()) as { error: string }).error).toMatch(/pending — a person must approve it before it is taken$/);

    const approved = await post(`/api/campaigns/ex/agent/suggestions/${a.id}/approve`, { by: "beamline scientist", note: "go" });
    expect(approved.status).toBe(200);
    expect(await approved.json()).toMatchObject({ suggestion: { id: a.id, status: "approved", decision: { decision: "approve", by: "beamline scientist", note: "go" } } });
    const twice = await post(`/api/campaigns/ex/agent/suggestions/${a.id}/approve`, {});
    expect(twice.status).toBe(409);
    expect(await twice.json()).toEqual({ error: `suggestion ${a.id}: already approved by beamline scientist` });
    const denied = await post(`/api/campaigns/ex/agent/suggestions/${b.id}/deny`, {});
    expect(denied.status).toBe(200);
    expect(await denied.json()).toMatchObject({ suggestion: { status: "denied", decision: { by: expect.stringMatching(/^token tok_\w+ \(agent test\)$/) as string } } });
    expect((await post(`/api/campaigns/ex/agent/suggestions/s-unknown/deny`, {})).status).toBe(404);

    const reasked = (await (await post("/api/campaigns/ex/agent/ask", body)).json()) as { suggestions: Suggestion[] };
    expect(reasked.suggestions.map((s) => s.id)).not.toContain(b.id);
    expect(reasked.suggestions.some((s) => JSON.stringify(s.action) === JSON.stringify(b.action))).toBe(false);

    const taken = await post("/api/campaigns/ex/agent/tell", { file: scan.file, content: example(scan.file).toString("utf8"), suggestion: a.id });
    expect(taken.status).toBe(201);

    const report = (await (await get("/api/campaigns/ex/agent/report")).json()) as { requireApproval: boolean; target: unknown; suggestions: Suggestion[]; tells: { file: string }[]; budgets: { spot: string }[]; posterior: { parameter?: string } | null };
    const status = Object.fromEntries(report.suggestions.map((s) => [s.id, s.status]));
    expect(status).toMatchObject({ [a.id]: "taken", [b.id]: "denied", [c.id]: "pending" });
    expect(report.target).toEqual({ kind: "parameter", name: "k" });
    expect(report.posterior?.parameter).toBe("k");
    expect(report.tells.map((t) => t.file)).toEqual([manifest.scans[SCANS].file, "xrr/P2_0001.ort", scan.file]);

    // a restart: everything closed and opened again on the same data folder and store
    await close();
    await open();
    const restarted = (await (await get("/api/campaigns/ex/agent/report")).json()) as typeof report;
    expect(restarted.suggestions).toEqual(report.suggestions);
    expect(restarted.tells).toEqual(report.tells);
    const afterRestart = await post(`/api/campaigns/ex/agent/suggestions/${a.id}/deny`, {});
    expect(afterRestart.status).toBe(409);
  });
});
