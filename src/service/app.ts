/**
 * @module service/app
 * The HTTP side of `strata serve` (fastify): the JSON API under `/api/`, the event stream, the
 * OpenAPI document and the live page. {@link buildApp} takes an open store and a runner (ingest
 * and live diagnosis) and registers exactly the routes of service/openapi's ROUTES.
 *
 * Rules every route follows:
 * - a token is needed everywhere except `GET /health` (service/auth): 401 without a known one,
 *   403 when a read token calls a write route;
 * - errors are JSON `{"error": "<one line>"}` naming the field, file or value — fastify's own
 *   error format is replaced, a body that fails its schema names the field, and nothing ever
 *   answers with a stack trace (an unexpected error is a 500 "internal error" and one line on
 *   stderr);
 * - bodies are bounded: JSON {@link JSON_BODY_LIMIT}, an uploaded file `maxUploadBytes` (413);
 * - an uploaded file's path may not escape the campaign folder (`..`, `.`, absolute, backslash,
 *   NUL, empty segments → 400);
 * - no CORS headers: browsers keep other origins out;
 * - documents read by many clients (the latest diagnosis, its timeline as JSON and CSV) are
 *   cached per campaign and dropped when the event log says a new diagnosis version exists.
 *
 * Units: sizes in bytes; `time_s` seconds from the campaign's t0; thicknesses in Å.
 */
import fs from "node:fs";
import path from "node:path";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { EngineError } from "../core/errors.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { parseManifest, type CampaignManifest } from "../campaign/manifest.ts";
import { withUnknownKeyPolicy } from "../core/keys.ts";
import type { CampaignRecord, DiagnosisVersionRecord, EventRecord, Store, TokenRecord, TokenScope } from "../store/types.ts";
import { allows, authenticate, presentedSecret, TOKEN_QUERY, tokenCookie } from "./auth.ts";
import { EventHub, startPosition, streamEvents } from "./events.ts";
import { openApiDocument, ROUTES, SCHEMAS, type RouteDoc } from "./openapi.ts";
import { checkRelativePath, type IngestOptions, type IngestResult } from "./ingest.ts";
import { registerAgentRoutes } from "./agentRoutes.ts";
import type { JobView } from "./queueClient.ts";
import { plan } from "../autonomy/planner.ts";

/** Largest JSON body (a campaign registration): 1 MiB. */
export const JSON_BODY_LIMIT = 1024 * 1024;
/** Default bound of an uploaded file (`--max-upload-mb`): 64 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 64 * 1024 * 1024;
/** Longest error message sent (characters). */
export const MAX_ERROR_CHARACTERS = 400;
/** Where the page's built HTML is, relative to the web root. */
export const PAGE_FILE = "index.html";

/** The ingest state of one campaign (what `GET /api/campaigns/:id/ingest` serves). */
export interface IngestStateView {
  seen: number;
  ingested: number;
  waiting: { path: string; size: number; since: string }[];
  rejected: { path: string; error: string }[];
}

/** What the app needs of the runner (service/runner's Runner has this shape). */
export interface ServiceRunner {
  /** store (or update) a campaign and start following it; a watched folder is watched from now on */
  registerCampaign(campaign: { id: string; name: string; manifest: Record<string, unknown>; watchDir: string | null }): Promise<CampaignRecord>;
  ingest(campaignId: string, relPath: string, bytes: Uint8Array, options?: IngestOptions): Promise<IngestResult>;
  ingestState(campaignId: string): IngestStateView | Promise<IngestStateView>;
  /** in-process notification that something was appended to the event log (wakes the event stream) */
  on(event: "event", listener: (event: EventRecord) => void): unknown;
}

export interface AppOptions {
  store: Store;
  runner: ServiceRunner;
  /** the folder holding the built page (dist/web); its index.html is served at / and /campaigns/:id */
  webRoot: string;
  /** @default DEFAULT_MAX_UPLOAD_BYTES */
  maxUploadBytes?: number;
  /** the data folder (the agent loads campaigns from its materialised folders); default the runner's `dataDir` when it has one */
  dataDir?: string;
  /** `strata serve --queue`: the latest queue jobs, newest first (service/queueClient); absent: no queue */
  jobs?: (limit: number) => Promise<readonly JobView[]>;
}

