/**
 * @module service
 * `strata serve`: the live service (HTTP API, ingest, live diagnosis, the live page).
 * Units: as the modules it serves (Å, s, Gy); sizes in bytes, latencies in ms.
 */
export type { Store } from "../store/types.ts";
