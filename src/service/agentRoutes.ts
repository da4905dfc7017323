/**
 * @module service/agentRoutes
 * The agent API of `strata serve` (issue 18): one autonomy/agent `Agent` per campaign behind
 *
 * - `POST /api/campaigns/:id/agent/tell` (write): a measurement — a scan file `{file, content}`
 *   or Bluesky event-model documents `{bluesky: [[name, doc], …]}` (autonomy/bluesky makes the
 *   ORSO text) — ingested through the same path as an upload (same validation, same one-line
 *   400, stored once by content). A scan the manifest does not name yet is added to it first
 *   (from the RunStart's `strata` metadata, or the body's `scan` entry) as a new campaign.json
 *   version through the same ingest (not for a watched campaign, whose manifest is the folder's
 *   campaign.json: 409). `suggestion` marks the suggestion it carries out as taken (409 while it
 *   waits for approval).
 * - `POST …/agent/ask` (write: it creates suggestions): the planner's next n actions on the
 *   campaign's latest live diagnosis, constraints from the campaign merged with the body's.
 * - `POST …/agent/suggestions/:sid/approve` and `…/deny` (write): a person's decision (`by`
 *   defaults to the token's label).
 * - `GET …/agent/report` (read): target, its posterior, dose per spot against budgets,
 *   suggestions with their status, the last tells.
 *
 * Suggestions need approval (`requireApproval`, as facilities ask for AI-submitted plans). The
 * agent's state is the store's event log: its events (`agent.suggestion`, `agent.decision`,
 * `agent.tell`) are appended there — so the campaign's event stream carries them — and each
 * request first applies what the log gained since (another process, a restart: rebuilt from
 * the log). Requests of one campaign are served one at a time.
 *
 * Units: time s on the campaign clock, dose Gy, Q Å⁻¹, information nats.
 */
import path from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { EngineError } from "../core/errors.ts";
import { loadCampaign, type Campaign } from "../campaign/campaign.ts";
import type { LiveDocument } from "../diagnosis/live.ts";
import { Agent, AgentError, AGENT_EVENTS, type AgentEvent, type ConstraintsOverride, type PlanFunction } from "../autonomy/agent.ts";
import { blueskyToScan } from "../autonomy/bluesky.ts";
import { defaultTarget } from "../autonomy/planner.ts";
import type { Target } from "../autonomy/types.ts";
import type { CampaignRecord, Store } from "../store/types.ts";
import { checkRelativePath, MANIFEST_NAME, type IngestOptions, type IngestResult } from "./ingest.ts";
import { ROUTES, SCHEMAS, type RouteDoc } from "./openapi.ts";
import { inputsFingerprint } from "./runner.ts";

/** The agent's approval gate in the service: suggestions wait for a person. */
export const SERVICE_REQUIRE_APPROVAL = true;
/** Events read from the log per query while catching up. */
const LOG_PAGE = 500;

/** A failure with its HTTP status (the app's error handler answers `{error}` with it). */
class AgentHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export interface AgentRoutesOptions {
  store: Store;
  runner: { ingest(campaignId: string, relPath: string, bytes: Uint8Array, options?: IngestOptions): Promise<IngestResult> };
  /** the data folder: campaigns are materialised under `campaigns/<id>` */
  dataDir: string | undefined;
  /** the planner (autonomy/planner's plan) */
  plan: PlanFunction;
  /** the event stream reads the log now */
  wake: () => void;
}

interface CampaignAgent {
  agent: Agent;
  /** the last seq of the campaign's log applied */
  cursor: number;
}

interface ManifestScanEntry {
  id: string;
  cell: string;
  spot: string;
  file?: string;
  start?: string;
  end?: string;
}

const routeOf = (method: RouteDoc["method"], url: string): { method: RouteDoc["method"]; url: string; config: { scope: RouteDoc["scope"] } } => {
  const doc = ROUTES.find((r) => r.method === method && r.path === url);
  if (!doc) throw new Error(`service/agentRoutes: route ${method} ${url} is not in service/openapi's ROUTES`);
  return { method, url, config: { scope: doc.scope } };
};

