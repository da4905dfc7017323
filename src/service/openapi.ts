/**
 * @module service/openapi
 * The routes of `strata serve` as data — method, path, the scope a token needs, what it does —
 * and the OpenAPI 3.1 document built from them (served at `GET /api/openapi.json`). The app
 * registers its routes under the same paths (fastify `:param` / `*` syntax here, `{param}` in
 * the document); test/service/api.test.ts compares this list with fastify's route table.
 *
 * Units: sizes in bytes, times ISO-8601 UTC or seconds from the campaign's t0 (`time_s`),
 * thicknesses in Å.
 */

export type HttpMethod = "GET" | "POST" | "PUT";

export interface RouteDoc {
  method: HttpMethod;
  /** fastify syntax: `:id` parameters, a trailing `*` for the rest of the path */
  path: string;
  /** the token scope needed; "none" only for /health */
  scope: "none" | "read" | "write";
  summary: string;
  query?: Record<string, { description: string; type: "string" | "integer" }>;
  /** request body: JSON schema name (components) or raw bytes */
  body?: "CampaignRegistration" | "AgentTell" | "AgentAsk" | "AgentDecision" | "bytes";
  /** success status → description and content */
  responses: Record<string, { description: string; schema?: string; contentType?: string }>;
}

const JSON_ERRORS = {
  "400": { description: "bad input: {error} names the field or file and the value", schema: "Error" },
  "401": { description: "no token, or an unknown or revoked one", schema: "Error" },
  "404": { description: "no such campaign (or diagnosis version)", schema: "Error" },
};