/** `GET /api/jobs` without `limit`: this many of the newest jobs. */
export const JOBS_LIMIT = 50;
/** The most `GET /api/jobs?limit=` gives. */
export const JOBS_LIMIT_MAX = 1000;

/** A failure with its HTTP status and a one-line message. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

declare module "fastify" {
  interface FastifyContextConfig {
    /** the token scope the route needs ("none": no token) */
    scope?: RouteDoc["scope"];
  }
  interface FastifyRequest {
    token?: TokenRecord;
  }
}

/** One row of the timeline (JSON route; the CSV has the same columns). */
export interface TimelineRow {
  cell: string;
  scan: string;
  time_s: number | null;
  median_A: number | null;
  lo95_A: number | null;
  hi95_A: number | null;
  independent_A: number | null;
  stderr_A: number | null;
}

export const TIMELINE_COLUMNS: readonly (keyof TimelineRow)[] = ["cell", "scan", "time_s", "median_A", "lo95_A", "hi95_A", "independent_A", "stderr_A"];

const LIVE_FORMAT = "strata-live/1";
const DIAGNOSIS_EVENT = "diagnosis.updated";

/** Build the service's fastify instance (not listening; call `listen` or `inject`). */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { store, runner, webRoot } = options;
  const maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const app = Fastify({
    logger: false,
    bodyLimit: JSON_BODY_LIMIT,
    return503OnClosing: true,
    exposeHeadRoutes: false,
    // a body field the schema does not know is an error naming it, not silently dropped; no type coercion
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    schemaErrorFormatter: (errors, dataVar) => new HttpError(400, schemaMessage(errors, dataVar)),
  });
  const table: { method: string; url: string }[] = [];
  routeTables.set(app, table);
  app.addHook("onRoute", (options) => {
    for (const method of [options.method].flat()) table.push({ method, url: options.url });
  });
  const hub = new EventHub(store);
  await hub.start();
  const documents = new DocumentCache(store);
  hub.subscribe((event) => {
    if (event.type === DIAGNOSIS_EVENT && event.campaignId !== null) documents.invalidate(event.campaignId);
  });
  runner.on("event", () => void hub.wake());
  const streams = new Set<AbortController>();
  // open event streams end before the server waits for its connections to close
  app.addHook("preClose", (done) => {
    for (const stream of streams) stream.abort();
    done();
  });
  app.addHook("onClose", (_instance, done) => {
    hub.stop();
    done();
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const { status, message } = errorResponse(error, maxUploadBytes);
    if (status === 500) process.stderr.write(`strata serve: ${request.method} ${request.url}: ${oneLine(String(error.stack ?? error.message))}\n`);
    void reply.code(status).type("application/json").send({ error: message });
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: `no route ${request.method} ${request.url.split("?")[0]}` });
  });

  // every route needs a token except those marked "none"; a 404 needs one too (the route table is not public)
  app.addHook("onRequest", async (request) => {
    const needed = request.routeOptions.config.scope ?? "read";
    if (needed === "none") return;
    const secret = presentedSecret({ authorization: request.headers.authorization, cookie: request.headers.cookie, query: (request.query as Record<string, unknown> | undefined)?.[TOKEN_QUERY] });
    if (secret === undefined) throw new HttpError(401, "no token: send Authorization: Bearer <secret>, the access_token query parameter or the strata_token cookie (strata serve token create)");
    const token = await authenticate(store, secret);
    if (!token) throw new HttpError(401, "unknown or revoked token");
    if (!allows(token.scope, needed)) throw new HttpError(403, `token ${token.id} is read-only: ${request.method} ${request.routeOptions.url ?? ""} needs a write token`);
    request.token = token;
  });

  const route = (doc: RouteDoc): { url: string; method: RouteDoc["method"]; config: { scope: RouteDoc["scope"] } } => ({ url: doc.path, method: doc.method, config: { scope: doc.scope } });
  const docOf = (method: RouteDoc["method"], url: string): RouteDoc => {
    const doc = ROUTES.find((r) => r.method === method && r.path === url);
    if (!doc) throw new Error(`service/app: route ${method} ${url} is not in service/openapi's ROUTES`);
    return doc;
  };

  app.route({ ...route(docOf("GET", "/health")), handler: (_request, reply) => reply.send({ status: "ok", version: STRATA_VERSION, store: store.kind }) });
  const openapi = openApiDocument(STRATA_VERSION);
  app.route({ ...route(docOf("GET", "/api/openapi.json")), handler: (_request, reply) => reply.send(openapi) });

  app.route({
    ...route(docOf("POST", "/api/campaigns")),
    schema: { body: SCHEMAS["CampaignRegistration"] },
    handler: async (request, reply) => {
      const body = request.body as { id?: string; manifest: Record<string, unknown>; watch?: string };
      let manifest: CampaignManifest;
      try {
        manifest = withUnknownKeyPolicy({ lenient: false }, () => parseManifest(body.manifest, "manifest", []));
      } catch (error) {
        if (error instanceof EngineError) throw new HttpError(400, `manifest: ${error.message}`);
        throw error;
      }
      const id = body.id ?? campaignIdFromName(manifest.name);
      if (await store.getCampaign(id)) throw new HttpError(409, `campaign "${id}" exists: choose another id, or upload a new campaign.json to it`);
      let watchDir: string | null = null;
      if (body.watch !== undefined) {
        if (!path.isAbsolute(body.watch)) throw new HttpError(400, `body.watch: must be an absolute path (got ${JSON.stringify(body.watch)})`);
        if (!isDirectory(body.watch)) throw new HttpError(400, `body.watch: not a folder (got ${JSON.stringify(body.watch)})`);
        watchDir = body.watch;
      }
      const campaign = await runner.registerCampaign({ id, name: manifest.name, manifest: body.manifest, watchDir });
      void hub.wake();
      return reply.code(201).send({ campaign });
    },
  });

  app.route({
    ...route(docOf("GET", "/api/campaigns")),
    handler: async () => {
      const campaigns = await store.listCampaigns();
      return Promise.all(
        campaigns.map(async (c) => {
          const [files, diagnoses] = await Promise.all([store.listFiles(c.id), store.listDiagnoses(c.id)]);
          const latest = diagnoses.reduce<(typeof diagnoses)[number] | undefined>((best, d) => (best === undefined || d.version > best.version ? d : best), undefined);
          const paths = new Set(files.filter((f) => f.status === "ingested").map((f) => f.path));
          return { id: c.id, name: c.name, files: paths.size, scans: latest?.scans ?? 0, diagnosisVersion: latest?.version ?? null };
        }),
      );
    },
  });

  const campaignOf = async (request: FastifyRequest): Promise<CampaignRecord> => {
    const id = (request.params as { id: string }).id;
    const campaign = await store.getCampaign(id);
    if (!campaign) throw new HttpError(404, `campaign "${id}": not registered`);
    return campaign;
  };

  app.route({
    ...route(docOf("GET", "/api/campaigns/:id")),
    handler: async (request) => {
      const campaign = await campaignOf(request);
      return { ...campaign, ingest: await runner.ingestState(campaign.id) };
    },
  });

  // uploads: raw bytes whatever the content type (a campaign.json is not parsed as a request body)
  await app.register((uploads, _options, done) => {
    uploads.removeAllContentTypeParsers();
    uploads.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: maxUploadBytes }, (_request, body, done) => done(null, body));
    uploads.route({
      ...route(docOf("PUT", "/api/campaigns/:id/files/*")),
      bodyLimit: maxUploadBytes,
      handler: async (request, reply) => {
        const relPath = (request.params as Record<string, string>)["*"] ?? "";
        try {
          checkRelativePath(relPath);
        } catch (error) {
          throw new HttpError(400, (error as Error).message);
        }
        const campaign = await campaignOf(request);
        const body = request.body;
        const bytes = Buffer.isBuffer(body) ? body : Buffer.alloc(0);
        const result = await runner.ingest(campaign.id, relPath, bytes, { source: "upload", completedAt: Date.now() });
        void hub.wake();
        if (result.status === "rejected") throw new HttpError(400, result.error);
        return reply.code(result.created ? 201 : 200).send({ file: result.file, created: result.created });
      },
    });
    done();
  });

  app.route({ ...route(docOf("GET", "/api/campaigns/:id/files")), handler: async (request) => store.listFiles((await campaignOf(request)).id) });
  app.route({ ...route(docOf("GET", "/api/campaigns/:id/ingest")), handler: async (request) => runner.ingestState((await campaignOf(request)).id) });
  app.route({ ...route(docOf("GET", "/api/campaigns/:id/diagnoses")), handler: async (request) => store.listDiagnoses((await campaignOf(request)).id) });

  app.route({
    ...route(docOf("GET", "/api/campaigns/:id/diagnosis")),
    handler: async (request, reply) => {
      const campaign = await campaignOf(request);
      const query = request.query as { version?: string; kind?: string };
      let entry: CachedDocument | undefined;
      if (query.version !== undefined) {
        const version = positiveInteger(query.version, "version");
        const record = store.diagnosis ? await store.diagnosis(campaign.id, version) : undefined;
        if (!record) throw new HttpError(404, `campaign "${campaign.id}": no diagnosis version ${version}`);
        entry = cacheEntry(record);
      } else if (query.kind !== undefined) {
        if (query.kind !== "live" && query.kind !== "full") throw new HttpError(400, `kind: must be live or full (got ${JSON.stringify(query.kind)})`);
        const record = await store.latestDiagnosis(campaign.id, query.kind);
        entry = record && cacheEntry(record);
      } else {
        entry = await documents.latest(campaign.id);
      }
      if (!entry) throw new HttpError(404, `campaign "${campaign.id}": no diagnosis yet (${await pendingHint(store, campaign.id)})`);
      return reply.header("x-strata-version", String(entry.version)).header("x-strata-kind", entry.kind).type("application/json; charset=utf-8").send(entry.json);
    },
  });

  app.route({
    ...route(docOf("GET", "/api/campaigns/:id/timeline")),
    handler: async (request, reply) => {
      const campaign = await campaignOf(request);
      const entry = await documents.latest(campaign.id);
      if (entry) void reply.header("x-strata-version", String(entry.version));
      return reply.type("application/json; charset=utf-8").send(entry?.timelineJson ?? "[]");
    },
  });
  app.route({
    ...route(docOf("GET", "/api/campaigns/:id/timeline.csv")),
    handler: async (request, reply) => {
      const campaign = await campaignOf(request);
      const entry = await documents.latest(campaign.id);
      if (entry) void reply.header("x-strata-version", String(entry.version));
      return reply.type("text/csv; charset=utf-8").send(entry?.timelineCsv ?? timelineCsv([]));
    },
  });

  app.route({
    ...route(docOf("GET", "/api/events")),
    handler: async (request, reply) => {
      const query = request.query as { campaign?: string; after?: string };
      if (query.campaign !== undefined && !(await store.getCampaign(query.campaign))) throw new HttpError(404, `campaign "${query.campaign}": not registered`);
      const after = query.after === undefined ? undefined : nonNegativeInteger(query.after, "after");
      const lastEventId = request.headers["last-event-id"];
      // "from now on" is the log's end now, not the hub's last poll (an event committed just
      // before the request is history, though the hub may not have read it yet)
      const now = store.lastSeq ? Math.max(hub.position, await store.lastSeq()) : hub.position;
      const start = startPosition(Array.isArray(lastEventId) ? lastEventId[0] : lastEventId, after, now);
      const controller = new AbortController();
      streams.add(controller);
      reply.raw.on("close", () => controller.abort());
      reply.hijack();
      try {
        await streamEvents(hub, store, reply.raw, { ...(query.campaign === undefined ? {} : { campaignId: query.campaign }), after: start, signal: controller.signal });
      } catch (error) {
        process.stderr.write(`strata serve: event stream: ${oneLine((error as Error).message)}\n`);
        if (!reply.raw.writableEnded) reply.raw.end();
      } finally {
        streams.delete(controller);
      }
    },
  });

  app.route({
    ...route(docOf("GET", "/api/work")),
    handler: async (request) => {
      const campaign = (request.query as { campaign?: string }).campaign;
      return store.listWork(campaign);
    },
  });

  app.route({
    ...route(docOf("GET", "/api/jobs")),
    handler: async (request) => {
      const raw = (request.query as { limit?: string }).limit;
      const limit = raw === undefined ? JOBS_LIMIT : Number(raw);
      if (!(Number.isInteger(limit) && limit >= 1 && limit <= JOBS_LIMIT_MAX)) throw new HttpError(400, `limit: expected an integer 1–${JOBS_LIMIT_MAX}, got ${oneLine(String(raw))}`);
      return { queue: options.jobs !== undefined, jobs: options.jobs ? await options.jobs(limit) : [] };
    },
  });

  // the agent API (issue 18): tell / ask / approve / deny / report
  registerAgentRoutes(app, { store, runner, dataDir: options.dataDir ?? (runner as { dataDir?: string }).dataDir, plan, wake: () => void hub.wake() });

  const page = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const file = path.join(webRoot, PAGE_FILE);
    let html: Buffer;
    try {
      html = await fs.promises.readFile(file);
    } catch {
      throw new HttpError(503, `the live page is not built (${file} is missing): build web/ with vite (npx vite build --config web/vite.config.ts)`);
    }
    const secret = (request.query as Record<string, unknown>)[TOKEN_QUERY];
    if (typeof secret === "string" && secret !== "") void reply.header("set-cookie", tokenCookie(secret));
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(html);
  };
  app.route({ ...route(docOf("GET", "/")), handler: page });
  app.route({ ...route(docOf("GET", "/campaigns/:id")), handler: page });

  return app;
}

