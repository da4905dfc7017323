/**
 * @module cli/serve
 * `strata serve [--data DIR] [--port N] [--host H] [--store sqlite:PATH|postgres://…]
 * [--watch ID=DIR …] [--max-upload-mb N] [--full-after S]`: the live service — opens the data
 * folder and its store, starts the runner (ingest, watched folders, live diagnosis), listens,
 * and prints exactly one line `strata serve: http://HOST:PORT/ (data DIR, store KIND)` on stdout
 * when it does (`--port 0` picks a free port). SIGINT or SIGTERM closes the server, the runner
 * and the store and prints `strata serve: stopped` (exit 0).
 *
 * `strata serve token create --scope read|write [--label L]` (with serve's --data and --store) prints a new token's secret once
 * (stdout; the store keeps only its SHA-256), `token list` the tokens, `token revoke ID` revokes
 * one. Bad input (a flag, an unopenable --store) → one line on stderr, exit 2.
 *
 * Units: port number; --max-upload-mb in MiB; --full-after in s.
 */
import fs from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { ValidationError } from "../core/errors.ts";
import { printJson, UsageError } from "./output.ts";
import { integerOption, numberOption } from "./numbers.ts";

/** `--data` when not given. */
export const DEFAULT_DATA_DIR = "./strata-data";
/** `--port` when not given. */
export const DEFAULT_PORT = 8470;
/** `--host` when not given: loopback only. */
export const DEFAULT_HOST = "127.0.0.1";
/** `--max-upload-mb` when not given. */
export const DEFAULT_MAX_UPLOAD_MB = 64;
/** `--full-after` when not given: a full re-run after this many quiet seconds. */
export const DEFAULT_FULL_AFTER_S = 30;
/** After shutdown, exit even if a library left a handle open (ms). */
const EXIT_GRACE_MS = 3000;

interface ServeOptions {
  data?: string;
  port?: string;
  host?: string;
  store?: string;
  watch?: string[];
  maxUploadMb?: string;
  fullAfter?: string;
  queue?: string;
  start?: string;
}

interface TokenOptions {
  data?: string;
  store?: string;
  scope?: string;
  label?: string;
  json?: boolean;
}

const DATA_HELP = `the data folder: store, blobs, materialised campaigns (default ${DEFAULT_DATA_DIR})`;
const STORE_HELP = "sqlite:PATH (default DATA/strata.db) or postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME]";

export function registerServe(program: Command): void {
  const serve = program
    .command("serve")
    .description("The live service: HTTP API (/api/, OpenAPI at /api/openapi.json), ingest of uploaded and watched files, live diagnosis, the live page; every route but /health needs a token (serve token create)")
    .option("--data <DIR>", DATA_HELP)
    .option("--port <N>", `port to listen on; 0 picks a free one (default ${DEFAULT_PORT})`)
    .option("--host <HOST>", `address to listen on (default ${DEFAULT_HOST}: this machine only)`)
    .option("--store <SPEC>", STORE_HELP)
    .option("--watch <ID=DIR>", "watch DIR for the files of campaign ID (registered from DIR/campaign.json if new); repeatable", (value: string, previous: string[] = []) => [...previous, value])
    .option("--max-upload-mb <N>", `largest uploaded file, MiB (default ${DEFAULT_MAX_UPLOAD_MB})`)
    .option("--full-after <S>", `a full re-run of the diagnosis after a campaign has been quiet this long, s (default ${DEFAULT_FULL_AFTER_S})`)
    .option("--start <auto|ml|global>", "where a live cell's first per-scan fit (and a scan whose warm start misfits) starts: the global stage (global, default), or LM from the learned estimator's estimate when the cell is in its domain, not out of distribution and the fit reaches the data, else the global stage (auto; ml is taken as auto: the service never refuses a scan)")
    .option("--queue <URL>", "hand full runs to `strata worker`s through this job queue (redis://HOST:PORT; needs --store postgres://…, the store the workers share); without it they run here")
    .action(async (options: ServeOptions) => runServe(options));

  // the token commands use serve's --data and --store (`strata serve token create --data D …`)
  const token = serve.command("token").description("Access tokens of the service in the --data folder or --store (stored hashed; read or write scope)");
  token
    .command("create")
    .description("Create a token and print its secret once (stdout); the store keeps only its SHA-256")
    .requiredOption("--scope <read|write>", "read: every GET route; write: also registering campaigns and uploading files")
    .option("--label <TEXT>", "a note saying whose or what for")
    .option("--json", "print {id, label, scope, createdAt, secret}")
    .action(async (_options: TokenOptions, command: Command) => {
      const options = command.optsWithGlobals<TokenOptions>();
      const { createToken, parseScope } = await import("../service/auth.ts");
      const scope = parseScope(options.scope);
      await withStore(options, async (store) => {
        const created = await createToken(store, { scope, ...(options.label === undefined ? {} : { label: options.label }) });
        if (options.json) printJson(created);
        else {
          process.stdout.write(`${created.secret}\n`);
          process.stderr.write(`strata serve: token ${created.id} (${created.scope}${created.label ? `, "${created.label}"` : ""}) created; its secret (above) is shown only now\n`);
        }
      });
    });
  token
    .command("list")
    .description("List the tokens (id, scope, created, revoked, label; never secrets)")
    .option("--json", "print the token records as JSON")
    .action(async (_options: TokenOptions, command: Command) => {
      const options = command.optsWithGlobals<TokenOptions>();
      await withStore(options, async (store) => {
        const tokens = await store.listTokens();
        if (options.json) return printJson(tokens);
        if (tokens.length === 0) return void process.stdout.write("no tokens (strata serve token create --scope read|write)\n");
        const lines = tokens.map((t) => [t.id, t.scope.padEnd(5), t.createdAt, t.revokedAt ? `revoked ${t.revokedAt}` : "active", t.label].join("  "));
        process.stdout.write(`${lines.join("\n")}\n`);
      });
    });
  token
    .command("revoke")
    .description("Revoke a token by its id: requests carrying it get 401 from then on")
    .argument("<ID>", "the token's id (tok_…), as token list shows it")
    .option("--json", 'print {"id", "revoked": true}')
    .action(async (id: string, _options: TokenOptions, command: Command) => {
      const options = command.optsWithGlobals<TokenOptions>();
      await withStore(options, async (store) => {
        if (!(await store.revokeToken(id))) throw new ValidationError("ID", "no such token", id);
        if (options.json) printJson({ id, revoked: true });
        else process.stdout.write(`revoked ${id}\n`);
      });
    });
}