/** Every route the service registers. */
export const ROUTES: readonly RouteDoc[] = [
  { method: "GET", path: "/health", scope: "none", summary: "liveness: status, version and store kind (no token needed)", responses: { "200": { description: "running", schema: "Health" } } },
  { method: "GET", path: "/api/openapi.json", scope: "read", summary: "this document", responses: { "200": { description: "OpenAPI 3.1" } } },
  {
    method: "POST",
    path: "/api/campaigns",
    scope: "write",
    summary: "register a campaign from its manifest (campaign.json), optionally watching a folder for its files",
    body: "CampaignRegistration",
    responses: { "201": { description: "registered", schema: "CampaignCreated" }, "409": { description: "the id is taken", schema: "Error" } },
  },
  { method: "GET", path: "/api/campaigns", scope: "read", summary: "the campaigns with their file, scan and diagnosis counts", responses: { "200": { description: "list", schema: "CampaignSummaryList" } } },
  { method: "GET", path: "/api/campaigns/:id", scope: "read", summary: "one campaign: its record and the state of its ingest", responses: { "200": { description: "campaign", schema: "CampaignDetail" } } },
  {
    method: "PUT",
    path: "/api/campaigns/:id/files/*",
    scope: "write",
    summary: "upload one file at its manifest-relative path (raw bytes); validated with the CLI's readers, stored once by content",
    body: "bytes",
    responses: {
      "201": { description: "a new version was stored", schema: "FileUpload" },
      "200": { description: "the same content is already the latest version: nothing stored", schema: "FileUpload" },
      "413": { description: "larger than --max-upload-mb", schema: "Error" },
    },
  },
  { method: "GET", path: "/api/campaigns/:id/files", scope: "read", summary: "every stored file version", responses: { "200": { description: "file records", schema: "FileRecordList" } } },
  { method: "GET", path: "/api/campaigns/:id/ingest", scope: "read", summary: "ingest state: files seen, ingested, waiting to be complete, rejected and why", responses: { "200": { description: "state", schema: "IngestState" } } },
  {
    method: "GET",
    path: "/api/campaigns/:id/diagnosis",
    scope: "read",
    summary: "the latest diagnosis document (strata-live/1), or an older version; headers X-Strata-Version and X-Strata-Kind",
    query: { version: { description: "a diagnosis version (1, 2, …); default the latest", type: "integer" }, kind: { description: "live or full: the latest of that kind", type: "string" } },
    responses: { "200": { description: "strata-live/1 document", schema: "LiveDocument" } },
  },
  { method: "GET", path: "/api/campaigns/:id/diagnoses", scope: "read", summary: "every diagnosis version (without documents)", responses: { "200": { description: "versions", schema: "DiagnosisVersionList" } } },
  { method: "GET", path: "/api/campaigns/:id/timeline", scope: "read", summary: "thickness timeline of the latest diagnosis, one row per cell and scan", responses: { "200": { description: "rows", schema: "TimelineRows" } } },
  { method: "GET", path: "/api/campaigns/:id/timeline.csv", scope: "read", summary: "the same timeline as CSV with a header line", responses: { "200": { description: "CSV", contentType: "text/csv" } } },
  {
    method: "GET",
    path: "/api/events",
    scope: "read",
    summary: "server-sent events of the event log (id: seq, event: type, data: JSON); honours Last-Event-ID; a heartbeat comment every 15 s; without after or Last-Event-ID only new events",
    query: { campaign: { description: "only this campaign's events", type: "string" }, after: { description: "send the events after this seq first", type: "integer" } },
    responses: { "200": { description: "event stream", contentType: "text/event-stream" } },
  },
  {
    method: "GET",
    path: "/api/work",
    scope: "read",
    summary: "background work (live updates, full re-runs) and its state",
    query: { campaign: { description: "only this campaign's work", type: "string" } },
    responses: { "200": { description: "work records", schema: "WorkRecordList" } },
  },
  {
    method: "GET",
    path: "/api/jobs",
    scope: "read",
    summary: "the job queue's latest jobs, newest first (strata serve --queue: full runs done by strata workers): kind, state queued|running|done|failed, attempts and a failed job's one-line reason; {queue: false, jobs: []} without a queue",
    query: { limit: { description: "at most this many (1–1000, default 50)", type: "integer" } },
    responses: { "200": { description: "jobs", schema: "JobList" }, "400": { description: "a bad limit", schema: "Error" } },
  },
  {
    method: "POST",
    path: "/api/campaigns/:id/agent/tell",
    scope: "write",
    summary: "tell the agent a measurement: a scan file {file, content} or Bluesky event-model documents {bluesky: [[name, doc], …]}, ingested like an upload; a scan the manifest does not name is added to it (from the RunStart's strata metadata or body.scan)",
    body: "AgentTell",
    responses: {
      "201": { description: "a new file version was stored and told", schema: "AgentTellResult" },
      "200": { description: "the same content was already stored: nothing new", schema: "AgentTellResult" },
      "409": { description: "body.suggestion is pending approval or was denied", schema: "Error" },
    },
  },
  {
    method: "POST",
    path: "/api/campaigns/:id/agent/ask",
    scope: "write",
    summary: "the planner's next n actions on the latest live diagnosis (expected gain in nats, cost, score, one-line reason), as suggestions pending approval; constraints default from the campaign",
    body: "AgentAsk",
    responses: { "200": { description: "suggestions", schema: "AgentAskResult" }, "409": { description: "no live diagnosis yet", schema: "Error" } },
  },
  {
    method: "POST",
    path: "/api/campaigns/:id/agent/suggestions/:sid/approve",
    scope: "write",
    summary: "a person approves a pending suggestion (by: who; default the token's label)",
    body: "AgentDecision",
    responses: { "200": { description: "the suggestion, approved", schema: "AgentDecisionResult" }, "409": { description: "not pending (already approved, denied or taken)", schema: "Error" } },
  },
  {
    method: "POST",
    path: "/api/campaigns/:id/agent/suggestions/:sid/deny",
    scope: "write",
    summary: "a person denies a pending suggestion: it is not suggested again identically until the campaign gains a measurement",
    body: "AgentDecision",
    responses: { "200": { description: "the suggestion, denied", schema: "AgentDecisionResult" }, "409": { description: "not pending (already approved, denied or taken)", schema: "Error" } },
  },
  {
    method: "GET",
    path: "/api/campaigns/:id/agent/report",
    scope: "read",
    summary: "the agent's state: target and its posterior now, dose per spot against its budget, suggestions with their status, the last tells",
    query: { cell: { description: "the cell (default that of the latest suggestion)", type: "string" } },
    responses: { "200": { description: "report", schema: "AgentReport" } },
  },
  { method: "GET", path: "/", scope: "read", summary: "the live page (`/?access_token=…` sets the strata_token cookie)", responses: { "200": { description: "HTML", contentType: "text/html" } } },
  { method: "GET", path: "/campaigns/:id", scope: "read", summary: "the live page opened on one campaign", responses: { "200": { description: "HTML", contentType: "text/html" } } },
];

