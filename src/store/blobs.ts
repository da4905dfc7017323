/**
 * @module store/blobs
 * Raw bytes of every ingested file, content-addressed: `<dir>/sha256/<2 hex>/<64 hex>` where
 * `dir` is the data folder's `blobs/`. A blob is written to a temporary file in its own
 * folder, fsynced, renamed into place and the folder fsynced, so after a crash it is either
 * whole or absent; it is never modified afterwards. Reading verifies the hash.
 * Units: sizes in bytes.
 */
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import fsp from "node:fs/promises";
import path from "node:path";
import { EngineError, ValidationError } from "../core/errors.ts";
import { SHA256_HEX } from "./common.ts";

/** Temporary files start with this; a crash can leave one behind, `removeTemporary()` clears them. */
export const BLOB_TEMP_PREFIX = ".tmp-";

export const sha256Hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

/** fsync a folder so a rename or a new entry in it survives a crash. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await fsp.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export class BlobStore {
  /** the blobs folder (DIR/blobs of the data folder) */
  readonly dir: string;

  /** `dir` is the blobs folder itself (the data folder's `blobs/`); it is created on the first put. */
  constructor(dir: string) {
    this.dir = path.resolve(dir);
  }

  private check(sha256: string): string {
    if (typeof sha256 !== "string" || !SHA256_HEX.test(sha256)) throw new ValidationError("sha256", "expected 64 lower-case hex digits", sha256);
    return sha256;
  }

  /** Where the blob of this hash lives (whether or not it is there). */
  path(sha256: string): string {
    this.check(sha256);
    return path.join(this.dir, "sha256", sha256.slice(0, 2), sha256);
  }

  has(sha256: string): Promise<boolean> {
    const file = this.path(sha256);
    return fsp.access(file).then(
      () => true,
      () => false,
    );
  }

  /**
   * Stores the bytes under their SHA-256; when that content is already there, returns
   * `created: false` and writes nothing.
   */
  async put(bytes: Uint8Array): Promise<{ sha256: string; size: number; created: boolean }> {
    const sha256 = sha256Hex(bytes);
    const file = this.path(sha256);
    if (await this.has(sha256)) return { sha256, size: bytes.byteLength, created: false };
    const folder = path.dirname(file);
    await this.makeFolder(folder);
    const temp = path.join(folder, `${BLOB_TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
    // read-only from the start: a blob is never modified
    const handle = await fsp.open(temp, "wx", 0o444);
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } catch (error) {
      await handle.close();
      await fsp.rm(temp, { force: true });
      throw error;
    }
    await handle.close();
    await fsp.rename(temp, file);
    await syncFolder(folder);
    return { sha256, size: bytes.byteLength, created: true };
  }

  /** mkdir -p, fsyncing each parent whose entry list changed, so the new folders survive a crash. */
  private async makeFolder(folder: string): Promise<void> {
    if (fs.existsSync(folder)) return;
    await this.makeFolder(path.dirname(folder));
    try {
      await fsp.mkdir(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      return;
    }
    await syncFolder(path.dirname(folder));
  }

  /** The bytes of a blob, verified against the hash: a missing or altered blob is a one-line error naming it. */
  async get(sha256: string): Promise<Buffer> {
    const file = this.path(sha256);
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new EngineError("data", `${file}: blob not found`);
      throw error;
    }
    const actual = sha256Hex(bytes);
    if (actual !== sha256) {
      throw new EngineError("data", `${file}: blob is corrupted (its content hashes to ${actual}, not its name)`);
    }
    return bytes;
  }

  /** Deletes temporary files a crash left in the blob folders (call at start-up, before anything writes); returns how many. */
  async removeTemporary(): Promise<number> {
    const root = path.join(this.dir, "sha256");
    if (!fs.existsSync(root)) return 0;
    let removed = 0;
    for (const sub of await fsp.readdir(root)) {
      const folder = path.join(root, sub);
      if (!(await fsp.stat(folder)).isDirectory()) continue;
      for (const name of await fsp.readdir(folder)) {
        if (!name.startsWith(BLOB_TEMP_PREFIX)) continue;
        await fsp.rm(path.join(folder, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
}
