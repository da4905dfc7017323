/**
 * @module web/api
 * How the page talks to `strata serve`: where the API is (relative to wherever the page is
 * served, so a proxy prefix works), the token (the `strata_token` cookie the service sets, or
 * `?access_token=` kept for this tab), JSON requests, and the event stream with reconnection
 * from the last event id. Units: ms (delays).
 */
import type { StrataEvent } from "./types.ts";

/** Event types the page follows (the service may send others; they are ignored). */
export const EVENT_TYPES = ["campaign.registered", "file.seen", "file.waiting", "file.ingested", "file.rejected", "diagnosis.updated", "work.failed"] as const;
/** First wait before reconnecting a stream the browser gave up on; doubles up to the maximum. */
const RECONNECT_FIRST_MS = 500;
const RECONNECT_MAX_MS = 10_000;
const TOKEN_KEY = "strata_token";

/** Where the page is: the service's root (with any prefix) and the campaign in the address, if any. */
export function locate(href: string): { root: string; campaign: string | null } {
  const url = new URL(href);
  const match = /^(.*\/)campaigns\/([^/]+)\/?$/.exec(url.pathname);
  if (match) return { root: match[1], campaign: decodeURIComponent(match[2]) };
  const root = url.pathname.replace(/[^/]*$/, "");
  return { root, campaign: url.searchParams.get("campaign") };
}

/** The token from `?access_token=` (kept for this tab and removed from the address bar), else null: the cookie does it. */
export function takeToken(): string | null {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get("access_token");
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete("access_token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
    return fromUrl;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class Api {
  constructor(
    readonly root: string,
    private readonly token: string | null,
  ) {}

  url(path: string, query: Record<string, string> = {}): string {
    const url = new URL(this.root + path.replace(/^\//, ""), window.location.origin);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    return url.pathname + url.search;
  }

  /** GET a JSON document; an HTTP error becomes an HttpError carrying the service's one-line reason. */
  async get<T>(path: string): Promise<{ body: T; headers: Headers }> {
    const response = await fetch(this.url(path), {
      headers: this.token ? { Authorization: `Bearer ${this.token}`, Accept: "application/json" } : { Accept: "application/json" },
      credentials: "same-origin",
      cache: "no-store",
    });
    if (!response.ok) {
      let reason = response.statusText;
      try {
        const body = (await response.json()) as { error?: string };
        if (body.error) reason = body.error;
      } catch {
        // not JSON: keep the status text
      }
      throw new HttpError(response.status, `${path}: ${response.status} ${reason}`);
    }
    return { body: (await response.json()) as T, headers: response.headers };
  }

  /**
   * Follow the event stream (of one campaign, or of all when `campaign` is null) from now on.
   * `opened` is called each time the stream (re)opens: load the state then, so nothing falls
   * between the load and the first event. The browser reconnects by itself (sending
   * Last-Event-ID); when it gives up (the server answered an error or went away), a new stream
   * is opened from the last seen id after a growing pause.
   */
  follow(campaign: string | null, handlers: { event: (event: StrataEvent) => void; state: (state: "connecting" | "connected" | "reconnecting") => void; opened: () => void }): () => void {
    let last = 0;
    let everOpened = false;
    let source: EventSource | null = null;
    let wait = RECONNECT_FIRST_MS;
    let timer: number | undefined;
    let stopped = false;
    const open = (): void => {
      handlers.state(everOpened ? "reconnecting" : "connecting");
      // without `after` the service sends only what happens from now on: the page loads the state on open
      const query: Record<string, string> = {};
      if (campaign) query["campaign"] = campaign;
      if (last > 0) query["after"] = String(last);
      if (this.token) query["access_token"] = this.token;
      const stream = new EventSource(this.url("api/events", query));
      source = stream;
      stream.onopen = () => {
        wait = RECONNECT_FIRST_MS;
        everOpened = true;
        handlers.state("connected");
        handlers.opened();
      };
      const receive = (message: MessageEvent<string>): void => {
        const seq = Number(message.lastEventId);
        if (Number.isFinite(seq) && seq > 0) {
          if (seq <= last) return;
          last = seq;
        }
        let data: Record<string, unknown> = {};
        try {
          data = JSON.parse(message.data) as Record<string, unknown>;
        } catch {
          data = { text: message.data };
        }
        handlers.event({ seq, type: message.type, data });
      };
      for (const type of EVENT_TYPES) stream.addEventListener(type, receive);
      stream.onmessage = receive;
      stream.onerror = () => {
        if (stopped) return;
        handlers.state("reconnecting");
        if (stream.readyState === EventSource.CLOSED) {
          stream.close();
          timer = window.setTimeout(open, wait);
          wait = Math.min(2 * wait, RECONNECT_MAX_MS);
        }
      };
    };
    open();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      source?.close();
    };
  }
}
