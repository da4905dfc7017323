/**
 * @module core/worker
 * Starting worker threads whose entry is a TypeScript module. Node 20 workers do
 * not inherit the main thread's module hooks, and `--import tsx` in a worker's
 * execArgv runs too late for its entry file, so a TypeScript worker first
 * registers tsx's ESM hooks, then imports the real entry. No units.
 */
import { createRequire } from "node:module";
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