const routeTables = new WeakMap<FastifyInstance, readonly { method: string; url: string }[]>();

/** Every route an app built by {@link buildApp} registered (method and fastify URL), in order. */
export function registeredRoutes(app: FastifyInstance): readonly { method: string; url: string }[] {
  return routeTables.get(app) ?? [];
}

/** The scope a route needs by its method and URL (for tests and the route table). */
export function scopeOf(method: string, url: string): TokenScope | "none" | undefined {
  return ROUTES.find((r) => r.method === method && r.path === url)?.scope;
}

/** A campaign id from a manifest's name: lower case, runs of other characters → "-", ≤ 63 characters. */
export function campaignIdFromName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return slug === "" ? "campaign" : slug;
}

interface CachedDocument {
  version: number;
  kind: "live" | "full";
  json: string;
  timelineJson: string;
  timelineCsv: string;
}

function cacheEntry(record: DiagnosisVersionRecord): CachedDocument {
  const rows = timelineRows(record.document);
  return { version: record.version, kind: record.kind, json: JSON.stringify(record.document), timelineJson: JSON.stringify(rows), timelineCsv: timelineCsv(rows) };
}

/**
 * The latest strata-live/1 document of each campaign, serialised once with its timeline; a
 * "diagnosis.updated" event drops it. A load that raced an invalidation is not kept.
 */
