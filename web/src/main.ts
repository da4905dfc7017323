/**
 * @module web/main
 * The live page of `strata serve`: the campaign list at `/`, a campaign at `/campaigns/:id`
 * (or `?campaign=ID`). Pushed updates: one EventSource per view; `diagnosis.updated` fetches
 * the latest document and redraws, `file.*` refreshes the ingest state; fetches are coalesced
 * (one in flight, one more queued). After each redraw `window.__strataLive` holds
 * `{ version, scans, updatedAt, latencyMs, fetchMs, drawMs, campaign }` (updatedAt in ms since
 * the epoch; latencyMs from the service's diagnosis event to the redraw, of which fetchMs
 * waiting for the document and drawMs drawing it) and a
 * `strata-live` event carrying the same is dispatched on window, so tests and people can see
 * what is shown and when. Units: ms.
 */
import "./style.css";
import { Api, HttpError, locate, takeToken } from "./api.ts";
import { el } from "./dom.ts";
import { clock, fmt } from "./format.ts";
import { render, skeleton, type ViewState } from "./panels.ts";
import { resizeAll } from "./plots.ts";
import { asLiveDocument, type CampaignSummary, type IngestState, type StrataEvent } from "./types.ts";

declare global {
  interface Window {
    __strataLive?: { version: number | null; scans: number; updatedAt: number; latencyMs: number | null; fetchMs: number; drawMs: number; campaign: string };
  }
}

const status = document.getElementById("status")!;
const main = document.getElementById("app")!;
const title = document.getElementById("title")!;

/** Runs `task` now, or once more after the running one when asked while it runs. */
function coalesced(task: () => Promise<void>): () => void {
  let running = false;
  let again = false;
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
  return () => void run();
}

function showError(message: string): void {
  const box = document.getElementById("error") ?? el("p", { id: "error", class: "error", role: "alert" });
  box.textContent = message;
  if (!box.isConnected) main.before(box);
}

function clearError(): void {
  document.getElementById("error")?.remove();
}

function setStatus(parts: { connection: string; detail?: string }): void {
  status.replaceChildren(el("span", { class: `conn conn-${parts.connection}`, "data-connection": parts.connection }, parts.connection), parts.detail ? ` · ${parts.detail}` : "");
}

