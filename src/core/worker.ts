/**
 * @module core/worker
 * Starting worker threads whose entry is a TypeScript module. Node 20 workers do
 * not inherit the main thread's module hooks, and `--import tsx` in a worker's
 * execArgv runs too late for its entry file, so a TypeScript worker first
 * registers tsx's ESM hooks, then imports the real entry. No units.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The URL of a module beside `base` (an `import.meta.url`), with the extension `base` has:
 * `.ts` when running from the sources (tests, tsx), `.js` when running the compiled
 * package in `dist/`. Worker entries and modules that workers import are named this way,
 * since a URL string, unlike an import, is not rewritten by the compiler.
 * @param base - the calling module's `import.meta.url`
 * @param relative - the module's path relative to `base`, without extension (`./mcmcWorker`)
 */
export function siblingModule(base: string, relative: string): URL {
  const extension = new URL(base).pathname.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`${relative}${extension}`, base);
}

/**
 * Source text for `new Worker(code, { eval: true })` that loads `workerUrl`.
 * @param workerUrl - the worker's entry module (`.ts` through tsx, anything else directly)
 * @returns ES module code that imports the entry
 */
export function workerBootstrap(workerUrl: URL): string {
  if (!workerUrl.pathname.endsWith(".ts")) return `import(${JSON.stringify(workerUrl.href)});`;
  let api: string;
  try {
    api = import.meta.resolve("tsx/esm/api");
  } catch {
    api = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href;
  }
  return [
    `import(${JSON.stringify(api)})`,
    `.then((m) => { (m.register ?? m.default.register)(); return import(${JSON.stringify(workerUrl.href)}); })`,
    `.catch((e) => { throw e; });`,
  ].join("");
}

const bundles = new Map<string, Promise<string>>();

/**
 * Source text for `new Worker(code, { eval: true })` that runs `entry` bundled with
 * its project imports by esbuild (tsx's own compiler), the packages named in
 * `external` left to Node and loaded from their installed files. Starting such a
 * worker costs what its code costs (≈ 0.1 s) instead of the ≈ 1.5 s of registering
 * tsx in a fresh thread, which matters for a worker that is replaced after a crash.
 * The bundle is built once per entry (≈ 50 ms). A non-`.ts` entry is loaded as is.
 *
 * @param entry - the worker's entry module
 * @param external - package specifiers (and prefixes, `pkg/*`) not to bundle
 */
export function bundledWorkerSource(entry: URL, external: readonly string[]): Promise<string> {
  if (!entry.pathname.endsWith(".ts")) return Promise.resolve(`import(${JSON.stringify(entry.href)});`);
  let bundle = bundles.get(entry.href);
  if (!bundle) {
    bundle = buildBundle(entry, external);
    bundles.set(entry.href, bundle);
    bundle.catch(() => bundles.delete(entry.href));
  }
  return bundle;
}

/** The expression a bundle rewrites per file (spelled out of pieces so that this file's own code is not rewritten). */
const IMPORT_META_URL = ["import", "meta", "url"].join(".");

async function buildBundle(entry: URL, external: readonly string[]): Promise<string> {
  const esbuild = await import("esbuild");
  const isExternal = (spec: string): boolean => external.some((e) => (e.endsWith("/*") ? spec.startsWith(e.slice(0, -1)) : spec === e));
  const result = await esbuild.build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
    plugins: [
      {
        // a bundled module's import.meta.url would be the bundle's data: URL, against which
        // relative URLs (data tables beside the sources, sibling worker modules) do not
        // resolve: give each project file its own file: URL back, as when run unbundled
        name: "file-urls",
        setup(build) {
          build.onLoad({ filter: /\.[cm]?ts$/ }, async (args) => {
            if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
            const text = await fs.promises.readFile(args.path, "utf8");
            if (!text.includes(IMPORT_META_URL)) return undefined;
            return { contents: text.replaceAll(IMPORT_META_URL, JSON.stringify(pathToFileURL(args.path).href)), loader: "ts" };
          });
        },
      },
      {
        name: "installed-packages",
        setup(build) {
          // a data: module resolves only absolute specifiers: point each external package at its installed file
          build.onResolve({ filter: /.*/ }, async (args) => {
            if (args.pluginData === "resolving" || !isExternal(args.path)) return undefined;
            const found = await build.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, pluginData: "resolving" });
            if (found.errors.length > 0) return { errors: found.errors };
            return { path: pathToFileURL(found.path).href, external: true };
          });
        },
      },
    ],
  });
  const code = result.outputFiles[0].text;
  return `import(${JSON.stringify(`data:text/javascript;base64,${Buffer.from(code).toString("base64")}`)});`;
}