/** `/api/campaigns/:id/files/*` → `/api/campaigns/{id}/files/{path}` */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_]\w*)/g, "{$1}").replace(/\*$/, "{path}");
}

const obj = (properties: Record<string, unknown>, required: string[] = Object.keys(properties)): Record<string, unknown> => ({ type: "object", properties, required });
const str = { type: "string" };
const int = { type: "integer" };
const num = { type: "number" };
const nullable = (schema: Record<string, unknown>): Record<string, unknown> => ({ oneOf: [schema, { type: "null" }] });
const ref = (name: string): Record<string, unknown> => ({ $ref: `#/components/schemas/${name}` });
const array = (items: Record<string, unknown>): Record<string, unknown> => ({ type: "array", items });

const CAMPAIGN_RECORD = obj({ id: str, name: str, manifest: { type: "object" }, watchDir: nullable(str), createdAt: str });
const FILE_RECORD = obj({ campaignId: str, path: str, version: int, sha256: str, size: int, kind: str, status: { enum: ["ingested", "rejected"] }, error: nullable(str), ingestedAt: str });

/** JSON schemas of the documents the routes exchange. */
export const SCHEMAS: Record<string, Record<string, unknown>> = {
  Error: obj({ error: { type: "string", description: "one line naming the field or file and the offending value" } }),
  Health: obj({ status: { const: "ok" }, version: str, store: { enum: ["sqlite", "postgres"] } }),
  CampaignRegistration: {
    type: "object",
    required: ["manifest"],
    additionalProperties: false,
    properties: {
      id: { type: "string", pattern: "^[a-z0-9][a-z0-9-]{0,62}$", description: "default: from the manifest's name" },
      manifest: { type: "object", description: "the campaign.json document (strata-campaign/1)" },
      watch: { type: "string", description: "absolute path of a folder to watch for the campaign's files" },
    },
  },
  CampaignRecord: CAMPAIGN_RECORD,
  CampaignCreated: obj({ campaign: ref("CampaignRecord") }),
  CampaignSummaryList: array(obj({ id: str, name: str, files: int, scans: int, diagnosisVersion: nullable(int) })),
  CampaignDetail: { allOf: [ref("CampaignRecord"), obj({ ingest: ref("IngestState") })] },
  FileRecord: FILE_RECORD,
  FileRecordList: array(ref("FileRecord")),
  FileUpload: obj({ file: ref("FileRecord"), created: { type: "boolean" } }),
  IngestState: obj({
    seen: int,
    ingested: int,
    waiting: array(obj({ path: str, size: int, since: str })),
    rejected: array(obj({ path: str, error: str })),
  }),
  LiveDocument: { type: "object", required: ["format", "campaign", "generated", "method", "scans", "pending", "cells"], properties: { format: { const: "strata-live/1" }, campaign: str, generated: str, method: { enum: ["sir", "chain", "full"] }, scans: int, pending: array(str), cells: array({ type: "object" }) } },
  DiagnosisVersionList: array(obj({ campaignId: str, version: int, kind: { enum: ["live", "full"] }, scans: int, createdAt: str })),
  TimelineRows: array(obj({ cell: str, scan: str, time_s: nullable(num), median_A: nullable(num), lo95_A: nullable(num), hi95_A: nullable(num), independent_A: nullable(num), stderr_A: nullable(num) })),
  AgentTell: {
    type: "object",
    additionalProperties: false,
    description: "either file and content, or bluesky",
    properties: {
      file: { type: "string", description: "manifest-relative path of the scan file" },
      content: { type: "string", description: "the file's text" },
      bluesky: { type: "array", items: { type: "array", minItems: 2, maxItems: 2 }, description: "event-model documents as [name, doc] pairs (start with a strata: {cell, spot, file} key, descriptor, event or event_page, stop)" },
      scan: { type: "object", additionalProperties: false, required: ["id", "cell", "spot"], properties: { id: str, cell: str, spot: str, start: str, end: str }, description: "the manifest entry to add when the manifest does not name file" },
      suggestion: { type: "string", description: "the suggestion this measurement carries out (marked taken)" },
    },
  },
  AgentTellResult: obj({ file: ref("FileRecord"), created: { type: "boolean" }, kind: str, manifestUpdated: { type: "boolean" }, tell: nullable({ type: "object" }) }),
  AgentAsk: {
    type: "object",
    additionalProperties: false,
    properties: {
      n: { type: "integer", minimum: 1, maximum: 20, description: "how many suggestions (default 1)" },
      target: {
        type: "object",
        additionalProperties: false,
        required: ["kind"],
        description: "default: the posterior law's rate parameter",
        properties: { kind: { enum: ["parameter", "law", "damage", "thickness"] }, name: { type: "string", description: "parameter targets: the posterior's parameter (e.g. k, kp)" }, at_s: { type: "number", description: "thickness targets: the time, s" } },
      },
      constraints: {
        type: "object",
        additionalProperties: false,
        description: "overrides of the campaign's defaults (spots merged by id; a budget of null is none)",
        properties: {
          now_s: num,
          end_s: num,
          minSpacing_s: { type: "number", minimum: 0 },
          spots: array({ type: "object", additionalProperties: false, required: ["id"], properties: { id: str, dose_Gy: { type: "number", minimum: 0 }, budget_Gy: { type: ["number", "null"], minimum: 0 }, fresh: { type: "boolean" } } }),
          settings: array({ type: "object", additionalProperties: false, required: ["qMin", "qMax", "points", "countTime_s"], properties: { qMin: { type: "number", exclusiveMinimum: 0 }, qMax: { type: "number", exclusiveMinimum: 0 }, points: { type: "integer", minimum: 1 }, countTime_s: { type: "number", exclusiveMinimum: 0 } } }),
          impedance: { type: "boolean" },
          impedanceDuration_s: { type: "number", exclusiveMinimum: 0 },
          waitSteps_s: array({ type: "number", exclusiveMinimum: 0 }),
          totalBudget_Gy: { type: ["number", "null"], minimum: 0 },
        },
      },
      cell: str,
      doseAware: { type: "boolean", description: "false: the Fisher-greedy baseline, blind to dose" },
      seed: { type: "integer" },
    },
  },
  AgentSuggestion: {
    type: "object",
    required: ["id", "action", "gain_nats", "cost", "score", "reason", "status"],
    properties: { id: str, action: { type: "object" }, gain_nats: num, cost: obj({ dose_Gy: num, time_s: num }), score: num, reason: str, status: { enum: ["pending", "approved", "denied", "taken"] }, cell: str, target: { type: "object" }, decision: { type: "object" } },
  },
  AgentAskResult: { type: "object", required: ["suggestions", "requireApproval", "costModel"], properties: { suggestions: array(ref("AgentSuggestion")), requireApproval: { type: "boolean" }, costModel: str, events: array({ type: "object" }), refused: { type: "object" }, constraints: { type: "object" } } },
  AgentDecision: { type: "object", additionalProperties: false, properties: { by: { type: "string", minLength: 1 }, note: str } },
  AgentDecisionResult: obj({ suggestion: ref("AgentSuggestion") }),
  AgentReport: { type: "object", required: ["campaign", "requireApproval", "target", "suggestions", "tells", "budgets"], properties: { campaign: str, requireApproval: { type: "boolean" }, target: nullable({ type: "object" }), posterior: nullable({ type: "object" }), budgets: array(obj({ spot: str, dose_Gy: num, budget_Gy: nullable(num), used: nullable(num) })), suggestions: array(ref("AgentSuggestion")), tells: array({ type: "object" }) } },
  JobList: obj({
    queue: { type: "boolean" },
    jobs: array(obj({ id: str, kind: str, state: { enum: ["queued", "running", "done", "failed"] }, campaignId: nullable(str), label: nullable(str), attempts: int, reason: nullable(str), createdAt: nullable(str), finishedAt: nullable(str) })),
  }),
  WorkRecordList: array(obj({ id: int, campaignId: str, kind: str, state: { enum: ["queued", "running", "done", "failed"] }, payload: { type: "object" }, error: nullable(str), attempts: int, createdAt: str, updatedAt: str })),
};

