/**
 * @module store
 * Opening the store `strata serve --store` names: nothing (SQLite at DATA/strata.db),
 * `sqlite:PATH` (relative to the data folder when relative) or `postgres://…` /
 * `postgresql://…` (optionally `?schema=NAME`). The store is migrated before it is returned.
 * PostgreSQL's driver is loaded only when asked for. A password in the URL never appears in
 * an error message. Units: none.
 */
import path from "node:path";
import { ValidationError } from "../core/errors.ts";
import { redactUrl } from "./common.ts";
import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export type * from "./types.ts";
export { BlobStore, sha256Hex } from "./blobs.ts";
export { SqliteStore } from "./sqlite.ts";
export type { PostgresStore } from "./postgres.ts";
export { redactUrl } from "./common.ts";

/** The SQLite file of a data folder when `--store` is not given. */
export const DEFAULT_SQLITE_FILE = "strata.db";

/** Which store a `--store` value names, without opening it (a bad value is a ValidationError). */
export function parseStoreSpec(spec: string | undefined, dataDir: string): { kind: "sqlite"; file: string } | { kind: "postgres"; url: string } {
  if (spec === undefined) return { kind: "sqlite", file: path.resolve(dataDir, DEFAULT_SQLITE_FILE) };
  if (spec.startsWith("sqlite:")) {
    const file = spec.slice("sqlite:".length);
    if (file.length === 0) throw new ValidationError("--store", "sqlite: needs a file path (sqlite:PATH)", spec);
    return { kind: "sqlite", file: path.resolve(dataDir, file) };
  }
  if (/^postgres(ql)?:\/\//.test(spec)) return { kind: "postgres", url: spec };
  throw new ValidationError("--store", "expected sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE", redactUrl(spec));
}

/** Opens and migrates the store; closes it again when migrating fails. */
export async function openStore(spec: string | undefined, dataDir: string): Promise<Store> {
  const which = parseStoreSpec(spec, dataDir);
  let store: Store;
  if (which.kind === "sqlite") {
    store = new SqliteStore(which.file);
  } else {
    const { PostgresStore } = await import("./postgres.ts");
    store = new PostgresStore(which.url);
  }
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