/** A task's reply from a {@link serveTasks} worker. */
type TaskReply<R> = { id: number; result: R } | { id: number; error: string };

/**
 * Runs independent tasks on the calling thread and `threads − 1` workers, results in task
 * order. Each worker is started from `entry` (bundled, see {@link bundledWorkerSource}),
 * which must call {@link serveTasks} with the same computation as `local`; tasks and
 * results must be structured-clonable. The calling thread takes tasks too ("2 threads" =
 * this thread + one worker): it hands a task to every idle worker, runs the next one
 * itself, lets replies in, and repeats. Deterministic tasks give the same results for
 * every thread count. A worker's error or exit fails the call with one line; the workers
 * are terminated at the end.
 *
 * @param options.entry - the worker module (calls serveTasks)
 * @param options.tasks - the tasks, in order
 * @param options.threads - threads to use, this one included (1: all here, no worker)
 * @param options.local - the computation, in this thread
 * @param options.label - what the tasks are, for error messages
 */
export async function runTasks<T, R>(options: {
  readonly entry: URL;
  readonly tasks: readonly T[];
  readonly threads: number;
  readonly local: (task: T, index: number) => R;
  readonly label: string;
  readonly external?: readonly string[];
}): Promise<R[]> {
  const { tasks, local, label } = options;
  const results: R[] = new Array<R>(tasks.length);
  const workerCount = Math.min(Math.max(options.threads - 1, 0), tasks.length - 1);
  if (workerCount <= 0) return tasks.map((task, i) => local(task, i));
  const { Worker } = await import("node:worker_threads");
  const source = await bundledWorkerSource(options.entry, options.external ?? []);
  const workers = Array.from({ length: workerCount }, () => new Worker(source, { eval: true }));
  const exited = new Set<InstanceType<typeof Worker>>();
  for (const worker of workers) worker.once("exit", () => exited.add(worker));
  // static lanes: task i runs on thread i mod (workers + 1), 0 being this one. Which thread
  // computes a task then never depends on timing, so a run is repeatable even when a
  // thread's numbers depend on what it computed before (the smearing plan cache)
  const lanes = workerCount + 1;
  let failure: Error | undefined;
  const runLane = (worker: InstanceType<typeof Worker>, lane: number): Promise<void> =>
    new Promise<void>((resolve) => {
      let id = lane;
      const finish = (): void => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        resolve();
      };
      const send = (): void => {
        if (id >= tasks.length || failure) return finish();
        if (exited.has(worker)) {
          failure ??= new Error(`${label}: a worker thread exited`);
          return finish();
        }
        worker.postMessage({ id, task: tasks[id] });
      };
      const onMessage = (reply: TaskReply<R>): void => {
        if (reply.id !== id) return;
        if ("error" in reply) failure ??= new Error(`${label} ${id} in a worker thread failed: ${reply.error}`);
        else results[id] = reply.result;
        id += lanes;
        send();
      };
      const onError = (error: Error): void => {
        failure ??= new Error(`${label} ${id}: the worker thread failed: ${error.message.split("\n")[0]}`);
        finish();
      };
      const onExit = (code: number): void => {
        failure ??= new Error(`${label} ${id}: the worker thread exited (code ${code})`);
        finish();
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      send();
    });
  try {
    const running = workers.map((worker, w) => runLane(worker, w + 1));
    for (let id = 0; id < tasks.length && !failure; id += lanes) {
      results[id] = local(tasks[id], id);
      // let the workers' replies in between this thread's tasks
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(running);
    if (failure) throw failure;
    return results;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

/**
 * The worker side of {@link runTasks}: answers `{ id, task }` with `{ id, result }` or
 * `{ id, error }` (one line). Call once from a worker entry module.
 * @param run - the computation (the same as the calling thread's `local`)
 */
export async function serveTasks<T, R>(run: (task: T) => R): Promise<void> {
  const { parentPort } = await import("node:worker_threads");
  const port = parentPort;
  if (!port) throw new Error("serveTasks must run in a worker thread");
  port.on("message", (message: { id: number; task: T }) => {
    try {
      port.postMessage({ id: message.id, result: run(message.task) });
    } catch (error) {
      port.postMessage({ id: message.id, error: error instanceof Error ? error.message.replace(/\s*\n\s*/g, " ") : String(error) });
    }
  });
}
