/**
 * @module service/dataDir
 * The data folder of `strata serve --data DIR` (default `./strata-data`):
 * ```
 * DIR/strata.db                      SQLite store (unless --store postgres://…)
 * DIR/blobs/sha256/<2 hex>/<64 hex>  raw bytes of every ingested file, content-addressed
 * DIR/campaigns/<id>/                each campaign's materialised folder: campaign.json and every
 *                                    ingested file at its manifest-relative path (latest version)
 * ```
 * {@link openDataDir} creates the folder, opens (and migrates) the store, and clears what a
 * crash can leave behind: temporary blob files and the ingest's staging folders.
 * Units: none.
 */
import fs from "node:fs";
import path from "node:path";
import { BlobStore, openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { STAGING_FOLDER } from "./ingest.ts";

/** `--data` when not given. */
export const DEFAULT_DATA_DIR = "strata-data";

export interface DataDir {
  /** the data folder (absolute) */
  dir: string;
  store: Store;
  blobs: BlobStore;
}

/**
 * Open a data folder (created when missing).
 * @param dir - the data folder
 * @param options - `store`: `--store` (`sqlite:PATH` or `postgres://…`; default SQLite at DIR/strata.db)
 * @throws {ValidationError} for a bad `--store`; the store's error when it cannot be opened
 */
export async function openDataDir(dir: string, options: { store?: string } = {}): Promise<DataDir> {
  const root = path.resolve(dir);
  fs.mkdirSync(path.join(root, "campaigns"), { recursive: true });
  const blobs = new BlobStore(path.join(root, "blobs"));
  await blobs.removeTemporary();
  for (const id of fs.readdirSync(path.join(root, "campaigns"))) {
    fs.rmSync(path.join(root, "campaigns", id, STAGING_FOLDER), { recursive: true, force: true });
  }
  const store = await openStore(options.store, root);
  return { dir: root, store, blobs };
}