class DocumentCache {
  private readonly entries = new Map<string, Promise<CachedDocument | undefined>>();
  private readonly generations = new Map<string, number>();
  constructor(private readonly store: Store) {}

  invalidate(campaignId: string): void {
    this.generations.set(campaignId, (this.generations.get(campaignId) ?? 0) + 1);
    this.entries.delete(campaignId);
  }

  latest(campaignId: string): Promise<CachedDocument | undefined> {
    const cached = this.entries.get(campaignId);
    if (cached) return cached;
    const generation = this.generations.get(campaignId) ?? 0;
    const loading = this.load(campaignId);
    this.entries.set(campaignId, loading);
    loading.then(
      () => {
        if ((this.generations.get(campaignId) ?? 0) !== generation && this.entries.get(campaignId) === loading) this.entries.delete(campaignId);
      },
      () => {
        if (this.entries.get(campaignId) === loading) this.entries.delete(campaignId);
      },
    );
    return loading;
  }

  private async load(campaignId: string): Promise<CachedDocument | undefined> {
    let record = await this.store.latestDiagnosis(campaignId);
    // a full re-run may be stored in its own format: the live document is what clients follow
    if (record && record.document["format"] !== LIVE_FORMAT) record = (await this.store.latestDiagnosis(campaignId, "live")) ?? record;
    return record && cacheEntry(record);
  }
}

