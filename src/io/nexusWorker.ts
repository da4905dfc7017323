/**
 * @module io/nexusWorker
 * Worker-thread entry of the NeXus reader ({@link readNexusReflectivity}): loads the
 * HDF5 library once, says `{ ready: true }`, then answers
 * `{ id, file, options }` → `{ id, curves }` or `{ id, error }`, with `crashed: true`
 * once the library has crashed (the parent then replaces this thread). Units as in
 * io/nexus. Not meant to be imported.
 */
import { parentPort } from "node:worker_threads";
import { ParseError } from "../core/errors.ts";
import { hdf5LibraryCrashed, readNexusInThisThread, type ReadNexusOptions } from "./nexus.ts";

interface Request {
  readonly id: number;
  readonly file: string;
  readonly options: ReadNexusOptions;
}

const port = parentPort;
if (!port) throw new Error("io/nexusWorker is a worker-thread entry, not a module to import");
await import("h5wasm/node").then(async ({ default: h5wasm }) => h5wasm.ready);
port.on("message", (request: Request) => {
  readNexusInThisThread(request.file, request.options).then(
    (curves) => {
      const buffers = curves.flatMap((c) => [c.q, c.r, c.dr, c.dq, c.time, c.monitor].filter((a) => a !== undefined).map((a) => a.buffer as ArrayBuffer));
      port.postMessage({ id: request.id, curves, crashed: hdf5LibraryCrashed() }, [...new Set(buffers)]);
    },
    (error: unknown) => {
      const crashed = hdf5LibraryCrashed();
      if (error instanceof ParseError) {
        // the message without the "file:line: " prefix the parent's ParseError adds again
        const prefix = new ParseError(error.file, "", { line: error.line, offset: error.offset }).message.length;
        port.postMessage({ id: request.id, crashed, error: { file: error.file, detail: error.message.slice(prefix), line: error.line, offset: error.offset } });
      } else {
        port.postMessage({ id: request.id, crashed, error: { file: request.file, detail: `malformed HDF5 content (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` } });
      }
    },
  );
});
port.postMessage({ ready: true });
