/**
 * @module io/cycler/byteSource
 * Random-access bytes from a buffer or from a file read in bounded chunks, so
 * that a reader never needs the whole file in memory.
 */
import fs from "node:fs";

/** Bytes of an input, read by position. */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /**
   * Bytes `[position, position + length)`, clipped at the end. The result may be
   * a view into a buffer reused by the next call: copy what must be kept.
   */
  read(position: number, length: number): Uint8Array;
  close(): void;
}

/** A {@link ByteSource} over a buffer held in memory. */
export function bufferSource(buffer: Uint8Array): ByteSource {
  return {
    size: buffer.length,
    read(position, length) {
      const start = Math.min(Math.max(0, position), buffer.length);
      return buffer.subarray(start, Math.min(buffer.length, start + Math.max(0, length)));
    },
    close() {},
  };
}

/** A {@link ByteSource} over an open file; reads go through one reusable buffer. */
export function fileSource(path: string): ByteSource {
  const fd = fs.openSync(path, "r");
  let size: number;
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: "ENOTFILE" });
    size = stat.size;
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
  let scratch = new Uint8Array(0);
  let closed = false;
  return {
    size,
    read(position, length) {
      const start = Math.min(Math.max(0, position), size);
      const n = Math.min(size - start, Math.max(0, length));
      if (scratch.length < n) scratch = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = fs.readSync(fd, scratch, done, n - done, start + done);
        if (got === 0) break;
        done += got;
      }
      return scratch.subarray(0, done);
    },
    close() {
      if (!closed) fs.closeSync(fd);
      closed = true;
    },
  };
}
