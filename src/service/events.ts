/**
 * @module service/events
 * Server-sent events over the store's append-only event log. One {@link EventHub} per service
 * reads the log in order (woken at once by the runner's in-process notifications, and polling
 * every {@link POLL_INTERVAL_MS} for writers in other processes, e.g. a second service on the
 * same PostgreSQL) and fans each new event out to the open streams. A stream first sends the
 * backlog after the position the client gives (`?after=SEQ`, or the `Last-Event-ID` header an
 * EventSource sends when it reconnects), then the live events, each exactly once and in `seq`
 * order: `id: <seq>`, `event: <type>`, `data: <payload + campaignId + at as JSON>`. A comment
 * line every {@link HEARTBEAT_MS} keeps proxies from closing an idle stream.
 *
 * Units: ms.
 */
import type { ServerResponse } from "node:http";
import type { EventRecord, Store } from "../store/types.ts";

/** How often the hub reads the log without a wake-up (writers in other processes). */
export const POLL_INTERVAL_MS = 500;
/** A comment line is written this often on an idle stream. */
export const HEARTBEAT_MS = 15_000;
/** Events read from the store per query. */
export const PAGE_SIZE = 500;
/** The reconnection delay an EventSource is told to use. */
export const RETRY_MS = 2_000;

type Listener = (event: EventRecord) => void;

/**
 * Reads the event log in order and hands every new event to its listeners. Listeners added
 * while it runs see every event with a seq above the hub's position at the time they joined.
 */
export class EventHub {
  private readonly store: Store;
  private readonly listeners = new Set<Listener>();
  private cursor = 0;
  private draining: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private started: Promise<void> | undefined;

  constructor(store: Store) {
    this.store = store;
  }

  /** Move to the end of the log (existing events are history, not news) and start polling. */
  start(): Promise<void> {
    this.started ??= (async () => {
      if (this.store.lastSeq) this.cursor = await this.store.lastSeq();
      else
        for (;;) {
          const page = await this.store.events(this.cursor, { limit: PAGE_SIZE });
          if (page.length === 0) break;
          this.cursor = page[page.length - 1].seq;
        }
      this.timer = setInterval(() => void this.wake(), POLL_INTERVAL_MS);
      this.timer.unref();
    })();
    return this.started;
  }

  /** The seq of the last event handed out. */
  get position(): number {
    return this.cursor;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Read what is new now (coalesced: one read at a time, one more if woken meanwhile). */
  wake(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.draining) {
      this.again = true;
      return this.draining;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        void this.wake();
      }
    });
    return this.draining;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.listeners.clear();
  }

  private async drain(): Promise<void> {
    await this.start();
    try {
      for (;;) {
        const page = await this.store.events(this.cursor, { limit: PAGE_SIZE });
        for (const event of page) {
          this.cursor = event.seq;
          for (const listener of this.listeners) listener(event);
        }
        if (page.length < PAGE_SIZE) return;
      }
    } catch (error) {
      // a closed store at shutdown, or a transient database error: the next wake retries
      if (!this.stopped) process.stderr.write(`strata serve: event log read failed: ${String((error as Error).message ?? error).split("\n")[0]}\n`);
    }
  }
}

/** One SSE frame of an event. */
export function eventFrame(event: EventRecord): string {
  const data = JSON.stringify({ ...event.payload, campaignId: event.campaignId, seq: event.seq, at: event.at });
  return `id: ${event.seq}\nevent: ${event.type}\ndata: ${data}\n\n`;
}

/** Where a stream starts: Last-Event-ID (a reconnect) wins over `after`; neither → only new events. */
export function startPosition(lastEventId: string | undefined, after: number | undefined, hubPosition: number): number {
  if (lastEventId !== undefined && /^\d+$/.test(lastEventId.trim())) return Number(lastEventId.trim());
  return after ?? hubPosition;
}

/**
 * Stream events to one client on a hijacked response until it disconnects.
 * `campaignId` filters to one campaign's events; `after` is the seq already seen.
 */
export async function streamEvents(hub: EventHub, store: Store, response: ServerResponse, options: { campaignId?: string; after: number; signal: AbortSignal }): Promise<void> {
  const { campaignId, signal } = options;
  let cursor = options.after;
  let live = false;
  const buffered: EventRecord[] = [];
  const write = (event: EventRecord): void => {
    if (event.seq <= cursor) return;
    if (campaignId !== undefined && event.campaignId !== campaignId) {
      cursor = event.seq;
      return;
    }
    cursor = event.seq;
    response.write(eventFrame(event));
  };
  // join first, buffer what arrives while the backlog is read, then flush: nothing falls between
  const unsubscribe = hub.subscribe((event) => (live ? write(event) : buffered.push(event)));
  const heartbeat = setInterval(() => response.write(": heartbeat\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  const closed = new Promise<void>((resolve) => {
    if (signal.aborted) resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
  try {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      // the socket closes with the stream (a server shutting down does not wait for it)
      connection: "close",
      "x-accel-buffering": "no",
    });
    response.write(`retry: ${RETRY_MS}\n: connected at seq ${cursor}\n\n`);
    for (;;) {
      if (signal.aborted) break;
      const page = await store.events(cursor, { ...(campaignId === undefined ? {} : { campaignId }), limit: PAGE_SIZE });
      for (const event of page) write(event);
      if (page.length < PAGE_SIZE) break;
    }
    for (const event of buffered.sort((a, b) => a.seq - b.seq)) write(event);
    buffered.length = 0;
    live = true;
    await closed;
  } finally {
    unsubscribe();
    clearInterval(heartbeat);
    if (!response.writableEnded) response.end();
  }
}