/** The data folder, created when absent (a file in its place is a usage error). */
function dataFolder(dir: string | undefined): string {
  const resolved = path.resolve(dir ?? DEFAULT_DATA_DIR);
  try {
    fs.mkdirSync(resolved, { recursive: true });
  } catch (error) {
    throw new UsageError(`--data ${dir ?? DEFAULT_DATA_DIR}: cannot create the data folder (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!fs.statSync(resolved).isDirectory()) throw new UsageError(`--data ${dir ?? DEFAULT_DATA_DIR}: not a folder`);
  return resolved;
}

/** A store that cannot be opened is the user's to fix (a wrong URL, a server that is down): exit 2. */
async function openStoreOrExplain(spec: string | undefined, dataDir: string): Promise<import("../store/types.ts").Store> {
  const { openStore, parseStoreSpec, redactUrl } = await import("../store/index.ts");
  parseStoreSpec(spec, dataDir); // a malformed value: its own ValidationError
  try {
    return await openStore(spec, dataDir);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new UsageError(`--store ${spec === undefined ? "(default sqlite)" : redactUrl(spec)}: cannot open the store: ${(error as Error).message}`);
  }
}

/** {@link openStoreOrExplain} for the whole data folder (blobs, staging clean-up) of `serve`. */
async function openDataDirOrExplain(spec: string | undefined, dataDir: string): Promise<import("../service/dataDir.ts").DataDir> {
  const { parseStoreSpec, redactUrl } = await import("../store/index.ts");
  const { openDataDir } = await import("../service/dataDir.ts");
  parseStoreSpec(spec, dataDir);
  try {
    return await openDataDir(dataDir, spec === undefined ? {} : { store: spec });
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new UsageError(`--store ${spec === undefined ? "(default sqlite)" : redactUrl(spec)}: cannot open the store: ${(error as Error).message}`);
  }
}

async function withStore(options: TokenOptions, work: (store: import("../store/types.ts").Store) => Promise<void>): Promise<void> {
  const store = await openStoreOrExplain(options.store, dataFolder(options.data));
  try {
    await work(store);
  } finally {
    await store.close();
  }
}

/** `ID=DIR` pairs of --watch, checked. */
export function parseWatch(values: readonly string[]): { id: string; dir: string }[] {
  return values.map((value) => {
    const eq = value.indexOf("=");
    if (eq <= 0 || eq === value.length - 1) throw new ValidationError("--watch", "expected ID=DIR", value);
    const id = value.slice(0, eq);
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(id)) throw new ValidationError("--watch", "the campaign id must be lower-case letters, digits and dashes (at most 63, not starting with a dash)", id);
    const dir = path.resolve(value.slice(eq + 1));
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new ValidationError("--watch", `${dir} is not a folder`, value);
    return { id, dir };
  });
}

async function runServe(options: ServeOptions): Promise<void> {
  const port = options.port === undefined ? DEFAULT_PORT : integerOption(options.port, "--port", 0, 65535);
  const host = options.host ?? DEFAULT_HOST;
  const maxUploadBytes = Math.round((options.maxUploadMb === undefined ? DEFAULT_MAX_UPLOAD_MB : numberOption(options.maxUploadMb, "--max-upload-mb", { gt: 0, le: 4096 })) * 1024 * 1024);
  const fullAfter_s = options.fullAfter === undefined ? DEFAULT_FULL_AFTER_S : numberOption(options.fullAfter, "--full-after", { ge: 0 });
  const watches = parseWatch(options.watch ?? []);
  const start = options.start ?? "global";
  if (start !== "auto" && start !== "ml" && start !== "global") throw new ValidationError("--start", "must be one of auto, ml, global", start);
  const dataDir = dataFolder(options.data);
  let queue: { queue: string; store: string } | undefined;
  if (options.queue !== undefined) {
    const { redisOptions } = await import("../service/queue.ts");
    redisOptions(options.queue);
    if (options.store === undefined || !/^postgres(ql)?:\/\//.test(options.store)) throw new UsageError("--queue: needs --store postgres://… (the workers read inputs from and write results to that store)");
    queue = { queue: options.queue, store: options.store };
  }

  // the main thread serves HTTP over its own store connection; the runner (ingest, live
  // diagnosis: long synchronous computations) works in a worker thread with another
  const { store } = await openDataDirOrExplain(options.store, dataDir);
  const { ThreadRunner } = await import("../service/threadRunner.ts");
  const { buildApp } = await import("../service/app.ts");
  let runner: import("../service/threadRunner.ts").ThreadRunner | undefined;
  let app: Awaited<ReturnType<typeof buildApp>> | undefined;
  const jobs = queue ? new (await import("../service/queueClient.ts")).QueueClient(queue) : undefined;
  let listening = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await app?.close().catch(() => undefined);
      await runner?.stop().catch(() => undefined);
      await jobs?.close().catch(() => undefined);
      await store.close().catch(() => undefined);
      if (listening) process.stdout.write("strata serve: stopped\n");
      setTimeout(() => process.exit(process.exitCode ?? 0), EXIT_GRACE_MS).unref();
    })());
  try {
    runner = await ThreadRunner.start({ dataDir, ...(options.store === undefined ? {} : { store: options.store }), options: { fullAfter_s, maxFileBytes: maxUploadBytes, ...(queue ? { queue } : {}), ...(start !== "global" ? { start } : {}) } });
    for (const { id, dir } of watches) await watchCampaign(runner, store, id, dir);
    const webRoot = await pageRoot();
    app = await buildApp({ store, runner, webRoot, maxUploadBytes, dataDir, ...(jobs ? { jobs: (limit: number) => jobs.jobs(limit) } : {}) });
    await app.listen({ port, host });
  } catch (error) {
    await stop();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") throw new UsageError(`--port ${port} --host ${host}: cannot listen (${code})`);
    throw error;
  }
  listening = true;
  const address = app.server.address();
  const actualPort = typeof address === "object" && address !== null ? address.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  process.stdout.write(`strata serve: http://${shownHost}:${actualPort}/ (data ${dataDir}, store ${store.kind}${queue ? ", queue" : ""})\n`);

  // the CLI's Ctrl-C handler exits at once with 130; the service shuts down in order instead
  process.removeAllListeners("SIGINT");
  await new Promise<void>((resolve) => {
    const onSignal = (): void => void stop().then(resolve);
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
    runner.once("failed", (error: Error) => {
      process.stderr.write(`strata serve: the runner failed: ${error.message.split("\n")[0]}; stopping\n`);
      process.exitCode = 1;
      onSignal();
    });
  });
}

/**
 * Follow DIR for campaign ID. A campaign the store does not know yet is registered from
 * DIR/campaign.json when it is there (a bad manifest stops the start-up with its one line),
 * otherwise when the replay or the instrument writes it.
 */
async function watchCampaign(runner: import("../service/threadRunner.ts").ThreadRunner, store: import("../store/types.ts").Store, id: string, dir: string): Promise<void> {
  const manifestFile = path.join(dir, "campaign.json");
  if (!(await store.getCampaign(id)) && fs.existsSync(manifestFile)) {
    const { parseManifestBytes } = await import("../service/ingest.ts");
    const bytes = fs.readFileSync(manifestFile);
    parseManifestBytes(bytes, manifestFile);
    await runner.registerCampaign({ id, manifest: JSON.parse(bytes.toString("utf8")) as Record<string, unknown>, watchDir: dir });
  }
  await runner.watch(id, dir);
}

/** dist/web beside the compiled program (bin/strata.js → dist/cli/serve.js → dist/web). */
async function pageRoot(): Promise<string> {
  const { fileURLToPath } = await import("node:url");
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, "..", "web"), path.resolve(here, "..", "..", "dist", "web")];
  return candidates.find((dir) => fs.existsSync(path.join(dir, "index.html"))) ?? candidates[0];
}
