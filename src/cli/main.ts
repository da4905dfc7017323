/**
 * @module cli/main
 * The `strata` command: argument parsing, printing and exit codes only. Every
 * user error (EngineError) becomes one line on stderr and exit code 2; anything
 * else is a bug: exit code 1 with a short message (stack with STRATA_DEBUG=1).
 * {@link installProcessHandlers} (called by bin/strata.js) makes a closed output pipe
 * a quiet exit 0 and Ctrl-C a one-line "interrupted" with exit code 130.
 */
import { Command, CommanderError } from "commander";
import { EngineError } from "../core/errors.ts";
import { STRATA_VERSION } from "../core/version.ts";
import { setUnknownKeyPolicy } from "../core/keys.ts";
import { UsageError } from "./output.ts";
import { clearProgress, setQuiet } from "./progress.ts";
import { registerReflect } from "./reflect.ts";
import { registerSld } from "./sld.ts";
import { registerProfile } from "./profile.ts";
import { registerDemo } from "./demo.ts";
import { registerFit } from "./fit.ts";
import { registerSimulate } from "./simulate.ts";
import { registerDiagnose } from "./diagnose.ts";
import { registerEis } from "./eis.ts";
import { registerInspect } from "./inspect.ts";
import { registerDose } from "./dose.ts";
import { registerInit } from "./init.ts";
import { registerImportRefnx } from "./importRefnx.ts";
import { registerReplay } from "./replay.ts";
import { registerServe } from "./serve.ts";
import { registerPlan } from "./plan.ts";
import { registerTwin } from "./twin.ts";
import { registerWorker } from "./worker.ts";


export function buildProgram(): Command {
  const program = new Command();
  program
    .name("strata")
    .description("Quantitative, uncertainty-aware diagnosis of buried battery interfaces (reflectivity, impedance, electrochemistry)")
    .version(STRATA_VERSION)
    .option("--quiet", "no progress messages on stderr (results and errors are still printed)")
    .option("--lenient", "unknown keys in campaign.json, MODEL.json, PROBLEM.json, scenarios and dose plans are warnings (strata: warning: … on stderr), not errors")
    .showHelpAfterError(false)
    .exitOverride()
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerReflect(program);
  registerSld(program);
  registerProfile(program);
  registerDemo(program);
  registerFit(program);
  registerSimulate(program);
  registerDiagnose(program);
  registerEis(program);
  registerInspect(program);
  registerDose(program);
  registerInit(program);
  registerImportRefnx(program);
  registerReplay(program);
  registerServe(program);
  registerPlan(program);
  registerTwin(program);
  registerWorker(program);
  for (const command of program.commands) command.exitOverride();
  // a program-level option: `strata --quiet diagnose …` and `strata diagnose … --quiet` alike
  program.hook("preAction", () => {
    const options = program.opts<{ quiet?: boolean; lenient?: boolean }>();
    setQuiet(options.quiet === true);
    setUnknownKeyPolicy({ lenient: options.lenient === true, warn: lenientWarning() });
  });
  return program;
}

/** Prints each lenient unknown-key warning once on stderr (a manifest may be read more than once). */
function lenientWarning(): (message: string) => void {
  const printed = new Set<string>();
  return (message) => {
    if (printed.has(message)) return;
    printed.add(message);
    clearProgress();
    process.stderr.write(`strata: warning: ${singleLine(message)}\n`);
  };
}

/**
 * Run the CLI with the given arguments (without `node` and the script path).
 * @returns the process exit code
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    // a command that finished but has something to say sets process.exitCode (diagnose: 3 untrustworthy, 4 qualified under --strict)
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit through here with code 0; commander already printed its message
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof EngineError || error instanceof UsageError) {
      process.stderr.write(`strata: ${singleLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`strata: internal error: ${singleLine(message)}\n`);
    if (process.env["STRATA_DEBUG"] && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

/** Exit code of a run stopped by SIGINT (128 + 2, as a shell reports it). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Process-level behaviour of the `strata` command, installed once by bin/strata.js
 * (not by {@link main}, which tests call in-process):
 * - stdout closed by its reader (`strata profile M.json | head -1`): exit 0 quietly
 *   instead of an EPIPE stack trace — nobody is left to read the rest;
 * - SIGINT (Ctrl-C): clear a progress bar's line, print "strata: interrupted"
 *   on stderr and exit with 130 at once, before any output file is written (every
 *   command writes its files only after its computation has finished).
 */
export function installProcessHandlers(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  const interrupted = (): void => {
    clearProgress();
    process.stderr.write("strata: interrupted\n");
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.once("SIGINT", interrupted);
}

const singleLine = (text: string): string => readableMessage(text.replace(/\s*\n\s*/g, " "));

/** A quoted piece of input longer than this is cut (with "…") in an error message. */
export const MAX_QUOTED_CHARACTERS = 60;
/** An error message longer than this is cut (with "…"). */
export const MAX_MESSAGE_CHARACTERS = 400;
/** Undecodable bytes (U+FFFD), control characters or their JSON escapes: signs of binary input. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
const BINARY_MARK = /\uFFFD|[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]|\\u00[01][0-9a-fA-F]/g;

/**
 * An error message a person can read: input quoted in it (a file's first line, a bad
 * token) is cut to {@link MAX_QUOTED_CHARACTERS}, quoted bytes of a binary file are
 * replaced by a note that the file is not text, and the whole is cut to
 * {@link MAX_MESSAGE_CHARACTERS} — never 3,000 characters of escaped bytes.
 */
export function readableMessage(message: string): string {
  const quoted = message.replace(/"((?:[^"\\]|\\.)*)"/g, (whole, inner: string) => {
    if ((inner.match(BINARY_MARK)?.length ?? 0) >= 3) return "(binary bytes: not a text file)";
    return inner.length > MAX_QUOTED_CHARACTERS ? `"${inner.slice(0, MAX_QUOTED_CHARACTERS)}…"` : whole;
  });
  const clean = quoted.replace(BINARY_MARK, "?");
  return clean.length > MAX_MESSAGE_CHARACTERS ? `${clean.slice(0, MAX_MESSAGE_CHARACTERS - 1)}…` : clean;
}