/** JSON `null` budgets mean none (Infinity), as the answers write them. */
function constraintsFromJson(value: Record<string, unknown> | undefined): ConstraintsOverride | undefined {
  if (value === undefined) return undefined;
  const out = { ...value } as Record<string, unknown>;
  if (out["totalBudget_Gy"] === null) delete out["totalBudget_Gy"];
  if (out["end_s"] === null) delete out["end_s"];
  if (Array.isArray(out["spots"])) out["spots"] = (out["spots"] as Record<string, unknown>[]).map((s) => (s["budget_Gy"] === null ? { ...s, budget_Gy: Infinity } : s));
  return out;
}

function targetFromJson(value: Record<string, unknown>): Target {
  const kind = value["kind"];
  if (kind === "parameter") {
    if (typeof value["name"] !== "string" || value["name"] === "") throw new AgentHttpError(400, "body.target.name: required for a parameter target (e.g. \"k\", \"kp\")");
    return { kind, name: value["name"] };
  }
  if (kind === "thickness") {
    if (typeof value["at_s"] !== "number") throw new AgentHttpError(400, "body.target.at_s: required for a thickness target (s on the campaign clock)");
    return { kind, at_s: value["at_s"] };
  }
  return { kind: kind as "law" | "damage" };
}

/** Register the agent routes on the service's app (see the module header). */
export function registerAgentRoutes(app: FastifyInstance, options: AgentRoutesOptions): void {
  const { store, runner, plan, wake } = options;
  const agents = new Map<string, CampaignAgent>();
  const campaigns = new Map<string, { inputs: string; campaign: Campaign }>();

  const campaignRecord = async (request: FastifyRequest): Promise<CampaignRecord> => {
    const id = (request.params as { id: string }).id;
    const record = await store.getCampaign(id);
    if (!record) throw new AgentHttpError(404, `campaign "${id}": not registered`);
    return record;
  };

  /** the campaign's agent, caught up with the log */
  const agentOf = async (campaignId: string): Promise<CampaignAgent> => {
    let entry = agents.get(campaignId);
    if (!entry) agents.set(campaignId, (entry = { agent: new Agent({ plan, requireApproval: SERVICE_REQUIRE_APPROVAL }), cursor: 0 }));
    for (;;) {
      const page = await store.events(entry.cursor, { campaignId, limit: LOG_PAGE });
      for (const event of page) {
        if (event.type.startsWith("agent.")) entry.agent.apply(event);
        entry.cursor = event.seq;
      }
      if (page.length < LOG_PAGE) return entry;
    }
  };

  /** one request of a campaign at a time; an unexpected failure forgets the in-memory agent (rebuilt from the log) */
  const locks = new Map<string, Promise<unknown>>();
  const locked = <T>(campaignId: string, task: (entry: CampaignAgent) => Promise<T>): Promise<T> => {
    const run = async (): Promise<T> => {
      const entry = await agentOf(campaignId);
      try {
        return await task(entry);
      } catch (error) {
        if (!(error instanceof AgentHttpError) && !(error instanceof EngineError)) agents.delete(campaignId);
        throw error;
      }
    };
    const next = (locks.get(campaignId) ?? Promise.resolve()).then(run, run);
    locks.set(campaignId, next.catch(() => undefined));
    return next;
  };

  const persist = async (campaignId: string, events: AgentEvent[]): Promise<void> => {
    try {
      for (const event of events) await store.appendEvent({ campaignId, type: event.type, payload: event.payload as unknown as Record<string, unknown> });
    } catch (error) {
      agents.delete(campaignId);
      throw error;
    }
    if (events.length > 0) wake();
  };

  const liveOf = async (campaignId: string): Promise<LiveDocument | undefined> => {
    const record = await store.latestDiagnosis(campaignId, "live");
    return record && record.document["format"] === "strata-live/1" ? (record.document as unknown as LiveDocument) : undefined;
  };

  const campaignOf = async (campaignId: string): Promise<Campaign> => {
    if (options.dataDir === undefined) throw new AgentHttpError(503, "the agent needs the service's data folder (buildApp's dataDir)");
    const inputs = inputsFingerprint(await store.listFiles(campaignId));
    const cached = campaigns.get(campaignId);
    if (cached && cached.inputs === inputs) return cached.campaign;
    const campaign = await loadCampaign(path.join(options.dataDir, "campaigns", campaignId), { presentOnly: true, lenient: false });
    campaigns.set(campaignId, { inputs, campaign });
    return campaign;
  };

  const decided = (error: unknown): never => {
    if (error instanceof AgentError) throw new AgentHttpError(error.kind === "not-found" ? 404 : 409, error.message);
    throw error;
  };

  app.route({
    ...routeOf("POST", "/api/campaigns/:id/agent/tell"),
    schema: { body: SCHEMAS["AgentTell"] },
    handler: async (request, reply) => {
      const record = await campaignRecord(request);
      const body = request.body as { file?: string; content?: string; bluesky?: unknown[]; scan?: ManifestScanEntry; suggestion?: string };
      let file: string;
      let content: string;
      let entry: ManifestScanEntry | undefined;
      let source: "file" | "bluesky";
      let uid: string | undefined;
      if (body.bluesky !== undefined) {
        if (body.file !== undefined || body.content !== undefined) throw new AgentHttpError(400, "body: give either bluesky documents or file and content, not both");
        const scan = blueskyToScan(body.bluesky, "body.bluesky");
        ({ file } = scan);
        content = scan.ort;
        entry = { id: scan.scan, cell: scan.cell, spot: scan.spot, start: scan.start, end: scan.end };
        source = "bluesky";
        uid = scan.uid;
      } else {
        if (body.file === undefined) throw new AgentHttpError(400, "body.file: required (or send body.bluesky)");
        if (body.content === undefined) throw new AgentHttpError(400, "body.content: required with body.file (the scan file's text)");
        file = body.file;
        content = body.content;
        entry = body.scan;
        source = "file";
      }
      try {
        checkRelativePath(file);
      } catch (error) {
        throw new AgentHttpError(400, `body.file: ${(error as Error).message}`);
      }
      return locked(record.id, async ({ agent }) => {
        const suggestion = body.suggestion;
        if (suggestion !== undefined) {
          const found = agent.suggestion(suggestion);
          if (!found) throw new AgentHttpError(404, `body.suggestion: no suggestion ${JSON.stringify(suggestion)}`);
          if (found.status === "pending" && agent.requireApproval) throw new AgentHttpError(409, `body.suggestion: ${suggestion} is pending — a person must approve it before it is taken`);
          if (found.status === "denied") throw new AgentHttpError(409, `body.suggestion: ${suggestion} was denied by ${found.decision?.by ?? "someone"}`);
        }
        // read again under the lock: another tell may have added a scan meanwhile
        const current = (await store.getCampaign(record.id)) ?? record;
        const manifest = current.manifest as { scans?: { file?: string }[] };
        const named = (manifest.scans ?? []).some((s) => typeof s.file === "string" && path.posix.normalize(s.file) === file);
        let manifestUpdated = false;
        if (!named) {
          if (!entry) throw new AgentHttpError(400, `body.file: ${file} is not a scan of the campaign's manifest: send Bluesky documents, or a scan entry {id, cell, spot, start, end} in body.scan`);
          // the folder's campaign.json is the manifest of a watched campaign: a version written here would be replaced by it at the next sweep
          if (current.watchDir !== null) throw new AgentHttpError(409, `body.file: ${file} is not a scan of campaign "${record.id}"'s manifest, which is ${path.join(current.watchDir, MANIFEST_NAME)} (a watched folder): add scan ${entry.id} there first`);
          const updated = { ...current.manifest, scans: [...(manifest.scans ?? []), { id: entry.id, cell: entry.cell, spot: entry.spot, file, ...(entry.start === undefined ? {} : { start: entry.start }), ...(entry.end === undefined ? {} : { end: entry.end }) }] };
          const result = await runner.ingest(record.id, MANIFEST_NAME, Buffer.from(`${JSON.stringify(updated, null, 2)}\n`), { source: "upload" });
          wake();
          if (result.status === "rejected") throw new AgentHttpError(400, `${MANIFEST_NAME} with scan ${entry.id} added: ${result.error}`);
          manifestUpdated = result.created;
        }
        const result = await runner.ingest(record.id, file, Buffer.from(content, "utf8"), { source: "upload", completedAt: Date.now() });
        wake();
        if (result.status === "rejected") throw new AgentHttpError(400, result.error);
        let events: AgentEvent[];
        try {
          events = agent.tell({ file, version: result.file.version, source, ...(entry ? { scan: entry.id, cell: entry.cell, spot: entry.spot } : {}), ...(uid === undefined ? {} : { uid }), ...(suggestion === undefined ? {} : { suggestion }) });
        } catch (error) {
          return decided(error);
        }
        await persist(record.id, events);
        const told = events.find((e) => e.type === AGENT_EVENTS.tell);
        return reply.code(result.created ? 201 : 200).send({ file: result.file, created: result.created, kind: result.kind, manifestUpdated, tell: told?.payload ?? null });
      });
    },
  });

  app.route({
    ...routeOf("POST", "/api/campaigns/:id/agent/ask"),
    schema: { body: SCHEMAS["AgentAsk"] },
    handler: async (request) => {
      const record = await campaignRecord(request);
      const body = request.body as { n?: number; target?: Record<string, unknown>; constraints?: Record<string, unknown>; cell?: string; doseAware?: boolean; seed?: number };
      return locked(record.id, async ({ agent }) => {
        const live = await liveOf(record.id);
        if (!live) throw new AgentHttpError(409, `campaign "${record.id}": no live diagnosis yet — the agent asks the planner about a posterior (tell it scans first)`);
        const liveCell = live.cells.find((c) => c.id === body.cell) ?? live.cells[0];
        // no target: the posterior law's rate parameter (the planner's default)
        const target = body.target ? targetFromJson(body.target) : liveCell ? defaultTarget(liveCell) : ({ kind: "law" } as Target);
        const campaign = await campaignOf(record.id);
        const constraints = constraintsFromJson(body.constraints);
        const answer = agent.ask(body.n ?? 1, { campaign, live, target, ...(constraints ? { constraints } : {}), ...(body.cell === undefined ? {} : { cell: body.cell }), ...(body.doseAware === undefined ? {} : { doseAware: body.doseAware }), ...(body.seed === undefined ? {} : { seed: body.seed }) });
        await persist(record.id, answer.events);
        const { plan: result } = answer;
        return { suggestions: answer.suggestions, requireApproval: agent.requireApproval, cell: result.cell, target, now: result.now, costModel: result.costModel, events: result.events, considered: result.considered, refused: result.refused, constraints: answer.constraints, diagnosisScans: live.scans };
      });
    },
  });

  for (const decision of ["approve", "deny"] as const) {
    app.route({
      ...routeOf("POST", `/api/campaigns/:id/agent/suggestions/:sid/${decision}`),
      schema: { body: SCHEMAS["AgentDecision"] },
      handler: async (request) => {
        const record = await campaignRecord(request);
        const sid = (request.params as { sid: string }).sid;
        const body = (request.body ?? {}) as { by?: string; note?: string };
        const by = body.by ?? `token ${request.token?.id ?? "?"} (${request.token?.label ?? "no label"})`;
        return locked(record.id, async ({ agent }) => {
          let events: AgentEvent[] = [];
          try {
            events = decision === "approve" ? agent.approve(sid, by, body.note) : agent.deny(sid, by, body.note);
          } catch (error) {
            decided(error);
          }
          await persist(record.id, events);
          return { suggestion: agent.suggestion(sid) };
        });
      },
    });
  }

  app.route({
    ...routeOf("GET", "/api/campaigns/:id/agent/report"),
    handler: async (request) => {
      const record = await campaignRecord(request);
      const cell = (request.query as { cell?: string }).cell;
      return locked(record.id, async ({ agent }) => ({ campaign: record.id, ...agent.report(await liveOf(record.id), cell) }));
    },
  });
}