function campaignList(api: Api): void {
  title.textContent = "Strata live: campaigns";
  document.title = "Strata live";
  const holder = el("section", { class: "panel wide", "data-panel": "campaigns", "aria-labelledby": "h-campaigns" }, el("h2", { id: "h-campaigns" }, "Campaigns"));
  main.replaceChildren(holder);
  let connection = "connecting";
  const refresh = coalesced(async () => {
    try {
      const { body } = await api.get<CampaignSummary[]>("api/campaigns");
      clearError();
      holder.replaceChildren(holder.firstChild!);
      holder.dataset["count"] = String(body.length);
      if (body.length === 0) {
        holder.append(el("p", { class: "empty" }, "No campaign yet: register one with POST /api/campaigns or `strata serve --watch ID=DIR`."));
      } else {
        const rows = body.map((c) =>
          el("tr", {}, el("td", {}, el("a", { href: `${api.root}campaigns/${encodeURIComponent(c.id)}` }, c.name || c.id)), el("td", {}, el("code", {}, c.id)), el("td", {}, String(c.files ?? "")), el("td", {}, String(c.scans ?? "")), el("td", {}, c.diagnosisVersion === null || c.diagnosisVersion === undefined ? "none yet" : String(c.diagnosisVersion))),
        );
        holder.append(el("table", { class: "campaigns" }, el("thead", {}, el("tr", {}, ...["campaign", "id", "files", "scans", "diagnosis version"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ...rows)));
      }
      setStatus({ connection, detail: `list updated ${clock(Date.now())}` });
    } catch (error) {
      showError((error as Error).message);
    }
  });
  const stop = api.follow(null, {
    event: (event) => {
      if (event.type === "campaign.registered" || event.type === "diagnosis.updated" || event.type.startsWith("file.")) refresh();
    },
    state: (state) => {
      connection = state;
      setStatus({ connection });
    },
    opened: refresh,
  });
  window.addEventListener("pagehide", stop);
  jobTable(api);
}

/** How often the job table asks again (ms): job states change in the workers, without events here. */
const JOBS_POLL_MS = 3000;

interface JobRow {
  id: string;
  kind: string;
  state: string;
  campaignId: string | null;
  label: string | null;
  attempts: number;
  reason: string | null;
  createdAt: string | null;
  finishedAt: string | null;
}

/** `strata serve --queue`: the queue's latest jobs under the campaign list (nothing without a queue). */
function jobTable(api: Api): void {
  const holder = el("section", { class: "panel wide", "data-panel": "jobs", "aria-labelledby": "h-jobs" }, el("h2", { id: "h-jobs" }, "Jobs"));
  const refresh = async (): Promise<void> => {
    let body: { queue: boolean; jobs: JobRow[] };
    try {
      body = (await api.get<{ queue: boolean; jobs: JobRow[] }>("api/jobs")).body;
    } catch {
      return; // an older service or a passing failure: the campaign list shows errors
    }
    if (!body.queue) {
      holder.remove();
      return;
    }
    if (!holder.isConnected) main.append(holder);
    holder.dataset["count"] = String(body.jobs.length);
    const rows = body.jobs.map((j) =>
      el(
        "tr",
        { "data-state": j.state },
        el("td", {}, j.kind),
        el("td", {}, j.label ?? j.campaignId ?? ""),
        el("td", { class: `job-${j.state}` }, j.state),
        el("td", {}, String(j.attempts)),
        el("td", {}, j.createdAt ? clock(Date.parse(j.createdAt)) : ""),
        el("td", {}, j.reason ?? ""),
      ),
    );
    holder.replaceChildren(
      holder.firstChild!,
      body.jobs.length === 0
        ? el("p", { class: "empty" }, "No job yet: full runs are queued when a campaign has been quiet.")
        : el("table", { class: "jobs" }, el("thead", {}, el("tr", {}, ...["kind", "campaign", "state", "attempts", "queued", "reason"].map((h) => el("th", { scope: "col" }, h)))), el("tbody", {}, ...rows)),
    );
    window.setTimeout(() => void refresh(), JOBS_POLL_MS);
  };
  void refresh();
}

function campaignView(api: Api, id: string): void {
  const back = el("nav", {}, el("a", { href: api.root }, "← all campaigns"));
  main.replaceChildren(back);
  title.textContent = `Campaign ${id}`;
  const grid = el("div", { class: "grid" });
  main.append(grid);
  const sections = skeleton(grid);
  const state: ViewState = { doc: null, ingest: null, cell: null, flagsSeen: new Map() };
  let connection = "connecting";
  let version: number | null = null;
  let kind = "";
  let updatedAt = 0;
  let latencyMs: number | null = null;
  /** performance.now() of the oldest diagnosis event not yet drawn, and its server time */
  let pendingSince: { received: number; serverAt: number | null } | null = null;

  const describe = (): void => {
    const parts: string[] = [];
    if (state.doc) parts.push(`version ${version ?? "?"} (${kind || state.doc.method}), ${state.doc.scans} scans, updated ${clock(updatedAt)}`);
    else parts.push("no diagnosis yet");
    if (latencyMs !== null) parts.push(`event → page ${fmt(latencyMs, 3)} ms`);
    setStatus({ connection, detail: parts.join(" · ") });
  };
  const redraw = (): void => render(sections, state, (cell) => {
    state.cell = cell;
    redraw();
  });

  /** The campaign's record and ingest state; whether it has a diagnosis yet (so the page does not ask for one that is not there). */
  const loadCampaign = async (): Promise<boolean> => {
    try {
      const path = `api/campaigns/${encodeURIComponent(id)}`;
      const [{ body }, versions] = await Promise.all([api.get<{ name?: string; ingest?: IngestState }>(path), api.get<unknown[]>(`${path}/diagnoses`)]);
      if (body.name) {
        title.textContent = body.name;
        document.title = `${body.name} · Strata live`;
      }
      if (body.ingest) state.ingest = body.ingest;
      return versions.body.length > 0;
    } catch (error) {
      showError((error as Error).message);
      return false;
    }
  };
  const loadDiagnosis = coalesced(async () => {
    const since = pendingSince;
    pendingSince = null;
    const asked = performance.now();
    let answered = asked;
    try {
      const { body, headers } = await api.get<unknown>(`api/campaigns/${encodeURIComponent(id)}/diagnosis`);
      answered = performance.now();
      state.doc = asLiveDocument(body);
      const v = Number(headers.get("X-Strata-Version"));
      version = Number.isFinite(v) && v > 0 ? v : version;
      kind = headers.get("X-Strata-Kind") ?? state.doc.method;
      clearError();
    } catch (error) {
      if (error instanceof HttpError && error.status === 404) state.doc = null;
      else showError((error as Error).message);
    }
    redraw();
    updatedAt = Date.now();
    const drawn = performance.now();
    if (since) latencyMs = since.serverAt !== null ? Math.max(0, updatedAt - since.serverAt) : drawn - since.received;
    // where the time went: waiting for the service's answer, and drawing
    window.__strataLive = { version, scans: state.doc?.scans ?? 0, updatedAt, latencyMs, fetchMs: Math.round(answered - asked), drawMs: Math.round(drawn - answered), campaign: id };
    window.dispatchEvent(new CustomEvent("strata-live", { detail: window.__strataLive }));
    describe();
  });
  const loadIngest = coalesced(async () => {
    try {
      state.ingest = (await api.get<IngestState>(`api/campaigns/${encodeURIComponent(id)}/ingest`)).body;
    } catch (error) {
      showError((error as Error).message);
    }
    redraw();
    describe();
  });

  const loadedAt = Date.now();
  const stop = api.follow(id, {
    opened: () => {
      void loadCampaign().then((hasDiagnosis) => {
        if (hasDiagnosis) loadDiagnosis();
        else {
          redraw();
          describe();
        }
      });
    },
    event: (event: StrataEvent) => {
      if (event.type === "diagnosis.updated") {
        const at = typeof event.data["at"] === "string" ? Date.parse(event.data["at"]) : Number.NaN;
        // events replayed from before the page opened say nothing about latency
        if (!(at < loadedAt)) pendingSince ??= { received: performance.now(), serverAt: Number.isFinite(at) ? at : null };
        loadDiagnosis();
      } else if (event.type.startsWith("file.")) {
        loadIngest();
      } else if (event.type === "work.failed") {
        showError(`background work failed: ${typeof event.data["error"] === "string" ? event.data["error"] : "no reason given"}`);
      }
    },
    state: (s) => {
      connection = s;
      describe();
    },
  });
  window.addEventListener("pagehide", stop);
  let resizeTimer: number | undefined;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => resizeAll(main), 150);
  });
}

try {
  const { root, campaign } = locate(window.location.href);
  const api = new Api(root, takeToken());
  if (campaign) campaignView(api, campaign);
  else campaignList(api);
} catch (error) {
  showError(error instanceof Error ? error.message : String(error));
}