/** The OpenAPI 3.1 document of every route in {@link ROUTES}. */
export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    for (const [, name] of route.path.matchAll(/:([A-Za-z_]\w*)/g)) parameters.push({ name, in: "path", required: true, schema: str });
    if (route.path.endsWith("*")) parameters.push({ name: "path", in: "path", required: true, description: "relative path, `/`-separated; no `..`, `.`, empty segments, backslashes or NUL", schema: str });
    for (const [name, q] of Object.entries(route.query ?? {})) parameters.push({ name, in: "query", required: false, description: q.description, schema: { type: q.type } });
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const contentType = response.contentType ?? "application/json";
      responses[status] = { description: response.description, ...(response.schema || response.contentType ? { content: { [contentType]: { schema: response.schema ? ref(response.schema) : str } } } : {}) };
    }
    if (route.scope !== "none") {
      Object.assign(responses, { "400": JSON_ERRORS["400"], "401": JSON_ERRORS["401"] });
      if (route.path.includes(":id")) responses["404"] = JSON_ERRORS["404"];
      if (route.scope === "write") responses["403"] = { description: "a read-only token", schema: "Error" };
      for (const status of ["400", "401", "403", "404"]) {
        const r = responses[status] as { description: string; schema?: string } | undefined;
        if (r?.schema) responses[status] = { description: r.description, content: { "application/json": { schema: ref(r.schema) } } };
      }
    }
    const operation: Record<string, unknown> = {
      summary: route.summary,
      operationId: `${route.method.toLowerCase()}${openApiPath(route.path).replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      "x-scope": route.scope,
      ...(parameters.length > 0 ? { parameters } : {}),
      responses,
      ...(route.scope === "none" ? { security: [] } : {}),
    };
    if (route.body !== undefined && route.body !== "bytes") operation["requestBody"] = { required: true, content: { "application/json": { schema: ref(route.body) } } };
    if (route.body === "bytes") operation["requestBody"] = { required: true, content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } } };
    (paths[openApiPath(route.path)] ??= {})[route.method.toLowerCase()] = operation;
  }
  return {
    openapi: "3.1.0",
    info: { title: "strata serve", version, description: "The live service of Strata: campaigns, ingested files, live diagnoses and their event stream. Every route except GET /health needs a token (strata serve token create): Authorization: Bearer <secret>, the access_token query parameter, or the strata_token cookie." },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }, { accessToken: [] }, { cookie: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        accessToken: { type: "apiKey", in: "query", name: "access_token" },
        cookie: { type: "apiKey", in: "cookie", name: "strata_token" },
      },
      schemas: SCHEMAS,
    },
    paths,
  };
}