const numberOrNull = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);
const objectOr = (value: unknown): Record<string, unknown> => (value !== null && typeof value === "object" ? (value as Record<string, unknown>) : {});

/** The timeline rows of a strata-live/1 document (no rows for another format). */
export function timelineRows(document: Record<string, unknown>): TimelineRow[] {
  const rows: TimelineRow[] = [];
  const cells = Array.isArray(document["cells"]) ? (document["cells"] as unknown[]) : [];
  for (const cellValue of cells) {
    const cell = objectOr(cellValue);
    const timeline = Array.isArray(cell["timeline"]) ? (cell["timeline"] as unknown[]) : [];
    for (const pointValue of timeline) {
      const point = objectOr(pointValue);
      const thickness = objectOr(point["thickness_A"]);
      const independent = objectOr(point["independent_A"]);
      rows.push({
        cell: typeof cell["id"] === "string" ? cell["id"] : "",
        scan: typeof point["scan"] === "string" ? point["scan"] : "",
        time_s: numberOrNull(point["time_s"]),
        median_A: numberOrNull(thickness["median"]),
        lo95_A: numberOrNull(thickness["lo95"]),
        hi95_A: numberOrNull(thickness["hi95"]),
        independent_A: numberOrNull(independent["value"]),
        stderr_A: numberOrNull(independent["stderr"]),
      });
    }
  }
  return rows;
}

