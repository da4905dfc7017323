/**
 * The content-addressed blob folder of `strata serve`: bytes land at sha256/<2 hex>/<64 hex>,
 * the same content twice is stored once and not rewritten, reading verifies the hash (an
 * altered blob is a one-line error naming its file), a missing blob and a malformed hash are
 * one-line errors, and temporary files a crash left behind are cleared.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EngineError, ValidationError } from "../../src/core/errors.ts";
import { BLOB_TEMP_PREFIX, BlobStore } from "../../src/store/blobs.ts";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "strata-blobs-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const hex = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("BlobStore", () => {
  it("stores bytes under their SHA-256 once: the second put of the same content writes nothing", async () => {
    const blobs = new BlobStore(path.join(tmp, "a"));
    const bytes = new TextEncoder().encode("# ORSO reflectivity data file\n0.01 1.0 0.01\n");
    const first = await blobs.put(bytes);
    expect(first).toEqual({ sha256: hex(bytes), size: bytes.byteLength, created: true });
    const file = blobs.path(first.sha256);
    expect(path.relative(blobs.dir, file)).toBe(path.join("sha256", first.sha256.slice(0, 2), first.sha256));
    const inode = fs.statSync(file).ino;
    const second = await blobs.put(Buffer.from(bytes));
    expect(second).toEqual({ ...first, created: false });
    expect(fs.statSync(file).ino).toBe(inode);
    expect(await blobs.has(first.sha256)).toBe(true);
    expect(await blobs.get(first.sha256)).toEqual(Buffer.from(bytes));
    expect(fs.readdirSync(path.dirname(file))).toEqual([first.sha256]);

    const racers = await Promise.all(Array.from({ length: 8 }, () => blobs.put(new TextEncoder().encode("raced"))));
    expect(new Set(racers.map((r) => r.sha256)).size).toBe(1);
    expect(await blobs.get(racers[0].sha256)).toEqual(Buffer.from("raced"));
    const empty = await blobs.put(new Uint8Array(0));
    expect(await blobs.get(empty.sha256)).toEqual(Buffer.alloc(0));
  });

  it("detects a corrupted blob with one line naming it, and names a missing one", async () => {
    const blobs = new BlobStore(path.join(tmp, "b"));
    const { sha256 } = await blobs.put(Buffer.from("0.01 1.0 0.01\n0.02 0.5 0.01\n"));
    const file = blobs.path(sha256);
    fs.chmodSync(file, 0o644);
    fs.writeFileSync(file, "0.01 1.0 0.01\n0.02 0.6 0.01\n");
    const error = await blobs.get(sha256).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect((error as Error).message).toBe(`${file}: blob is corrupted (its content hashes to ${hex(fs.readFileSync(file))}, not its name)`);
    const absent = "0".repeat(64);
    await expect(blobs.get(absent)).rejects.toThrow(`${blobs.path(absent)}: blob not found`);
    expect(await blobs.has(absent)).toBe(false);
    expect(() => blobs.path("../../etc/passwd")).toThrow(ValidationError);
  });

  it("clears temporary files a crash left behind and keeps the blobs", async () => {
    const blobs = new BlobStore(path.join(tmp, "c"));
    const { sha256 } = await blobs.put(Buffer.from("kept"));
    const folder = path.dirname(blobs.path(sha256));
    fs.writeFileSync(path.join(folder, `${BLOB_TEMP_PREFIX}123-abc`), "half a fi");
    expect(await blobs.removeTemporary()).toBe(1);
    expect(fs.readdirSync(folder)).toEqual([sha256]);
    expect(await new BlobStore(path.join(tmp, "never-written")).removeTemporary()).toBe(0);
  });
});