/** The timeline as CSV: a header line, then one line per row (empty field for a missing number). */
export function timelineCsv(rows: readonly TimelineRow[]): string {
  const field = (value: string | number | null): string => {
    if (value === null) return "";
    if (typeof value === "number") return String(value);
    return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
  };
  return [TIMELINE_COLUMNS.join(","), ...rows.map((row) => TIMELINE_COLUMNS.map((c) => field(row[c])).join(","))].join("\n") + "\n";
}

async function pendingHint(store: Store, campaignId: string): Promise<string> {
  const files = await store.listFiles(campaignId);
  const scans = new Set(files.filter((f) => f.kind === "scan" && f.status === "ingested").map((f) => f.path)).size;
  return scans === 0 ? "no scan has arrived" : `${scans} scan${scans === 1 ? "" : "s"} arrived; the first update is running`;
}

function positiveInteger(text: string, name: string): number {
  const value = nonNegativeInteger(text, name);
  if (value < 1) throw new HttpError(400, `${name}: must be an integer ≥ 1 (got ${JSON.stringify(text)})`);
  return value;
}

function nonNegativeInteger(text: string, name: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new HttpError(400, `${name}: must be a non-negative integer (got ${JSON.stringify(text.slice(0, 40))})`);
  return Number(text);
}

function isDirectory(dir: string): boolean {
  try {
    return fs.statSync(dir).isDirectory();
  } catch {
    return false;
  }
}

/** One line, at most {@link MAX_ERROR_CHARACTERS} characters. */
export function oneLine(text: string): string {
  const line = text.replace(/\s*\n\s*/g, " ").trim();
  return line.length > MAX_ERROR_CHARACTERS ? `${line.slice(0, MAX_ERROR_CHARACTERS - 1)}…` : line;
}

interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** The first schema failure as one line naming the field: `body.id: must match pattern "…"`. */
export function schemaMessage(errors: readonly SchemaError[], dataVar: string): string {
  const error = errors[0];
  if (!error) return `${dataVar}: invalid`;
  const at = dataVar + error.instancePath.replace(/\//g, ".");
  if (error.keyword === "required") return `${at}.${String(error.params["missingProperty"])}: required`;
  if (error.keyword === "additionalProperties") return `${at}.${String(error.params["additionalProperty"])}: unknown field`;
  return `${at}: ${error.message ?? "invalid"}`;
}

/** Status and one-line message of any error a route or fastify raised. */
function errorResponse(error: FastifyError | Error, maxUploadBytes: number): { status: number; message: string } {
  const fastifyError = error as FastifyError;
  if (error instanceof HttpError) return { status: error.statusCode, message: oneLine(error.message) };
  if (error instanceof EngineError) return { status: 400, message: oneLine(error.message) };
  if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE" || fastifyError.statusCode === 413) {
    return { status: 413, message: `request body too large: the limit is ${maxUploadBytes} bytes for a file (--max-upload-mb) and ${JSON_BODY_LIMIT} bytes for JSON` };
  }
  if (fastifyError.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") return { status: 415, message: oneLine(`unsupported content type: send JSON (application/json) to this route`) };
  if (fastifyError.code === "FST_ERR_CTP_EMPTY_JSON_BODY") return { status: 400, message: "request body is empty: send a JSON document" };
  if (error instanceof SyntaxError || fastifyError.code === "FST_ERR_CTP_INVALID_JSON_BODY") return { status: 400, message: oneLine(`request body is not valid JSON: ${error.message}`) };
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) return { status, message: oneLine(error.message) };
  return { status: 500, message: "internal error (the service's stderr has the details)" };
}
